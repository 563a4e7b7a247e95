// Python 3.9 compatibility of the package (issue 19: "for Python 3.9+"): every Python source of the repository passes python/tests/check_py39.py (3.10+ syntax, runtime X | Y types, newer standard-library names), the checker itself catches each construct, and a real Python 3.9 compiles every file when one is at hand.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { PYTHON, REPO_ROOT } from './helpers.js';

afterAll(() => removeTempDirs());

const CHECKER = path.join(REPO_ROOT, 'python', 'tests', 'check_py39.py');

/** The Python files of the repository (git's list, so stray files do not count). */
function pythonSources(): string[] {
  const r = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.py'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((f) => f.endsWith('.py') && !f.startsWith('node_modules/'))
    .map((f) => path.join(REPO_ROOT, f));
}

function check(files: string[]): { files: number; problems: string[] } {
  const r = spawnSync(PYTHON, [CHECKER, ...files], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { files: number; problems: string[] };
}

/** A real 3.9 interpreter: TICKREC_PYTHON39, `python3.9` on PATH, or a pyenv build. */
function python39(): string | undefined {
  const candidates = [process.env.TICKREC_PYTHON39, 'python3.9'];
  const pyenv = path.join(process.env.HOME ?? '/root', '.pyenv', 'versions');
  if (fs.existsSync(pyenv))
    for (const v of fs.readdirSync(pyenv).sort().reverse())
      if (v.startsWith('3.9.')) candidates.push(path.join(pyenv, v, 'bin', 'python3'));
  for (const c of candidates) {
    if (!c) continue;
    const r = spawnSync(c, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '3.9') return c;
  }
  return undefined;
}

describe('Python 3.9 compatibility', () => {
  it('every Python source keeps to Python 3.9', () => {
    const files = pythonSources();
    expect(files.some((f) => f.endsWith(path.join('python', 'tickrec', 'read.py')))).toBe(true);
    expect(files.some((f) => f.endsWith('python-history-read.py'))).toBe(true);
    const r = check(files);
    expect(r.files).toBe(files.length);
    expect(r.problems).toEqual([]);
  });

  it('the checker refuses each construct of Python 3.10 and later', () => {
    const dir = makeTempDir('tickrec-py39-');
    const samples: Record<string, string> = {
      match: 'def f(x):\n    match x:\n        case 1:\n            return 1\n',
      except_star: 'try:\n    pass\nexcept* ValueError:\n    pass\n',
      union_annotation: 'def f(x: int | None) -> int:\n    return 0\n',
      union_variable: 'x: int | str = 1\n',
      union_isinstance: 'def f(x):\n    return isinstance(x, int | str)\n',
      zip_strict: 'def f(a, b):\n    return list(zip(a, b, strict=True))\n',
      pairwise: 'import itertools\n\ndef f(a):\n    return list(itertools.pairwise(a))\n',
      bit_count: 'def f(x):\n    return x.bit_count()\n',
      tomllib: 'import tomllib\n',
      datetime_utc: 'import datetime\nT = datetime.UTC\n',
      dataclass_slots: 'from dataclasses import dataclass\n\n@dataclass(slots=True)\nclass A:\n    x: int = 0\n',
    };
    for (const [name, src] of Object.entries(samples)) {
      const f = path.join(dir, `${name}.py`);
      fs.writeFileSync(f, src);
      expect(check([f]).problems.length, name).toBeGreaterThan(0);
    }
    // What 3.9 allows stays allowed: a union in annotations under `from __future__ import annotations`, Optional, tuples.
    const ok = path.join(dir, 'ok.py');
    fs.writeFileSync(
      ok,
      'from __future__ import annotations\nfrom typing import Optional\n\ndef f(x: int | None, y: Optional[str] = None) -> int:\n    return 1 if isinstance(x, (int, str)) else 0\n',
    );
    expect(check([ok]).problems).toEqual([]);
  });

  const py39 = python39();
  it.skipIf(py39 === undefined)(`a real Python 3.9 compiles every file (${py39 ?? 'none at hand: set TICKREC_PYTHON39'})`, () => {
    const files = pythonSources();
    const r = spawnSync(
      py39!,
      ['-c', 'import sys\nfor f in sys.argv[1:]:\n    compile(open(f, "rb").read(), f, "exec")\nprint(len(sys.argv) - 1)', ...files],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(Number(r.stdout.trim())).toBe(files.length);
  });
});

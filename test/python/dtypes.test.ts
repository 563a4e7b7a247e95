// python/tickrec/_dtypes.py is generated from the TypeScript field tables: it must be what the generator renders now, and numpy must lay the structs out at those offsets and sizes.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { BAR, RT_DAY_BLOCK_HEADER, TICK, TRADE } from '../../src/format/index.js';
import { HIS_BLOCK_HEADER, HIS_CHUNK_ENTRY, HIS_META_SLOT } from '../../src/his/index.js';
import { PY_DTYPES_PATH, renderPythonDtypes } from '../../scripts/gen-python-dtypes.js';
import { runPython } from './helpers.js';

describe('generated Python dtypes', () => {
  it('the committed _dtypes.py is what scripts/gen-python-dtypes.ts renders (run `npx tsx scripts/gen-python-dtypes.ts` after a table change)', () => {
    expect(fs.readFileSync(PY_DTYPES_PATH, 'utf8')).toBe(renderPythonDtypes());
  });

  it('every error code the Python reader raises is one of src/errors.ts (docs/errors.md)', async () => {
    const r = await runPython(['-c', 'import json, tickrec.errors as e; print(json.dumps(e.CODES))']);
    expect(r.code, r.stderr).toBe(0);
    const codes = JSON.parse(r.stdout) as string[];
    expect(codes.length).toBeGreaterThan(5);
    for (const c of codes) expect(Object.keys(ERROR_CODES), c).toContain(c);
  });

  it('python/pyproject.toml and tickrec.__version__ carry the version of package.json', async () => {
    const version = (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const pyproject = fs.readFileSync(new URL('../../python/pyproject.toml', import.meta.url), 'utf8');
    expect(/^version = "([^"]+)"$/m.exec(pyproject)?.[1]).toBe(version);
    const r = await runPython(['-c', 'import tickrec; print(tickrec.__version__)']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('numpy lays every struct out at the offsets and sizes of the TypeScript tables', async () => {
    const structs = { TICK, BAR, TRADE, RT_HEADER: RT_DAY_BLOCK_HEADER, HIS_BLOCK_HEADER, HIS_META_SLOT, HIS_CHUNK_ENTRY };
    const want = Object.fromEntries(
      Object.entries(structs).map(([n, s]) => [
        n,
        { size: s.size, fields: s.fields.filter((f) => f.type !== 'pad').map((f) => [f.name, f.offset, f.size]) },
      ]),
    );
    const script = [
      'import json, sys',
      'from tickrec import _dtypes as D',
      'out = {}',
      `for n in ${JSON.stringify(Object.keys(structs))}:`,
      '    d = getattr(D, n)',
      '    out[n] = {"size": d.itemsize, "fields": [[f, d.fields[f][1], d.fields[f][0].itemsize] for f in d.names]}',
      'print(json.dumps(out))',
    ].join('\n');
    const r = await runPython(['-c', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(want);
  });
});

// Tests of the layer rules: docs/architecture.md's table, scripts/lint/layers.cjs and the src/ tree agree, and dependency-cruiser with .dependency-cruiser.cjs fails on a wrong-way import.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const { LAYERS, BASE } = require(path.join(repo, 'scripts/lint/layers.cjs')) as { LAYERS: Record<string, string[]>; BASE: string[] };
const depcruise = path.join(repo, 'node_modules/.bin/depcruise');

/** The rows of the table under "## Layers" in docs/architecture.md: folder -> may import. */
function docTable(): Map<string, string[]> {
  const md = fs.readFileSync(path.join(repo, 'docs/architecture.md'), 'utf8');
  const section = md.slice(md.indexOf('## Layers'));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^\| `src\/([^`]+)` \|.*\| ([^|]+) \|$/.exec(line);
    if (!m) {
      if (rows.size > 0 && !line.startsWith('|')) break;
      continue;
    }
    const name = m[1] === '*.ts' ? 'base' : m[1] === 'index.ts' ? 'index' : m[1]!;
    const cell = m[2]!.trim();
    rows.set(name, cell === 'nothing' ? [] : cell.split(', '));
  }
  return rows;
}

function runDepcruise(cwd: string, config: string): { status: number | null; out: string } {
  const r = spawnSync(depcruise, ['src', '--config', config], { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('layer table', () => {
  it('docs/architecture.md lists the same rows, in the same order, as scripts/lint/layers.cjs', () => {
    const doc = docTable();
    expect(doc.get('base')).toEqual([]);
    doc.delete('base');
    expect([...doc.keys()]).toEqual(Object.keys(LAYERS));
    for (const [name, allowed] of Object.entries(LAYERS)) expect(doc.get(name), `row src/${name}`).toEqual(allowed);
  });

  it('orders the folders: each row imports only rows above it (no cycle between folders)', () => {
    const seen = new Set<string>();
    for (const [name, allowed] of Object.entries(LAYERS)) {
      for (const a of allowed) expect(seen.has(a), `${name} imports ${a}, which is not above it`).toBe(true);
      seen.add(name);
    }
  });

  it('names every folder of src/ and every base module at the top of src/', () => {
    const entries = fs.readdirSync(path.join(repo, 'src'), { withFileTypes: true });
    const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    const files = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => e.name.slice(0, -3));
    expect(dirs.sort()).toEqual(
      Object.keys(LAYERS)
        .filter((n) => n !== 'index')
        .sort(),
    );
    expect(files.sort()).toEqual([...BASE, 'index'].sort());
  });
});

describe('dependency-cruiser', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-layers-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('passes on src/ as it is', () => {
    const r = runDepcruise(repo, '.dependency-cruiser.cjs');
    expect(r.out).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  it('fails on a wrong-way import (format -> store) and a folder left out of the table', () => {
    // A copy of the rules over a small tree of its own: the repo's src/ is never touched.
    fs.mkdirSync(path.join(tmp, 'src/format'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'src/store'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'src/stray'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'src/store/writer.ts'), 'export const x = 1;\n');
    fs.writeFileSync(path.join(tmp, 'src/format/codec.ts'), "import { x } from '../store/writer.js';\nexport const y = x;\n");
    fs.writeFileSync(path.join(tmp, 'src/stray/thing.ts'), "import { y } from '../format/codec.js';\nexport const z = y;\n");
    fs.writeFileSync(
      path.join(tmp, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }),
    );
    fs.mkdirSync(path.join(tmp, 'scripts/lint'), { recursive: true });
    fs.copyFileSync(path.join(repo, 'scripts/lint/layers.cjs'), path.join(tmp, 'scripts/lint/layers.cjs'));
    fs.copyFileSync(path.join(repo, '.dependency-cruiser.cjs'), path.join(tmp, '.dependency-cruiser.cjs'));
    const r = runDepcruise(tmp, '.dependency-cruiser.cjs');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/error layer-format: src\/format\/codec\.ts → src\/store\/writer\.ts/);
    expect(r.out).toMatch(/error layer-table-complete: src\/stray\/thing\.ts/);
  });
});

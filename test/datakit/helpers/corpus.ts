// The datakit corpus for tests: its expected records, copies of its root, plain records for comparison, and the tickrec CLI.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_DIR, type ExpectedFile, type Rec } from '../../fixtures/datakit/make-corpus.js';
import { makeTempDir } from '../../helpers/tmp.js';

export const CORPUS_ROOT = path.join(CORPUS_DIR, 'root');
export const EXPECTED = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, 'expected.json'), 'utf8')) as Record<string, ExpectedFile>;
export const CLI = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

/** A fresh copy of the corpus root. */
export function corpusCopy(): string {
  const dir = makeTempDir('tickrec-datakit-');
  fs.cpSync(CORPUS_ROOT, dir, { recursive: true });
  return dir;
}

/** A decoded record as plain JSON values (typed arrays become arrays), for field-by-field comparison with expected.json. */
export function plain(rec: object): Rec {
  const out: Rec = {};
  for (const [k, v] of Object.entries(rec)) out[k] = ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : (v as number | string);
  return out;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function tickrec(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Records of one kind in a list of expected files, concatenated in the given order. */
export function expectedRecords(...rels: string[]): Rec[] {
  return rels.flatMap((r) => {
    const e = EXPECTED[r];
    if (!e) throw new Error(`expected.json has no ${r}`);
    return e.records;
  });
}

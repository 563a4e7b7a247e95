// Issue 14.3: tickrec's own historical formats are named .tsb (a datakit reader finds no file), datakit's keep .dsb; every reader tells them apart by header; tickrec migrate renames what an older tickrec wrote.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCompaction, runMigration, verifyRoot } from '../../src/compact/index.js';
import { hasBlockFlag, TICK_KIND } from '../../src/format/index.js';
import { readBars, readTicks, readTrades } from '../../src/read/index.js';
import { HIS_EXT, TICKREC_HIS_EXT, hisDayPath, hisHistoryPath, parseHisName } from '../../src/layout/index.js';
import { DAY_HIS_KIND, hisExtOf, hisExtOfCodec, hisKindByName } from '../../src/his/index.js';
import { bundledSessionBook } from '../compact/helpers/sessions.js';
import { INSTRUMENTS, dayTicks, makeRoot, writeFinished } from '../compact/helpers/root.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { corpusCopy, tickrec } from './helpers/corpus.js';

afterAll(removeTempDirs);

const sessions = bundledSessionBook();
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** Every file under his/ (relative paths, sorted). */
function hisFiles(root: string): string[] {
  const dir = path.join(root, 'his');
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/** sha256 of every file under his/, by relative path. */
function hisHashes(root: string): Record<string, string> {
  return Object.fromEntries(hisFiles(root).map((f) => [f, sha(path.join(root, 'his', f))]));
}

/**
 * What WonderTrader's readers (WtDataReader, WtBtDtReader, WtRdmDtReader) open: exactly
 * his/<period>/<EXCHG>/<CODE>.dsb and his/<ticks|trans>/<EXCHG>/<DATE>/<CODE>.dsb, and
 * they decode versions 1 to 4 only as their own (any other version is taken for raw
 * records). So every .dsb must carry the flag and one of datakit's versions.
 */
function datakitVersions(root: string): { file: string; version: number }[] {
  return hisFiles(root)
    .filter((f) => f.endsWith(HIS_EXT))
    .map((f) => {
      const b = fs.readFileSync(path.join(root, 'his', f));
      expect(hasBlockFlag(b), f).toBe(true);
      return { file: f, version: b.readUInt16LE(10) };
    });
}

/** Everything a user reads from the instruments of a root, as JSON text. */
function readAll(root: string, codes: readonly { exchg: string; code: string }[]): string {
  return JSON.stringify(
    codes.map(({ exchg, code }) => ({
      ticks: readTicks({ root, exchange: exchg, code }).toArray(),
      trades: readTrades({ root, exchange: exchg, code }).toArray(),
      min1: readBars({ root, exchange: exchg, code, period: 'min1' }).toArray(),
      min5: readBars({ root, exchange: exchg, code, period: 'min5' }).toArray(),
      day: readBars({ root, exchange: exchg, code, period: 'day' }).toArray(),
    })),
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
  );
}

// Not in the datakit corpus (SHFE rb2505, cu2502, ag2506): its files can sit beside them.
const INST = INSTRUMENTS.slice(1, 3);

/** A root as a tickrec before this rule left it: compacted with lz4, its own formats under datakit's .dsb. */
function olderTickrecRoot(): string {
  const root = makeTempDir();
  makeRoot(root, { dates: [20250106, 20250107], instruments: INST });
  expect(runCompaction({ root }).failures).toEqual([]);
  for (const f of hisFiles(root)) {
    expect(f.endsWith(TICKREC_HIS_EXT), f).toBe(true);
    const abs = path.join(root, 'his', f);
    fs.renameSync(abs, abs.slice(0, -TICKREC_HIS_EXT.length) + HIS_EXT);
  }
  return root;
}

describe("the name follows the format: datakit's readers never open tickrec's bytes", () => {
  it('the names: one extension per family of formats, both parsed, nothing else', () => {
    const tick = hisKindByName('tick')!;
    expect(hisDayPath('/r', tick, 'SHFE', 20250106, 'rb2505', TICKREC_HIS_EXT)).toBe('/r/his/ticks/SHFE/20250106/rb2505.tsb');
    expect(hisDayPath('/r', tick, 'SHFE', 20250106, 'rb2505')).toBe('/r/his/ticks/SHFE/20250106/rb2505.dsb');
    expect(hisHistoryPath('/r', DAY_HIS_KIND, 'SHFE', 'rb2505', TICKREC_HIS_EXT)).toBe('/r/his/day/SHFE/rb2505.tsb');
    expect(['rb2505.dsb', 'rb2505.tsb', 'X.1.tsb'].map(parseHisName)).toEqual(['rb2505', 'rb2505', 'X.1']);
    for (const n of ['rb2505.tsb.tmp', 'rb2505.dsb.undo', 'rb2505.dmb', '.tsb', '../x.tsb', 'rb2505.TSB'])
      expect(parseHisName(n), n).toBeUndefined();
    expect(hisExtOfCodec('lz4')).toBe(TICKREC_HIS_EXT);
    expect(hisExtOfCodec('zstd')).toBe(HIS_EXT);
    expect((['tickrec', 'container'] as const).map(hisExtOf)).toEqual([TICKREC_HIS_EXT, TICKREC_HIS_EXT]);
    expect((['datakit-zstd', 'datakit-raw', 'datakit-old-zstd', 'datakit-old-raw'] as const).map(hisExtOf)).toEqual(Array(4).fill(HIS_EXT));
  });

  it("lz4 compaction of a datakit root: tickrec's new files are .tsb, datakit's histories stay .dsb in their format, every .dsb is a datakit version", () => {
    const root = corpusCopy();
    const before = hisHashes(root);
    // cu2502 has datakit histories in the corpus (min1, min5, day) and no real-time file
    const cu = { exchg: 'SHFE', code: 'cu2502', tick: 10, price: 76000 };
    writeFinished(root, TICK_KIND, 'SHFE', 'cu2502', 20250108, dayTicks(cu, 20250108, 30, 1));
    expect(runCompaction({ root }).failures).toEqual([]);
    const after = hisFiles(root);
    // the new day block is tickrec's, under tickrec's name; the day bar went into datakit's day history, in its format
    expect(after.filter((f) => f.endsWith(TICKREC_HIS_EXT))).toEqual([path.join('ticks', 'SHFE', '20250108', 'cu2502.tsb')]);
    expect(sha(path.join(root, 'his/day/SHFE/cu2502.dsb'))).not.toBe(before[path.join('day', 'SHFE', 'cu2502.dsb')]);
    expect(after.filter((f) => !f.endsWith(TICKREC_HIS_EXT))).toEqual(Object.keys(before));
    for (const { file, version } of datakitVersions(root)) expect([1, 2, 3, 4], file).toContain(version);
    expect(readTicks({ root, exchange: 'SHFE', code: 'cu2502' }).count).toBe(30);
    expect(readBars({ root, exchange: 'SHFE', code: 'cu2502', period: 'day' }).toArray().at(-1)).toMatchObject({ date: 20250108 });
    expect(verifyRoot({ root, deep: true, sessions }).problems.filter((p) => !p.problem.startsWith('gap:'))).toEqual([]);
  });

  it('lz4 on a fresh root: no .dsb at all; zstd: only .dsb, all datakit versions', () => {
    for (const codec of ['lz4', 'zstd'] as const) {
      const root = makeTempDir();
      makeRoot(root, { dates: [20250106], instruments: INST });
      expect(runCompaction({ root, codec }).failures).toEqual([]);
      const files = hisFiles(root);
      expect(files.length).toBe(INST.length * 5); // ticks, trans, min1, min5, day
      expect(files.filter((f) => !f.endsWith(codec === 'lz4' ? TICKREC_HIS_EXT : HIS_EXT))).toEqual([]);
      for (const { file, version } of datakitVersions(root)) expect([3, 4], file).toContain(version);
    }
  });
});

describe('a root written by an older tickrec (its formats under .dsb)', () => {
  it('every reader reads it by the header; verify names each file and says to run tickrec migrate', () => {
    const root = olderTickrecRoot();
    const fresh = makeTempDir();
    makeRoot(fresh, { dates: [20250106, 20250107], instruments: INST });
    runCompaction({ root: fresh });
    expect(readAll(root, INST)).toBe(readAll(fresh, INST));
    const problems = verifyRoot({ root, sessions }).problems;
    expect(problems.length).toBe(hisFiles(root).length);
    for (const p of problems) {
      expect(p.file.endsWith(HIS_EXT)).toBe(true);
      expect(p.problem).toMatch(/tickrec's own format .* under datakit's name .*reads garbage.*Run tickrec migrate/);
    }
    // tickrec inspect on one of them: a problem (exit 1), the records still decoded
    const f = path.join(root, 'his/ticks/SHFE/20250106/au2506.dsb');
    const r = tickrec('inspect', f, '--json');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('Run tickrec migrate');
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'tickrec', kind: 'tick' });
  });

  it('compaction never writes into one: a new day for its bar history is refused, naming migrate; the history and the rt files stay as they were', () => {
    const root = olderTickrecRoot();
    makeRoot(root, { dates: [20250108], instruments: INST.slice(0, 1) });
    const before = hisHashes(root);
    const s = runCompaction({ root });
    // min1, min5 (the bar histories) and ticks (its day bar goes into the day history) refused; trades need no history
    expect(s.failures.length).toBe(3);
    for (const f of s.failures) {
      expect(f.code).toBe('E_VERSION');
      expect(f.message).toMatch(/\.dsb: tickrec's own format \(container\).*Run tickrec migrate.*Nothing was written to it/);
    }
    const after = hisHashes(root);
    for (const [f, h] of Object.entries(before)) expect(after[f], f).toBe(h);
    expect(fs.readdirSync(path.join(root, 'rt/min1', INST[0]!.exchg, '20250108'))).toEqual([`${INST[0]!.code}.dmb`]);
    // after the migration, the same compaction completes
    expect(runMigration({ root }).problems).toEqual([]);
    expect(runCompaction({ root }).failures).toEqual([]);
    expect(verifyRoot({ root, deep: true, sessions }).problems).toEqual([]);
  });
});

describe('tickrec migrate', () => {
  it("renames exactly tickrec's files, never a datakit one; a dry run changes nothing; what readers read is unchanged; a rerun finds nothing", () => {
    const root = olderTickrecRoot();
    // datakit's own files beside them (the corpus: zstd and raw versions 1 to 4, another instrument)
    const corpus = corpusCopy();
    fs.cpSync(path.join(corpus, 'his'), path.join(root, 'his'), { recursive: true });
    const datakit = Object.entries(hisHashes(corpus));
    const tickrecFiles = hisFiles(root).filter((f) => !datakit.some(([d]) => d === f));
    expect(tickrecFiles.length).toBe(INST.length * 2 * 2 + INST.length * 3);
    const read = readAll(root, INST);
    const all = hisHashes(root);

    const dry = runMigration({ root, dryRun: true });
    expect(dry.renamed.map((r) => path.relative(path.join(root, 'his'), r.from)).sort()).toEqual(tickrecFiles);
    expect(dry.renamed.every((r) => r.to === r.from.slice(0, -HIS_EXT.length) + TICKREC_HIS_EXT)).toBe(true);
    expect(dry.problems).toEqual([]);
    expect(hisHashes(root)).toEqual(all);

    const s = runMigration({ root });
    expect(s.renamed.length).toBe(tickrecFiles.length);
    expect(s.hisKept).toBe(datakit.length);
    expect(s.problems).toEqual([]);
    const now = hisHashes(root);
    // datakit's files: not one byte, not one name changed
    for (const [f, h] of datakit) expect(now[f], f).toBe(h);
    // tickrec's: the same bytes under the new name, nothing left under the old one
    for (const f of tickrecFiles) {
      expect(now[f], f).toBeUndefined();
      expect(now[f.slice(0, -HIS_EXT.length) + TICKREC_HIS_EXT], f).toBe(all[f]);
    }
    for (const { file, version } of datakitVersions(root)) expect([1, 2, 3, 4], file).toContain(version);
    expect(readAll(root, INST)).toBe(read);
    expect(verifyRoot({ root, sessions }).problems.filter((p) => !p.problem.startsWith('gap:'))).toEqual([]);

    const again = runMigration({ root });
    expect(again).toMatchObject({ renamed: [], problems: [], hisKept: datakit.length + tickrecFiles.length });
    expect(hisHashes(root)).toEqual(now);
  });

  it('stopped after its first rename (a kill), a rerun completes: every file once, under one name', () => {
    const root = olderTickrecRoot();
    const n = hisFiles(root).length;
    expect(() =>
      runMigration({
        root,
        onStep: () => {
          throw new Error('injected: killed after the first rename');
        },
      }),
    ).toThrow(/injected/);
    expect(hisFiles(root).filter((f) => f.endsWith(TICKREC_HIS_EXT)).length).toBe(1);
    expect(fs.existsSync(path.join(root, 'compact.lock'))).toBe(false);
    const s = runMigration({ root });
    expect(s.renamed.length).toBe(n - 1);
    expect(hisFiles(root).filter((f) => f.endsWith(TICKREC_HIS_EXT)).length).toBe(n);
  });

  it('refuses, file by file, what it cannot decide: a .tsb beside the .dsb, a datakit file under .tsb, a header of neither; the rest is renamed', () => {
    const root = olderTickrecRoot();
    const day = path.join(root, 'his/ticks/SHFE/20250106');
    const both = path.join(day, 'au2506');
    fs.copyFileSync(both + HIS_EXT, both + TICKREC_HIS_EXT);
    const dkUnderTsb = path.join(root, 'his/min1/SHFE/zz9999.tsb');
    fs.copyFileSync(path.join(corpusCopy(), 'his/min1/SHFE/rb2505.dsb'), dkUnderTsb);
    const junk = path.join(root, 'his/min5/SHFE/junk.dsb');
    fs.writeFileSync(junk, 'not a block file at all, long enough for a header\n');
    const kept = [both + HIS_EXT, both + TICKREC_HIS_EXT, dkUnderTsb, junk].map(sha);

    // readers refuse a day under both names, naming both
    expect(() => readTicks({ root, exchange: 'SHFE', code: 'au2506' })).toThrow(
      expect.objectContaining({ code: 'E_CORRUPT', message: expect.stringContaining(`${both}.dsb and au2506.tsb beside it`) }),
    );
    expect(
      verifyRoot({ root, sessions }).problems.some((p) => p.file === both + HIS_EXT && /both hold the same data/.test(p.problem)),
    ).toBe(true);

    const r = tickrec('migrate', '--root', root);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(`PROBLEM ${both}.dsb: tickrec's own format under datakit's name, and au2506.tsb exists beside it`);
    expect(r.stdout).toContain(`PROBLEM ${dkUnderTsb}: datakit's format (datakit-zstd) under tickrec's name`);
    expect(r.stdout).toContain(`PROBLEM ${junk}: not renamed, left as it is: E_NOT_BLOCK_FILE`);
    expect(r.stdout).toMatch(new RegExp(`${hisFiles(root).length - 4 - 0} tickrec historical file\\(s\\) renamed from .dsb to .tsb`));
    expect([both + HIS_EXT, both + TICKREC_HIS_EXT, dkUnderTsb, junk].map(sha)).toEqual(kept);
  });

  it('the command: exit 0 and what it did; --dry-run lists; exit 2 for a root that does not exist', () => {
    const root = olderTickrecRoot();
    const n = hisFiles(root).length;
    const dry = tickrec('migrate', '--root', root, '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${n} tickrec historical file(s) would be renamed from .dsb to .tsb`);
    expect(dry.stdout).toContain(path.join(root, 'his/ticks/SHFE/20250106/au2506.dsb'));
    expect(hisFiles(root).every((f) => f.endsWith(HIS_EXT))).toBe(true);
    const ok = tickrec('migrate', '--root', root);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`${n} tickrec historical file(s) renamed from .dsb to .tsb; 0 already named after their format`);
    const again = tickrec('migrate', '--root', root);
    expect(again.stdout).toContain(`0 tickrec historical file(s) renamed from .dsb to .tsb; ${n} already named after their format`);
    const missing = tickrec('migrate', '--root', path.join(root, 'nope'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nope');
  });
});

// Compaction end to end: refusals first (live day, concurrent run, conflicts), then every kind compacted and released, idempotence, resumption, merged replay files, dry run.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCompaction, scanRoot } from '../../src/compact/index.js';
import { readTicks } from '../../src/read/index.js';
import { TickrecError } from '../../src/errors.js';
import { TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { hisKindByName, readHisBlock } from '../../src/his/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { checkCompacted } from './helpers/check.js';
import { DATES, INSTRUMENTS, dayTicks, encode, finishedFiles, hashTree, key, makeRoot, writeFinished, writeLive } from './helpers/root.js';
import { COMPACT_LOCK_FILE, HIS_EXT, hisDayPath, TICKREC_HIS_EXT } from '../../src/layout/index.js';

afterEach(() => removeTempDirs());

describe('refusals', () => {
  it('refuses --date of a day a live file still holds, naming the file, and touches nothing', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: [20250106] });
    const live = writeLive(root, TICK_KIND, 'SHFE', 'rb2505', 20250107, dayTicks(INSTRUMENTS[0]!, 20250107, 5, 1));
    const before = hashTree(root);
    let err: unknown;
    try {
      runCompaction({ root, date: 20250107 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_USAGE');
    expect((err as TickrecError).message).toContain(live);
    expect((err as TickrecError).message).toContain('still owned by the recorder');
    expect(hashTree(root)).toBe(before);
    expect(fs.existsSync(path.join(root, COMPACT_LOCK_FILE))).toBe(false);
  });

  it('never touches a live file when compacting every finished day', () => {
    const root = makeTempDir();
    const exp = makeRoot(root, { dates: [20250106] });
    const live = writeLive(root, TICK_KIND, 'SHFE', 'rb2505', 20250107, dayTicks(INSTRUMENTS[0]!, 20250107, 5, 1));
    const liveBytes = fs.readFileSync(live);
    const s = runCompaction({ root });
    expect(s.failures).toEqual([]);
    expect(fs.readFileSync(live).equals(liveBytes)).toBe(true);
    checkCompacted(root, exp);
  });

  it('refuses to run while another compaction holds the lock', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 1) });
    // A live holder: this very process (pid alive), written as the lock format says.
    fs.writeFileSync(
      path.join(root, COMPACT_LOCK_FILE),
      JSON.stringify({ pid: process.pid, host: os.hostname(), procStart: null, since: 'x', command: 'tickrec compact' }),
    );
    expect(() => runCompaction({ root })).toThrow(/another tickrec compact is running/);
    expect(finishedFiles(root).length).toBeGreaterThan(0);
  });

  it('takes over the lock of a compaction that died', () => {
    const root = makeTempDir();
    const exp = makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 1) });
    fs.writeFileSync(
      path.join(root, COMPACT_LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), procStart: null, since: 'x', command: 'dead' }),
    );
    const logs: string[] = [];
    runCompaction({ root, onLog: (l) => logs.push(l) });
    expect(logs.join('\n')).toMatch(/compact.lock: took over a stale lock of pid 4206649 .*no longer running/);
    checkCompacted(root, exp);
  });

  it('keeps the rt files of a day whose his file holds other records, and says so', () => {
    const root = makeTempDir();
    const inst = INSTRUMENTS[0]!;
    const f = writeFinished(root, TICK_KIND, inst.exchg, inst.code, 20250106, dayTicks(inst, 20250106, 50, 1));
    const other = makeTempDir();
    writeFinished(other, TICK_KIND, inst.exchg, inst.code, 20250106, dayTicks(inst, 20250106, 40, 2));
    runCompaction({ root: other });
    const his = hisDayPath(root, hisKindByName('tick')!, inst.exchg, 20250106, inst.code, TICKREC_HIS_EXT);
    fs.mkdirSync(path.dirname(his), { recursive: true });
    fs.copyFileSync(hisDayPath(other, hisKindByName('tick')!, inst.exchg, 20250106, inst.code, TICKREC_HIS_EXT), his);
    const s = runCompaction({ root });
    expect(s.failures).toHaveLength(1);
    expect(s.failures[0]!.file).toBe(his);
    expect(s.failures[0]!.message).toContain('real-time files are kept');
    expect(fs.existsSync(f)).toBe(true);
  });

  it('rejects a root that does not exist', () => {
    expect(() => runCompaction({ root: '/nonexistent/tickrec-root' })).toThrow(/no such data root/);
  });
});

describe('compaction', () => {
  for (const codec of ['lz4', 'zstd'] as const) {
    it(`${codec}: every kind of every finished day lands in his/ exactly once and the rt files go`, () => {
      const root = makeTempDir();
      const exp = makeRoot(root);
      const s = runCompaction({ root, codec });
      expect(s.failures).toEqual([]);
      expect(s.days).toBe(DATES.length);
      expect(s.instrumentDays).toBe(DATES.length * INSTRUMENTS.length * 4);
      expect(s.files).toBe(s.instrumentDays);
      expect(s.bytesOut).toBeGreaterThan(0);
      expect(finishedFiles(root)).toEqual([]);
      expect(fs.readdirSync(path.join(root, 'rt', 'ticks', 'SHFE'))).toEqual([]);
      checkCompacted(root, exp);
      // The name follows the format (issue 14): tickrec's LZ4 formats .tsb, where a datakit reader finds no file; datakit's zstd .dsb.
      const ext = codec === 'zstd' ? HIS_EXT : TICKREC_HIS_EXT;
      const b = readHisBlock(hisDayPath(root, hisKindByName('tick')!, 'SHFE', DATES[0]!, 'rb2505', ext));
      expect(b.codec).toBe(codec);
      const hisFiles = (fs.readdirSync(path.join(root, 'his'), { recursive: true }) as string[]).filter((f) =>
        fs.statSync(path.join(root, 'his', f)).isFile(),
      );
      expect(hisFiles.length).toBe(DATES.length * INSTRUMENTS.length * 2 + INSTRUMENTS.length * 3);
      expect(hisFiles.filter((f) => !f.endsWith(ext))).toEqual([]);
    });
  }

  it('is idempotent: a second run changes no byte', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: DATES.slice(0, 2) });
    runCompaction({ root });
    const h = hashTree(root);
    const s = runCompaction({ root });
    expect(s.instrumentDays).toBe(0);
    expect(hashTree(root)).toBe(h);
  });

  it('gives the same bytes whether the days are compacted in one run or resumed after the rt files came back', () => {
    const a = makeTempDir();
    const b = makeTempDir();
    makeRoot(a, { dates: DATES.slice(0, 2) });
    makeRoot(b, { dates: DATES.slice(0, 2) });
    runCompaction({ root: a });
    runCompaction({ root: b });
    // A resumed run that finds the his files already written (rt file not yet released): same result.
    const exp = makeRoot(b, { dates: DATES.slice(0, 2) });
    const s = runCompaction({ root: b });
    expect(s.alreadyDone).toBe(2 * INSTRUMENTS.length * 2);
    expect(finishedFiles(b)).toEqual([]);
    expect(hashTree(path.join(b, 'his'))).toBe(hashTree(path.join(a, 'his')));
    checkCompacted(b, exp);
  });

  it('compacts only --date when given', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: DATES.slice(0, 3), instruments: INSTRUMENTS.slice(0, 2) });
    const s = runCompaction({ root, date: DATES[1]! });
    expect(s.days).toBe(1);
    expect(
      scanRoot(root)
        .work.map((w) => w.date)
        .sort(),
    ).not.toContain(DATES[1]);
    expect(scanRoot(root).work.length).toBe(2 * 2 * 4);
  });

  it('merges the second file of a replayed day, dropping exact duplicates', () => {
    const root = makeTempDir();
    const inst = INSTRUMENTS[0]!;
    const ticks = dayTicks(inst, 20250106, 60, 3);
    writeFinished(root, TICK_KIND, inst.exchg, inst.code, 20250106, ticks.slice(0, 40));
    writeFinished(root, TICK_KIND, inst.exchg, inst.code, 20250106, ticks.slice(30));
    expect(fs.readdirSync(path.join(root, 'rt', 'ticks', inst.exchg, '20250106')).sort()).toEqual(['rb2505.dmb', 'rb2505~1.dmb']);
    const logs: string[] = [];
    const s = runCompaction({ root, onLog: (l) => logs.push(l) });
    expect(s.files).toBe(2);
    expect(logs.join('\n')).toContain('10 duplicate records dropped');
    const b = readHisBlock(hisDayPath(root, hisKindByName('tick')!, inst.exchg, 20250106, inst.code, TICKREC_HIS_EXT));
    expect(Buffer.from(b.records).equals(Buffer.from(encode(TICK_KIND, ticks)))).toBe(true);
  });

  it("an instrument whose code ends in .<digits> stays apart from another code's second file (issue 20.5)", () => {
    // X and X.1 are two legal codes; X also has a second file of the day. Before the
    // layout's ~<n> rule, X's second file was X.1.dmb: the instrument X.1 merged into X.
    const root = makeTempDir();
    const x = { ...INSTRUMENTS[0]!, exchg: 'EVIL', code: 'X' };
    const x1 = { ...INSTRUMENTS[1]!, exchg: 'EVIL', code: 'X.1' };
    const xTicks = dayTicks(x, 20250106, 50, 5);
    const x1Ticks = dayTicks(x1, 20250106, 30, 6);
    writeFinished(root, TICK_KIND, 'EVIL', 'X', 20250106, xTicks.slice(0, 30));
    writeFinished(root, TICK_KIND, 'EVIL', 'X.1', 20250106, x1Ticks);
    writeFinished(root, TICK_KIND, 'EVIL', 'X', 20250106, xTicks.slice(30));
    const work = scanRoot(root).work.filter((w) => w.rt === TICK_KIND);
    expect(work.map((w) => [w.code, w.files.map((f) => path.basename(f))])).toEqual([
      ['X', ['X.dmb', 'X~1.dmb']],
      ['X.1', ['X.1.dmb']],
    ]);
    const s = runCompaction({ root });
    expect(s.failures).toEqual([]);
    const tk = hisKindByName('tick')!;
    expect(
      Buffer.from(readHisBlock(hisDayPath(root, tk, 'EVIL', 20250106, 'X', TICKREC_HIS_EXT)).records).equals(
        Buffer.from(encode(TICK_KIND, xTicks)),
      ),
    ).toBe(true);
    expect(
      Buffer.from(readHisBlock(hisDayPath(root, tk, 'EVIL', 20250106, 'X.1', TICKREC_HIS_EXT)).records).equals(
        Buffer.from(encode(TICK_KIND, x1Ticks)),
      ),
    ).toBe(true);
    expect(readTicks({ root, exchange: 'EVIL', code: 'X' }).count).toBe(xTicks.length);
    expect(readTicks({ root, exchange: 'EVIL', code: 'X.1' }).count).toBe(x1Ticks.length);
  });

  it('dry run lists the work and writes nothing', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 1) });
    const before = hashTree(root);
    const s = runCompaction({ root, dryRun: true });
    expect(s.planned).toHaveLength(4);
    expect(s.planned[0]).toContain('ticks/SHFE/20250106/rb2505');
    expect(hashTree(root)).toBe(before);
  });

  it('reports progress for every instrument-day', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 2) });
    const seen: number[] = [];
    runCompaction({ root, onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('trades go to his/trans', () => {
    const root = makeTempDir();
    const exp = makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 1) });
    runCompaction({ root });
    const b = readHisBlock(hisDayPath(root, hisKindByName('trade')!, 'SHFE', 20250106, 'rb2505', TICKREC_HIS_EXT));
    expect(b.kind).toBe('trade');
    expect(Buffer.from(b.records).equals(Buffer.from(exp.days.get(key(TRADE_KIND.name, 'SHFE', 'rb2505', 20250106))!))).toBe(true);
  });
});

// CZCE's 3-digit codes in bar histories: SR505 of 2015 and SR505 of 2025 are kept in two files (one per real contract), never merged; merged datakit histories are refused, reported and split.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCompaction, runMigration, verifyRoot } from '../../src/compact/index.js';
import { MIN1_KIND, TICK_KIND } from '../../src/format/index.js';
import {
  BarHistory,
  DAY_HIS_KIND,
  appendBarDay,
  hisDayFile,
  hisHistoryFile,
  hisKindByName,
  readHisBlock,
  type HisKind,
} from '../../src/his/index.js';
import { HIS_EXT, TICKREC_HIS_EXT, hisHistoryPath } from '../../src/layout/index.js';
import { killAllHelpers, spawnHelper } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { bundledSessionBook } from './helpers/sessions.js';
import { dayBars, encode, finishedFiles, hashTree, key, makeRoot, writeFinished, type Instrument } from './helpers/root.js';

afterEach(async () => {
  await killAllHelpers();
  removeTempDirs();
});

const SR505: Instrument = { exchg: 'CZCE', code: 'SR505', tick: 1, price: 5500 };
const D2015 = [20150105, 20150106];
const D2025 = [20250106, 20250107];
const MIN1 = hisKindByName('min1')!;
const MIN5 = hisKindByName('min5')!;
const CHILD = '../compact/helpers/compact-child.ts';

function daysOf(file: string): number[] {
  const h = BarHistory.open(file);
  try {
    return h.days().map((d) => d.date);
  } finally {
    h.close();
  }
}

function dayOf(file: string, date: number): Uint8Array | undefined {
  const h = BarHistory.open(file);
  try {
    return h.readDay(date);
  } finally {
    h.close();
  }
}

/** The history of a code as found (either name: src/his/names.ts), else where compaction's default lz4 would create it. */
const hist = (root: string, kind: HisKind, code: string) =>
  hisHistoryFile(root, kind, 'CZCE', code) ?? hisHistoryPath(root, kind, 'CZCE', code, TICKREC_HIS_EXT);

describe('CZCE 3-digit codes: one bar history per real contract', () => {
  for (const codec of ['lz4', 'zstd'] as const) {
    it(`${codec}: SR505 of 2015 and of 2025 go to two files, never one (datakit's name keeps the newest)`, () => {
      const root = makeTempDir();
      const exp = makeRoot(root, { instruments: [SR505], dates: [...D2015, ...D2025], ticks: 240 });
      const logs: string[] = [];
      const s = runCompaction({ root, codec, onLog: (l) => logs.push(l) });
      expect(s.failures).toEqual([]);
      expect(finishedFiles(root)).toEqual([]);
      for (const kind of [MIN1, MIN5, DAY_HIS_KIND]) {
        // The old rule appended all four days to SR505.dsb.
        expect(daysOf(hist(root, kind, 'SR505')), kind.name).toEqual(D2025);
        expect(daysOf(hist(root, kind, 'SR1505')), kind.name).toEqual(D2015);
        expect(fs.existsSync(hist(root, kind, 'SR2505')), kind.name).toBe(false);
      }
      for (const d of D2015) expect(dayOf(hist(root, MIN1, 'SR1505'), d)).toEqual(exp.days.get(key('min1', 'CZCE', 'SR505', d)));
      for (const d of D2025) expect(dayOf(hist(root, MIN1, 'SR505'), d)).toEqual(exp.days.get(key('min1', 'CZCE', 'SR505', d)));
      // Day blocks keep datakit's 3-digit name: their dated folder tells the contracts apart.
      for (const d of [...D2015, ...D2025])
        expect(readHisBlock(hisDayFile(root, hisKindByName('tick')!, 'CZCE', d, 'SR505')!).records).toEqual(
          exp.days.get(key(TICK_KIND.name, 'CZCE', 'SR505', d)),
        );
      const ext = (codec === 'lz4' ? TICKREC_HIS_EXT : HIS_EXT).replace('.', '\\.');
      expect(
        logs.some((l) => new RegExp(`contract SR1505 retired to SR1505${ext}; SR2505 \\(from 20250106\\) starts SR505${ext}`).test(l)),
      ).toBe(true);
      // verify: no gap across the ten years (the old rule reported every trading day between them), no merged file.
      const v = verifyRoot({ root, deep: true, sessions: bundledSessionBook() });
      expect(v.problems).toEqual([]);
    });
  }

  it('gives the same files whatever order the days are compacted in (a late day of a retired contract goes to its 4-digit file)', () => {
    const a = makeTempDir();
    const b = makeTempDir();
    makeRoot(a, { instruments: [SR505], dates: [...D2015, ...D2025], ticks: 120 });
    makeRoot(b, { instruments: [SR505], dates: [...D2015, ...D2025], ticks: 120 });
    expect(runCompaction({ root: a }).failures).toEqual([]);
    for (const date of [...D2025, ...D2015]) expect(runCompaction({ root: b, date }).failures).toEqual([]);
    expect(daysOf(hist(b, MIN1, 'SR505'))).toEqual(D2025);
    expect(daysOf(hist(b, MIN1, 'SR1505'))).toEqual(D2015);
    expect(hashTree(path.join(b, 'his'))).toBe(hashTree(path.join(a, 'his')));
  });

  it('SR605 traded in 2025 is the 2026 contract (the fixed pivot says 2016): a 2016 history of SR605 is retired to SR1605', () => {
    const root = makeTempDir();
    const sr605 = { ...SR505, code: 'SR605' };
    makeRoot(root, { instruments: [sr605], dates: [20160104, 20251013, 20260105], ticks: 120 });
    expect(runCompaction({ root }).failures).toEqual([]);
    expect(daysOf(hist(root, MIN1, 'SR605'))).toEqual([20251013, 20260105]);
    expect(daysOf(hist(root, MIN1, 'SR1605'))).toEqual([20160104]);
    expect(fs.existsSync(hist(root, MIN1, 'SR2605'))).toBe(false);
  });

  it('codes of other exchanges, and 4-digit CZCE codes, keep one file whatever the dates', () => {
    const root = makeTempDir();
    const dce = { exchg: 'DCE', code: 'm505', tick: 1, price: 2800 };
    const four = { ...SR505, code: 'SR2505' };
    makeRoot(root, { instruments: [dce, four], dates: [20150105, 20250106], ticks: 120 });
    expect(runCompaction({ root }).failures).toEqual([]);
    expect(daysOf(hisHistoryFile(root, MIN1, 'DCE', 'm505')!)).toEqual([20150105, 20250106]);
    expect(daysOf(hist(root, MIN1, 'SR2505'))).toEqual([20150105, 20250106]);
  });

  it('kill -9 right after the old contract was retired: the rerun gives the bytes of an uninterrupted run', async () => {
    const ref = makeTempDir();
    makeRoot(ref, { instruments: [SR505], dates: [...D2015, ...D2025], ticks: 120 });
    expect(runCompaction({ root: ref }).failures).toEqual([]);
    const root = makeTempDir();
    const exp = makeRoot(root, { instruments: [SR505], dates: [...D2015, ...D2025], ticks: 120 });
    const c = spawnHelper(CHILD, [root, '--crash-step', 'history-retired']);
    const exit = await c.exit;
    expect(exit.signal, c.stderr).toBe('SIGKILL');
    // Killed between the rename and the append: the old contract is under its 4-digit name, no SR505.dsb yet.
    const retired = fs
      .readdirSync(path.join(root, 'his'))
      .flatMap((k) =>
        fs.existsSync(path.join(root, 'his', k, 'CZCE')) ? fs.readdirSync(path.join(root, 'his', k, 'CZCE')).map((f) => `${k}/${f}`) : [],
      );
    expect(retired.filter((f) => f.endsWith('SR1505.tsb')).length).toBe(1);
    expect(runCompaction({ root }).failures).toEqual([]);
    expect(finishedFiles(root)).toEqual([]);
    expect(hashTree(path.join(root, 'his'))).toBe(hashTree(path.join(ref, 'his')));
    expect(exp.days.size).toBe(16);
  });
});

describe('a history that merged two contracts (datakit, or tickrec before this rule)', () => {
  /** his/min1/CZCE/SR505.dsb holding 2015 and 2025 days, as datakit appends them. */
  function mergedRoot(codec: 'lz4' | 'zstd'): { root: string; file: string; bars: Map<number, Uint8Array> } {
    const root = makeTempDir();
    const file = hisHistoryPath(root, MIN1, 'CZCE', 'SR505', codec === 'lz4' ? TICKREC_HIS_EXT : HIS_EXT);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const bars = new Map<number, Uint8Array>();
    for (const d of [...D2015, 20250106]) {
      const b = encode(MIN1_KIND, dayBars(d, 3, 1, 7));
      bars.set(d, b);
      appendBarDay(file, MIN1, d, b, { codec });
    }
    return { root, file, bars };
  }

  it('compaction refuses to append to it, naming both contracts and the fix; the rt file is kept and nothing changes', () => {
    const { root, file } = mergedRoot('zstd');
    const before = fs.readFileSync(file);
    const rt = writeFinished(root, MIN1_KIND, 'CZCE', 'SR505', 20250107, dayBars(20250107, 3, 1, 7));
    const s = runCompaction({ root });
    expect(s.failures).toHaveLength(1);
    expect(s.failures[0]!.code).toBe('E_CORRUPT');
    expect(s.failures[0]!.message).toMatch(/SR1505 \(20150105\) and SR2505 \(20250106\).*tickrec migrate --split-czce/);
    expect(fs.existsSync(rt)).toBe(true);
    expect(fs.readFileSync(file)).toEqual(before);
  });

  it('verify reports it', () => {
    const { root, file } = mergedRoot('lz4');
    const v = verifyRoot({ root, sessions: bundledSessionBook() });
    expect(v.problems).toContainEqual({
      file,
      problem:
        'holds the bars of 2 contracts named SR505: SR1505 (2 days, 20150105..20150106), SR2505 (1 day, 20250106..20250106) ' +
        '(CZCE reuses a 3-digit code every ten years; an older writer merged them): split it with tickrec migrate --split-czce',
    });
  });

  for (const codec of ['lz4', 'zstd'] as const) {
    it(`${codec}: migrate --split-czce splits it by contract, in its own format; a rerun changes nothing; compaction goes on`, () => {
      const { root, file, bars } = mergedRoot(codec);
      const dry = runMigration({ root, splitCzce: true, dryRun: true });
      expect(dry.czceSplit).toEqual([file]);
      expect(daysOf(file)).toEqual([...D2015, 20250106]);
      const s = runMigration({ root, splitCzce: true });
      expect(s.problems).toEqual([]);
      expect(s.czceSplit).toEqual([file]);
      expect(s.czceWritten).toEqual([`${hist(root, MIN1, 'SR1505')}: SR1505 (2 days)`, `${file}: SR2505 (1 days)`]);
      expect(daysOf(file)).toEqual([20250106]);
      expect(daysOf(hist(root, MIN1, 'SR1505'))).toEqual(D2015);
      for (const [d, b] of bars) expect(dayOf(d < 20200000 ? hist(root, MIN1, 'SR1505') : file, d)).toEqual(b);
      const format = (f: string) => {
        const h = BarHistory.open(f);
        try {
          return h.format;
        } finally {
          h.close();
        }
      };
      expect(format(hist(root, MIN1, 'SR1505'))).toBe(codec === 'lz4' ? 'container' : format(file));
      expect(verifyRoot({ root, deep: true, sessions: bundledSessionBook() }).problems).toEqual([]);
      const h = hashTree(path.join(root, 'his'));
      expect(runMigration({ root, splitCzce: true }).czceSplit).toEqual([]);
      expect(hashTree(path.join(root, 'his'))).toBe(h);
      writeFinished(root, MIN1_KIND, 'CZCE', 'SR505', 20250107, dayBars(20250107, 3, 1, 7));
      expect(runCompaction({ root, codec }).failures).toEqual([]);
      expect(daysOf(file)).toEqual([20250106, 20250107]);
    });
  }

  it('a split killed after the old contract was written finishes on the rerun (its file taken as done)', () => {
    const { root, file, bars } = mergedRoot('lz4');
    // The state a kill leaves after step 1: SR1505.dsb complete, SR505.dsb still merged.
    for (const d of D2015) appendBarDay(hist(root, MIN1, 'SR1505'), MIN1, d, bars.get(d)!, { codec: 'lz4' });
    const s = runMigration({ root, splitCzce: true });
    expect(s.problems).toEqual([]);
    expect(daysOf(file)).toEqual([20250106]);
    expect(daysOf(hist(root, MIN1, 'SR1505'))).toEqual(D2015);
  });

  it('two files for one contract are refused, naming both', () => {
    const root = makeTempDir();
    writeFinished(root, MIN1_KIND, 'CZCE', 'SR505', 20250106, dayBars(20250106, 3, 1, 7));
    expect(runCompaction({ root }).failures).toEqual([]);
    fs.copyFileSync(hist(root, MIN1, 'SR505'), hist(root, MIN1, 'SR2505'));
    writeFinished(root, MIN1_KIND, 'CZCE', 'SR505', 20250107, dayBars(20250107, 3, 1, 7));
    const s = runCompaction({ root });
    expect(s.failures[0]?.message).toMatch(/SR505\.tsb and .*SR2505\.tsb both hold bars of CZCE contract SR2505/);
  });
});

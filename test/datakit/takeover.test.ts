// Taking over a datakit root: bar files dated by their records (not by datakit's creation date), compaction that never duplicates a bar, and a bar history left exactly as it was when anything after its append fails (injected failure, kill -9).

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCompaction, verifyRoot } from '../../src/compact/index.js';

import { TickrecError } from '../../src/errors.js';
import { BAR, MIN1_KIND, Mem, type RecordKind } from '../../src/format/index.js';
import { BarHistory, appendBarDay, hisKindByName, readHisBlock } from '../../src/his/index.js';
import { readBars } from '../../src/read/index.js';
import { RtWriter, WriterPool } from '../../src/store/index.js';
import { bundledSessionBook } from '../compact/helpers/sessions.js';
import { killAllHelpers, spawnHelper } from '../helpers/child.js';
import { removeTempDirs } from '../helpers/tmp.js';
import { EXPECTED, corpusCopy, expectedRecords, plain } from './helpers/corpus.js';
import { hisHistoryPath, rtFilePath, TICKREC_HIS_EXT } from '../../src/layout/index.js';

afterEach(killAllHelpers);
afterAll(removeTempDirs);

const MIN1_HIS = hisHistoryPath('/', hisKindByName('min1')!, 'SHFE', 'rb2505').slice(1); // his/min1/SHFE/rb2505.dsb
const NIGHT = expectedRecords('rt/min1/SHFE/rb2505.dmb'); // 120 night bars of trading day 20250107 in a file dated 20250106

/** The day-session bars of 20250107 (09:01 .. 15:00), as a recorder taking over at 09:00 writes them. */
function dayBars(): Record<string, number>[] {
  const out: Record<string, number>[] = [];
  const sections: [number, number][] = [
    [9 * 60, 10 * 60 + 15],
    [10 * 60 + 30, 11 * 60 + 30],
    [13 * 60 + 30, 15 * 60],
  ];
  let px = 3310;
  for (const [a, b] of sections)
    for (let m = a + 1; m <= b; m++) {
      px += (m % 7) - 3;
      out.push({
        date: 20250107,
        time: 3501070000 + Math.floor(m / 60) * 100 + (m % 60),
        open: px,
        high: px + 2,
        low: px - 2,
        close: px + 1,
        settle: 0,
        money: 1000 * px,
        vol: 100,
        hold: 150000 + m,
        add: 1,
      });
    }
  return out;
}

function sha(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A recorder's writer pool on `root`: scans the live files, appends `bars` to rt/min1, then sets every day before 20250108 aside. */
function recorderTakesOver(root: string, bars: readonly Record<string, number>[]): void {
  const pool = new WriterPool(root, { maxOpenFiles: 16, initialCapacity: {} });
  pool.scan();
  for (const b of bars) expect(pool.append(MIN1_KIND, 'SHFE', 'rb2505', b.date!, b)).toBe(true);
  pool.rollFinished((_k, _e, _c, date) => date < 20250108);
  pool.closeAll();
}

function timesOnce(root: string): { count: number; distinct: number } {
  const bars = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'min1' }).toArray();
  return { count: bars.length, distinct: new Set(bars.map((b) => b.time)).size };
}

describe('a recorder taking over a datakit root', () => {
  it("dates a bar file by its records: Tuesday's night bars in a file made on Monday stay the live file of Tuesday", () => {
    const root = corpusCopy();
    const day = dayBars();
    recorderTakesOver(root, day);
    // one file for trading day 20250107, set aside under that date, holding the night then the day bars
    const finished = path.join(root, 'rt/min1/SHFE/20250107/rb2505.dmb');
    expect(fs.existsSync(path.join(root, 'rt/min1/SHFE/20250106'))).toBe(false);
    const w = RtWriter.open(finished, { kind: MIN1_KIND, date: 0 });
    try {
      expect(w.size).toBe(NIGHT.length + day.length);
      expect(w.date).toBe(20250107);
    } finally {
      w.close();
    }
    // the tick and trade files (header = trading date) went to 20250107 as well
    expect(fs.existsSync(path.join(root, 'rt/ticks/SHFE/20250107/rb2505.dmb'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'rt/trans/SHFE/20250107/rb2505.dmb'))).toBe(true);
  });

  for (const codec of ['zstd', 'lz4'] as const) {
    it(`compact --codec ${codec} then appends that day once; a rerun changes nothing; every reader sees each bar once`, () => {
      const root = corpusCopy();
      recorderTakesOver(root, dayBars());
      const s = runCompaction({ root, codec });
      expect(s.failures).toEqual([]);
      const h = BarHistory.open(path.join(root, MIN1_HIS));
      expect(h.format).toBe('datakit-zstd'); // an existing history keeps its format
      expect(h.days().map((d) => [d.date, d.count])).toEqual([
        [20250102, 225],
        [20250103, 345],
        [20250106, 345],
        [20250107, NIGHT.length + 225],
      ]);
      h.close();
      expect(timesOnce(root)).toEqual({ count: 915 + 345, distinct: 915 + 345 });
      const before = sha(path.join(root, MIN1_HIS));
      expect(runCompaction({ root, codec }).failures).toEqual([]);
      expect(sha(path.join(root, MIN1_HIS))).toBe(before);
      expect(verifyRoot({ root, deep: true, sessions: bundledSessionBook() }).problems).toEqual([]);
    });
  }

  it('a root where an older tickrec set the night bars aside under 20250106: compaction merges them into trading day 20250107, once', () => {
    const root = corpusCopy();
    // what tickrec did before: the night file moved to the folder of its header date, the day session in a new file of 20250107
    fs.mkdirSync(path.join(root, 'rt/min1/SHFE/20250106'));
    fs.renameSync(path.join(root, 'rt/min1/SHFE/rb2505.dmb'), path.join(root, 'rt/min1/SHFE/20250106/rb2505.dmb'));
    const live = rtFilePath(root, MIN1_KIND, 'SHFE', 'rb2505');
    const w = RtWriter.open(live, { kind: MIN1_KIND, date: 20250107, initialCapacity: 345 });
    for (const b of dayBars()) w.append(b);
    w.close();
    fs.mkdirSync(path.join(root, 'rt/min1/SHFE/20250107'));
    fs.renameSync(live, path.join(root, 'rt/min1/SHFE/20250107/rb2505.dmb'));
    const s = runCompaction({ root, codec: 'zstd' });
    expect(s.failures).toEqual([]);
    const h = BarHistory.open(path.join(root, MIN1_HIS));
    const d = h.readDay(20250107)!;
    h.close();
    expect(d.length / BAR.size).toBe(NIGHT.length + 225);
    expect(timesOnce(root)).toEqual({ count: 915 + 345, distinct: 915 + 345 });
    expect(fs.existsSync(path.join(root, 'rt/min1/SHFE/20250106'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'rt/min1/SHFE/20250107'))).toBe(false);
  });
});

describe('a bar history after a failure that follows its append', () => {
  for (const codec of ['zstd', 'lz4'] as const) {
    it(`${codec}: is left exactly as it was (injected failure after the append), the rt files are kept, and a rerun appends the day once`, () => {
      const root = corpusCopy();
      // lz4: a tickrec container (named .tsb) with the same three days, so the append is in place
      const file = path.join(root, codec === 'lz4' ? MIN1_HIS.replace(/\.dsb$/, TICKREC_HIS_EXT) : MIN1_HIS);
      if (codec === 'lz4') {
        const dsb = path.join(root, MIN1_HIS);
        const all = BarHistory.open(dsb);
        const days = all.days().map((x) => ({ date: x.date, bars: all.readDay(x.date)! }));
        all.close();
        fs.rmSync(dsb);
        for (const x of days) appendBarDay(file, hisKindByName('min1')!, x.date, x.bars, { codec: 'lz4' });
      }
      recorderTakesOver(root, dayBars());
      const others = ['his/day/SHFE/rb2505.dsb', 'his/min5/SHFE/rb2505.dsb'].map((r) => path.join(root, r));
      const before = [file, ...others].map(sha);
      const s = runCompaction({
        root,
        codec,
        onStep: (step) => {
          if (step === 'history-appended') throw new TickrecError('E_IO', 'injected: the read-back fails');
        },
      });
      expect(s.failures.map((f) => f.message)).toEqual(Array(3).fill('injected: the read-back fails')); // day bar, min1, min5
      expect([file, ...others].map(sha)).toEqual(before);
      expect(fs.existsSync(file + '.undo')).toBe(false);
      expect(fs.existsSync(path.join(root, 'rt/min1/SHFE/20250107/rb2505.dmb'))).toBe(true);
      expect(runCompaction({ root, codec }).failures).toEqual([]);
      expect(timesOnce(root)).toEqual({ count: 915 + 345, distinct: 915 + 345 });
    });
  }

  for (const codec of ['zstd', 'lz4'] as const) {
    it(`${codec}: kill -9 right after the append, then a rerun: each bar once, verify --deep clean`, async () => {
      const root = corpusCopy();
      recorderTakesOver(root, dayBars());
      const c = spawnHelper('../compact/helpers/compact-child.ts', [root, '--codec', codec, '--crash-step', 'history-appended']);
      const exit = await c.exit;
      expect(exit.signal, c.stderr).toBe('SIGKILL');
      expect(c.messages.some((m) => m.event === 'crashing' && m.step === 'history-appended')).toBe(true);
      expect(runCompaction({ root, codec }).failures).toEqual([]);
      expect(timesOnce(root)).toEqual({ count: 915 + 345, distinct: 915 + 345 });
      expect(fs.readdirSync(path.join(root, 'his/min1/SHFE')).sort()).toEqual(['cu2502.dsb', 'rb2505.dsb']);
      expect(verifyRoot({ root, deep: true, sessions: bundledSessionBook() }).problems).toEqual([]);
    });
  }
});

describe('what --codec zstd promises: datakit decodes every frame tickrec writes', () => {
  it("every version-4 file of a compacted root decodes as datakit's WTSCmpHelper does (content size from the frame header), with an independent zstd", () => {
    const root = corpusCopy();
    recorderTakesOver(root, dayBars());
    expect(runCompaction({ root, codec: 'zstd' }).failures).toEqual([]);
    // Python's zstandard (libzstd 1.5) stands in for datakit's bundled zstd: it needs the
    // frame's content size (ZSTD_getFrameContentSize), as WTSCmpHelper::uncompress_data does.
    const script = [
      'import sys, zstandard, hashlib',
      'for f in sys.argv[1:]:',
      '    b = open(f, "rb").read()',
      '    v = int.from_bytes(b[10:12], "little"); n = int.from_bytes(b[12:20], "little")',
      '    assert v == 4 and len(b) == 20 + n, f',
      '    p = zstandard.get_frame_parameters(b[20:])',
      '    assert p.content_size > 0, f',
      '    raw = zstandard.ZstdDecompressor().decompress(b[20:], max_output_size=p.content_size)',
      '    assert len(raw) == p.content_size, f',
      '    print(f, hashlib.sha256(raw).hexdigest())',
    ].join('\n');
    const written = [
      'his/ticks/SHFE/20250107/rb2505.dsb',
      'his/trans/SHFE/20250107/rb2505.dsb',
      'his/min1/SHFE/rb2505.dsb',
      'his/min5/SHFE/rb2505.dsb',
    ].map((r) => path.join(root, r));
    const out = execFileSync('/usr/bin/python3', ['-c', script, ...written], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(out.length).toBe(written.length);
    for (const line of out) {
      const [file, hash] = line.split(' ');
      const records = file!.includes('/his/ticks/') || file!.includes('/his/trans/') ? readHisBlock(file!).records : readHistory(file!);
      expect(crypto.createHash('sha256').update(records).digest('hex'), file).toBe(hash);
    }
  });
});

function readHistory(file: string): Uint8Array {
  const h = BarHistory.open(file);
  try {
    return h.read();
  } finally {
    h.close();
  }
}

describe("datakit's day history: raw (version 3) up to 100 bars, then zstd (version 4)", () => {
  const DAY = hisKindByName('day')!;
  const version = (file: string) => fs.readFileSync(file).readUInt16LE(10);
  const bar = (date: number) => {
    const b = Buffer.alloc(BAR.size);
    b.writeUInt32LE(date, 0);
    b.writeDoubleLE(3300, 16);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  };

  it('appends to a raw day history keep it raw while it holds at most 100 bars; the 101st compresses it, as datakit', () => {
    const root = corpusCopy();
    const file = path.join(root, 'his/day/SHFE/rb2505.dsb');
    expect(version(file)).toBe(3);
    appendBarDay(file, DAY, 20250107, bar(20250107), { codec: 'zstd' });
    expect(version(file)).toBe(3);
    expect(fs.statSync(file).size).toBe(12 + 4 * BAR.size);
    // 100 bars raw, then the 101st
    const big = path.join(root, 'his/day/SHFE/x.dsb');
    let d = 20250108;
    for (let i = 0; i < 100; i++, d++) appendBarDay(big, DAY, d, bar(d), { codec: 'zstd' });
    expect(version(big)).toBe(3);
    appendBarDay(big, DAY, d, bar(d), { codec: 'zstd' });
    expect(version(big)).toBe(4);
    const h = BarHistory.open(big);
    expect(h.recordCount).toBe(101);
    h.close();
    // a compressed one stays compressed; an old version 1 one is converted and stays raw
    const ag = path.join(root, 'his/day/SHFE/ag2506.dsb');
    appendBarDay(ag, DAY, 20250107, bar(20250107), { codec: 'zstd' });
    expect(version(ag)).toBe(4);
    const cu = path.join(root, 'his/day/SHFE/cu2502.dsb');
    appendBarDay(cu, DAY, 20250106, bar(20250106), { codec: 'lz4' });
    expect(version(cu)).toBe(3);
    const back = BarHistory.open(cu);
    expect(back.read().subarray(0, 2 * BAR.size)).toEqual(expectedBytes('his/day/SHFE/cu2502.dsb', MIN1_KIND));
    back.close();
  });

  it('compaction with --codec zstd appends the day bar of the ticks to the raw history, which stays raw', () => {
    const root = corpusCopy();
    recorderTakesOver(root, []);
    expect(runCompaction({ root, codec: 'zstd' }).failures).toEqual([]);
    const file = path.join(root, 'his/day/SHFE/rb2505.dsb');
    expect(version(file)).toBe(3);
    const h = BarHistory.open(file);
    expect(h.days().map((x) => x.date)).toEqual([20250102, 20250103, 20250106, 20250107]);
    const last = plain(MIN1_KIND.codec.decode(memOf(h.readDay(20250107)!), 0));
    h.close();
    const t = EXPECTED['rt/ticks/SHFE/rb2505.dmb']!.records.at(-1)!;
    expect(last).toMatchObject({
      date: 20250107,
      time: 0,
      close: t.price,
      vol: t.total_volume,
      hold: t.open_interest,
      add: (t.open_interest as number) - (t.pre_interest as number),
    });
    // ticks and trades of the day: datakit's zstd day blocks
    expect(version(path.join(root, 'his/ticks/SHFE/20250107/rb2505.dsb'))).toBe(4);
    expect(version(path.join(root, 'his/trans/SHFE/20250107/rb2505.dsb'))).toBe(4);
  });
});

function memOf(b: Uint8Array): Mem {
  return new Mem(b.byteOffset % 8 === 0 ? b : b.slice());
}

/** The expected records of a corpus file, encoded in the current layout. */
function expectedBytes(rel: string, kind: RecordKind): Uint8Array {
  const recs = EXPECTED[rel]!.records;
  const m = Mem.alloc(recs.length * kind.recordBytes);
  recs.forEach((r, i) => kind.codec.encode(r, m, i * kind.recordBytes));
  return m.u8;
}

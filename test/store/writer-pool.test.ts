// Tests of WriterPool (src/store/writer-pool.ts): live file creation, the open-file bound, scan after a restart, lastRecord, and the name rule applied before any file exists.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { MIN1_KIND, TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { RtReader, RtWriter, WriterPool, type WriterPoolOptions } from '../../src/store/index.js';
import { FIRST_CAPACITY_MIN, firstCapacity } from '../../src/store/writer-pool.js';
import { OPEN_FILES_FLOOR, autoMaxOpenFiles, readProcessLimits } from '../../src/store/open-limit.js';
import { makeTick, tickChecksum } from '../helpers/ticks.js';
import { diskHeader, makeTempDir, removeTempDirs, writeTickFile } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const SEED = 0x900d;
const D1 = 20250102;

/** Tick `seq` (sequence in total_volume) of an instrument and trading date, with a valid checksum. */
function rec(seq: number, code = 'rb2505', date = D1, exchg = 'SHFE'): Record<string, unknown> {
  const t = makeTick(seq, SEED);
  t.exchg = exchg;
  t.code = code;
  t.trading_date = date;
  t.action_date = date;
  t.settle_price = tickChecksum(t);
  return { ...t };
}

function pool(root: string, over: Partial<WriterPoolOptions> = {}): WriterPool {
  return new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 8, trade: 8 }, ...over });
}

/** Every file and folder under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(e.isDirectory() ? `${r}/` : r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** The records of a tick file as [code, trading_date, seq], checking each checksum. */
function recordsOf(file: string): [string, number, number][] {
  const r = RtReader.open(file);
  try {
    const out: [string, number, number][] = [];
    for (let i = 0; i < r.length; i++) {
      const v = r.get(i);
      expect(v['settle_price'], `${file} record ${i} checksum`).toBe(tickChecksum(v));
      out.push([v['code'] as string, v['trading_date'] as number, v['total_volume'] as number]);
    }
    return out;
  } finally {
    r.close();
  }
}

describe('WriterPool: the name rule', () => {
  it.each([
    ['..', 'x'],
    ['SHFE', '../../x'],
    ['SHFE', '..'],
    ['SHFE', '.'],
    ['SHFE', 'a/b'],
    ['SHFE', '/etc/passwd'],
    ['', 'rb2505'],
    ['SHFE', ''],
    ['../../..', 'tmp'],
    ['SHFE', 'a'.repeat(32)],
    ['S'.repeat(16), 'rb2505'],
    ['SHFE', 'rb2505\u0000'],
  ])('refuses exchange %j code %j before any file or folder is created', (exchg, code) => {
    const base = makeTempDir();
    const root = path.join(base, 'root');
    fs.mkdirSync(root);
    const p = pool(root);
    let err: unknown;
    try {
      p.append(TICK_KIND, exchg, code, D1, rec(0));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_FIELD');
    expect(() => p.lastRecord(TICK_KIND, exchg, code)).toThrow(TickrecError);
    expect(tree(base)).toEqual(['root/']);
    expect(p.openFiles).toBe(0);
    // a good name afterwards creates only its own file
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0))).toBe(true);
    p.closeAll();
    expect(tree(base)).toEqual(['root/', 'root/rt/', 'root/rt/ticks/', 'root/rt/ticks/SHFE/', 'root/rt/ticks/SHFE/rb2505.dmb']);
  });
});

describe('WriterPool: append', () => {
  it('creates rt/ticks/EXCHG/CODE.dmb with the trading date in the header', () => {
    const root = makeTempDir();
    const p = pool(root);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0))).toBe(true);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(1))).toBe(true);
    const file = path.join(root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    expect(diskHeader(file)).toMatchObject({ type: TICK_KIND.rtType, size: 2, capacity: 8, date: D1 });
    expect(p.openFiles).toBe(1);
    expect([...p.live()].map((e) => [e.kind.name, e.exchg, e.code, e.date, e.path])).toEqual([['tick', 'SHFE', 'rb2505', D1, file]]);
    p.closeAll();
    expect(p.openFiles).toBe(0);
    expect(recordsOf(file)).toEqual([
      ['rb2505', D1, 0],
      ['rb2505', D1, 1],
    ]);
  });

  it('trades go to rt/trans/ with their own record kind', () => {
    const root = makeTempDir();
    const p = pool(root);
    p.append(TRADE_KIND, 'SHFE', 'rb2505', D1, {
      exchg: 'SHFE',
      code: 'rb2505',
      trading_date: D1,
      action_date: D1,
      action_time: 90000000,
      index: 1,
      ttype: 0x4d,
      side: 0x42,
      price: 3500,
      volume: 3,
      askorder: 0,
      bidorder: 0,
    });
    p.closeAll();
    const file = path.join(root, 'rt', 'trans', 'SHFE', 'rb2505.dmb');
    expect(diskHeader(file)).toMatchObject({ type: TRADE_KIND.rtType, size: 1, date: D1 });
    expect(p.lastRecord(TRADE_KIND, 'SHFE', 'rb2505')).toMatchObject({ index: 1, volume: 3, side: 0x42 });
  });

  it('grows past the initial capacity', () => {
    const root = makeTempDir();
    const p = pool(root, { initialCapacity: { tick: 2 } });
    for (let i = 0; i < 50; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    p.closeAll();
    expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb')).map((r) => r[2])).toEqual([...Array(50).keys()]);
  });

  it('maxOpenFiles 4, 10 instruments round-robin: never more than 4 open, every record in its file', async () => {
    const root = makeTempDir();
    const p = pool(root, { maxOpenFiles: 4 });
    const codes = Array.from({ length: 10 }, (_, k) => `rb25${String(k).padStart(2, '0')}`);
    let maxOpen = 0;
    for (let round = 0; round < 20; round++) {
      for (const code of codes) {
        expect(p.append(TICK_KIND, 'SHFE', code, D1, rec(round, code))).toBe(true);
        maxOpen = Math.max(maxOpen, p.openFiles);
        expect(p.openFiles).toBeLessThanOrEqual(4);
      }
    }
    expect(maxOpen).toBe(4);
    await waitUntil(() => p.creationsInFlight === 0); // background fsyncs of new files hold a descriptor while they run
    // the process holds no more than 4 of the files open
    const open = fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(root);
      } catch {
        return false;
      }
    });
    expect(open.length).toBeLessThanOrEqual(4);
    p.closeAll();
    for (const code of codes) {
      const file = path.join(root, 'rt', 'ticks', 'SHFE', `${code}.dmb`);
      expect(recordsOf(file)).toEqual(Array.from({ length: 20 }, (_, i) => [code, D1, i]));
    }
  });

  it('eviction closes the least recently written: an instrument written between every other is never reopened', () => {
    const root = makeTempDir();
    const p = pool(root, { maxOpenFiles: 3 });
    const opens = vi.spyOn(RtWriter, 'open');
    try {
      const hot = 'rb2500';
      let seq = 0;
      p.append(TICK_KIND, 'SHFE', hot, D1, rec(seq++, hot));
      const codes = Array.from({ length: 30 }, (_, k) => `rb26${String(k).padStart(2, '0')}`);
      for (const [k, code] of codes.entries()) {
        p.append(TICK_KIND, 'SHFE', code, D1, rec(k, code));
        p.append(TICK_KIND, 'SHFE', hot, D1, rec(seq++, hot));
        expect(p.openFiles).toBeLessThanOrEqual(3);
      }
      // a cold one again: the two most recent stay open, the oldest cold one goes
      p.append(TICK_KIND, 'SHFE', codes[0]!, D1, rec(1, codes[0]));
      expect(opens.mock.calls.filter(([f]) => f.endsWith(`${hot}.dmb`))).toHaveLength(1);
      expect(opens.mock.calls.filter(([f]) => f.endsWith(`${codes[0]}.dmb`))).toHaveLength(2);
      p.closeAll();
      expect(p.openFiles).toBe(0);
      expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', `${hot}.dmb`)).map((r) => r[2])).toEqual([...Array(seq).keys()]);
      expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', `${codes[0]}.dmb`)).map((r) => r[2])).toEqual([0, 1]);
      for (const [k, code] of codes.entries())
        if (k > 0) expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', `${code}.dmb`))).toEqual([[code, D1, k]]);
    } finally {
      opens.mockRestore();
    }
  });

  it('1,000 instruments through 16 mappings: every record in its file, never more than 16 open', () => {
    const root = makeTempDir();
    const p = pool(root, { maxOpenFiles: 16, initialCapacity: { tick: 2 } });
    const N = 1_000;
    for (let k = 0; k < N; k++) p.append(TICK_KIND, 'SHFE', `c${k}`, D1, rec(0, `c${k}`));
    for (let k = N - 1; k >= 0; k -= 7) p.append(TICK_KIND, 'SHFE', `c${k}`, D1, rec(1, `c${k}`));
    expect(p.openFiles).toBe(16);
    p.closeAll();
    for (let k = N - 1; k >= 0; k -= 7)
      expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', `c${k}.dmb`)).map((r) => r[2])).toEqual([0, 1]);
    expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', 'c2.dmb')).map((r) => r[2])).toEqual([0]);
  });

  it('lastRecord: undefined for an unknown instrument, else the last appended (open or closed)', () => {
    const root = makeTempDir();
    const p = pool(root, { maxOpenFiles: 4 });
    expect(p.lastRecord(TICK_KIND, 'SHFE', 'rb2505')).toBeUndefined();
    for (let i = 0; i < 3; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    expect(p.lastRecord(TICK_KIND, 'SHFE', 'rb2505')).toMatchObject({ code: 'rb2505', total_volume: 2, trading_date: D1 });
    p.closeAll();
    expect(p.lastRecord(TICK_KIND, 'SHFE', 'rb2505')).toMatchObject({ total_volume: 2 });
    p.closeAll();
  });
});

describe('WriterPool: scan after a restart', () => {
  it('finds the live files and their dates, ignores finished folders and foreign names, and continues after the last record', () => {
    const root = makeTempDir();
    const p1 = pool(root);
    p1.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0));
    p1.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(1));
    p1.append(TICK_KIND, 'DCE', 'm2505', 20250103, rec(0, 'm2505', 20250103, 'DCE'));
    p1.closeAll();
    // an empty live file, a finished day, a file tickrec would not have named, a stray file, an unknown folder
    writeTickFile(path.join(root, 'rt', 'ticks', 'CZCE', 'SR505.dmb'), [], 4, { date: 20250106 });
    writeTickFile(path.join(root, 'rt', 'ticks', 'SHFE', '20250101', 'rb2505.dmb'), [rec(0, 'rb2505', 20250101)], 4, { date: 20250101 });
    writeTickFile(path.join(root, 'rt', 'ticks', 'SHFE', 'bad name.dmb'), [], 4);
    fs.writeFileSync(path.join(root, 'rt', 'ticks', 'SHFE', 'notes.txt'), 'x');
    fs.mkdirSync(path.join(root, 'rt', 'other', 'SHFE'), { recursive: true });
    fs.writeFileSync(path.join(root, 'rt', 'other', 'SHFE', 'x.dmb'), 'x');

    const p2 = pool(root);
    expect(p2.scan()).toBe(3);
    expect(p2.openFiles).toBe(0); // found without opening
    const live = [...p2.live()].map((e) => `${e.kind.name} ${e.exchg}.${e.code} ${e.date}`).sort();
    expect(live).toEqual(['tick CZCE.SR505 20250106', 'tick DCE.m2505 20250103', 'tick SHFE.rb2505 20250102']);
    expect(p2.lastRecord(TICK_KIND, 'SHFE', 'rb2505')).toMatchObject({ total_volume: 1 });
    expect(p2.lastRecord(TICK_KIND, 'CZCE', 'SR505')).toBeUndefined();
    p2.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(2));
    p2.closeAll();
    expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb')).map((r) => r[2])).toEqual([0, 1, 2]);
  });

  it('scan of a root without rt/ finds nothing', () => {
    expect(pool(makeTempDir()).scan()).toBe(0);
  });

  it('an instrument met before scan() reads its date from its file', () => {
    const root = makeTempDir();
    const file = path.join(root, 'rt', 'min1', 'SHFE', 'rb2505.dmb');
    const w = RtWriter.open(file, { kind: MIN1_KIND, date: 20250107, initialCapacity: 4 });
    w.close();
    const p = pool(root);
    expect(p.lastRecord(MIN1_KIND, 'SHFE', 'rb2505')).toBeUndefined();
    expect([...p.live()].map((e) => e.date)).toEqual([20250107]);
    p.closeAll();
  });
});

describe('WriterPool: the first file of a day is sized from the last finished day', () => {
  it('firstCapacity: the smallest when the past is unknown; else 1.25 x last day, a power of two, between 64 and configured', () => {
    expect(firstCapacity(2500, -1)).toBe(FIRST_CAPACITY_MIN);
    expect(firstCapacity(16, -1)).toBe(16);
    expect(firstCapacity(2500, 0)).toBe(FIRST_CAPACITY_MIN);
    expect(firstCapacity(2500, 3)).toBe(64);
    expect(firstCapacity(2500, 52)).toBe(128); // 65 wanted
    expect(firstCapacity(2500, 400)).toBe(512);
    expect(firstCapacity(2500, 100_000)).toBe(2500);
    expect(firstCapacity(16, 3)).toBe(16);
  });

  it("after a roll, a quiet instrument's next file reserves 64 slots, a busy one what it needed, and growth still doubles", () => {
    const root = makeTempDir();
    const p = pool(root, { initialCapacity: { tick: 2500 } });
    p.append(TICK_KIND, 'SHFE', 'quiet', D1, rec(0, 'quiet'));
    for (let i = 0; i < 300; i++) p.append(TICK_KIND, 'SHFE', 'busy', D1, rec(i, 'busy'));
    p.append(TICK_KIND, 'SHFE', 'new', 20250103, rec(0, 'new', 20250103));
    const D2 = 20250103;
    p.append(TICK_KIND, 'SHFE', 'quiet', D2, rec(0, 'quiet', D2)); // rolls D1 aside
    p.append(TICK_KIND, 'SHFE', 'busy', D2, rec(0, 'busy', D2));
    p.closeAll();
    const cap = (code: string) => diskHeader(path.join(root, 'rt', 'ticks', 'SHFE', `${code}.dmb`)).capacity;
    expect(cap('quiet')).toBe(64);
    expect(cap('busy')).toBe(512);
    expect(cap('new')).toBe(64); // never seen before: the smallest first file, it doubles if busy
    const p2 = pool(root);
    for (let i = 1; i < 100; i++) p2.append(TICK_KIND, 'SHFE', 'quiet', D2, rec(i, 'quiet', D2));
    p2.closeAll();
    expect(cap('quiet')).toBe(128);
    expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', 'quiet.dmb')).map((r) => r[2])).toEqual([...Array(100).keys()]);
  });
});

describe('storage.max_open_files "auto" (src/store/open-limit.ts)', () => {
  it('the smaller of the fd limit less 2,048 and half of vm.max_map_count less 1,024; never below 64', () => {
    expect(autoMaxOpenFiles({ openFiles: 1_048_576, maxMapCount: 65_530 })).toBe(31_741);
    expect(autoMaxOpenFiles({ openFiles: 20_000, maxMapCount: 65_530 })).toBe(17_952);
    expect(autoMaxOpenFiles({ openFiles: 1024, maxMapCount: 65_530 })).toBe(OPEN_FILES_FLOOR);
    expect(autoMaxOpenFiles({ openFiles: undefined, maxMapCount: undefined })).toBe(4096);
  });

  it("reads this process's limits from /proc", () => {
    const limits = readProcessLimits();
    expect(limits.openFiles).toBeGreaterThan(0);
    expect(limits.maxMapCount).toBeGreaterThan(0);
    expect(autoMaxOpenFiles(limits)).toBeGreaterThanOrEqual(OPEN_FILES_FLOOR);
  });
});

describe('WriterPool: new files are made durable in the background (CREATE DURABILITY, src/store/durable.ts)', () => {
  it('no fsync on the event loop while 200 new instruments in new folders get their first record; all durable after', async () => {
    const root = makeTempDir();
    const p = pool(root, { maxOpenFiles: 64 });
    const syncs = vi.spyOn(fs, 'fsyncSync');
    const asyncOpens: string[] = [];
    const open = vi.spyOn(fs, 'open');
    open.mockImplementation((...args: Parameters<typeof fs.open>) => {
      asyncOpens.push(String(args[0]));
      return Reflect.apply(openReal, fs, args);
    });
    try {
      for (let k = 0; k < 200; k++) p.append(TICK_KIND, `EX${k % 4}`, `c${k}`, D1, rec(0, `c${k}`, D1, `EX${k % 4}`));
      expect(syncs).not.toHaveBeenCalled();
      await waitUntil(() => p.creationsInFlight === 0);
      // each file was opened for its fsync before the last fsync of the folder that got its entry
      for (let k = 0; k < 200; k++) {
        const dir = path.join(root, 'rt', 'ticks', `EX${k % 4}`);
        const file = path.join(dir, `c${k}.dmb`);
        const fileAt = asyncOpens.indexOf(file);
        expect(fileAt, file).toBeGreaterThanOrEqual(0);
        expect(asyncOpens.lastIndexOf(dir), `${dir} is synced after ${file}`).toBeGreaterThan(fileAt);
      }
      // the new folders' entries in their parents too
      expect(asyncOpens).toContain(path.join(root, 'rt', 'ticks'));
      expect(asyncOpens).toContain(path.join(root, 'rt'));
      // folder fsyncs are batched: a few rounds, not one per file (7 folders got entries)
      const folderSyncs = asyncOpens.filter((x) => (x === root || x.startsWith(`${root}/`)) && !x.endsWith('.dmb')).length;
      expect(folderSyncs).toBeLessThanOrEqual(2 * 7);
    } finally {
      syncs.mockRestore();
      open.mockRestore();
    }
    p.closeAll();
    for (let k = 0; k < 200; k += 37)
      expect(recordsOf(path.join(root, 'rt', 'ticks', `EX${k % 4}`, `c${k}.dmb`))).toEqual([[`c${k}`, D1, 0]]);
  });

  it('without a pool, RtWriter.open fsyncs a new file and its folder before it returns', () => {
    const file = path.join(makeTempDir(), 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    const syncs = vi.spyOn(fs, 'fsyncSync');
    try {
      RtWriter.open(file, { kind: TICK_KIND, date: D1, initialCapacity: 4 }).close();
      expect(syncs.mock.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      syncs.mockRestore();
    }
  });
});

const openReal = fs.open;

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 6000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

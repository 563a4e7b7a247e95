// Tests of PREPARED FILES (src/store/writer-pool.ts, issue 18): a live file made ahead of its first record, its sizing, the roll rule around it, followers and compaction beside it; real files.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCompaction, scanRoot } from '../../src/compact/index.js';
import { MIN1_KIND, TICK_KIND } from '../../src/format/index.js';
import { rtFilePath, rtFinishedPath } from '../../src/layout/index.js';
import { follow, RtReader, WriterPool, type FileInfo, type WriterPoolOptions } from '../../src/store/index.js';
import { FIRST_CAPACITY_MIN, firstCapacity } from '../../src/store/writer-pool.js';
import { makeTick, tickChecksum } from '../helpers/ticks.js';
import { diskHeader, makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const SEED = 0x7e57;
const D1 = 20250106;
const D2 = 20250107;
const D3 = 20250108;

function rec(seq: number, date: number, code = 'rb2505', exchg = 'SHFE'): Record<string, unknown> {
  const t = makeTick(seq, SEED);
  t.exchg = exchg;
  t.code = code;
  t.trading_date = date;
  t.action_date = date;
  t.settle_price = tickChecksum(t);
  return { ...t };
}

function pool(root: string, over: Partial<WriterPoolOptions> = {}): WriterPool {
  return new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 2500, trade: 5000 }, ...over });
}

/** [trading_date, total_volume] of every record of a tick file, each checksum checked. */
function recordsOf(file: string): [number, number][] {
  const r = RtReader.open(file);
  try {
    const out: [number, number][] = [];
    for (let i = 0; i < r.length; i++) {
      const v = r.get(i);
      expect(v['settle_price'], `${file} record ${i} checksum`).toBe(tickChecksum(v));
      out.push([v['trading_date'] as number, v['total_volume'] as number]);
    }
    return out;
  } finally {
    r.close();
  }
}

/** The files this process holds open (/proc/self/fd). */
function heldOpen(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

const vol = (seq: number) => makeTick(seq, SEED).total_volume;

/** A pool that recorded `n` ticks of D1 for each code and rolled them (the day before). */
function dayBefore(root: string, codes: Record<string, number>): WriterPool {
  const p = pool(root);
  for (const [code, n] of Object.entries(codes)) for (let i = 0; i < n; i++) p.append(TICK_KIND, 'SHFE', code, D1, rec(i, D1, code));
  expect(p.rollFinished((_k, _e, _c, date) => date < D2)).toBe(Object.keys(codes).length);
  return p;
}

describe('WriterPool.prepare', () => {
  it('makes the live file of the coming day, sized from the day before, mapped while there is room; its first records go into it', () => {
    const root = makeTempDir();
    const p = dayBefore(root, { rb2505: 100, cu2502: 3 });
    const live = rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505');
    expect(fs.existsSync(live)).toBe(false);
    expect([...p.preparable()].map((c) => [c.kind.name, c.code, c.lastDayRecords]).sort()).toEqual([
      ['tick', 'cu2502', 3],
      ['tick', 'rb2505', 100],
    ]);

    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(true);
    expect(p.prepare(TICK_KIND, 'SHFE', 'cu2502', D2)).toBe(true);
    expect(p.filesPrepared).toBe(2);
    expect(p.openFiles).toBe(2); // made and mapped: the first record only appends
    expect([...p.preparable()]).toEqual([]);
    const h = diskHeader(live);
    expect([h.date, h.size, h.capacity]).toEqual([D2, 0, firstCapacity(2500, 100)]);
    expect(h.capacity).toBe(128); // 100 × 1.25 rounded up to a power of two, not 2,500
    expect(diskHeader(rtFilePath(root, TICK_KIND, 'SHFE', 'cu2502')).capacity).toBe(FIRST_CAPACITY_MIN);
    expect(p.liveDate(TICK_KIND, 'SHFE', 'rb2505')).toBe(D2);

    // a second prepare is a no-op; the file is never replaced
    const ino = fs.statSync(live).ino;
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(false);
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D3)).toBe(false);

    for (let i = 0; i < 200; i++) expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(1000 + i, D2))).toBe(true);
    p.closeAll();
    expect(fs.statSync(live).ino).toBe(ino); // the prepared file, not a new one
    expect(recordsOf(live)).toEqual(Array.from({ length: 200 }, (_, i) => [D2, vol(1000 + i)]));
    expect(diskHeader(live).capacity).toBe(256); // grew by doubling past its prepared size
  });

  it('at the open-file limit a prepared file is made without being mapped: a written file is never closed for it', async () => {
    const root = makeTempDir();
    const p0 = dayBefore(root, { rb2505: 10, cu2502: 10, ag2506: 10 });
    p0.closeAll();
    const p = pool(root, { maxOpenFiles: 2 });
    expect(p.learnLastDays()).toBe(3);
    expect(p.append(TICK_KIND, 'SHFE', 'al2503', D2, rec(1, D2, 'al2503'))).toBe(true); // written, open
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(true); // room for one more: mapped
    expect(p.openFiles).toBe(2);
    expect(p.prepare(TICK_KIND, 'SHFE', 'cu2502', D2)).toBe(true); // no room: made only
    expect(p.openFiles).toBe(2);
    expect(diskHeader(rtFilePath(root, TICK_KIND, 'SHFE', 'cu2502'))).toMatchObject({ date: D2, size: 0 });
    // a new instrument's first record evicts the prepared, unwritten file before the written one
    expect(heldOpen()).toContain(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505'));
    expect(p.append(TICK_KIND, 'SHFE', 'ag2506', D2, rec(2, D2, 'ag2506'))).toBe(true);
    for (let i = 0; i < 6000 && p.creationsInFlight > 0; i++) await new Promise((r) => setTimeout(r, 10)); // their fsyncs hold descriptors
    expect(p.creationsInFlight).toBe(0);
    expect(heldOpen()).not.toContain(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505'));
    expect(heldOpen()).toContain(rtFilePath(root, TICK_KIND, 'SHFE', 'al2503'));
    expect(p.append(TICK_KIND, 'SHFE', 'al2503', D2, rec(3, D2, 'al2503'))).toBe(true);
    expect(p.append(TICK_KIND, 'SHFE', 'cu2502', D2, rec(4, D2, 'cu2502'))).toBe(true);
    p.closeAll();
    expect(recordsOf(rtFilePath(root, TICK_KIND, 'SHFE', 'al2503'))).toEqual([
      [D2, vol(1)],
      [D2, vol(3)],
    ]);
    expect(recordsOf(rtFilePath(root, TICK_KIND, 'SHFE', 'cu2502'))).toEqual([[D2, vol(4)]]);
    expect(recordsOf(rtFilePath(root, TICK_KIND, 'SHFE', 'ag2506'))).toEqual([[D2, vol(2)]]);
    expect(diskHeader(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505'))).toMatchObject({ date: D2, size: 0 });
  });

  it("a record of a later day rolls the empty prepared file away (removed, no finished folder) and makes that day's file", () => {
    const root = makeTempDir();
    const p = dayBefore(root, { rb2505: 10 });
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(true);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D3, rec(1, D3))).toBe(true);
    p.closeAll();
    const live = rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505');
    expect(recordsOf(live)).toEqual([[D3, vol(1)]]);
    expect(diskHeader(live).date).toBe(D3);
    expect(fs.existsSync(path.dirname(rtFinishedPath(root, TICK_KIND, 'SHFE', D2, 'rb2505')))).toBe(false);
    expect(recordsOf(rtFinishedPath(root, TICK_KIND, 'SHFE', D1, 'rb2505'))).toHaveLength(10); // the day before, untouched
  });

  it('a record of an earlier day than the prepared one is refused as a finished day; the prepared file stays empty', () => {
    const root = makeTempDir();
    const p = dayBefore(root, { rb2505: 10, cu2502: 1 });
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D3)).toBe(true);
    // D1 is set aside (finished); D2 had no file at all: both precede the prepared D3
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(7, D1))).toBe(false);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(8, D2))).toBe(false);
    // mapped or not, the same answer
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D3, rec(9, D3))).toBe(true);
    expect(() => p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(10, D2))).toThrow(/trading date 20250107 for a file of 20250108/);
    p.closeAll();
    expect(recordsOf(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505'))).toEqual([[D3, vol(9)]]);
    expect(recordsOf(rtFinishedPath(root, TICK_KIND, 'SHFE', D1, 'rb2505'))).toHaveLength(10);
  });

  it('refuses a finished day and an instrument that has a live file; an unused prepared file is removed at its roll', () => {
    const root = makeTempDir();
    const p = dayBefore(root, { rb2505: 5 });
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D1)).toBe(false); // D1 is set aside
    expect(fs.existsSync(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505'))).toBe(false);
    p.append(TICK_KIND, 'SHFE', 'ag2506', D2, rec(1, D2, 'ag2506'));
    expect(p.prepare(TICK_KIND, 'SHFE', 'ag2506', D2)).toBe(false); // has its live file
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(true);

    const rolls: { code: string; to: string | undefined }[] = [];
    const q = pool(root, { onRoll: (r) => rolls.push({ code: r.code, to: r.to }) });
    q.scan(); // a restart sees the prepared file as the live file of D2
    expect(q.liveDate(TICK_KIND, 'SHFE', 'rb2505')).toBe(D2);
    p.closeAll();
    expect(q.rollFinished((_k, _e, _c, date) => date < D3)).toBe(2);
    expect(rolls.sort((a, b) => a.code.localeCompare(b.code))).toEqual([
      { code: 'ag2506', to: rtFinishedPath(root, TICK_KIND, 'SHFE', D2, 'ag2506') },
      { code: 'rb2505', to: undefined }, // empty: removed, nothing set aside
    ]);
    expect(fs.existsSync(rtFinishedPath(root, TICK_KIND, 'SHFE', D2, 'rb2505'))).toBe(false);
    // an instrument whose last day was empty is not prepared again
    expect([...q.preparable()].map((c) => c.code)).toEqual(['ag2506']);
    q.closeAll();
  });

  it('after a restart, learnLastDays() reads the newest finished day of each exchange for preparable() and sizing', () => {
    const root = makeTempDir();
    const p = dayBefore(root, { rb2505: 300, cu2502: 2 });
    for (let i = 0; i < 4; i++)
      p.append(MIN1_KIND, 'SHFE', 'rb2505', D1, { ...rec(i, D1), date: D1, time: 900 + i, open: 1, high: 1, low: 1, close: 1 });
    p.rollFinished(() => true);
    p.closeAll();
    const q = pool(root);
    expect([...q.preparable()]).toEqual([]);
    expect(q.learnLastDays()).toBe(3);
    expect([...q.preparable()].map((c) => [c.kind.name, c.code, c.lastDayRecords]).sort()).toEqual([
      ['min1', 'rb2505', 4],
      ['tick', 'cu2502', 2],
      ['tick', 'rb2505', 300],
    ]);
    expect(q.prepare(TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(true);
    expect(diskHeader(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505')).capacity).toBe(512);
    q.closeAll();
  });

  it('an instrument of a subscription list with no known past gets the smallest first file', () => {
    const root = makeTempDir();
    const p = pool(root);
    expect(p.prepare(TICK_KIND, 'SHFE', 'al2503', D2, 0)).toBe(true);
    expect(diskHeader(rtFilePath(root, TICK_KIND, 'SHFE', 'al2503')).capacity).toBe(FIRST_CAPACITY_MIN);
    expect(p.prepare(TICK_KIND, 'SHFE', 'zn2503', D2)).toBe(true); // nothing known, nothing said: never seen, the smallest too
    expect(diskHeader(rtFilePath(root, TICK_KIND, 'SHFE', 'zn2503')).capacity).toBe(FIRST_CAPACITY_MIN);
    expect(p.prepare(MIN1_KIND, 'SHFE', 'zn2503', D2, 300)).toBe(true); // expected records (a bar file beside a tick file of 300)
    expect(diskHeader(rtFilePath(root, MIN1_KIND, 'SHFE', 'zn2503')).capacity).toBe(firstCapacity(1500, 300));
    p.closeAll();
  });
});

describe('prepared files beside followers and compaction', () => {
  it('a follower goes from the finished day into the prepared file and delivers its records (ROLL RULE unchanged)', async () => {
    const root = makeTempDir();
    const p = pool(root);
    const live = rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505');
    for (let i = 0; i < 3; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i, D1));
    const got: [number, number][] = [];
    const starts: FileInfo[] = [];
    const ends: FileInfo[] = [];
    const f = follow(
      live,
      (v) => {
        got.push([v['trading_date'] as number, v['total_volume'] as number]);
        return got.length < 6;
      },
      { mode: 'timer', intervalMs: 1, rollCheckMs: 5, onFileStart: (i) => starts.push(i), onFileEnd: (i) => ends.push(i) },
    );
    await waitUntil(() => got.length === 3);
    p.rollFinished(() => true);
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(true);
    await waitUntil(() => starts.length === 2); // the follower is in the empty prepared file
    for (let i = 0; i < 3; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(50 + i, D2));
    await f.done;
    p.closeAll();
    expect(got).toEqual([...[0, 1, 2].map((i) => [D1, vol(i)]), ...[50, 51, 52].map((i) => [D2, vol(i)])]);
    expect(starts.map((s) => [s.date, s.length])).toEqual([
      [D1, 3],
      [D2, 0],
    ]);
    expect(ends.map((s) => [s.date, s.length])).toEqual([[D1, 3]]);
  });

  it('compaction takes the finished day and leaves the prepared live file (its date is the coming day)', () => {
    const root = makeTempDir();
    const p = dayBefore(root, { rb2505: 20 });
    expect(p.prepare(TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(true);
    const scan = scanRoot(root);
    expect(scan.live.map((l) => [l.code, l.date])).toEqual([['rb2505', D2]]);
    expect(scan.work.map((w) => [w.code, w.date])).toEqual([['rb2505', D1]]);
    const s = runCompaction({ root });
    expect(s.instrumentDays).toBe(1);
    expect(() => runCompaction({ root, date: D2 })).toThrow(/still owned by the recorder/);
    expect(diskHeader(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505'))).toMatchObject({ date: D2, size: 0 });
    p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(1, D2));
    p.closeAll();
    expect(recordsOf(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505'))).toEqual([[D2, vol(1)]]);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

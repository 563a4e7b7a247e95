// The bar-history container: conflicts and crash states first, then O(day) appends (earlier bytes untouched), merges, idempotence, out-of-order days, vacuum.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { MIN1_KIND } from '../../src/format/index.js';
import { BarHistory, MERGE_FANOUT, META_SLOT_OFFSETS, appendBarDay, hisKindByName } from '../../src/his/index.js';
import { addDays } from '../../src/calendar/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { dayBars, encode } from '../compact/helpers/root.js';

afterEach(() => removeTempDirs());

const K = hisKindByName('min1')!;
const day = (d: number, n = 240) => encode(MIN1_KIND, dayBars(d, n, 1, d));
const dates = (n: number, from = 20250106) => Array.from({ length: n }, (_, i) => addDays(from, i));

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function build(file: string, ds: readonly number[]): void {
  for (const d of ds) appendBarDay(file, K, d, day(d), { codec: 'lz4' });
}

describe('refusals and crash states', () => {
  it('refuses a day already present with other bars, changing nothing', () => {
    const f = path.join(makeTempDir(), 'h.dsb');
    build(f, dates(3));
    const before = fs.readFileSync(f);
    let err: unknown;
    try {
      appendBarDay(f, K, dates(3)[1]!, day(dates(3)[1]!, 10), { codec: 'lz4' });
    } catch (e) {
      err = e;
    }
    expect((err as TickrecError).code).toBe('E_CORRUPT');
    expect((err as TickrecError).message).toContain(f);
    expect(fs.readFileSync(f).equals(before)).toBe(true);
  });

  it('refuses bytes that are not whole bars', () => {
    const f = path.join(makeTempDir(), 'h.dsb');
    expect(() => appendBarDay(f, K, 20250106, new Uint8Array(10), { codec: 'lz4' })).toThrow(/not whole bars/);
    expect(fs.existsSync(f)).toBe(false);
  });

  it('ignores garbage past the committed end (an interrupted append) and cuts it on the next append', () => {
    const dir = makeTempDir();
    const f = path.join(dir, 'h.dsb');
    const g = path.join(dir, 'g.dsb');
    build(f, dates(3));
    build(g, dates(4));
    fs.appendFileSync(f, Buffer.alloc(5000, 0xab));
    const h = BarHistory.open(f);
    expect(h.days().length).toBe(3);
    h.close();
    appendBarDay(f, K, dates(4)[3]!, day(dates(4)[3]!), { codec: 'lz4' });
    expect(fs.readFileSync(f).equals(fs.readFileSync(g))).toBe(true); // same bytes as without the crash
  });

  it('a torn meta slot (crash while committing) leaves the previous generation readable', () => {
    const f = path.join(makeTempDir(), 'h.dsb');
    build(f, dates(3));
    const h0 = BarHistory.open(f);
    const gen = h0.generation;
    h0.close();
    // Tear the slot of the latest generation: the reader falls back to the one before.
    const fd = fs.openSync(f, 'r+');
    fs.writeSync(fd, Buffer.alloc(20, 0x55), 0, 20, META_SLOT_OFFSETS[gen % 2]! + 8);
    fs.closeSync(fd);
    const h = BarHistory.open(f);
    expect(h.generation).toBe(gen - 1);
    expect(h.days().map((d) => d.date)).toEqual(dates(2));
    h.close();
    // The day is appended again (its rt file is still there in real life): the history is whole again.
    appendBarDay(f, K, dates(3)[2]!, day(dates(3)[2]!), { codec: 'lz4' });
    const h2 = BarHistory.open(f);
    expect(h2.days().map((d) => d.date)).toEqual(dates(3));
    h2.close();
  });
});

describe('append', () => {
  it('costs O(day): the bytes before the old end are unchanged, except the one meta slot', () => {
    const f = path.join(makeTempDir(), 'h.dsb');
    build(f, dates(MERGE_FANOUT - 2));
    const before = fs.readFileSync(f);
    const d = addDays(dates(MERGE_FANOUT - 2).at(-1)!, 1);
    const r = appendBarDay(f, K, d, day(d), { codec: 'lz4' });
    expect(r.outcome).toBe('appended');
    expect(r.merged).toBe(0);
    const after = fs.readFileSync(f);
    expect(after.length).toBeGreaterThan(before.length);
    const slot = META_SLOT_OFFSETS[BarHistoryGen(f) % 2]!;
    // Everything before the old end is untouched but the 64 bytes of the slot just written.
    expect(after.subarray(0, slot).equals(before.subarray(0, slot))).toBe(true);
    expect(after.subarray(slot + 64, before.length).equals(before.subarray(slot + 64))).toBe(true);
    expect(r.bytesWritten).toBeLessThan(after.length - before.length + 64 + 1);
  });

  it('merges every MERGE_FANOUT day chunks into one, level by level, and reads every day back', () => {
    const f = path.join(makeTempDir(), 'h.dsb');
    const ds = dates(MERGE_FANOUT * MERGE_FANOUT + 3);
    build(f, ds);
    const h = BarHistory.open(f);
    expect(h.chunkList().map((c) => c.level)).toEqual([2, 0, 0, 0]);
    expect(h.days().map((d) => d.date)).toEqual(ds);
    for (const d of [ds[0]!, ds[9]!, ds[63]!, ds[66]!]) expect(same(h.readDay(d)!, day(d))).toBe(true);
    expect(same(h.read(ds[5], ds[12]), Buffer.concat(ds.slice(5, 13).map((d) => day(d))))).toBe(true);
    h.close();
  });

  it('is idempotent: appending a day already there is a no-op that writes nothing', () => {
    const f = path.join(makeTempDir(), 'h.dsb');
    build(f, dates(10));
    const before = fs.readFileSync(f);
    for (const d of dates(10)) expect(appendBarDay(f, K, d, day(d), { codec: 'lz4' }).outcome).toBe('present');
    expect(fs.readFileSync(f).equals(before)).toBe(true);
  });

  it('depends only on the days appended: two files built the same way are identical', () => {
    const dir = makeTempDir();
    build(path.join(dir, 'a.dsb'), dates(20));
    build(path.join(dir, 'b.dsb'), dates(20));
    expect(fs.readFileSync(path.join(dir, 'a.dsb')).equals(fs.readFileSync(path.join(dir, 'b.dsb')))).toBe(true);
  });

  it('takes a day older than the last one (compacted late) and keeps date order', () => {
    const f = path.join(makeTempDir(), 'h.dsb');
    const ds = dates(12);
    build(
      f,
      ds.filter((_, i) => i !== 4),
    );
    appendBarDay(f, K, ds[4]!, day(ds[4]!), { codec: 'lz4' });
    const h = BarHistory.open(f);
    expect(h.days().map((d) => d.date)).toEqual(ds);
    expect(same(h.read(), Buffer.concat(ds.map((d) => day(d))))).toBe(true);
    h.close();
  });

  it('vacuums: dead space never grows past the live bytes for long', () => {
    const f = path.join(makeTempDir(), 'h.dsb');
    let vacuums = 0;
    for (const d of dates(300)) if (appendBarDay(f, K, d, day(d, 1400), { codec: 'lz4' }).vacuumed) vacuums++;
    const h = BarHistory.open(f);
    expect(h.days().length).toBe(300);
    expect(vacuums).toBeGreaterThan(0);
    const live = h.meta!.liveBytes;
    expect(h.fileBytes - 256 - live).toBeLessThanOrEqual(Math.max(live, 1024 * 1024));
    h.close();
  });
});

function BarHistoryGen(f: string): number {
  const h = BarHistory.open(f);
  const g = h.generation;
  h.close();
  return g;
}

describe('hisHoldsDay', () => {
  it('answers for day blocks and for days inside a bar history', async () => {
    const { hisHoldsDay, hisHistoryPath, writeDayBlock, dayBlockBytes, hisDayPath } = await import('../../src/his/index.js');
    const root = makeTempDir();
    appendBarDay(hisHistoryPath(root, K, 'SHFE', 'rb2505'), K, 20250106, day(20250106), { codec: 'lz4' });
    expect(hisHoldsDay(root, 'min1', 'SHFE', 'rb2505', 20250106)).toBe(true);
    expect(hisHoldsDay(root, 'min1', 'SHFE', 'rb2505', 20250107)).toBe(false);
    expect(hisHoldsDay(root, 'min5', 'SHFE', 'rb2505', 20250106)).toBe(false);
    const tk = hisKindByName('tick')!;
    writeDayBlock(hisDayPath(root, tk, 'SHFE', 20250106, 'rb2505'), dayBlockBytes(tk, 20250106, new Uint8Array(0), 'lz4'));
    expect(hisHoldsDay(root, 'tick', 'SHFE', 'rb2505', 20250106)).toBe(true);
  });
});

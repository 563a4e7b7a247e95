// The columnar decode (COLS8 straight into typed arrays) equals row decode + extraction field for field, bit for bit (NaN payloads, -0), over partial groups and arbitrary runs; BarHistory.readColumns equals read() + extraction; what it checks and what checkRaw adds.

import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/assert.js';
import { TickrecError } from '../../src/errors.js';
import { BAR, MIN1_KIND, minuteBarTime } from '../../src/format/index.js';
import { offsetOf } from '../../src/his/fields.js';
import {
  BarHistory,
  ColumnPlan,
  HIS_CHUNK_ENTRY,
  HIS_META_SLOT,
  META_SLOT_OFFSETS,
  appendBarDay,
  cols8Decode,
  cols8DecodeColumns,
  cols8Encode,
  crc32,
  groupRecords,
  hisKindByName,
  type ColumnSink,
  type DecodeRun,
  type SinkType,
} from '../../src/his/index.js';
import { addDays } from '../../src/calendar/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { encode } from '../compact/helpers/root.js';
import { rng } from '../helpers/ticks.js';
import { f64bits, word } from './helpers/words.js';

afterEach(() => removeTempDirs());

/** How the values of one word of the record move from record to record. */
type Style = 'pool' | 'const' | 'decimal-walk' | 'int-walk' | 'random';
const style = fc.constantFrom<Style>('pool', 'const', 'decimal-walk', 'int-walk', 'random');

/** How a word of the record is read: one 8-byte field, two u32, four u16, the low or the high u32 only, or not at all. */
type Split = 'f64' | 'u64' | 'i64' | 'u32x2' | 'u16x4' | 'u32lo' | 'u32hi' | 'none';
const split = fc.constantFrom<Split>('f64', 'f64', 'u64', 'i64', 'u32x2', 'u16x4', 'u32lo', 'u32hi', 'none');

/** Records with each word following its style; rare -0 and NaN in the walks, so that columns change mode between groups. */
function makeRecords(rb: number, count: number, styles: readonly Style[], pool: readonly bigint[], seed: number): Uint8Array {
  const r = rng(seed);
  const W = rb / 8;
  const out = new Uint8Array(new ArrayBuffer(rb * count));
  const dv = new DataView(out.buffer);
  for (let j = 0; j < W; j++) {
    const st = styles[j]!;
    const k = Math.floor(r() * 5);
    let x = Math.round((r() - 0.5) * 1e6);
    let bx = BigInt.asUintN(64, BigInt(Math.round((r() - 0.5) * 2 ** 40)));
    const c = pool[Math.floor(r() * pool.length)]!;
    const step = [1, 3, 300, 70000, 2 ** 24, 2 ** 36][Math.floor(r() * 6)]!;
    for (let i = 0; i < count; i++) {
      let v: bigint;
      const u = r();
      switch (st) {
        case 'pool':
          v = pool[Math.floor(u * pool.length)]!;
          break;
        case 'const':
          v = c;
          break;
        case 'decimal-walk':
          x += Math.round((r() - 0.5) * 2 * step);
          v = u < 0.002 ? f64bits(-0) : u < 0.004 ? 0x7ff8000000000abcn : f64bits(x / 10 ** k);
          break;
        case 'int-walk':
          bx = BigInt.asUintN(64, bx + BigInt(Math.round((r() - 0.5) * 2 * step)));
          v = bx;
          break;
        default:
          v = BigInt.asUintN(64, (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
      }
      dv.setBigUint64(i * rb + j * 8, v, true);
    }
  }
  return out;
}

interface Field {
  offset: number;
  type: SinkType;
}

function fieldsOf(splits: readonly Split[]): Field[] {
  return splits.flatMap((s, j): Field[] => {
    const o = j * 8;
    switch (s) {
      case 'f64':
      case 'u64':
      case 'i64':
        return [{ offset: o, type: s }];
      case 'u32x2':
        return [
          { offset: o, type: 'u32' },
          { offset: o + 4, type: 'u32' },
        ];
      case 'u16x4':
        return [0, 2, 4, 6].map((d) => ({ offset: o + d, type: 'u16' as const }));
      case 'u32lo':
        return [{ offset: o, type: 'u32' }];
      case 'u32hi':
        return [{ offset: o + 4, type: 'u32' }];
      default:
        return [];
    }
  });
}

function arrayFor(type: SinkType, n: number): Float64Array | Uint32Array | Uint16Array {
  return type === 'u32' ? new Uint32Array(n) : type === 'u16' ? new Uint16Array(n) : new Float64Array(n);
}

/** What the row extractor gives for a field of record `i` (f64: its 8 bytes as a bigint, to compare bits). */
function expected(rows: Uint8Array, rb: number, i: number, f: Field): number | bigint {
  const dv = new DataView(rows.buffer, rows.byteOffset, rows.length);
  const at = i * rb + f.offset;
  switch (f.type) {
    case 'f64':
      return dv.getBigUint64(at, true);
    case 'u64':
      return dv.getUint32(at + 4, true) * 4294967296 + dv.getUint32(at, true);
    case 'i64':
      return dv.getInt32(at + 4, true) * 4294967296 + dv.getUint32(at, true);
    case 'u32':
      return dv.getUint32(at, true);
    case 'u16':
      return dv.getUint16(at, true);
  }
}

function actual(out: Float64Array | Uint32Array | Uint16Array, type: SinkType, idx: number): number | bigint {
  if (type === 'f64') return new DataView(out.buffer, out.byteOffset, out.byteLength).getBigUint64(idx * 8, true);
  return out[idx]!;
}

/** Checks every field of every record of every run, and that rows outside the runs were not written (they stay 0x5a bytes). */
function expectColumns(
  rows: Uint8Array,
  rb: number,
  fields: readonly Field[],
  outs: readonly (Float64Array | Uint32Array | Uint16Array)[],
  runs: readonly DecodeRun[],
  firstRow: number,
  label: string,
): void {
  const written = new Set<number>();
  for (const r of runs) {
    for (let i = 0; i < r.count; i++) {
      written.add(r.dst + i);
      fields.forEach((f, c) => {
        const want = expected(rows, rb, r.src + i, f);
        const got = actual(outs[c]!, f.type, r.dst + i - firstRow);
        if (!Object.is(got, want)) expect(got, `${label}: record ${r.src + i} field @${f.offset} ${f.type}`).toBe(want);
      });
    }
  }
  outs.forEach((o, c) => {
    const u8 = new Uint8Array(o.buffer, o.byteOffset, o.byteLength);
    const size = o.BYTES_PER_ELEMENT;
    for (let row = 0; row < o.length; row++) {
      if (written.has(row + firstRow)) continue;
      for (let b = 0; b < size; b++)
        if (u8[row * size + b] !== 0x5a) expect.fail(`${label}: row ${row + firstRow} of field ${c} written outside the runs`);
    }
  });
}

/** Runs over [0, count): consecutive pieces, some skipped, the kept ones placed in a shuffled order from row `base`. */
function makeRuns(count: number, cuts: readonly number[], keep: readonly boolean[], order: readonly number[], base: number): DecodeRun[] {
  const bounds = [...new Set([0, ...cuts.map((c) => Math.floor(c * count)), count])].sort((a, b) => a - b);
  const pieces: { src: number; count: number }[] = [];
  for (let p = 0; p + 1 < bounds.length; p++)
    if (keep[p % keep.length]) pieces.push({ src: bounds[p]!, count: bounds[p + 1]! - bounds[p]! });
  const perm = pieces.map((_, i) => i).sort((a, b) => order[a % order.length]! - order[b % order.length]! || a - b);
  const dst = new Map<number, number>();
  let at = base;
  for (const i of perm) {
    dst.set(i, at);
    at += pieces[i]!.count;
  }
  return pieces.map((p, i) => ({ src: p.src, count: p.count, dst: dst.get(i)! }));
}

const maxCount = (rb: number) => (rb === 512 ? 1600 : rb === 112 ? 5000 : rb === 88 ? 6500 : 900);

describe('cols8DecodeColumns: equal to cols8Decode + extraction', () => {
  it('random records, layouts, partial groups and runs (fast-check)', () => {
    const cas = fc.constantFrom(8, 16, 88, 112, 512).chain((rb) =>
      fc.record({
        rb: fc.constant(rb),
        count:
          groupRecords(rb) < maxCount(rb)
            ? fc.oneof(
                fc.integer({ min: 0, max: maxCount(rb) }),
                fc.constantFrom(groupRecords(rb) - 1, groupRecords(rb), groupRecords(rb) + 1),
              )
            : fc.integer({ min: 0, max: maxCount(rb) }),
        styles: fc.array(style, { minLength: rb / 8, maxLength: rb / 8 }),
        splits: fc.array(split, { minLength: rb / 8, maxLength: rb / 8 }),
        pool: fc.array(word, { minLength: 1, maxLength: 8 }),
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
        cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        keep: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        order: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 7 }),
        firstRow: fc.integer({ min: 0, max: 5 }),
      }),
    );
    fc.assert(
      fc.property(cas, (c) => {
        const rows = makeRecords(c.rb, c.count, c.styles, c.pool, c.seed);
        const enc = cols8Encode(rows, c.rb);
        const fields = fieldsOf(c.splits);
        const runs = makeRuns(c.count, c.cuts, c.keep, c.order, c.firstRow);
        const rowsNeeded = runs.reduce((a, r) => Math.max(a, r.dst + r.count), c.firstRow) - c.firstRow + 2;
        const outs = fields.map((f) => {
          const o = arrayFor(f.type, rowsNeeded);
          new Uint8Array(o.buffer).fill(0x5a);
          return o;
        });
        const sinks: ColumnSink[] = fields.map((f, i) => ({ offset: f.offset, type: f.type, out: outs[i]!, firstRow: c.firstRow }));
        cols8DecodeColumns(enc, c.count, new ColumnPlan(c.rb, sinks), runs);
        const back = cols8Decode(enc, c.rb, c.count);
        expect(Buffer.from(back).equals(Buffer.from(rows))).toBe(true);
        expectColumns(back, c.rb, fields, outs, runs, c.firstRow, `rb ${c.rb}, ${c.count} records`);
        // The row path of the plan (datakit histories, checkRaw) gives the same columns.
        const outs2 = fields.map((f) => {
          const o = arrayFor(f.type, rowsNeeded);
          new Uint8Array(o.buffer).fill(0x5a);
          return o;
        });
        new ColumnPlan(
          c.rb,
          fields.map((f, i) => ({ offset: f.offset, type: f.type, out: outs2[i]!, firstRow: c.firstRow })),
        ).fromRows(rows, runs);
        outs.forEach((o, i) => expect(Buffer.from(o.buffer).equals(Buffer.from(outs2[i]!.buffer)), `fromRows, field ${i}`).toBe(true));
      }),
      { numRuns: 150 },
    );
  });

  it('every bit pattern of -0 and NaN payloads survives in a Float64Array column', () => {
    const specials = [
      f64bits(-0),
      0x7ff8000000000001n,
      0xfff0000000000001n,
      0x7ff0000000000005n,
      0xfff8000000000000n,
      f64bits(0.1),
      f64bits(Number.MAX_VALUE),
    ];
    const n = groupRecords(16) + 40; // a full group, then a partial one
    const rows = new Uint8Array(new ArrayBuffer(16 * n));
    const dv = new DataView(rows.buffer);
    for (let i = 0; i < n; i++) {
      dv.setBigUint64(i * 16, specials[i % specials.length]!, true);
      dv.setFloat64(i * 16 + 8, i / 100, true); // a DECIMAL column next to it
    }
    const out = new Float64Array(n);
    const dec = new Float64Array(n);
    cols8DecodeColumns(
      cols8Encode(rows, 16),
      n,
      new ColumnPlan(16, [
        { offset: 0, type: 'f64', out },
        { offset: 8, type: 'f64', out: dec },
      ]),
      [{ src: 0, count: n, dst: 0 }],
    );
    const back = new DataView(out.buffer);
    for (let i = 0; i < n; i++) expect(back.getBigUint64(i * 8, true)).toBe(specials[i % specials.length]!);
    for (let i = 0; i < n; i++) expect(dec[i]).toBe(i / 100);
  });

  it('refuses what it cannot do: misaligned or oversized sinks, wrong array types, runs out of order or past the columns', () => {
    const out = new Float64Array(10);
    expect(() => new ColumnPlan(16, [{ offset: 4, type: 'f64', out }])).toThrow(AssertionError);
    expect(() => new ColumnPlan(16, [{ offset: 16, type: 'f64', out }])).toThrow(AssertionError);
    expect(() => new ColumnPlan(16, [{ offset: 0, type: 'u32', out }])).toThrow(AssertionError);
    expect(() => new ColumnPlan(12, [])).toThrow(AssertionError);
    const plan = new ColumnPlan(16, [{ offset: 0, type: 'f64', out, firstRow: 2 }]);
    const enc = cols8Encode(new Uint8Array(16 * 20), 16);
    expect(() => cols8DecodeColumns(enc, 20, plan, [{ src: 0, count: 5, dst: 0 }])).toThrow(AssertionError); // before firstRow
    expect(() => cols8DecodeColumns(enc, 20, plan, [{ src: 0, count: 5, dst: 8 }])).toThrow(AssertionError); // past row 12
    expect(() =>
      cols8DecodeColumns(enc, 20, plan, [
        { src: 5, count: 2, dst: 2 },
        { src: 0, count: 2, dst: 4 },
      ]),
    ).toThrow(AssertionError);
    expect(() => cols8DecodeColumns(enc, 20, plan, [{ src: 19, count: 2, dst: 2 }])).toThrow(AssertionError);
    // A malformed encoding is a RangeError, as for cols8Decode, also in groups no run reads.
    expect(() => cols8DecodeColumns(enc.subarray(0, enc.length - 1), 20, plan, [])).toThrow(RangeError);
    const bad = enc.slice();
    bad[16] = 7; // mode of column 1, which has no sink
    expect(() => cols8DecodeColumns(bad, 20, plan, [{ src: 0, count: 3, dst: 2 }])).toThrow(/mode 7/);
  });
});

// ---------------------------------------------------------------------------------------
// BarHistory.readColumns

const K = hisKindByName('min1')!;
const BAR_FIELDS = BAR.fields
  .filter((f) => f.type !== 'pad' && f.type !== 'char')
  .map((f) => ({ name: f.name, offset: f.offset, type: f.type as SinkType }));

/** Bars of a day: n bars, prices on a tick of 0.2 with a -0 and a NaN now and then (so some groups fall back to INT64). */
function bars(date: number, n: number, seed: number): Uint8Array {
  const r = rng(seed ^ date);
  let p = 3000 + Math.round(r() * 100);
  const recs: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    p += Math.round((r() - 0.5) * 8);
    const m = 9 * 60 + 1 + i;
    recs.push({
      date,
      time: minuteBarTime(date, Math.floor(m / 60) * 100 + (m % 60)),
      open: p * 0.2,
      high: (p + 2) * 0.2,
      low: (p - 2) * 0.2,
      close: i % 97 === 5 ? NaN : (p + 1) * 0.2,
      settle: 0,
      money: r() * 1e7,
      vol: Math.floor(r() * 500),
      hold: 10000 + i,
      add: i % 50 === 3 ? -0 : Math.round((r() - 0.5) * 20),
    });
  }
  return encode(MIN1_KIND, recs);
}

function columnsFor(n: number, fill = 0x5a): { sinks: ColumnSink[]; outs: Map<string, Float64Array | Uint32Array> } {
  const outs = new Map<string, Float64Array | Uint32Array>();
  const sinks = BAR_FIELDS.map((f) => {
    const out = f.type === 'u32' ? new Uint32Array(n) : new Float64Array(n);
    new Uint8Array(out.buffer).fill(fill);
    outs.set(f.name, out);
    return { offset: f.offset, type: f.type, out };
  });
  return { sinks, outs };
}

/** Every field of rows [0, n) of the row bytes against the columns from row `at`. */
function expectBars(rows: Uint8Array, outs: Map<string, Float64Array | Uint32Array>, at: number, label: string): void {
  const n = rows.length / 88;
  for (const f of BAR_FIELDS) {
    const o = outs.get(f.name)!;
    for (let i = 0; i < n; i++) {
      const want = expected(rows, 88, i, f);
      const got = actual(o, f.type, at + i);
      if (!Object.is(got, want)) expect(got, `${label}: bar ${i} ${f.name}`).toBe(want);
    }
  }
}

describe('BarHistory.readColumns: equal to read() + extraction', () => {
  it('container with merged chunks, an old day appended late (chunks interleave in dates), groups cut by day ranges; datakit; checkRaw both ways', () => {
    const dir = makeTempDir();
    const dates = Array.from({ length: 20 }, (_, i) => addDays(20250106, i));
    const late = dates[5]!;
    const byDay = new Map(dates.map((d, i) => [d, bars(d, 300 + ((i * 37) % 200), 3)])); // 8 days of 300-500 bars: level-1 chunks span 2 groups
    for (const codec of ['lz4', 'zstd'] as const) {
      const f = path.join(dir, `${codec}.dsb`);
      for (const d of dates) if (d !== late) appendBarDay(f, K, d, byDay.get(d)!, { codec });
      appendBarDay(f, K, late, byDay.get(late)!, { codec });
      const h = BarHistory.open(f, K);
      if (codec === 'lz4') {
        expect(h.chunkList().some((c) => c.level === 1 && c.count > groupRecords(88))).toBe(true);
        expect(h.chunkList().some((c) => c.firstDate === late && c.level === 0)).toBe(true);
      }
      const ranges: [number, number][] = [
        [0, 99999999],
        [dates[0]!, dates[0]!],
        [dates[3]!, dates[9]!], // starts inside a chunk, holds the late day
        [dates[6]!, dates[17]!],
        [dates[19]!, dates[19]!],
        [20300101, 20300102], // nothing
      ];
      for (const [from, to] of ranges) {
        for (const checkRaw of [false, true]) {
          const rows = h.read(from, to);
          const n = rows.length / 88;
          expect(h.rowCount(from, to)).toBe(n);
          const at = 7;
          const { sinks, outs } = columnsFor(at + n + 3);
          expect(h.readColumns(from, to, new ColumnPlan(88, sinks), at, { checkRaw })).toBe(n);
          expectBars(rows, outs, at, `${codec} ${from}-${to} checkRaw ${checkRaw}`);
          for (const o of outs.values()) {
            const u8 = new Uint8Array(o.buffer);
            const size = o.BYTES_PER_ELEMENT;
            expect(u8.subarray(0, at * size).every((b) => b === 0x5a)).toBe(true);
            expect(u8.subarray((at + n) * size).every((b) => b === 0x5a)).toBe(true);
          }
        }
      }
      h.close();
    }
  });
});

describe('BarHistory.readColumns: what it checks', () => {
  function history(): { f: string; days: Map<number, Uint8Array> } {
    const f = path.join(makeTempDir(), 'h.dsb');
    const dates = Array.from({ length: 10 }, (_, i) => addDays(20250106, i));
    const days = new Map(dates.map((d) => [d, bars(d, 30, 9)]));
    for (const d of dates) appendBarDay(f, K, d, days.get(d)!, { codec: 'lz4' });
    return { f, days };
  }

  it('a flipped bit in any live byte: the file is named, or every bar comes back right', () => {
    const { f, days } = history();
    const all = Buffer.concat([...days.values()]);
    const n = all.length / 88;
    const h0 = BarHistory.open(f);
    const live: [number, number][] = [
      [0, 256],
      ...h0.chunkList().map((c): [number, number] => [c.offset, c.offset + c.bytes]),
      [h0.meta!.indexOffset, h0.meta!.end],
    ];
    h0.close();
    const clean = fs.readFileSync(f);
    const r = rng(5);
    let named = 0;
    for (const [from, to] of live) {
      for (let byte = from; byte < to; byte++) {
        const b = Buffer.from(clean);
        b[byte]! ^= 1 << Math.floor(r() * 8);
        fs.writeFileSync(f, b);
        const { sinks, outs } = columnsFor(n);
        try {
          const h = BarHistory.open(f);
          try {
            // A damaged active slot falls back to the generation before: fewer days, each right.
            const got = h.readColumns(0, 99999999, new ColumnPlan(88, sinks), 0);
            expectBars(all.subarray(0, got * 88), outs, 0, `byte ${byte}`);
          } finally {
            h.close();
          }
        } catch (e) {
          expect(e, `byte ${byte}`).toBeInstanceOf(TickrecError);
          expect((e as TickrecError).file, `byte ${byte}`).toBe(f);
          named++;
        }
      }
    }
    fs.writeFileSync(f, clean);
    expect(named).toBeGreaterThan(0);
  });

  it('the CRC of the raw bars: not checked by default (the payload CRC covers the stored bytes), checked with checkRaw', () => {
    const { f, days } = history();
    // Make the raw CRC of the last chunk wrong while every stored CRC stays right: what a
    // transform bug would look like (the payload decodes, to other bars than were hashed).
    const b = fs.readFileSync(f);
    const h = BarHistory.open(f);
    const meta = h.meta!;
    const last = h.chunkList().length - 1;
    h.close();
    const entry = meta.indexOffset + last * HIS_CHUNK_ENTRY.size;
    const rawAt = entry + offsetOf(HIS_CHUNK_ENTRY, 'raw_crc32');
    b.writeUInt32LE((b.readUInt32LE(rawAt) ^ 1) >>> 0, rawAt);
    const slot = META_SLOT_OFFSETS[meta.slot]!;
    b.writeUInt32LE(crc32(b.subarray(meta.indexOffset, meta.end)), slot + offsetOf(HIS_META_SLOT, 'index_crc32'));
    b.writeUInt32LE(crc32(b.subarray(slot, slot + offsetOf(HIS_META_SLOT, 'slot_crc32'))), slot + offsetOf(HIS_META_SLOT, 'slot_crc32'));
    fs.writeFileSync(f, b);
    const all = Buffer.concat([...days.values()]);
    const n = all.length / 88;
    const h2 = BarHistory.open(f);
    const { sinks, outs } = columnsFor(n);
    expect(h2.readColumns(0, 99999999, new ColumnPlan(88, sinks), 0)).toBe(n);
    expectBars(all, outs, 0, 'default');
    let err: unknown;
    try {
      h2.readColumns(0, 99999999, new ColumnPlan(88, columnsFor(n).sinks), 0, { checkRaw: true });
    } catch (e) {
      err = e;
    }
    expect((err as TickrecError).code).toBe('E_CHECKSUM');
    expect((err as TickrecError).file).toBe(f);
    expect((err as TickrecError).message).toMatch(/decoded records/);
    expect(() => h2.read()).toThrow(/decoded records/); // the row path checks it, as before
    h2.close();
  });

  it('refuses columns planned for another record size', () => {
    const { f } = history();
    const h = BarHistory.open(f);
    expect(() => h.readColumns(0, 99999999, new ColumnPlan(16, []), 0)).toThrow(AssertionError);
    h.close();
  });
});

// Deterministic test ticks: tick i of a seeded generator, with a checksum of its own fields in settle_price so a torn record is detected.

import { TICK, valueFields, type Tick } from '../../src/format/index.js';

/** 32-bit integer hash (lowbias32). */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** A tiny seeded PRNG (mulberry32) for reproducible choices in tests. */
export { rng } from '../../scripts/lib/rng.js';

export const TICK_EXCHG = 'SHFE';
export const TICK_CODE = 'rb2505';
export const TICK_TRADING_DATE = 20250102;

/** Scalar numeric fields covered by the checksum, in record order: every one but settle_price. */
const SCALARS = valueFields(TICK)
  .filter((f) => f.type !== 'char' && !f.isArray && f.name !== 'settle_price')
  .map((f) => f.name);
/** The book-level arrays, in record order. */
const ARRAYS = valueFields(TICK)
  .filter((f) => f.isArray)
  .map((f) => f.name);

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** FNV-1a over float64 bit patterns, two lanes, folded to an integer < 2^53 at the end. */
class Checksum {
  a = 0x811c9dc5;
  b = 0x01000193 ^ 0x5bd1e995;
  add(v: number): void {
    f64[0] = v;
    for (let k = 0; k < 2; k++) {
      const w = u32[k]!;
      this.a = Math.imul(this.a ^ w, 0x01000193) >>> 0;
      this.b = Math.imul(this.b ^ w ^ (this.a >>> 7), 0x01000193) >>> 0;
    }
  }
  value(): number {
    return (this.b & 0x1fffff) * 4294967296 + this.a;
  }
}

/** Anything with the tick's fields readable by name: a decoded Rec, a view, or a Tick. */
type TickLike = Readonly<Record<string, unknown>>;

/** The checksum of every field of `t` except settle_price (where it is stored). */
export function tickChecksum(t: TickLike): number {
  const c = new Checksum();
  for (const name of SCALARS) c.add(Number(t[name] ?? 0));
  for (const name of ARRAYS) {
    const arr = (t[name] ?? []) as ArrayLike<number>;
    for (let k = 0; k < 10; k++) c.add(k < arr.length ? arr[k]! : 0);
  }
  // the strings too: a torn record may have lost them
  const ex = String(t['exchg'] ?? '');
  const code = String(t['code'] ?? '');
  for (let k = 0; k < ex.length; k++) c.add(ex.charCodeAt(k));
  for (let k = 0; k < code.length; k++) c.add(1000 + code.charCodeAt(k));
  return c.value();
}

function hhmmssmmm(msOfDay: number): number {
  const ms = msOfDay % 1000;
  const s = Math.floor(msOfDay / 1000);
  return Math.floor(s / 3600) * 10000000 + (Math.floor(s / 60) % 60) * 100000 + (s % 60) * 1000 + ms;
}

/**
 * Tick number `i` (the sequence) of the generator `seed`. The sequence is stored in
 * total_volume; action_time advances 10 ms per tick from 09:00:00.000 (non-decreasing
 * for the first 5,000,000 ticks); settle_price holds the checksum of every other field.
 */
export function makeTick(i: number, seed: number): Tick {
  const base = mix32((mix32(i >>> 0) ^ seed) >>> 0);
  const r = (k: number) => mix32((base + Math.imul(k + 1, 0x9e3779b9)) >>> 0);
  const price = 3000 + (r(0) % 4000) * 0.5;
  const volume = (r(4) % 500) + 1;
  const t: Tick = {
    exchg: TICK_EXCHG,
    code: TICK_CODE,
    price,
    open: 3000 + (r(1) % 100),
    high: price + (r(2) % 10),
    low: price - (r(3) % 10),
    upper_limit: 5000 + (r(11) % 7),
    lower_limit: 2000 - (r(12) % 7),
    total_volume: i,
    volume,
    total_turnover: i * 10 + (r(5) % 10),
    turn_over: volume * price * 10,
    open_interest: 100000 + (r(6) % 5000),
    diff_interest: (r(7) % 21) - 10,
    trading_date: TICK_TRADING_DATE,
    action_date: TICK_TRADING_DATE,
    action_time: hhmmssmmm(9 * 3600000 + (i % 5_000_000) * 10),
    pre_close: 3100 + (r(13) % 3),
    pre_settle: 3105 + (r(8) % 3),
    pre_interest: r(9),
    bid_prices: Array.from({ length: 10 }, (_, k) => price - 0.5 * (k + 1)),
    ask_prices: Array.from({ length: 10 }, (_, k) => price + 0.5 * (k + 1)),
    bid_qty: Array.from({ length: 10 }, (_, k) => r(20 + k) % 300),
    ask_qty: Array.from({ length: 10 }, (_, k) => (r(40 + k) % 300) + 1),
  };
  t.settle_price = tickChecksum(t);
  return t;
}

/**
 * Why the record read at `index` is not tick `index` of the generator, or null when it
 * is intact: the checksum must match its own fields and the sequence must equal index.
 */
export function tickProblem(rec: TickLike, index: number): string | null {
  const sum = tickChecksum(rec);
  if (rec['settle_price'] !== sum) {
    return `record ${index}: checksum ${String(rec['settle_price'])} != ${sum} computed from its fields (torn or garbage record; sequence field ${String(rec['total_volume'])})`;
  }
  if (rec['total_volume'] !== index) return `record ${index}: carries sequence ${String(rec['total_volume'])} (gap or duplicate)`;
  if (rec['exchg'] !== TICK_EXCHG || rec['code'] !== TICK_CODE)
    return `record ${index}: instrument ${String(rec['exchg'])}.${String(rec['code'])}`;
  return null;
}

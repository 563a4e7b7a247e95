// A data root for the reader tests: four trading days with night sessions, held as a datakit zstd day, a tickrec LZ4 day, a finished rt day in two files, and the live file; with the records each source must give back.

import { runCompaction } from '../../../src/compact/index.js';
import { MIN1_KIND, TICK_KIND, TRADE_KIND, minuteBarTime, type RecordKind } from '../../../src/format/index.js';
import { encode, writeFinished, writeLive } from '../../compact/helpers/root.js';

/** Trading days and the calendar date of their night session (Mon 6 Jan's night is Fri 3 Jan). */
export const DAYS = [
  { date: 20250106, night: 20250103 },
  { date: 20250107, night: 20250106 },
  { date: 20250108, night: 20250107 },
  { date: 20250109, night: 20250108 },
] as const;

export const [D1, D2, D3, D4] = DAYS.map((d) => d.date) as [number, number, number, number];

export const A = { exchg: 'SHFE', code: 'rb2505' } as const;
export const B = { exchg: 'SHFE', code: 'au2506' } as const;
export const C = { exchg: 'CFFEX', code: 'IF2505' } as const;

export type Obj = Record<string, unknown>;

const hms = (h: number, m: number, s = 0, ms = 0) => h * 10000000 + m * 100000 + s * 1000 + ms;
const nextCal = (d: number) => {
  const t = new Date(Date.UTC(Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, (d % 100) + 1));
  return t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
};

/** Instants (calendar date, HHMMSSmmm) of one trading day's ticks: night 21:00-23:55 every 5 min and 23:59:59.500, day 09:00-14:55. */
function tickInstants(day: { date: number; night: number }): { date: number; time: number }[] {
  const out: { date: number; time: number }[] = [];
  for (let m = 21 * 60; m < 24 * 60; m += 5) out.push({ date: day.night, time: hms(Math.floor(m / 60), m % 60, 7, 250) });
  out.push({ date: day.night, time: hms(23, 59, 59, 500) });
  for (let m = 9 * 60; m < 15 * 60; m += 5) out.push({ date: day.date, time: hms(Math.floor(m / 60), m % 60, 30) });
  return out;
}

/** Ticks of one trading day; special values (DBL_MAX, -0, NaN) in a few fields, as CTP sends them. */
export function ticksOf(inst: { exchg: string; code: string }, day: { date: number; night: number }, seed: number): Obj[] {
  return tickInstants(day).map((at, i) => {
    const p = 3000 + seed * 100 + i * 0.5;
    return {
      exchg: inst.exchg,
      code: inst.code,
      price: p,
      open: 3000,
      high: p + 1,
      low: p - 1,
      settle_price: i % 7 === 0 ? -0 : 0,
      upper_limit: 1.7976931348623157e308,
      lower_limit: 2700.2,
      total_volume: 1000 * seed + i * 3,
      volume: 3,
      total_turnover: (1000 * seed + i * 3) * p * 10,
      turn_over: 3 * p * 10,
      open_interest: 50000 + i,
      diff_interest: i % 3 === 0 ? -1 : 1,
      trading_date: day.date,
      action_date: at.date,
      action_time: at.time,
      pre_close: 2999.5,
      pre_settle: i === 5 ? NaN : 3000,
      pre_interest: 50000,
      bid_prices: [p - 0.5, p - 1, p - 1.5],
      ask_prices: [p, p + 0.5, p + 1, p + 1.5, p + 2],
      bid_qty: [i + 1, 2, 3],
      ask_qty: [4, 5, i + 6],
    };
  });
}

export function tradesOf(ticks: readonly Obj[]): Obj[] {
  return ticks.map((t, i) => ({
    exchg: t.exchg,
    code: t.code,
    trading_date: t.trading_date,
    action_date: t.action_date,
    action_time: t.action_time,
    index: 9_000_000_000_000 + i, // i64 beyond 2^32
    ttype: 0x4d,
    side: i % 2 ? 66 : 83,
    price: t.price,
    volume: i === 3 ? 4_000_000_000 : 2 + i, // a u32 above 2^31
    askorder: -(i + 1), // negative i64
    bidorder: 2000 + i,
  }));
}

/** 5-minute-spaced bars of one trading day in the min1 layout: night 21:05 .. 00:00 (the last on the next calendar date), day 09:05 .. 15:00. */
export function barsOf(day: { date: number; night: number }, seed: number): Obj[] {
  const out: Obj[] = [];
  const bar = (cal: number, hhmm: number, i: number) => {
    const o = 3000 + seed * 10 + i;
    out.push({
      date: day.date,
      time: minuteBarTime(cal, hhmm),
      open: o,
      high: o + 2.5,
      low: o - 2,
      close: o + 1,
      settle: 0,
      money: o * 30,
      vol: 3 + i,
      hold: 40000 + i,
      add: i % 2 ? 1 : -1,
    });
  };
  let i = 0;
  for (let m = 21 * 60 + 5; m < 24 * 60; m += 5) bar(day.night, Math.floor(m / 60) * 100 + (m % 60), i++);
  bar(nextCal(day.night), 0, i++);
  for (let m = 9 * 60 + 5; m <= 15 * 60; m += 5) bar(day.date, Math.floor(m / 60) * 100 + (m % 60), i++);
  return out;
}

export interface Built {
  root: string;
  /** "kind/EXCHG/CODE" → the records of each trading day (objects, in time order, each once). */
  days: Map<string, Map<number, Obj[]>>;
}

function put(b: Built, kind: string, inst: { exchg: string; code: string }, date: number, recs: Obj[]): void {
  const k = `${kind}/${inst.exchg}/${inst.code}`;
  if (!b.days.has(k)) b.days.set(k, new Map());
  b.days.get(k)!.set(date, recs);
}

/**
 * The root:
 * - A (SHFE.rb2505): ticks, trades, min1 on D1..D4. D1 compacted with --codec zstd
 *   (datakit day blocks, datakit bar histories), D2 with lz4 (tickrec day blocks,
 *   appended to those histories), D3 finished in rt (ticks in two files that overlap,
 *   merged), D4 the live file.
 * - B (SHFE.au2506): ticks and min1 from D2 on (its histories are tickrec containers).
 * - C (CFFEX.IF2505): min1 on D3 (finished) only.
 */
export function buildRoot(root: string): Built {
  const b: Built = { root, days: new Map() };
  const write = (
    kind: RecordKind,
    inst: { exchg: string; code: string },
    day: { date: number; night: number },
    recs: Obj[],
    where: 'finished' | 'live',
  ) => {
    if (where === 'live') writeLive(root, kind, inst.exchg, inst.code, day.date, recs);
    else writeFinished(root, kind, inst.exchg, inst.code, day.date, recs);
    put(b, kind.name, inst, day.date, recs);
  };
  DAYS.forEach((day, i) => {
    const where = i === 3 ? 'live' : 'finished';
    const ta = ticksOf(A, day, 1 + i);
    if (i === 2) {
      // Two files of one day (a replay): [0, 70) and [50, n); the overlap is byte-identical.
      writeFinished(root, TICK_KIND, A.exchg, A.code, day.date, ta.slice(0, 70));
      writeFinished(root, TICK_KIND, A.exchg, A.code, day.date, ta.slice(50));
      put(b, 'tick', A, day.date, ta);
    } else write(TICK_KIND, A, day, ta, where);
    write(TRADE_KIND, A, day, tradesOf(ta), where);
    write(MIN1_KIND, A, day, barsOf(day, 1 + i), where);
    if (i >= 1) {
      write(TICK_KIND, B, day, ticksOf(B, day, 10 + i), where);
      write(MIN1_KIND, B, day, barsOf(day, 10 + i), where);
    }
    if (i === 2) write(MIN1_KIND, C, day, barsOf(day, 20), where);
  });
  for (const [date, codec] of [
    [D1, 'zstd'],
    [D2, 'lz4'],
  ] as const) {
    const s = runCompaction({ root, date, codec });
    if (s.failures.length > 0) throw new Error(`compaction failed: ${JSON.stringify(s.failures)}`);
  }
  return b;
}

/** The encoded bytes of records of `kind` (min1 layout for every bar period). */
export function bytesOf(kind: RecordKind, recs: readonly Obj[]): Uint8Array {
  return encode(kind, recs);
}

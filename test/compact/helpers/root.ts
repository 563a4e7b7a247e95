// A data root for the compaction tests: finished real-time days (ticks, trades, 1m and 5m bars) of several instruments, made by the real writer and roll rule, and the records each day must end up with.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BAR,
  MIN1_KIND,
  MIN5_KIND,
  Mem,
  TICK,
  TICK_KIND,
  TRADE,
  TRADE_KIND,
  minuteBarTime,
  type RecordKind,
} from '../../../src/format/index.js';
import { RtWriter, setAside } from '../../../src/store/index.js';
import { rng } from '../../helpers/ticks.js';
import { rtFilePath } from '../../../src/layout/index.js';

export interface Instrument {
  exchg: string;
  code: string;
  tick: number;
  price: number;
}

export const INSTRUMENTS: readonly Instrument[] = [
  { exchg: 'SHFE', code: 'rb2505', tick: 1, price: 3300 },
  { exchg: 'SHFE', code: 'au2506', tick: 0.02, price: 760 },
  { exchg: 'CFFEX', code: 'IF2505', tick: 0.2, price: 3900 },
  { exchg: 'BINANCE', code: 'BTCUSDT', tick: 0.01, price: 95000 },
];

/** Mon 2025-01-06 .. Fri 2025-01-10: trading days of the bundled calendar. */
export const DATES: readonly number[] = [20250106, 20250107, 20250108, 20250109, 20250110];

export interface DaySpec {
  ticks: number;
  seed: number;
}

/** Plain tick objects of one instrument-day: a random walk on the tick size, 500 ms apart from 09:00. */
export function dayTicks(inst: Instrument, date: number, n: number, seed: number): Record<string, unknown>[] {
  const r = rng(seed ^ date ^ (inst.code.length * 7919));
  const out: Record<string, unknown>[] = [];
  let p = Math.round(inst.price / inst.tick);
  let tv = 0;
  let to = 0;
  let oi = 100000;
  const dec = (x: number) => Math.round(x * inst.tick * 100) / 100;
  for (let i = 0; i < n; i++) {
    p += Math.round((r() - 0.5) * 4);
    const v = 1 + Math.floor(r() * 20);
    const d = Math.round((r() - 0.5) * 10);
    tv += v;
    to += v * dec(p) * 10;
    oi += d;
    const ms = 9 * 3600e3 + i * 500;
    const time = Math.floor(ms / 3600e3) * 1e7 + (Math.floor(ms / 60e3) % 60) * 1e5 + (ms % 60e3);
    out.push({
      exchg: inst.exchg,
      code: inst.code,
      price: dec(p),
      open: inst.price,
      high: dec(p + 10),
      low: dec(p - 10),
      settle_price: 0,
      upper_limit: dec(p + 300),
      lower_limit: dec(p - 300),
      total_volume: tv,
      volume: v,
      total_turnover: to,
      turn_over: v * dec(p) * 10,
      open_interest: oi,
      diff_interest: d,
      trading_date: date,
      action_date: date,
      action_time: time,
      pre_close: inst.price,
      pre_settle: inst.price,
      pre_interest: 100000,
      bid_prices: [dec(p - 1), dec(p - 2), dec(p - 3), dec(p - 4), dec(p - 5)],
      ask_prices: [dec(p), dec(p + 1), dec(p + 2), dec(p + 3), dec(p + 4)],
      bid_qty: [1 + Math.floor(r() * 50), 2, 3, 4, 5],
      ask_qty: [1 + Math.floor(r() * 50), 5, 4, 3, 2],
    });
  }
  return out;
}

export function dayTrades(ticks: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return ticks.map((t, i) => ({
    exchg: t.exchg,
    code: t.code,
    trading_date: t.trading_date,
    action_date: t.action_date,
    action_time: t.action_time,
    index: i + 1,
    ttype: 0x4d,
    side: i % 2 ? 66 : 83,
    price: t.price,
    volume: t.volume,
    askorder: 1000 + i,
    bidorder: 2000 + i,
  }));
}

export function dayBars(date: number, n: number, step: number, seed: number): Record<string, unknown>[] {
  const r = rng(seed ^ date ^ step);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const m = 9 * 60 + (i + 1) * step;
    const o = 3300 + Math.round(r() * 20);
    out.push({
      date,
      time: minuteBarTime(date, Math.floor(m / 60) * 100 + (m % 60)),
      open: o,
      high: o + 5,
      low: o - 5,
      close: o + 1,
      settle: 0,
      money: o * 10 * i,
      vol: i,
      hold: 1000 + i,
      add: 1,
    });
  }
  return out;
}

/** Encodes plain records into raw bytes of `kind`. */
export function encode(kind: RecordKind, recs: readonly Record<string, unknown>[]): Uint8Array {
  const m = Mem.alloc(recs.length * kind.recordBytes);
  recs.forEach((r, i) => kind.codec.encode(r, m, i * kind.recordBytes));
  return m.u8;
}

/** Writes `recs` as the live file of an instrument with the real writer, then sets the day aside (the roll rule). Returns the finished path. */
export function writeFinished(
  root: string,
  kind: RecordKind,
  exchg: string,
  code: string,
  date: number,
  recs: readonly Record<string, unknown>[],
): string {
  const live = rtFilePath(root, kind, exchg, code);
  const w = RtWriter.open(live, { kind, date, initialCapacity: Math.max(16, recs.length) });
  for (const r of recs) w.append(r);
  const size = w.size;
  w.close();
  return setAside(live, date, size)!;
}

/** Writes a live (unfinished) file of a day. */
export function writeLive(
  root: string,
  kind: RecordKind,
  exchg: string,
  code: string,
  date: number,
  recs: readonly Record<string, unknown>[],
): string {
  const live = rtFilePath(root, kind, exchg, code);
  const w = RtWriter.open(live, { kind, date, initialCapacity: Math.max(16, recs.length) });
  for (const r of recs) w.append(r);
  w.close();
  return live;
}

export interface Expected {
  /** "kind/EXCHG/CODE/DATE" → raw records of that instrument-day. */
  days: Map<string, Uint8Array>;
}

export function key(kind: string, exchg: string, code: string, date: number): string {
  return `${kind}/${exchg}/${code}/${date}`;
}

/** A root with every instrument × date finished: ticks, trades, min1 and min5 bars. */
export function makeRoot(
  root: string,
  opts: { ticks?: number; seed?: number; instruments?: readonly Instrument[]; dates?: readonly number[] } = {},
): Expected {
  const n = opts.ticks ?? 300;
  const seed = opts.seed ?? 1;
  const days = new Map<string, Uint8Array>();
  for (const date of opts.dates ?? DATES) {
    for (const inst of opts.instruments ?? INSTRUMENTS) {
      const ticks = dayTicks(inst, date, n, seed);
      const trades = dayTrades(ticks);
      const m1 = dayBars(date, Math.max(1, Math.floor(n / 120)), 1, seed);
      const m5 = dayBars(date, Math.max(1, Math.floor(n / 600)), 5, seed);
      const put = (kind: RecordKind, recs: Record<string, unknown>[]) => {
        writeFinished(root, kind, inst.exchg, inst.code, date, recs);
        days.set(key(kind.name, inst.exchg, inst.code, date), encode(kind, recs));
      };
      put(TICK_KIND, ticks);
      put(TRADE_KIND, trades);
      put(MIN1_KIND, m1);
      put(MIN5_KIND, m5);
    }
  }
  return { days };
}

/** sha256 of every file under dir (relative path + bytes), for "run twice, same bytes". */
export function hashTree(dir: string): string {
  const h = crypto.createHash('sha256');
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        h.update(path.relative(dir, p));
        h.update(fs.readFileSync(p));
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return h.digest('hex');
}

/** Every finished rt file still under the root. */
export function finishedFiles(root: string): string[] {
  const out: string[] = [];
  const rt = path.join(root, 'rt');
  if (!fs.existsSync(rt)) return out;
  for (const f of fs.readdirSync(rt, { recursive: true }) as string[])
    if (/\/\d{8}\//.test(`/${f}`) && f.endsWith('.dmb')) out.push(path.join(rt, f));
  return out;
}

export { BAR, TICK, TRADE };

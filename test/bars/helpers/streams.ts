// Random tick streams for the bar properties: instruments of four sessions, starting instants near session edges, steps with gaps, and timer instants that keep every tick on time.

import fc from 'fast-check';
import { epochOfLocal, localDateTime, tradingDateOf } from '../../../src/calendar/index.js';
import type { TickRecord } from '../../../src/recorder/normalize.js';
import { bundledSessions, tick } from './ticks.js';

export const INSTRUMENTS = [
  { exchg: 'SHFE', code: 'au2506' },
  { exchg: 'SHFE', code: 'rb2505' },
  { exchg: 'CFFEX', code: 'IF2503' },
  { exchg: 'BINANCE', code: 'BTCUSDT' },
] as const;

/** Starting instants near the interesting places: night open, midnight, auction, lunch, close, UTC midnight. */
export const STARTS = [
  epochOfLocal(20250103, 205000000, 'Asia/Shanghai'),
  epochOfLocal(20250103, 235500000, 'Asia/Shanghai'),
  epochOfLocal(20250104, 22500000, 'Asia/Shanghai'),
  epochOfLocal(20250106, 85000000, 'Asia/Shanghai'),
  epochOfLocal(20250106, 92300000, 'Asia/Shanghai'),
  epochOfLocal(20250106, 101000000, 'Asia/Shanghai'),
  epochOfLocal(20250106, 112500000, 'Asia/Shanghai'),
  epochOfLocal(20250106, 145500000, 'Asia/Shanghai'),
  epochOfLocal(20250106, 235500000, 'UTC'),
];

export interface Step {
  inst: number;
  gapMs: number;
  price: number;
  volume: number;
  /** Timer calls before this tick: fractions of the allowed window. */
  timers: number[];
}

export const stepArb: fc.Arbitrary<Step> = fc.record({
  inst: fc.integer({ min: 0, max: INSTRUMENTS.length - 1 }),
  gapMs: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 1500 }) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 70_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * 3600_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 500, 999, 1000, 59_500, 60_000) },
  ),
  price: fc.integer({ min: 1, max: 50 }),
  volume: fc.integer({ min: 0, max: 5 }),
  timers: fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1)), { maxLength: 3 }),
});

/**
 * The ticks of a stream, each with its epoch ms; trading dates by the session rule, as
 * normalization sets them, and like normalization (N6) a tick of an earlier trading date
 * than its instrument's last is dropped (a Saturday-morning tick after Friday's night).
 */
export function ticksOf(start: number, steps: readonly Step[]): { rec: TickRecord; epoch: number; timers: number[] }[] {
  const book = bundledSessions();
  let epoch = start;
  let oi = 1000;
  const lastDate = new Map<number, number>();
  const out: { rec: TickRecord; epoch: number; timers: number[] }[] = [];
  for (const s of steps) {
    epoch += s.gapMs;
    const { exchg, code } = INSTRUMENTS[s.inst]!;
    const session = book.sessionOf(exchg, code)!;
    const l = localDateTime(epoch, session.timezone);
    const td = tradingDateOf(session, l.date, l.time, book.holidays);
    if (td < (lastDate.get(s.inst) ?? 0)) continue;
    lastDate.set(s.inst, td);
    oi += (s.volume % 3) - 1;
    const rec = tick({
      exchg,
      code,
      trading_date: td,
      action_date: l.date,
      action_time: l.time,
      price: 100 + s.price / 2,
      volume: s.volume,
      open_interest: oi,
      diff_interest: (s.volume % 3) - 1,
    });
    out.push({ rec, epoch, timers: s.timers });
  }
  return out;
}

/**
 * Timer instants before a tick at `epoch`, after `prev`: at most epoch + grace - 1001 ms,
 * so that no tick arrives later than the grace after its bar's end (bar ends are at
 * least the tick's time minus END_TOLERANCE_MS).
 */
export function timerNows(prev: number, epoch: number, graceMs: number, fractions: readonly number[]): number[] {
  const hi = epoch + graceMs - 1001;
  if (hi < prev) return [];
  return [...fractions].sort((a, b) => a - b).map((f) => Math.floor(prev + f * (hi - prev)));
}

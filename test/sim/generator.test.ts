// The seeded generator: determinism, valid ticks, sessions, SHFE millis, trading dates across Friday night and midnight, cumulative fields, JSON bytes.

import { describe, expect, it } from 'vitest';
import {
  JsonBytes,
  buildUniverse,
  createGenerator,
  parseStart,
  slotTimeMs,
  tickJson,
  type Instrument,
  type SimTick,
} from '../../src/sim/index.js';
import { addDays, dow, hhmm, sequenceProblems, tickProblems } from './helpers/check.js';

/** Ticks at start, start+step, ... (count times), with their instruments. */
function run(seed: number, instruments: Instrument[], start: string, stepMs: number, count: number, volatility = 1): SimTick[] {
  const g = createGenerator({ seed, instruments, volatility });
  const t0 = parseStart(start)!;
  const out: SimTick[] = [];
  for (let k = 0; k < count; k++) {
    const t = g.next(t0 + k * stepMs);
    if (t) out.push(t);
  }
  return out;
}

const UNIVERSE = buildUniverse(40);
const byId = new Map(UNIVERSE.map((i) => [i.id, i]));
const inst = (t: SimTick) => byId.get(`${t.exchg}.${t.code}`)!;

// Friday 2025-01-10 18:00 to Tuesday 2025-01-14 03:00 (Asia/Shanghai), one tick slot every 5 s.
const WEEKEND = run(7, UNIVERSE, '20250110 18:00', 5000, Math.ceil((81 * 3600) / 5));

describe('generator', () => {
  it('is deterministic: the same seed and times give the same ticks, another seed others', () => {
    const a = run(42, UNIVERSE, '20250106 09:00', 137, 20000);
    const b = run(42, UNIVERSE, '20250106 09:00', 137, 20000);
    const c = run(43, UNIVERSE, '20250106 09:00', 137, 20000);
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(c.map((t) => t.price)).not.toEqual(a.map((t) => t.price));
  });

  it('gives nothing (and draws nothing) while no instrument trades', () => {
    const futures = UNIVERSE.filter((i) => i.kind === 'future');
    const g = createGenerator({ seed: 1, instruments: futures });
    expect(g.next(parseStart('20250111 10:00')!)).toBeUndefined(); // Saturday
    expect(g.next(parseStart('20250112 21:30')!)).toBeUndefined(); // Sunday night: no session
    expect(g.next(parseStart('20250113 08:59')!)).toBeUndefined();
    const first = g.next(parseStart('20250113 09:00')!);
    const fresh = createGenerator({ seed: 1, instruments: futures }).next(parseStart('20250113 09:00')!);
    expect(first).toEqual(fresh);
  });

  it('emits only valid ticks, inside their sections, with the CTP date rules', () => {
    expect(WEEKEND.length).toBeGreaterThan(20000);
    const problems = WEEKEND.flatMap((t) => tickProblems(t, inst(t)));
    expect(problems.slice(0, 10)).toEqual([]);
    expect(sequenceProblems(WEEKEND).slice(0, 10)).toEqual([]);
  });

  it('covers every session edge: Friday night to Monday, cu to 01:00, au/sc to 02:30, nothing on the weekend', () => {
    const futures = WEEKEND.filter((t) => inst(t).kind === 'future');
    const at = (pred: (t: SimTick) => boolean) => futures.filter(pred);
    // Friday night belongs to Monday 2025-01-13
    const fridayNight = at((t) => t.action_date === 20250110 && hhmm(t.action_time) >= 2100);
    expect(fridayNight.length).toBeGreaterThan(100);
    expect(new Set(fridayNight.map((t) => t.trading_date))).toEqual(new Set([20250113]));
    // Saturday after midnight: cu/al/zn until 01:00, au/ag/sc until 02:30, all for Monday
    const saturday = at((t) => t.action_date === 20250111);
    expect(new Set(saturday.map((t) => t.trading_date))).toEqual(new Set([20250113]));
    const products = (ts: SimTick[]) => new Set(ts.map((t) => inst(t).product));
    expect(products(saturday.filter((t) => hhmm(t.action_time) < 100))).toEqual(new Set(['cu', 'al', 'zn', 'au', 'ag', 'sc']));
    expect(products(saturday.filter((t) => hhmm(t.action_time) >= 100))).toEqual(new Set(['au', 'ag', 'sc']));
    expect(Math.max(...saturday.map((t) => t.action_time))).toBeLessThan(23000000);
    expect(at((t) => t.action_date === 20250112)).toEqual([]); // Sunday
    // Monday day session = Monday; Monday night = Tuesday, and its after-midnight tail too
    expect(new Set(at((t) => t.action_date === 20250113 && hhmm(t.action_time) < 1600).map((t) => t.trading_date))).toEqual(
      new Set([20250113]),
    );
    expect(new Set(at((t) => t.action_date === 20250113 && hhmm(t.action_time) >= 2100).map((t) => t.trading_date))).toEqual(
      new Set([20250114]),
    );
    const tuesdayMorning = at((t) => t.action_date === 20250114);
    expect(tuesdayMorning.length).toBeGreaterThan(10);
    expect(new Set(tuesdayMorning.map((t) => t.trading_date))).toEqual(new Set([20250114]));
    // CFFEX never trades at night
    expect(at((t) => t.exchg === 'CFFEX' && (hhmm(t.action_time) < 930 || hhmm(t.action_time) >= 1500))).toEqual([]);
    // every futures instrument of the universe ticked
    expect(new Set(futures.map((t) => `${t.exchg}.${t.code}`)).size).toBe(UNIVERSE.filter((i) => i.kind === 'future').length);
    expect(dow(20250110)).toBe(5);
    expect(addDays(20250110, 3)).toBe(20250113);
  });

  it('gives crypto ticks at every hour, dated in UTC', () => {
    const crypto = WEEKEND.filter((t) => t.exchg === 'BINANCE');
    expect(new Set(crypto.map((t) => Math.floor(t.action_time / 10000000))).size).toBe(24);
    expect(crypto.every((t) => t.trading_date === t.action_date && t.bid_prices.length === 10)).toBe(true);
    // 2025-01-10 18:00 Shanghai = 10:00 UTC
    expect(crypto[0]!.action_date).toBe(20250110);
    expect(Math.floor(crypto[0]!.action_time / 10000000)).toBe(10);
  });

  it('gives SHFE millis 0 or 500 and other exchanges any millisecond', () => {
    const ticks = run(3, UNIVERSE, '20250106 09:00', 37, 30000);
    const millis = (ex: string) => new Set(ticks.filter((t) => t.exchg === ex).map((t) => t.action_time % 1000));
    expect([...millis('SHFE')].every((m) => m === 0 || m === 500)).toBe(true);
    expect(millis('SHFE').size).toBe(2);
    expect(millis('DCE').size).toBeGreaterThan(100);
  });

  it('keeps prices within the limits over many trading days', () => {
    const few = buildUniverse(8).filter((i) => i.kind === 'future');
    // 3 weeks, one slot per simulated 20 s: enough ticks per day for real drift.
    const ticks = run(11, few, '20250106 08:00', 20_000, (21 * 86400) / 20);
    // 15 weekdays, plus the last Friday night, which belongs to the Monday after.
    expect(new Set(ticks.map((t) => t.trading_date)).size).toBe(16);
    expect(ticks.flatMap((t) => tickProblems(t, byId.get(`${t.exchg}.${t.code}`)!)).slice(0, 5)).toEqual([]);
    expect(sequenceProblems(ticks).slice(0, 5)).toEqual([]);
  });

  it('pins wild prices at the limits, the whole book inside them', () => {
    const few = buildUniverse(8);
    const ticks = run(13, few, '20250106 09:00', 2000, 30000, 400);
    expect(ticks.flatMap((t) => tickProblems(t, byId.get(`${t.exchg}.${t.code}`)!)).slice(0, 5)).toEqual([]);
    expect(sequenceProblems(ticks).slice(0, 5)).toEqual([]);
    const atLimit = ticks.filter((t) => t.upper_limit > 0 && (t.ask_prices[4] === t.upper_limit || t.bid_prices[4] === t.lower_limit));
    expect(atLimit.length).toBeGreaterThan(100);
  });

  it('writes JSON bytes identical to tickJson, which parses back to the tick', () => {
    const g = createGenerator({ seed: 5, instruments: UNIVERSE });
    const t0 = parseStart('20250106 09:00')!;
    const out = new JsonBytes(64);
    let n = 0;
    for (let k = 0; k < 5000; k++) {
      const t = g.next(slotTimeMs(t0, k, 10, 600));
      if (!t) continue;
      out.reset();
      expect(g.writeLast(out)).toBe(true);
      const json = out.toString();
      expect(json).toBe(tickJson(t));
      expect(JSON.parse(json)).toEqual({ type: 'tick', ...t });
      n++;
    }
    expect(n).toBe(5000);
  });

  it('JsonBytes writes numbers exactly as String(number)', () => {
    const out = new JsonBytes(16);
    const cases: [number, number][] = [
      [0, 0],
      [7, 0],
      [-3, 0],
      [2147483647, 0],
      [2147483648, 0],
      [9007199254740991, 0],
      [1e21, 0],
      [0.5, 0],
      [76002, 2],
      [76000, 2],
      [5, 1],
      [-125, 2],
      [123456789012345, 5],
      [999999999999999, 3],
      [1e15, 2],
      [3, 9],
      [3, 6],
      [1, 3],
      [-7, 8],
    ];
    for (const [n, d] of cases) {
      out.reset();
      out.ensure(64);
      out.fixed(n, d);
      expect(out.toString()).toBe(String(n / 10 ** d));
    }
    for (const n of [0, -0, 1, 12345678901, -42, 1.5, 1.7976931348623157e308]) {
      out.reset();
      out.ensure(64);
      out.num(n);
      expect(out.toString()).toBe(String(n));
    }
  });

  it('gives each tick a trade print without changing the ticks', () => {
    const t0 = parseStart('20250106 10:00')!;
    const a = createGenerator({ seed: 9, instruments: UNIVERSE });
    const b = createGenerator({ seed: 9, instruments: UNIVERSE });
    const perInstrument = new Map<string, number>();
    for (let k = 0; k < 3000; k++) {
      const ta = a.next(t0 + k * 50)!;
      const tr = a.lastTrade()!;
      expect(b.next(t0 + k * 50)).toEqual(ta);
      const id = `${ta.exchg}.${ta.code}`;
      perInstrument.set(id, (perInstrument.get(id) ?? 0) + 1);
      expect(tr).toEqual({
        exchg: ta.exchg,
        code: ta.code,
        price: ta.price,
        volume: ta.volume,
        side: ta.price === ta.ask_prices[0] ? 'B' : 'S',
        index: perInstrument.get(id),
        action_date: ta.action_date,
        action_time: ta.action_time,
        trading_date: ta.trading_date,
      });
    }
  });
});

// Hand-computed golden bars: SHFE au across midnight, rb with its breaks, CFFEX IF with the auction, a minute without ticks, crypto across UTC midnight; and the engine's refusals.

import { describe, expect, it } from 'vitest';
import { BarEngine, SessionPlan, newLabel, parsePeriods, type BarPeriod } from '../../src/bars/index.js';
import { buildSessionBook } from '../../src/calendar/index.js';
import { Collector, bar, bundledSessions, tick } from './helpers/ticks.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return expect.fail('expected an error, none was thrown');
}

/** Runs ticks through an engine with no timer, then flush: what the offline rebuild does. */
function run(periods: BarPeriod[], ticks: ReturnType<typeof tick>[]) {
  const c = new Collector();
  const e = new BarEngine({ sessions: bundledSessions(), periods, emit: c.emit });
  const verdicts = ticks.map((t) => e.onTick(t));
  e.flush();
  return { c, e, verdicts };
}

describe('refusals', () => {
  it('periods must be among 1, 5, 15, 30, 60 and include 1', () => {
    expect(errorOf(() => parsePeriods([5, 15]))).toMatch(/must include 1/);
    expect(errorOf(() => parsePeriods([1, 7]))).toMatch(/7 is not a bar period/);
    expect(errorOf(() => parsePeriods([1, '5']))).toMatch(/"5" is not a bar period/);
    expect(errorOf(() => new BarEngine({ sessions: bundledSessions(), periods: [1, 2 as BarPeriod], emit: () => {} }))).toMatch(
      /2 is not a bar period/,
    );
    expect(parsePeriods([60, 1, 5, 5])).toEqual([1, 5, 60]);
  });

  it('grace_ms must be a whole number of ms in 0..60000', () => {
    for (const g of [-1, 1.5, 60_001, Number.NaN]) {
      expect(errorOf(() => new BarEngine({ sessions: bundledSessions(), graceMs: g, emit: () => {} }))).toMatch(/grace_ms/);
    }
  });

  it('a session whose section starts at 24:00 cannot be labelled: the engine refuses it at construction', () => {
    const book = buildSessionBook({ sessions: { BAD: { sections: [['24:00', '01:00']] } }, products: { 'X.*': 'BAD' } });
    expect(errorOf(() => new SessionPlan(book.sessions.get('BAD')!))).toMatch(/BAD: section 1 .* must start before 24:00/);
    expect(errorOf(() => new BarEngine({ sessions: book, emit: () => {} }))).toMatch(/BAD: section 1/);
  });

  it('a tick of an instrument without a session makes no bar and is counted', () => {
    const { c, e, verdicts } = run(
      [1, 5],
      [
        tick({
          exchg: 'NYMEX',
          code: 'CL2503',
          trading_date: 20250106,
          action_date: 20250106,
          action_time: 100000000,
          price: 70,
          volume: 1,
        }),
      ],
    );
    expect(verdicts).toEqual(['no_session']);
    expect(e.stats.noSession).toBe(1);
    expect(c.byKey.size).toBe(0);
  });
});

describe('minute labels (plan.ts L1-L6)', () => {
  const plan = (name: string) => new SessionPlan(bundledSessions().sessions.get(name)!);
  const label = (p: SessionPlan, time: number) => {
    const l = newLabel();
    return p.labelTick(time, l) ? { ...l } : undefined;
  };

  it('a tick belongs to the bar ending at the next minute boundary; exactly at a section end, to the last bar', () => {
    const p = plan('SD0930');
    expect(label(p, 93000000)).toEqual({ section: 0, end: 9 * 60 + 31, startShift: 0 });
    expect(label(p, 93059999)).toEqual({ section: 0, end: 9 * 60 + 31, startShift: 0 });
    expect(label(p, 93100000)).toEqual({ section: 0, end: 9 * 60 + 32, startShift: 0 });
    expect(label(p, 113000000)).toEqual({ section: 0, end: 11 * 60 + 30, startShift: 0 });
    expect(label(p, 113000999)).toEqual({ section: 0, end: 11 * 60 + 30, startShift: 0 });
    expect(label(p, 113001000)).toBeUndefined();
    expect(label(p, 130000000)).toEqual({ section: 1, end: 13 * 60 + 1, startShift: 0 });
  });

  it('auction ticks go to the first bar of the section that follows; before the auction, no bar', () => {
    const p = plan('SD0930');
    expect(label(p, 92500000)).toEqual({ section: 0, end: 9 * 60 + 31, startShift: 0 });
    expect(label(p, 92959999)).toEqual({ section: 0, end: 9 * 60 + 31, startShift: 0 });
    expect(label(p, 92459999)).toBeUndefined();
    const n = plan('FN0230');
    expect(label(n, 205500000)).toEqual({ section: 0, end: 21 * 60 + 1, startShift: 0 });
  });

  it('a night section crossing midnight is one piece of clock time', () => {
    const n = plan('FN0230');
    expect(label(n, 235959999)).toEqual({ section: 0, end: 1440, startShift: 0 });
    expect(label(n, 0)).toEqual({ section: 0, end: 1441, startShift: -1 });
    expect(label(n, 23000000)).toEqual({ section: 0, end: 1590, startShift: -1 });
    expect(label(n, 23001000)).toBeUndefined();
  });
});

describe('golden bars', () => {
  it('SHFE au (21:00-02:30 night crossing midnight): auction, end of night, tolerance, a tick after the end, the day session', () => {
    const T = (d: number, t: number, p: number, v: number, oi: number, diff: number) =>
      tick({
        exchg: 'SHFE',
        code: 'au2506',
        trading_date: 20250106,
        action_date: d,
        action_time: t,
        price: p,
        volume: v,
        open_interest: oi,
        diff_interest: diff,
      });
    // Friday 2025-01-03 night → trading date Monday 2025-01-06.
    const { c, verdicts } = run(
      [1, 5, 60],
      [
        T(20250103, 205900000, 600, 10, 1000, 0), // auction → 21:01
        T(20250103, 210000000, 601, 2, 1002, 2), //  → 21:01
        T(20250103, 210059500, 599, 3, 1001, -1), // → 21:01
        T(20250103, 210100000, 600.5, 1, 1001, 0), // → 21:02
        T(20250103, 235930000, 602, 4, 1005, 4), // → Sat 00:00
        T(20250104, 0, 603, 5, 1004, -1), //          → Sat 00:01
        T(20250104, 22959500, 604, 6, 1010, 6), //    → 02:30
        T(20250104, 23000000, 605, 7, 1011, 1), //    → 02:30 (the section's end)
        T(20250104, 23000500, 606, 1, 1011, 0), //    → 02:30 (within the end's second)
        T(20250104, 23001000, 607, 1, 1012, 1), //    outside: no bar
        T(20250106, 90000000, 610, 2, 1013, 1), //    Monday → 09:01
      ],
    );
    expect(verdicts.filter((v) => v === 'outside')).toHaveLength(1);
    expect(c.get('min1', 'SHFE', 'au2506')).toEqual([
      bar(20250106, 3501032101, 600, 601, 599, 599, 15, 1500, 1001, 1),
      bar(20250106, 3501032102, 600.5, 600.5, 600.5, 600.5, 1, 100, 1001, 0),
      bar(20250106, 3501040000, 602, 602, 602, 602, 4, 400, 1005, 4),
      bar(20250106, 3501040001, 603, 603, 603, 603, 5, 500, 1004, -1),
      bar(20250106, 3501040230, 604, 606, 604, 606, 14, 1400, 1011, 7),
      bar(20250106, 3501060901, 610, 610, 610, 610, 2, 200, 1013, 1),
    ]);
    expect(c.get('min5', 'SHFE', 'au2506')).toEqual([
      bar(20250106, 3501032105, 600, 601, 599, 600.5, 16, 1600, 1001, 1),
      bar(20250106, 3501040000, 602, 602, 602, 602, 4, 400, 1005, 4),
      bar(20250106, 3501040005, 603, 603, 603, 603, 5, 500, 1004, -1),
      bar(20250106, 3501040230, 604, 606, 604, 606, 14, 1400, 1011, 7),
      bar(20250106, 3501060905, 610, 610, 610, 610, 2, 200, 1013, 1),
    ]);
    expect(c.get('min60', 'SHFE', 'au2506')).toEqual([
      bar(20250106, 3501032200, 600, 601, 599, 600.5, 16, 1600, 1001, 1),
      bar(20250106, 3501040000, 602, 602, 602, 602, 4, 400, 1005, 4),
      bar(20250106, 3501040100, 603, 603, 603, 603, 5, 500, 1004, -1),
      bar(20250106, 3501040230, 604, 606, 604, 606, 14, 1400, 1011, 7), // 02:00-02:30: cut at the section's end
      bar(20250106, 3501061000, 610, 610, 610, 610, 2, 200, 1013, 1),
    ]);
  });

  it('SHFE rb (21:00-23:00; breaks 10:15-10:30 and 11:30-13:30): section ends, ticks in breaks, derived buckets cut at breaks', () => {
    const T = (d: number, t: number, p: number, v: number, oi: number, diff: number) =>
      tick({
        exchg: 'SHFE',
        code: 'rb2505',
        trading_date: 20250103,
        action_date: d,
        action_time: t,
        price: p,
        volume: v,
        open_interest: oi,
        diff_interest: diff,
      });
    const { c, verdicts } = run(
      [1, 5, 15, 30, 60],
      [
        T(20250102, 225959000, 3500, 1, 500, 0), // → Thu 23:00
        T(20250102, 230000000, 3501, 2, 502, 2), // → 23:00 (end of the night)
        T(20250103, 101430000, 3510, 3, 503, 1), // → 10:15
        T(20250103, 101500000, 3512, 4, 505, 2), // → 10:15 (end of the section)
        T(20250103, 102000000, 3513, 5, 505, 0), // in the break: no bar
        T(20250103, 103000000, 3508, 6, 506, 1), // → 10:31
        T(20250103, 112959999, 3509, 7, 507, 1), // → 11:30
        T(20250103, 113000000, 3507, 8, 509, 2), // → 11:30 (end)
        T(20250103, 120000000, 3506, 9, 509, 0), // lunch: no bar
        T(20250103, 133000000, 3505, 10, 510, 1), // → 13:31
        T(20250103, 145959500, 3504, 11, 511, 1), // → 15:00
        T(20250103, 150000000, 3503, 12, 512, 1), // → 15:00 (end of the day)
      ],
    );
    expect(verdicts.filter((v) => v === 'outside')).toHaveLength(2);
    const m1 = {
      n2300: [3500, 3501, 3500, 3501, 3, 300, 502, 2],
      n1015: [3510, 3512, 3510, 3512, 7, 700, 505, 3],
      n1031: [3508, 3508, 3508, 3508, 6, 600, 506, 1],
      n1130: [3509, 3509, 3507, 3507, 15, 1500, 509, 3],
      n1331: [3505, 3505, 3505, 3505, 10, 1000, 510, 1],
      n1500: [3504, 3504, 3503, 3503, 23, 2300, 512, 2],
    } as const;
    const b = (time: number, v: readonly number[]) => bar(20250103, time, v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!);
    expect(c.get('min1', 'SHFE', 'rb2505')).toEqual([
      b(3501022300, m1.n2300),
      b(3501031015, m1.n1015),
      b(3501031031, m1.n1031),
      b(3501031130, m1.n1130),
      b(3501031331, m1.n1331),
      b(3501031500, m1.n1500),
    ]);
    expect(c.get('min5', 'SHFE', 'rb2505')).toEqual([
      b(3501022300, m1.n2300),
      b(3501031015, m1.n1015),
      b(3501031035, m1.n1031),
      b(3501031130, m1.n1130),
      b(3501031335, m1.n1331),
      b(3501031500, m1.n1500),
    ]);
    expect(c.get('min15', 'SHFE', 'rb2505')).toEqual([
      b(3501022300, m1.n2300),
      b(3501031015, m1.n1015),
      b(3501031045, m1.n1031),
      b(3501031130, m1.n1130),
      b(3501031345, m1.n1331),
      b(3501031500, m1.n1500),
    ]);
    expect(c.get('min30', 'SHFE', 'rb2505')).toEqual([
      b(3501022300, m1.n2300),
      b(3501031015, m1.n1015), // 10:00-10:15, cut at the break
      b(3501031100, m1.n1031),
      b(3501031130, m1.n1130),
      b(3501031400, m1.n1331),
      b(3501031500, m1.n1500),
    ]);
    expect(c.get('min60', 'SHFE', 'rb2505')).toEqual([
      b(3501022300, m1.n2300),
      b(3501031015, m1.n1015), // 10:00-10:15
      b(3501031130, [3508, 3509, 3507, 3507, 21, 2100, 509, 4]), // 10:30-11:30 = 10:31 + 11:30
      b(3501031430, m1.n1331),
      b(3501031500, m1.n1500), // 14:30-15:00
    ]);
  });

  it('CFFEX IF: auction 09:25-09:29 folded into 09:31, a minute without ticks makes no bar, 11:30 section end, 13:00', () => {
    const T = (t: number, p: number, v: number, oi: number, diff: number) =>
      tick({
        exchg: 'CFFEX',
        code: 'IF2503',
        trading_date: 20250106,
        action_date: 20250106,
        action_time: t,
        price: p,
        volume: v,
        open_interest: oi,
        diff_interest: diff,
      });
    const { c, verdicts } = run(
      [1, 5],
      [
        T(92000000, 3890, 1, 100, 0), //  before the auction: no bar
        T(92500000, 3900, 50, 100, 0), // auction → 09:31
        T(92900000, 3901, 0, 100, 0), //  auction → 09:31
        T(93000000, 3902, 5, 103, 3), //  → 09:31
        T(93030000, 3899, 4, 104, 1), //  → 09:31
        T(93210000, 3905, 2, 104, 0), //  → 09:33; 09:32 has no tick: no bar
        T(113000000, 3910, 3, 105, 1), // → 11:30 (end)
        T(113000999, 3911, 1, 105, 0), // → 11:30 (within the end's second)
        T(113001000, 3912, 1, 106, 1), // outside
        T(130000000, 3915, 6, 106, 1), // → 13:01
      ],
    );
    expect(verdicts).toEqual(['outside', 'bar', 'bar', 'bar', 'bar', 'bar', 'bar', 'bar', 'outside', 'bar']);
    const min1 = c.get('min1', 'CFFEX', 'IF2503');
    expect(min1).toEqual([
      bar(20250106, 3501060931, 3900, 3902, 3899, 3899, 59, 5900, 104, 4),
      bar(20250106, 3501060933, 3905, 3905, 3905, 3905, 2, 200, 104, 0),
      bar(20250106, 3501061130, 3910, 3911, 3910, 3911, 4, 400, 105, 1),
      bar(20250106, 3501061301, 3915, 3915, 3915, 3915, 6, 600, 106, 1),
    ]);
    expect(min1.map((x) => x.time)).not.toContain(3501060932);
    expect(c.get('min5', 'CFFEX', 'IF2503')).toEqual([
      bar(20250106, 3501060935, 3900, 3905, 3899, 3905, 61, 6100, 104, 4),
      bar(20250106, 3501061130, 3910, 3911, 3910, 3911, 4, 400, 105, 1),
      bar(20250106, 3501061305, 3915, 3915, 3915, 3915, 6, 600, 106, 1),
    ]);
  });

  it('crypto UTC24 across UTC midnight: the 23:59 minute is the 00:00 bar of the next calendar date, of the earlier trading date', () => {
    const T = (d: number, t: number, p: number, v: number, money: number) =>
      tick({ exchg: 'BINANCE', code: 'BTCUSDT', trading_date: d, action_date: d, action_time: t, price: p, volume: v, turn_over: money });
    const { c } = run(
      [1, 5, 60],
      [T(20250105, 235930000, 95000, 0.5, 47500), T(20250105, 235959900, 95000.5, 0.25, 23750.125), T(20250106, 0, 95001, 0.5, 47500.5)],
    );
    expect(c.get('min1', 'BINANCE', 'BTCUSDT')).toEqual([
      bar(20250105, 3501060000, 95000, 95000.5, 95000, 95000.5, 0.75, 71250.125, 0, 0),
      bar(20250106, 3501060001, 95001, 95001, 95001, 95001, 0.5, 47500.5, 0, 0),
    ]);
    expect(c.get('min5', 'BINANCE', 'BTCUSDT')).toEqual([
      bar(20250105, 3501060000, 95000, 95000.5, 95000, 95000.5, 0.75, 71250.125, 0, 0),
      bar(20250106, 3501060005, 95001, 95001, 95001, 95001, 0.5, 47500.5, 0, 0),
    ]);
    expect(c.get('min60', 'BINANCE', 'BTCUSDT').map((x) => [x.date, x.time])).toEqual([
      [20250105, 3501060000],
      [20250106, 3501060100],
    ]);
  });

  it('live, a later tick closes the open bar at once; the derived bar closes with its last minute', () => {
    const c = new Collector();
    const e = new BarEngine({ sessions: bundledSessions(), periods: [1, 5], emit: c.emit });
    const T = (t: number, p: number) =>
      tick({ exchg: 'CFFEX', code: 'IF2503', trading_date: 20250106, action_date: 20250106, action_time: t, price: p, volume: 1 });
    e.onTick(T(93000000, 1));
    expect(c.order).toEqual([]);
    e.onTick(T(93400000, 2)); // → 09:35, the last minute of the 09:35 bucket
    expect(c.order).toEqual(['min1 CFFEX.IF2503 3501060931']);
    e.onTick(T(93500000, 3)); // → 09:36: closes 09:35 and the 5-minute 09:35
    expect(c.order).toEqual(['min1 CFFEX.IF2503 3501060931', 'min1 CFFEX.IF2503 3501060935', 'min5 CFFEX.IF2503 3501060935']);
  });
});

// The timer: bars close at their end plus the grace with no further tick (the session's last bar included), closed events, late ticks.

import { describe, expect, it } from 'vitest';
import { BarEngine, type BarsClosedEvent } from '../../src/bars/index.js';
import { epochOfLocal } from '../../src/calendar/index.js';
import { Collector, bar, bundledSessions, shanghai, tick } from './helpers/ticks.js';

function engine(periods: (1 | 5 | 15 | 30 | 60)[] = [1, 5], graceMs?: number) {
  const c = new Collector();
  const events: BarsClosedEvent[] = [];
  const log: string[] = [];
  const e = new BarEngine({
    sessions: bundledSessions(),
    periods,
    ...(graceMs !== undefined ? { graceMs } : {}),
    emit: (kind, exchg, code, b) => {
      c.emit(kind, exchg, code, b);
      log.push(`${kind} ${code} ${b.time}`);
    },
    barsClosed: (ev) => {
      events.push(ev);
      log.push(`closed ${ev.session} ${ev.time}`);
    },
  });
  return { c, e, events, log };
}

const IF = (code: string, t: number, p: number, date = 20250106) =>
  tick({ exchg: 'CFFEX', code, trading_date: date, action_date: date, action_time: t, price: p, volume: 1, open_interest: 10 });

describe('the timer', () => {
  it('does nothing before any tick, and a session that made no bar gets no closed event', () => {
    const { e, events, c } = engine();
    expect(e.onTimer(shanghai(20250106, 100000000))).toBe(0);
    expect(events).toEqual([]);
    expect(c.order).toEqual([]);
  });

  it("closes the session's last bar at its end + grace with no further tick, then publishes one closed event", () => {
    const { e, events, c, log } = engine();
    e.onTick(IF('IF2503', 145958000, 3900)); // → 15:00, the day's last bar
    expect(e.onTimer(shanghai(20250106, 150002999))).toBe(0);
    expect(c.order).toEqual([]);
    expect(e.onTimer(shanghai(20250106, 150003000))).toBe(2);
    expect(c.get('min1', 'CFFEX', 'IF2503')).toEqual([bar(20250106, 3501061500, 3900, 3900, 3900, 3900, 1, 100, 10, 0)]);
    expect(c.get('min5', 'CFFEX', 'IF2503')).toEqual([bar(20250106, 3501061500, 3900, 3900, 3900, 3900, 1, 100, 10, 0)]);
    // 14:59 was closed through at the first call (no bar of it was open), 15:00 at the second
    expect(events).toEqual([
      { session: 'SD0930', date: 20250106, time: 3501061459 },
      { session: 'SD0930', date: 20250106, time: 3501061500 },
    ]);
    expect(log).toEqual(['closed SD0930 3501061459', 'min1 IF2503 3501061500', 'min5 IF2503 3501061500', 'closed SD0930 3501061500']); // the bars first
    e.onTimer(shanghai(20250106, 150010000));
    e.onTimer(shanghai(20250106, 160000000));
    expect(events).toHaveLength(2);
  });

  it('closes the end of a night session crossing midnight (SHFE au, Saturday 02:30) with no further tick', () => {
    const { e, events, c } = engine();
    e.onTick(
      tick({ exchg: 'SHFE', code: 'au2506', trading_date: 20250106, action_date: 20250104, action_time: 22959000, price: 600, volume: 2 }),
    );
    e.onTimer(shanghai(20250104, 23002999));
    expect(c.order).toEqual([]);
    e.onTimer(shanghai(20250104, 23003000));
    expect(c.order).toEqual(['min1 SHFE.au2506 3501040230', 'min5 SHFE.au2506 3501040230']);
    expect(events).toEqual([
      { session: 'FN0230', date: 20250106, time: 3501040229 },
      { session: 'FN0230', date: 20250106, time: 3501040230 },
    ]);
  });

  it('closes the 00:00 bar of a UTC session by the UTC clock', () => {
    const { e, c, events } = engine();
    e.onTick(
      tick({
        exchg: 'BINANCE',
        code: 'ETHUSDT',
        trading_date: 20250105,
        action_date: 20250105,
        action_time: 235959000,
        price: 3300,
        volume: 0.1,
      }),
    );
    e.onTimer(epochOfLocal(20250106, 2999, 'UTC'));
    expect(c.order).toEqual([]);
    e.onTimer(epochOfLocal(20250106, 3000, 'UTC'));
    expect(c.order).toEqual(['min1 BINANCE.ETHUSDT 3501060000', 'min5 BINANCE.ETHUSDT 3501060000']);
    expect(events).toEqual([
      { session: 'UTC24', date: 20250105, time: 3501052359 },
      { session: 'UTC24', date: 20250105, time: 3501060000 },
    ]);
  });

  it('graceMs 0 closes a bar at its end exactly', () => {
    const { e, c } = engine([1], 0);
    e.onTick(IF('IF2503', 100000000, 1));
    e.onTimer(shanghai(20250106, 100059999));
    expect(c.order).toEqual([]);
    e.onTimer(shanghai(20250106, 100100000));
    expect(c.order).toEqual(['min1 CFFEX.IF2503 3501061001']);
  });

  it('closes a derived bar at its end when its last minutes have no tick', () => {
    const { e, c, events } = engine([1, 5]);
    e.onTick(IF('IF2503', 93130000, 1)); // → 09:32, bucket 09:35
    e.onTimer(shanghai(20250106, 93203000));
    expect(c.order).toEqual(['min1 CFFEX.IF2503 3501060932']);
    e.onTimer(shanghai(20250106, 93502999));
    expect(c.order).toHaveLength(1);
    e.onTimer(shanghai(20250106, 93503000));
    expect(c.order).toEqual(['min1 CFFEX.IF2503 3501060932', 'min5 CFFEX.IF2503 3501060935']);
    expect(events.map((x) => x.time)).toEqual([3501060932, 3501060934, 3501060935]); // one per timer call that passed a minute
  });

  it('closes every instrument of a session with one event per minute; a stalled timer gives one event for the minutes it skipped', () => {
    const { e, events, c } = engine([1]);
    e.onTick(IF('IF2503', 100010000, 1)); // → 10:01
    e.onTick(IF('IH2503', 100020000, 2)); // → 10:01
    e.onTick(IF('IC2503', 100030000, 3)); // → 10:01
    e.onTimer(shanghai(20250106, 100103000));
    expect(c.order.sort()).toEqual(['min1 CFFEX.IC2503 3501061001', 'min1 CFFEX.IF2503 3501061001', 'min1 CFFEX.IH2503 3501061001']);
    expect(events).toEqual([{ session: 'SD0930', date: 20250106, time: 3501061001 }]);
    e.onTick(IF('IF2503', 100110000, 1)); // → 10:02
    e.onTimer(shanghai(20250106, 100603000)); // nothing ran from 10:01:03 to 10:06:03
    expect(events.map((x) => x.time)).toEqual([3501061001, 3501061006]);
  });

  it('no closed events on a day without trading (Saturday), though the clock passes the sections', () => {
    const { e, events } = engine([1]);
    e.onTick(IF('IF2503', 145900000, 1, 20250103)); // Friday → 15:00
    e.onTimer(shanghai(20250103, 150003000));
    expect(events.map((x) => x.time)).toEqual([3501031500]);
    for (let m = 0; m < 24 * 60; m += 7) e.onTimer(shanghai(20250104, Math.floor(m / 60) * 10000000 + (m % 60) * 100000));
    expect(events).toHaveLength(1);
  });

  it('late ticks: a tick for a bar the timer closed counts in no bar (its instrument or another of the session)', () => {
    const { e, c } = engine([1]);
    e.onTick(IF('IF2503', 145958000, 3900));
    e.onTimer(shanghai(20250106, 150003000));
    expect(e.onTick(IF('IF2503', 145959000, 3950))).toBe('late');
    expect(e.onTick(IF('IC2503', 145959500, 5000))).toBe('late');
    expect(e.onTick(IF('IF2503', 150000000, 3960))).toBe('late');
    expect(e.stats.late).toBe(3);
    e.flush();
    expect(c.order).toEqual(['min1 CFFEX.IF2503 3501061500']);
    expect(c.get('min1', 'CFFEX', 'IF2503')[0]!.close).toBe(3900);
  });

  it('a tick of the next minute after the timer closed the previous one is not late', () => {
    const { e, c } = engine([1]);
    e.onTick(IF('IF2503', 100000000, 1));
    e.onTimer(shanghai(20250106, 100103000)); // closes 10:01
    expect(e.onTick(IF('IF2503', 100104000, 2))).toBe('bar'); // → 10:02
    e.flush();
    expect(c.order).toEqual(['min1 CFFEX.IF2503 3501061001', 'min1 CFFEX.IF2503 3501061002']);
  });
});

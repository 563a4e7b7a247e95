// Bar rule B4b: a quote without a trade price (price 0, no volume: CTP's combination quotes and quotes before the first trade) is in no bar; a trade at price 0 is.

import { describe, expect, it } from 'vitest';
import { BarEngine } from '../../src/bars/index.js';
import { Collector, bundledSessions, tick } from './helpers/ticks.js';

describe('B4b: quotes without a trade price', () => {
  it('never drag a bar’s low to 0 and are counted; a trade at price 0 counts', () => {
    const c = new Collector();
    const e = new BarEngine({ sessions: bundledSessions(), periods: [1], emit: c.emit });
    const t = (action_time: number, price: number, volume: number) =>
      tick({ exchg: 'SHFE', code: 'rb2505', trading_date: 20250106, action_date: 20250106, action_time, price, volume });
    expect(e.onTick(t(90000500, 3500, 10))).toBe('bar');
    expect(e.onTick(t(90010000, 0, 0))).toBe('no_price'); // a quote: book only
    expect(e.onTick(t(90020000, 3502, 5))).toBe('bar');
    e.flush();
    const [bar] = c.get('min1', 'SHFE', 'rb2505');
    expect(bar).toMatchObject({ open: 3500, high: 3502, low: 3500, close: 3502, vol: 15 });
    expect(e.stats.noPrice).toBe(1);
    // A spread can trade at 0: with a volume it is a trade.
    expect(e.onTick(t(90100000, 0, 3))).toBe('bar');
  });
});

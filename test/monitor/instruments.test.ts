// Unit tests of the per-instrument statistics: counts, last values, ticks/s over the per-second ring, day resets.

import { describe, expect, it } from 'vitest';
import { InstrumentStats, InstrumentTable, RATE_WINDOW_SECONDS, RING_SECONDS } from '../../src/monitor/instruments.js';

const T0 = 1_736_168_700_000; // an epoch ms on a whole second

describe('InstrumentStats', () => {
  it('counts ticks and trades and keeps the last values', () => {
    const s = new InstrumentStats('SHFE', 'rb2505');
    expect(s.id).toBe('SHFE.rb2505');
    expect(Number.isNaN(s.price)).toBe(true);
    s.tick(T0 + 10, 3500, 20250107, 20250106, 210000500, 12.5);
    s.tick(T0 + 20, 3501, 20250107, 20250106, 210001000, 7);
    s.trade(20250107);
    expect(s.ticksToday).toBe(2);
    expect(s.ticks).toBe(2);
    expect(s.tradesToday).toBe(1);
    expect(s.price).toBe(3501);
    expect(s.actionDate).toBe(20250106);
    expect(s.actionTime).toBe(210001000);
    expect(s.publishedMs).toBe(T0 + 20);
    expect(s.lagMs).toBe(7);
    expect(s.tradingDate).toBe(20250107);
    expect(s.version).toBe(3);
  });

  it('ticks/s is the mean of the last complete seconds, the current second excluded', () => {
    const s = new InstrumentStats('SHFE', 'rb2505');
    // 5 ticks in each of 10 seconds, then 100 in the current one
    for (let sec = 0; sec < 10; sec++) for (let k = 0; k < 5; k++) s.tick(T0 + sec * 1000 + k * 100, 1, 20250107, 20250106, 210000000, 0);
    for (let k = 0; k < 100; k++) s.tick(T0 + 10_000 + k, 1, 20250107, 20250106, 210000000, 0);
    expect(s.rate(T0 + 10_500)).toBe(5); // seconds 0..9, not the partial 10th
    expect(s.rate(T0 + 11_000)).toBeCloseTo((9 * 5 + 100) / RATE_WINDOW_SECONDS, 10); // seconds 1..10
    expect(s.countAt(Math.floor(T0 / 1000) + 10)).toBe(100);
    expect(s.rate(T0 + 11_000, 1)).toBe(100);
  });

  it('a silent instrument decays to 0 without any further tick', () => {
    const s = new InstrumentStats('DCE', 'm2505');
    for (let k = 0; k < 30; k++) s.tick(T0 + k * 100, 1, 20250107, 20250106, 210000000, 0); // 10 ticks in each of 3 seconds
    expect(s.rate(T0 + 3000)).toBe(3); // 30 ticks / 10 s
    expect(s.rate(T0 + 8000)).toBe(3);
    expect(s.rate(T0 + 12_000)).toBe(1); // only second 2 is still in the window
    expect(s.rate(T0 + 13_000)).toBe(0);
    expect(s.rate(T0 + 1_000_000)).toBe(0); // long past the ring
  });

  it('the ring wraps: slots of skipped seconds are cleared, old seconds are forgotten', () => {
    const s = new InstrumentStats('DCE', 'm2505');
    const sec0 = Math.floor(T0 / 1000);
    s.tick(T0, 1, 20250107, 20250106, 210000000, 0);
    s.tick(T0 + 1, 1, 20250107, 20250106, 210000000, 0);
    expect(s.countAt(sec0)).toBe(2);
    // exactly one ring later the same slot is reused for a new second
    s.tick(T0 + RING_SECONDS * 1000, 1, 20250107, 20250106, 210000000, 0);
    expect(s.countAt(sec0)).toBe(0);
    expect(s.countAt(sec0 + RING_SECONDS)).toBe(1);
    // every slot holds a count, then a gap of 2 s: the slots reused for the skipped seconds read 0
    const r = new InstrumentStats('DCE', 'm2509');
    for (let sec = 0; sec < RING_SECONDS; sec++) r.tick(T0 + sec * 1000, 1, 20250107, 20250106, 210000000, 0);
    r.tick(T0 + (RING_SECONDS + 2) * 1000, 1, 20250107, 20250106, 210000000, 0);
    expect(r.countAt(sec0 + RING_SECONDS)).toBe(0);
    expect(r.countAt(sec0 + RING_SECONDS + 1)).toBe(0);
    expect(r.countAt(sec0 + RING_SECONDS + 2)).toBe(1);
    expect(r.countAt(sec0 + RING_SECONDS - 1)).toBe(1);
    expect(r.countAt(sec0 + 2)).toBe(0); // left the ring
    expect(r.rate(T0 + (RING_SECONDS + 3) * 1000)).toBe(8 / RATE_WINDOW_SECONDS);
  });

  it('a clock that goes back counts in the newest second', () => {
    const s = new InstrumentStats('DCE', 'm2505');
    const sec0 = Math.floor(T0 / 1000);
    s.tick(T0 + 5000, 1, 20250107, 20250106, 210000000, 0);
    s.tick(T0, 1, 20250107, 20250106, 210000000, 0);
    expect(s.countAt(sec0 + 5)).toBe(2);
    expect(s.countAt(sec0)).toBe(0);
  });

  it('a new trading day restarts the day counts', () => {
    const s = new InstrumentStats('SHFE', 'rb2505');
    s.tick(T0, 1, 20250107, 20250106, 225959000, 0);
    s.trade(20250107);
    s.ticksBase = 100;
    expect(s.ticks).toBe(101);
    s.tick(T0 + 1000, 2, 20250108, 20250107, 90000000, 0);
    expect(s.ticksToday).toBe(1);
    expect(s.ticks).toBe(1);
    expect(s.tradesToday).toBe(0);
    expect(s.tradingDate).toBe(20250108);
  });
});

describe('InstrumentTable', () => {
  it('creates one InstrumentStats per instrument on first sight and reuses it', () => {
    const t = new InstrumentTable();
    t.tick('SHFE', 'rb2505', T0, 3500, 20250107, 20250106, 210000000, 1);
    const a = t.get('SHFE', 'rb2505');
    t.tick('SHFE', 'rb2505', T0 + 1, 3501, 20250107, 20250106, 210000500, 1);
    t.tick('SHFE', 'cu2505', T0 + 2, 70000, 20250107, 20250106, 210000500, 1);
    t.trade('DCE', 'm2505', 20250107);
    expect(t.get('SHFE', 'rb2505')).toBe(a);
    expect(a!.ticksToday).toBe(2);
    expect(t.size).toBe(3);
    expect([...t].map((s) => s.id).sort()).toEqual(['DCE.m2505', 'SHFE.cu2505', 'SHFE.rb2505']);
    expect(t.get('SHFE', 'nope')).toBeUndefined();
  });

  it('2,000 instruments: every count lands on its own instrument', () => {
    const t = new InstrumentTable();
    for (let i = 0; i < 20_000; i++) t.tick('SHFE', `c${i % 2000}`, T0 + Math.floor(i / 2000) * 1000, i, 20250107, 20250106, 210000000, 0);
    expect(t.size).toBe(2000);
    for (const s of t) {
      expect(s.ticksToday).toBe(10);
      expect(s.rate(T0 + 10_000)).toBe(1);
    }
  });
});

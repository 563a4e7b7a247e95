// Tests of normalization rule N10 (src/recorder/session-filter.ts) with the bundled sessions book: the stale pre-open snapshot of SHFE and DCE, sections, auction, grace, crypto.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSessionBook } from '../../src/calendar/index.js';
import { BUNDLED_CONFIG_DIR } from '../../src/config/index.js';
import type { TickInput } from '../../src/feed/types.js';
import { Normalizer, type Verdict } from '../../src/recorder/normalize.js';
import { inTradingTime } from '../../src/recorder/session-filter.js';

const BOOK = loadSessionBook(path.join(BUNDLED_CONFIG_DIR, 'sessions.json'));
// Friday 2025-01-03: its night session belongs to Monday 2025-01-06.
const FRI = 20250103;
const MON = 20250106;
/** Epoch ms of a Shanghai (+08:00) wall-clock time. */
const sh = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => Date.UTC(y, mo - 1, d, h - 8, mi, s);

function normalizer(receivedMs?: () => number, graceMs?: number): Normalizer {
  return new Normalizer({
    sessions: BOOK,
    recover: () => undefined,
    ...(receivedMs ? { receivedMs } : {}),
    ...(graceMs !== undefined ? { sessionGraceMs: graceMs } : {}),
  });
}

function tick(over: Partial<TickInput>): TickInput {
  return { exchg: 'SHFE', code: 'rb2505', price: 3500, action_date: MON, action_time: 100000000, ...over };
}

const reasonOf = (v: Verdict) => (v.ok ? 'ok' : v.reason);

describe('N10: the session rule', () => {
  it('SHFE: the stale snapshot (15:00 of Friday with the NEW TradingDay) is off_session and never sets the volume baseline', () => {
    let now = sh(2025, 1, 3, 20, 50);
    const n = normalizer(() => now);
    const stale = n.tick(
      tick({ action_date: FRI, action_time: 150000000, trading_date: MON, total_volume: 500_000, total_turnover: 1e10 }),
    );
    expect(reasonOf(stale)).toBe('off_session');
    expect(stale.ok ? '' : stale.detail).toMatch(
      /SHFE\.rb2505: 20250103 150000000 belongs to trading day 20250103 by session FN2300, but the feed says 20250106/,
    );
    now = sh(2025, 1, 3, 20, 59, 1);
    const auction = n.tick(
      tick({ action_date: FRI, action_time: 205900000, trading_date: MON, total_volume: 1200, total_turnover: 4.2e7 }),
    );
    expect(reasonOf(auction)).toBe('ok');
    expect(n.tickOut.volume).toBe(1200); // the first tick of the day: not 1200 − 500 000 → 0
    expect(n.tickOut.turn_over).toBe(4.2e7);
    now = sh(2025, 1, 3, 21, 0, 1);
    expect(
      reasonOf(n.tick(tick({ action_date: FRI, action_time: 210000500, trading_date: MON, total_volume: 1300, total_turnover: 4.55e7 }))),
    ).toBe('ok');
    expect(n.tickOut.volume).toBe(100);
    expect(n.tickOut.trading_date).toBe(MON);
  });

  it('DCE: the stale snapshot dated 15:00 of the new day, received the evening before, is off_session; the night is stored', () => {
    let now = sh(2025, 1, 3, 20, 50);
    const n = normalizer(() => now);
    const m = (o: Partial<TickInput>) => tick({ exchg: 'DCE', code: 'm2505', trading_date: MON, ...o });
    const stale = n.tick(m({ action_date: MON, action_time: 150000000, total_volume: 800_000 }));
    expect(reasonOf(stale)).toBe('off_session');
    expect(stale.ok ? '' : stale.detail).toMatch(/after it was received \(a stale snapshot dated in the future\)/);
    now = sh(2025, 1, 3, 21, 0, 1);
    expect(reasonOf(n.tick(m({ action_date: FRI, action_time: 210000000, total_volume: 50 })))).toBe('ok');
    expect(n.tickOut.volume).toBe(50);
    now = sh(2025, 1, 6, 9, 0, 1);
    expect(reasonOf(n.tick(m({ action_date: MON, action_time: 90000000, total_volume: 70 })))).toBe('ok'); // not out_of_order
    expect(n.tickOut.volume).toBe(20);
  });

  it('without a receive time (a replay into a root whose clock is not the data’s) (c) is off, (a) and (b) still apply', () => {
    const n = normalizer();
    expect(reasonOf(n.tick(tick({ exchg: 'DCE', code: 'm2505', action_date: MON, action_time: 150000000, trading_date: MON })))).toBe('ok');
    expect(reasonOf(n.tick(tick({ action_date: FRI, action_time: 150000000, trading_date: MON })))).toBe('off_session');
  });

  it('lunch, before the auction and after the close ± grace', () => {
    const cases: [number, string][] = [
      [113000000, 'ok'], // the close of the morning
      [113059999, 'ok'], // within 60 s
      [113101000, 'off_session'],
      [120000000, 'off_session'], // lunch
      [132900000, 'ok'], // 60 s before 13:30
      [132800000, 'off_session'],
      [150030000, 'ok'],
      [153000000, 'off_session'],
      [80000000, 'off_session'],
      [101700000, 'off_session'], // the 10:15-10:30 break
    ];
    for (const [t, want] of cases) {
      const n = normalizer();
      expect(`${t} ${reasonOf(n.tick(tick({ action_time: t })))}`).toBe(`${t} ${want}`);
    }
    const tight = normalizer(undefined, 0);
    expect(reasonOf(tight.tick(tick({ action_time: 113000500 })))).toBe('off_session');
  });

  it('the auction counts, night sections cross midnight, and a session-less or 24-hour instrument is never filtered', () => {
    const cu = BOOK.sessionOf('SHFE', 'cu2505')!;
    expect(inTradingTime(cu, 205500000, 0)).toBe(true); // auction
    expect(inTradingTime(cu, 205400000, 0)).toBe(false);
    expect(inTradingTime(cu, 5959000, 0)).toBe(true); // 00:59:59 in the 21:00-01:00 section
    expect(inTradingTime(cu, 10100000, 0)).toBe(false);
    const n = normalizer(() => sh(2025, 1, 6, 23, 0));
    expect(reasonOf(n.tick(tick({ exchg: 'BINANCE', code: 'BTCUSDT', action_time: 120000000 })))).toBe('ok');
    expect(reasonOf(n.tick(tick({ exchg: 'XYZ', code: 'abc', action_time: 120000000 })))).toBe('ok');
    const off = new Normalizer({ sessions: BOOK, recover: () => undefined, sessionFilter: false });
    expect(reasonOf(off.tick(tick({ action_time: 120000000 })))).toBe('ok');
  });
});

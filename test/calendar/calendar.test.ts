// Tests of the trading calendar (src/calendar): sessions file validation, session lookup, trading dates of night sessions, local time conversions.

import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  buildSessionBook,
  epochOfLocal,
  isTradingDay,
  localDateTime,
  nextTradingDay,
  productOf,
  tradingDateOf,
  weekday,
  type Session,
  type SessionBook,
} from '../../src/calendar/index.js';

const BUNDLED = path.resolve(import.meta.dirname, '../../config/sessions.json');

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return expect.fail('expected an error, none was thrown');
}

/** A small valid sessions file; `patch` replaces top-level keys. */
function sessionsFile(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    holidays: [20250404],
    sessions: {
      NIGHT: {
        timezone: 'Asia/Shanghai',
        day_starts: '20:00',
        sections: [
          ['21:00', '01:00'],
          ['09:00', '15:00'],
        ],
      },
      DAY: {
        sections: [
          ['09:30', '11:30'],
          ['13:00', '15:00'],
        ],
      },
      CRYPTO: { timezone: 'UTC', sections: [['00:00', '24:00']] },
    },
    products: { 'SHFE.cu': 'NIGHT', 'CFFEX.IF': 'DAY', 'BINANCE.*': 'CRYPTO' },
    ...patch,
  };
}

function withSession(name: string, s: unknown): Record<string, unknown> {
  const f = sessionsFile();
  return { ...f, sessions: { ...(f.sessions as Record<string, unknown>), [name]: s } };
}

const bundled: SessionBook = buildSessionBook(JSON.parse(fs.readFileSync(BUNDLED, 'utf8')), BUNDLED);
const H = bundled.holidays;
function bundledSession(name: string): Session {
  const s = bundled.sessions.get(name);
  if (!s) return expect.fail(`bundled sessions.json has no session ${name}`);
  return s;
}

describe('buildSessionBook: invalid files', () => {
  it('rejects a bad HH:MM and names the key path and the source', () => {
    const msg = errorOf(() => buildSessionBook(withSession('BAD', { sections: [['09:00', '9:5']] }), 'my-sessions.json'));
    expect(msg).toContain('my-sessions.json');
    expect(msg).toContain('sessions.BAD.sections.0.1');
    expect(msg).toContain('HH:MM');
  });

  it('rejects hours past 24 and minutes past 59', () => {
    expect(errorOf(() => buildSessionBook(withSession('BAD', { sections: [['25:00', '26:00']] }), 's.json'))).toContain(
      'sessions.BAD.sections.0.0',
    );
    expect(errorOf(() => buildSessionBook(withSession('BAD', { sections: [['09:60', '10:00']] }), 's.json'))).toContain(
      'sessions.BAD.sections.0.0',
    );
    expect(errorOf(() => buildSessionBook(withSession('BAD', { sections: [['09:00', '10:00']], day_starts: '2000' }), 's.json'))).toContain(
      'sessions.BAD.day_starts',
    );
  });

  it('rejects times after 24:00 (the message promises "00:00 to 24:00")', () => {
    // BUG: the regex ([01]\d|2[0-4]):[0-5]\d accepts 24:01..24:59.
    const msg = errorOf(() => buildSessionBook(withSession('BAD', { sections: [['23:00', '24:30']] }), 's.json'));
    expect(msg).toContain('sessions.BAD.sections.0.1');
  });

  it('rejects a product mapped to an unknown session, naming the product key', () => {
    const msg = errorOf(() => buildSessionBook(sessionsFile({ products: { 'SHFE.rb': 'NOPE' } }), 's.json'));
    expect(msg).toContain('s.json');
    expect(msg).toContain('products.SHFE.rb');
    expect(msg).toContain("'NOPE'");
  });

  it('rejects a product key that is not EXCHG.product or EXCHG.*', () => {
    const msg = errorOf(() => buildSessionBook(sessionsFile({ products: { rb: 'NIGHT' } }), 's.json'));
    expect(msg).toContain('products.rb');
  });

  it('rejects an unknown time zone, naming the source and the key path', () => {
    const msg = errorOf(() =>
      buildSessionBook(withSession('MARS', { timezone: 'Mars/Olympus_Mons', sections: [['09:00', '10:00']] }), 'my-sessions.json'),
    );
    expect(msg).toContain('Mars/Olympus_Mons');
    // BUG: buildSession throws "session MARS: timezone ..." without the source or the key path.
    expect(msg).toContain('my-sessions.json');
    expect(msg).toContain('sessions.MARS.timezone');
  });

  it('rejects an unknown default session', () => {
    const msg = errorOf(() => buildSessionBook(sessionsFile({ default: 'GHOST' }), 's.json'));
    expect(msg).toContain('s.json');
    expect(msg).toContain('default');
    expect(msg).toContain("'GHOST'");
  });

  it('rejects unknown keys, empty sections and bad holidays', () => {
    expect(errorOf(() => buildSessionBook(withSession('X', { sections: [['09:00', '10:00']], dayStarts: '20:00' }), 's.json'))).toMatch(
      /sessions\.X.*dayStarts/,
    );
    expect(errorOf(() => buildSessionBook(withSession('X', { sections: [] }), 's.json'))).toContain('sessions.X.sections');
    expect(errorOf(() => buildSessionBook(sessionsFile({ holidays: [2025044] }), 's.json'))).toContain('holidays.0');
    expect(errorOf(() => buildSessionBook(sessionsFile({ extra: true }), 's.json'))).toContain('extra');
    expect(errorOf(() => buildSessionBook(null, 's.json'))).toContain('s.json');
  });
});

describe('buildSessionBook: valid files', () => {
  it('loads the bundled config/sessions.json with its night sessions and holidays', () => {
    for (const name of ['FN2300', 'FN0100', 'FN0230', 'SD0900', 'SD0930', 'STOCK', 'UTC24']) expect(bundled.sessions.has(name)).toBe(true);
    expect(bundledSession('FN0100').dayStarts).toBe(20 * 60);
    expect(bundledSession('FN0100').sections[0]).toEqual({ from: 21 * 60, to: 25 * 60 });
    expect(bundledSession('FN0230').sections[0]).toEqual({ from: 21 * 60, to: 26 * 60 + 30 });
    expect(bundledSession('UTC24').sections).toEqual([{ from: 0, to: 1440 }]);
    expect(bundledSession('UTC24').dayStarts).toBeUndefined();
    expect(bundledSession('SD0930').timezone).toBe('Asia/Shanghai');
    expect(H.has(20250404)).toBe(true);
    expect(H.has(20251001)).toBe(true);
  });

  it('defaults the time zone to Asia/Shanghai', () => {
    const book = buildSessionBook(sessionsFile());
    expect(book.sessions.get('DAY')!.timezone).toBe('Asia/Shanghai');
    expect(book.sessions.get('DAY')!.dayStarts).toBeUndefined();
  });
});

describe('sessionOf and productOf', () => {
  it('productOf takes the leading letters of a code', () => {
    expect(productOf('rb2505')).toBe('rb');
    expect(productOf('SR505')).toBe('SR');
    expect(productOf('IF2501')).toBe('IF');
    expect(productOf('BTCUSDT')).toBe('BTCUSDT');
    expect(productOf('600000')).toBe('600000');
  });

  it('finds the session by EXCHG.product, then EXCHG.*, then the default', () => {
    const book = buildSessionBook(sessionsFile({ default: 'DAY' }));
    expect(book.sessionOf('SHFE', 'cu2505')!.name).toBe('NIGHT');
    expect(book.sessionOf('CFFEX', 'IF2501')!.name).toBe('DAY');
    expect(book.sessionOf('BINANCE', 'BTCUSDT')!.name).toBe('CRYPTO');
    expect(book.sessionOf('BINANCE', 'ETHUSDT')!.name).toBe('CRYPTO');
    expect(book.sessionOf('DCE', 'm2505')!.name).toBe('DAY'); // default
    expect(book.sessionOf('SHFE', 'cu2505')!.name).toBe('NIGHT'); // cached answer is the same
  });

  it('a specific product wins over EXCHG.*; no default gives undefined', () => {
    const book = buildSessionBook(sessionsFile({ products: { 'BINANCE.*': 'CRYPTO', 'BINANCE.BTCUSDT': 'DAY' } }));
    expect(book.sessionOf('BINANCE', 'BTCUSDT')!.name).toBe('DAY');
    expect(book.sessionOf('BINANCE', 'ETHUSDT')!.name).toBe('CRYPTO');
    expect(book.sessionOf('OKX', 'BTC-USDT')).toBeUndefined();
  });

  it('the bundled book maps the main products', () => {
    expect(bundled.sessionOf('SHFE', 'rb2505')!.name).toBe('FN2300');
    expect(bundled.sessionOf('SHFE', 'cu2505')!.name).toBe('FN0100');
    expect(bundled.sessionOf('SHFE', 'au2506')!.name).toBe('FN0230');
    expect(bundled.sessionOf('CZCE', 'SR505')!.name).toBe('FN2300');
    expect(bundled.sessionOf('CFFEX', 'IF2501')!.name).toBe('SD0930');
    expect(bundled.sessionOf('SSE', '600000')!.name).toBe('STOCK');
    expect(bundled.sessionOf('BINANCE', 'BTCUSDT')!.name).toBe('UTC24');
    expect(bundled.sessionOf('NOWHERE', 'x1')).toBeUndefined();
  });
});

describe('tradingDateOf', () => {
  // March 2025: 3 Mon, 4 Tue, 7 Fri, 8 Sat, 9 Sun, 10 Mon. 4 April 2025 (Fri) is a holiday.
  const T = (hh: number, mm: number, ss = 0, ms = 0) => hh * 10000000 + mm * 100000 + ss * 1000 + ms;
  const NIGHTS = ['FN2300', 'FN0100', 'FN0230'];

  it('the calendar facts used below', () => {
    expect(weekday(20250303)).toBe(1);
    expect(weekday(20250307)).toBe(5);
    expect(weekday(20250308)).toBe(6);
    expect(isTradingDay(20250404, H)).toBe(false);
    expect(isTradingDay(20250403, H)).toBe(true);
    expect(addDays(20250228, 1)).toBe(20250301);
    expect(addDays(20241231, 1)).toBe(20250101);
    expect(addDays(20250301, -1)).toBe(20250228);
  });

  it.each(NIGHTS)('%s: Monday 21:30 belongs to Tuesday', (name) => {
    expect(tradingDateOf(bundledSession(name), 20250303, T(21, 30), H)).toBe(20250304);
  });

  it.each(NIGHTS)('%s: Friday 21:30 belongs to Monday', (name) => {
    expect(tradingDateOf(bundledSession(name), 20250307, T(21, 30), H)).toBe(20250310);
  });

  it.each(NIGHTS)('%s: the auction at 20:55 belongs to the next trading day', (name) => {
    expect(tradingDateOf(bundledSession(name), 20250303, T(20, 55), H)).toBe(20250304);
  });

  it('Saturday 01:00 (FN0100) and 02:29 (FN0230), Friday night, belong to Monday', () => {
    expect(tradingDateOf(bundledSession('FN0100'), 20250308, T(0, 59, 59, 500), H)).toBe(20250310);
    expect(tradingDateOf(bundledSession('FN0100'), 20250308, T(1, 0), H)).toBe(20250310);
    expect(tradingDateOf(bundledSession('FN0230'), 20250308, T(2, 29, 59, 999), H)).toBe(20250310);
  });

  it.each(NIGHTS)('%s: Tuesday 00:30 belongs to Tuesday', (name) => {
    expect(tradingDateOf(bundledSession(name), 20250304, T(0, 30), H)).toBe(20250304);
  });

  it.each([...NIGHTS, 'SD0900'])('%s: a day-session tick at 10:00 belongs to its calendar date', (name) => {
    expect(tradingDateOf(bundledSession(name), 20250304, T(10, 0), H)).toBe(20250304);
    expect(tradingDateOf(bundledSession(name), 20250304, T(14, 59, 59, 500), H)).toBe(20250304);
  });

  it('a holiday is skipped: Thursday night before the Friday holiday belongs to Monday', () => {
    expect(tradingDateOf(bundledSession('FN2300'), 20250403, T(21, 30), H)).toBe(20250407);
    expect(tradingDateOf(bundledSession('FN0230'), 20250404, T(1, 30), H)).toBe(20250407);
    // the same instant without the holiday list: Friday
    expect(tradingDateOf(bundledSession('FN2300'), 20250403, T(21, 30), new Set())).toBe(20250404);
  });

  it('day-only sessions and UTC24 use the calendar date at any hour', () => {
    for (const name of ['SD0900', 'SD0930', 'STOCK', 'UTC24']) {
      expect(tradingDateOf(bundledSession(name), 20250303, T(21, 30), H)).toBe(20250303);
      expect(tradingDateOf(bundledSession(name), 20250308, T(1, 0), H)).toBe(20250308);
    }
    expect(tradingDateOf(bundledSession('UTC24'), 20250404, T(23, 59, 59, 999), H)).toBe(20250404);
  });

  it('nextTradingDay skips weekends and holidays', () => {
    expect(nextTradingDay(20250307, H)).toBe(20250310);
    expect(nextTradingDay(20250308, H)).toBe(20250310);
    expect(nextTradingDay(20250309, H)).toBe(20250310);
    expect(nextTradingDay(20250303, H)).toBe(20250304);
    expect(nextTradingDay(20250403, H)).toBe(20250407);
    // Spring festival 2025: 28 Jan .. 4 Feb closed
    expect(nextTradingDay(20250127, H)).toBe(20250205);
    expect(nextTradingDay(20241231, H)).toBe(20250102);
  });
});

describe('localDateTime and epochOfLocal', () => {
  it('localDateTime of known epochs in Asia/Shanghai and UTC', () => {
    const e = Date.UTC(2025, 2, 3, 13, 30, 0, 250); // 2025-03-03 13:30:00.250Z
    expect(localDateTime(e, 'Asia/Shanghai')).toEqual({ date: 20250303, time: 213000250 });
    expect(localDateTime(e, 'UTC')).toEqual({ date: 20250303, time: 133000250 });
    const m = Date.UTC(2024, 11, 31, 16, 0, 0, 0); // Shanghai midnight of 1 Jan 2025
    expect(localDateTime(m, 'Asia/Shanghai')).toEqual({ date: 20250101, time: 0 });
    expect(localDateTime(m - 1, 'Asia/Shanghai')).toEqual({ date: 20241231, time: 235959999 });
    expect(localDateTime(Date.UTC(2025, 6, 1, 13, 30), 'America/New_York')).toEqual({ date: 20250701, time: 93000000 });
    expect(localDateTime(Date.UTC(2025, 0, 15, 14, 30), 'America/New_York')).toEqual({ date: 20250115, time: 93000000 });
  });

  it('epochOfLocal of known local times', () => {
    expect(epochOfLocal(20250303, 213000250, 'Asia/Shanghai')).toBe(Date.UTC(2025, 2, 3, 13, 30, 0, 250));
    expect(epochOfLocal(20250101, 0, 'Asia/Shanghai')).toBe(Date.UTC(2024, 11, 31, 16));
    expect(epochOfLocal(20250303, 133000250, 'UTC')).toBe(Date.UTC(2025, 2, 3, 13, 30, 0, 250));
    expect(epochOfLocal(20250701, 93000000, 'America/New_York')).toBe(Date.UTC(2025, 6, 1, 13, 30));
    expect(epochOfLocal(20250115, 93000000, 'America/New_York')).toBe(Date.UTC(2025, 0, 15, 14, 30));
  });

  /** Offset of a zone at an instant, ms (local wall clock − UTC). */
  function offsetAt(e: number, tz: string): number {
    const l = localDateTime(e, tz);
    const wall = Date.UTC(
      Math.floor(l.date / 10000),
      (Math.floor(l.date / 100) % 100) - 1,
      l.date % 100,
      Math.floor(l.time / 10000000),
      Math.floor(l.time / 100000) % 100,
      Math.floor(l.time / 1000) % 100,
      l.time % 1000,
    );
    return wall - e;
  }

  const FROM = Date.UTC(1992, 0, 1); // after China's last DST (1991)
  const TO = Date.UTC(2099, 11, 31);
  const DAY = 86_400_000;

  it.each(['Asia/Shanghai', 'UTC'])('epochOfLocal inverts localDateTime (%s, property)', (tz) => {
    fc.assert(
      fc.property(fc.integer({ min: FROM, max: TO }), (e) => {
        const l = localDateTime(e, tz);
        expect(epochOfLocal(l.date, l.time, tz)).toBe(e);
      }),
      { numRuns: 2000 },
    );
  });

  it('epochOfLocal inverts localDateTime in America/New_York away from DST switches (property)', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.integer({ min: FROM, max: TO }), (e) => {
        // a switch within a day either side: the instant is near one; skip it
        const o = offsetAt(e, 'America/New_York');
        if (offsetAt(e - DAY, 'America/New_York') !== o || offsetAt(e + DAY, 'America/New_York') !== o) return;
        checked++;
        const l = localDateTime(e, 'America/New_York');
        expect(epochOfLocal(l.date, l.time, 'America/New_York')).toBe(e);
      }),
      { numRuns: 2000 },
    );
    expect(checked).toBeGreaterThan(1500);
  });

  it('epochOfLocal is exact on the hours after a DST switch (test/calendar/zone.test.ts checks every hour against Intl)', () => {
    // 9 March 2025, New York springs forward at 02:00 EST → 03:00 EDT.
    for (const hhmm of [300, 330, 459, 600]) {
      const time = Math.floor(hhmm / 100) * 10000000 + (hhmm % 100) * 100000;
      const exact = Date.UTC(2025, 2, 9, Math.floor(hhmm / 100) + 4, hhmm % 100); // EDT = UTC-4
      expect(epochOfLocal(20250309, time, 'America/New_York')).toBe(exact);
    }
  });
});

describe('SessionBook.timezoneOf', () => {
  it("an instrument without a session of its own (a DCE spread) gets its exchange's zone, not UTC; an exchange with zones that disagree gets none", () => {
    expect(bundled.sessionOf('DCE', 'SP_m2505_m2509')).toBeUndefined();
    expect(bundled.timezoneOf('DCE', 'SP_m2505_m2509')).toBe('Asia/Shanghai');
    expect(bundled.timezoneOf('SHFE', 'rb2505')).toBe(bundled.sessionOf('SHFE', 'rb2505')!.timezone);
    expect(bundled.timezoneOf('NOWHERE', 'x1')).toBe(bundled.sessionOf('NOWHERE', 'x1')?.timezone);
    const mixed = buildSessionBook(
      {
        sessions: {
          A: { timezone: 'Asia/Shanghai', sections: [['09:00', '15:00']] },
          B: { timezone: 'UTC', sections: [['00:00', '24:00']] },
        },
        products: { 'X.a': 'A', 'X.b': 'B', 'Y.a': 'A' },
      },
      'test',
    );
    expect(mixed.timezoneOf('X', 'c1')).toBeUndefined();
    expect(mixed.timezoneOf('Y', 'z9')).toBe('Asia/Shanghai');
    expect(mixed.timezoneOf('X', 'b1')).toBe('UTC');
  });
});

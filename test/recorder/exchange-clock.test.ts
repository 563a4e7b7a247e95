// Tests of ExchangeClock (src/recorder/exchange-clock.ts): its cached per-hour offset agrees with epochOfLocal, in DST zones too (test/calendar/zone.test.ts checks change days hour by hour).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochOfLocal } from '../../src/calendar/index.js';
import { ExchangeClock } from '../../src/recorder/exchange-clock.js';

const date = fc
  .record({ y: fc.integer({ min: 1992, max: 2099 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) })
  .map(({ y, m, d }) => y * 10000 + m * 100 + d);
const time = fc
  .record({
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    ms: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ h, mi, s, ms }) => h * 10000000 + mi * 100000 + s * 1000 + ms);

describe('ExchangeClock', () => {
  it('known instants', () => {
    const c = new ExchangeClock();
    expect(c.epochMs(20250303, 213000250, 'Asia/Shanghai')).toBe(Date.UTC(2025, 2, 3, 13, 30, 0, 250));
    expect(c.epochMs(20250303, 235959999, 'Asia/Shanghai')).toBe(Date.UTC(2025, 2, 3, 15, 59, 59, 999));
    expect(c.epochMs(20250304, 0, 'Asia/Shanghai')).toBe(Date.UTC(2025, 2, 3, 16));
    expect(c.epochMs(20250303, 133000250, 'UTC')).toBe(Date.UTC(2025, 2, 3, 13, 30, 0, 250));
  });

  it.each(['Asia/Shanghai', 'UTC', 'America/New_York', 'Australia/Sydney'])(
    'equals epochOfLocal for random (date, time) pairs in %s (property)',
    (tz) => {
      const c = new ExchangeClock();
      fc.assert(
        fc.property(date, fc.array(time, { minLength: 1, maxLength: 5 }), (d, times) => {
          // several times per date: the cached hour is reused
          for (const t of times) expect(c.epochMs(d, t, tz)).toBe(epochOfLocal(d, t, tz));
        }),
        { numRuns: 1000 },
      );
    },
  );

  it('alternating zones and dates do not mix up the cache', () => {
    const c = new ExchangeClock();
    for (let i = 0; i < 10; i++) {
      const d = i % 2 === 0 ? 20250303 : 20250304;
      expect(c.epochMs(d, 93000000, 'Asia/Shanghai')).toBe(epochOfLocal(d, 93000000, 'Asia/Shanghai'));
      expect(c.epochMs(d, 93000000, 'UTC')).toBe(epochOfLocal(d, 93000000, 'UTC'));
    }
  });
});

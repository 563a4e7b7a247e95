// datakit's time keys (src/format/time.ts): the date offset 19900000, the bar `time` and its stamp, the instant key of ticks and trades.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECORD_DATE_MAX, minuteBarDate, minuteBarStamp, minuteBarTime, timeKey } from '../../src/format/index.js';

const date = fc
  .integer({ min: 1990, max: 2099 })
  .chain((y) => fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 })).map(([m, d]) => y * 10000 + m * 100 + d));
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => h * 100 + m);
const hhmmssmmm = fc.integer({ min: 0, max: 235959999 });

describe('datakit time keys', () => {
  it('are the numbers datakit computes', () => {
    expect(minuteBarTime(20240102, 931)).toBe(3401020931);
    expect(minuteBarStamp(3401020931)).toBe(202401020931);
    expect(minuteBarDate(3401020931)).toBe(20240102);
    expect(minuteBarTime(20240102, 0)).toBe((20240102 - 19900000) * 10000);
    expect(timeKey(20240102, 93000500)).toBe(340102 * 1e9 + 93000500);
  });

  it('a bar time gives back its date and its YYYYMMDDHHMM', () => {
    fc.assert(
      fc.property(date, hhmm, (d, t) => {
        const time = minuteBarTime(d, t);
        expect(minuteBarDate(time)).toBe(d);
        expect(minuteBarStamp(time)).toBe(d * 10000 + t);
      }),
    );
  });

  it('the instant key orders (date, time) pairs as they are ordered and is exact for every record date', () => {
    expect(Number.isSafeInteger(timeKey(RECORD_DATE_MAX, 235959999))).toBe(true);
    fc.assert(
      fc.property(date, hhmmssmmm, date, hhmmssmmm, (d1, t1, d2, t2) => {
        const before = d1 < d2 || (d1 === d2 && t1 < t2);
        expect(timeKey(d1, t1) < timeKey(d2, t2)).toBe(before);
      }),
    );
  });
});

// Tests of local time → UTC (src/calendar/zone.ts: epochOfLocal, utcMsOfLocal, hourOffset) on the days the clocks change, against an independent oracle: Intl.DateTimeFormat formatting candidate instants back to local time.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochOfLocal, hourOffset, localDateTime, utcMsOfLocal } from '../../src/calendar/index.js';
import { recordUtcMs } from '../../src/read/present.js';
import { ExchangeClock } from '../../src/recorder/exchange-clock.js';

const MIN = 60_000;
const HOUR = 3_600_000;

/** Change days (local dates holding a clock change) per zone; the test checks each really has a gap or an overlap. */
const CHANGE_DAYS: Record<string, { spring: number; fall: number }> = {
  'America/New_York': { spring: 20250309, fall: 20251102 }, // 02:00 EST → 03:00 EDT; 02:00 EDT → 01:00 EST
  'Europe/London': { spring: 20250330, fall: 20251026 }, // 01:00 GMT → 02:00 BST; 02:00 BST → 01:00 GMT
  'Australia/Sydney': { spring: 20251005, fall: 20250406 }, // southern: 02:00 AEST → 03:00 AEDT; 03:00 AEDT → 02:00 AEST
  'Asia/Shanghai': { spring: 19910414, fall: 19910915 }, // China's last daylight saving (1986-1991)
};

/** The Intl formatter, built here (not the code under test's): local "YYYYMMDDHHMMSS" of an instant. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function localText(ms: number, tz: string): string {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}${p.month}${p.day}${p.hour}${p.minute}${p.second}`;
}

/** Wall clock of a local date and time read as UTC, ms. */
function wallOf(date: number, h: number, mi: number, s = 0, ms = 0): number {
  return Date.UTC(Math.floor(date / 10000), (Math.floor(date / 100) % 100) - 1, date % 100, h, mi, s, ms);
}
/** The YYYYMMDDHHMMSS text of a wall clock (as UTC). */
function wallText(wall: number): string {
  return new Date(wall).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

type Verdict = { kind: 'one' | 'twice' | 'gap'; want: number };

/**
 * What the instant of a wall time must be, by brute force: every instant wall − o for offsets o on
 * a 15-minute grid in [−12h, +14h] that Intl formats back to the wall time is a candidate;
 * one: it; several (the clocks went back): the earliest; none (the clocks went forward): the time
 * moves forward by the change: the instant wall − (offset before the change), which Intl formats
 * as wall + the size of the change.
 */
function oracle(wall: number, tz: string): Verdict {
  const text = wallText(wall);
  const ms = wall % 1000;
  const hits: number[] = [];
  for (let o = -12 * HOUR; o <= 14 * HOUR; o += 15 * MIN) {
    const t = wall - o;
    if (localText(t - ms, tz) === text) hits.push(t);
  }
  if (hits.length === 1) return { kind: 'one', want: hits[0]! };
  if (hits.length > 1) return { kind: 'twice', want: Math.min(...hits) };
  // the offsets a day before and a day after, read from Intl: the change around this wall time
  const offAt = (t: number) =>
    Date.parse(`${localText(t, tz).replace(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/, '$1-$2-$3T$4:$5:$6')}Z`) - t;
  const before = offAt(wall - ms - 36 * HOUR);
  return { kind: 'gap', want: wall - before };
}

/** Every hour and half hour of a day, and the last millisecond before each half hour. */
function dayWalls(date: number): number[] {
  const out: number[] = [];
  for (let h = 0; h < 24; h++)
    for (const mi of [0, 30]) {
      out.push(wallOf(date, h, mi));
      out.push(wallOf(date, h, mi + 29, 59, 999));
    }
  return out;
}

function timeOf(wall: number): { date: number; time: number } {
  const d = new Date(wall);
  return {
    date: d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate(),
    time: d.getUTCHours() * 10000000 + d.getUTCMinutes() * 100000 + d.getUTCSeconds() * 1000 + d.getUTCMilliseconds(),
  };
}

describe('local time → UTC on clock-change days (Intl oracle)', () => {
  it('New York 2025-03-09: 03:00 EDT is 07:00Z, 02:30 (does not exist) moves forward to 03:30 EDT, hours after the change are EDT', () => {
    expect(new Date(epochOfLocal(20250309, 30000000, 'America/New_York')).toISOString()).toBe('2025-03-09T07:00:00.000Z');
    expect(new Date(utcMsOfLocal(20250309, 30000000, 'America/New_York')).toISOString()).toBe('2025-03-09T07:00:00.000Z');
    expect(new Date(epochOfLocal(20250309, 23000000, 'America/New_York')).toISOString()).toBe('2025-03-09T07:30:00.000Z');
    expect(new Date(epochOfLocal(20250309, 13000000, 'America/New_York')).toISOString()).toBe('2025-03-09T06:30:00.000Z');
    expect(new Date(utcMsOfLocal(20250309, 160000000, 'America/New_York')).toISOString()).toBe('2025-03-09T20:00:00.000Z');
    // fall back: 01:30 happens twice (EDT then EST): the earlier
    expect(new Date(utcMsOfLocal(20251102, 13000000, 'America/New_York')).toISOString()).toBe('2025-11-02T05:30:00.000Z');
    expect(new Date(utcMsOfLocal(20251102, 23000000, 'America/New_York')).toISOString()).toBe('2025-11-02T07:30:00.000Z');
  });

  for (const [tz, days] of Object.entries(CHANGE_DAYS))
    it(`${tz}: every hour and half hour of the spring and fall change days and the days either side`, () => {
      const kinds = { one: 0, twice: 0, gap: 0 };
      const clock = new ExchangeClock();
      for (const date of [days.spring, days.fall]) {
        const prev = timeOf(wallOf(date, 0, 0) - 86_400_000).date;
        const next = timeOf(wallOf(date, 0, 0) + 86_400_000).date;
        for (const d of [prev, date, next])
          for (const wall of dayWalls(d)) {
            const v = oracle(wall, tz);
            kinds[v.kind]++;
            const { date: ld, time: lt } = timeOf(wall);
            const at = `${tz} ${ld} ${lt}`;
            expect(epochOfLocal(ld, lt, tz), at).toBe(v.want);
            expect(utcMsOfLocal(ld, lt, tz), at).toBe(v.want);
            expect(clock.epochMs(ld, lt, tz), at).toBe(v.want);
            if (v.kind === 'one') expect(localDateTime(v.want, tz), at).toEqual({ date: ld, time: lt });
          }
      }
      // each zone's change days hold both a gap and an overlap (or the days are wrong)
      expect(kinds.gap).toBeGreaterThan(0);
      expect(kinds.twice).toBeGreaterThan(0);
    });

  it('a gap moves the time forward by the change: 02:30 in Sydney on 2025-10-05 is 03:30 AEDT', () => {
    const t = epochOfLocal(20251005, 23000000, 'Australia/Sydney');
    expect(localDateTime(t, 'Australia/Sydney')).toEqual({ date: 20251005, time: 33000000 });
  });

  it('hourOffset is NaN exactly in the hour of a change, and the offset elsewhere', () => {
    expect(hourOffset(20250309, 1, 'America/New_York')).toBe(-5 * HOUR);
    expect(hourOffset(20250309, 2, 'America/New_York')).toBe(-5 * HOUR); // the gap: all of it moves forward
    expect(hourOffset(20250309, 3, 'America/New_York')).toBe(-4 * HOUR);
    expect(hourOffset(20251102, 1, 'America/New_York')).toBe(-4 * HOUR); // twice: the earlier
    expect(hourOffset(20251102, 2, 'America/New_York')).toBe(-5 * HOUR);
    expect(hourOffset(20250101, 12, 'Asia/Shanghai')).toBe(8 * HOUR);
    // Lord Howe changes by 30 minutes at 02:00: 02:00-02:29 do not exist, 02:30 does
    expect(hourOffset(20251005, 2, 'Australia/Lord_Howe')).toBeNaN();
    expect(utcMsOfLocal(20251005, 24500000, 'Australia/Lord_Howe')).toBe(epochOfLocal(20251005, 24500000, 'Australia/Lord_Howe'));
    expect(localDateTime(utcMsOfLocal(20251005, 24500000, 'Australia/Lord_Howe'), 'Australia/Lord_Howe')).toEqual({
      date: 20251005,
      time: 24500000,
    });
  });

  it.each(['America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Shanghai'])(
    'every instant comes back from its local time (the earlier of two when the clocks went back) (%s, property)',
    (tz) => {
      fc.assert(
        fc.property(fc.integer({ min: Date.UTC(1980, 0, 1), max: Date.UTC(2060, 0, 1) }), (e) => {
          const l = localDateTime(e, tz);
          const back = utcMsOfLocal(l.date, l.time, tz);
          expect(back === e || (back < e && e - back <= 2 * HOUR && localDateTime(back, tz).time === l.time)).toBe(true);
          expect(back).toBe(epochOfLocal(l.date, l.time, tz));
        }),
        { numRuns: 3000 },
      );
    },
  );

  it("readers' ts_utc on change days: a minute bar's end and a day bar's close are local times of that day, not midnight + minutes", () => {
    const ny = { volumeDecimals: 0, timezone: 'America/New_York', sessionClose: '16:00', stored: true };
    // a day bar of 2025-03-09 closes at 16:00 EDT = 20:00Z (midnight EST + 16h would say 21:00Z)
    expect(new Date(recordUtcMs('day', { date: 20250309 }, ny)!).toISOString()).toBe('2025-03-09T20:00:00.000Z');
    expect(new Date(recordUtcMs('day', { date: 20251102 }, ny)!).toISOString()).toBe('2025-11-02T21:00:00.000Z');
    // the min1 bar ending 2025-03-09 03:01 (time 3503090301) ends at 07:01Z
    expect(new Date(recordUtcMs('bar', { date: 20250309, time: 3503090301 }, ny)!).toISOString()).toBe('2025-03-09T07:01:00.000Z');
    const utc = { volumeDecimals: 0, timezone: 'UTC', sessionClose: '24:00', stored: true };
    expect(new Date(recordUtcMs('day', { date: 20250309 }, utc)!).toISOString()).toBe('2025-03-10T00:00:00.000Z');
  });
});

// Trading dates: which trading day a tick belongs to, the next trading day, and the
// local date/time of an instant in a session's time zone.
//
// RULE (documented in docs/sessions.md and docs/protocol.md):
// - a feed that gives a trading date is believed (CTP after its exchange fix-ups);
// - otherwise, for a session with `day_starts` (night sessions): a tick at or after
//   day_starts on calendar date c belongs to nextTradingDay(c); a tick before the end
//   of a night section that crossed midnight (before 06:00) belongs to
//   nextTradingDay(c - 1), so Friday night's 01:00 Saturday tick belongs to Monday;
//   any other tick belongs to c;
// - a session without day_starts (day sessions, crypto in UTC): the calendar date.

import type { Session } from './sessions.js';

/** Night-section ticks before this minute belong to the trading day after the previous calendar day. */
const EARLY_MORNING_END: number = 6 * 60;

function toUtc(d: number): Date {
  return new Date(Date.UTC(Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, d % 100));
}

function fromUtc(dt: Date): number {
  return dt.getUTCFullYear() * 10000 + (dt.getUTCMonth() + 1) * 100 + dt.getUTCDate();
}

export function addDays(d: number, n: number): number {
  const dt = toUtc(d);
  dt.setUTCDate(dt.getUTCDate() + n);
  return fromUtc(dt);
}

/** 0 Sunday .. 6 Saturday. */
export function weekday(d: number): number {
  return toUtc(d).getUTCDay();
}

export function isTradingDay(d: number, holidays: ReadonlySet<number>): boolean {
  const w = weekday(d);
  return w !== 0 && w !== 6 && !holidays.has(d);
}

/** The first trading day strictly after d. */
export function nextTradingDay(d: number, holidays: ReadonlySet<number>): number {
  let n = addDays(d, 1);
  for (let i = 0; i < 60 && !isTradingDay(n, holidays); i++) n = addDays(n, 1);
  return n;
}

/** Trading date of an instant given as local calendar date YYYYMMDD and HHMMSSmmm. */
export function tradingDateOf(session: Session, date: number, time: number, holidays: ReadonlySet<number>): number {
  if (session.dayStarts === undefined) return date;
  const minute = Math.floor(time / 10000000) * 60 + (Math.floor(time / 100000) % 100);
  if (minute >= session.dayStarts) return nextTradingDay(date, holidays);
  if (minute < EARLY_MORNING_END) return nextTradingDay(addDays(date, -1), holidays);
  return date;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local calendar date YYYYMMDD and time HHMMSSmmm of epoch ms in an IANA time zone. */
export function localDateTime(epochMs: number, timezone: string): { date: number; time: number } {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(epochMs)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const ms = ((epochMs % 1000) + 1000) % 1000;
  return { date: p.year! * 10000 + p.month! * 100 + p.day!, time: p.hour! * 10000000 + p.minute! * 100000 + p.second! * 1000 + ms };
}

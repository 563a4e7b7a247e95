// Time ranges of the reader API: instants given as text or {date, time}, turned into an interval of record time keys and the trading dates that can hold it.
//
// RULES (docs/reading.md):
// - ticks, trades and day bars: a record is in range when from <= its instant < to; a
//   day bar's instant is 00:00 of its trading date;
// - minute bars are labelled by their END (docs/bars.md: bar 09:31 covers 09:30-09:31),
//   so a bar is in range when from < its end <= to: the bars that lie inside [from, to);
// - `to` given as a date alone ('20250106', '2025-01-06', { date } without time)
//   includes that whole calendar day (to = next day 00:00);
// - a day's files are per TRADING date and a trading day may start the calendar
//   evening before (night sessions), so days are chosen by trading date with margin and
//   every record is then kept or dropped by its own time key.

import { TickrecError } from '../errors.js';
import { isCalendarDate, minuteBarTime, nextDate, parseInstant, timeKey } from '../format/index.js';
import type { ReadKind } from './kinds.js';

/** 'YYYYMMDD', 'YYYYMMDD HH:MM[:SS[.mmm]]', 'YYYY-MM-DD[THH:MM[:SS[.mmm]]]', or a calendar date YYYYMMDD with a time HHMMSSmmm (default 0). */
export type InstantInput = string | { date: number; time?: number };

export interface ResolvedInstant {
  /** Calendar date YYYYMMDD. */
  date: number;
  /** HHMMSSmmm. */
  time: number;
  /** Given as a date alone (as `to`, it includes that whole day). */
  dateOnly: boolean;
}

/** Records with lo <= key < hi are in range; trading days from firstDate on are read, through lastDate and past it while a day still starts before hi. */
export interface KeyRange {
  readonly lo: number;
  readonly hi: number;
  /** First trading date that can hold a record in range (from's calendar date - 1: a bar ending at 00:00 belongs to the day before). */
  readonly firstDate: number;
  /** Last trading date certainly needed (to's calendar date); later days are read only while their first record is before hi. */
  readonly lastDate: number;
  readonly from: ResolvedInstant | undefined;
  readonly to: ResolvedInstant | undefined;
}

const DATE_ONLY = /^(\d{8}|\d{4}-\d{2}-\d{2})$/;
const FORMS = "'YYYYMMDD', 'YYYYMMDD HH:MM[:SS[.mmm]]', 'YYYY-MM-DDTHH:MM[:SS[.mmm]]' or { date: YYYYMMDD, time: HHMMSSmmm }";

function badInstant(name: string, v: unknown, why: string): TickrecError {
  let shown: string;
  try {
    shown = typeof v === 'string' ? `'${v.slice(0, 40)}'` : (JSON.stringify(v)?.slice(0, 60) ?? String(v));
  } catch {
    shown = String(v);
  }
  return new TickrecError('E_USAGE', `${name} ${shown}: ${why}; use ${FORMS}.`);
}

/** The text starts with a date's digits (so a refusal is about the day, not the form). */
function looksLikeDay(v: string): boolean {
  return /^\s*(\d{8}|\d{4}-\d{2}-\d{2})([ T]|\s*$)/.test(v);
}

function validTime(t: number): boolean {
  if (!Number.isInteger(t) || t < 0) return false;
  const h = Math.floor(t / 10000000);
  const m = Math.floor(t / 100000) % 100;
  const s = Math.floor(t / 1000) % 100;
  return h <= 23 && m <= 59 && s <= 59;
}

/** Parses an instant of the reader API; `name` ('from', 'to', '--from'...) is named in errors. */
export function resolveInstant(name: string, v: InstantInput): ResolvedInstant {
  if (typeof v === 'string') {
    const p = parseInstant(v);
    if (!p) throw badInstant(name, v, looksLikeDay(v) ? 'no such calendar date' : 'not an instant');
    if (p.date === undefined) throw badInstant(name, v, 'a time of day alone is ambiguous across days; give the date too');
    if (!isCalendarDate(p.date)) throw badInstant(name, v, 'no such calendar date');
    return { date: p.date, time: p.time, dateOnly: DATE_ONLY.test(v.trim()) };
  }
  if (v === null || typeof v !== 'object' || typeof (v as { date?: unknown }).date !== 'number')
    throw badInstant(name, v, 'not an instant');
  const time = v.time ?? 0;
  if (!isCalendarDate(v.date)) throw badInstant(name, v, 'date is not a calendar date YYYYMMDD');
  if (typeof time !== 'number' || !validTime(time)) throw badInstant(name, v, 'time is not HHMMSSmmm (0 .. 235959999)');
  return { date: v.date, time, dateOnly: v.time === undefined };
}

/** Key of a calendar instant in the kind's key space: ticks and trades timeKey, bars minuteBarTime of its HHMM (src/format/time.ts). */
export function instantKey(kind: ReadKind, date: number, time: number): number {
  return kind.isBar ? minuteBarTime(date, Math.floor(time / 100000)) : timeKey(date, time);
}

/** The key interval and trading dates of [from, to) for `kind`. Refuses from after to. */
export function keyRange(
  kind: ReadKind,
  from: InstantInput | undefined,
  to: InstantInput | undefined,
  names: [string, string] = ['from', 'to'],
): KeyRange {
  const f = from === undefined ? undefined : resolveInstant(names[0], from);
  const t = to === undefined ? undefined : resolveInstant(names[1], to);
  // `to` as a date alone: through the end of that day.
  const tEnd = t ? (t.dateOnly ? { date: nextDate(t.date), time: 0 } : t) : undefined;
  if (f && tEnd && (f.date > tEnd.date || (f.date === tEnd.date && f.time > tEnd.time))) {
    throw new TickrecError(
      'E_USAGE',
      `${names[0]} ${describeInstant(f, '')} is after ${names[1]} ${describeInstant(t, '')}: give ${names[0]} <= ${names[1]}.`,
    );
  }
  // Minute bars: end in (from, to]; as keys floored to the minute: fromKey < key <= toKey.
  const shift = kind.minuteBar ? 1 : 0;
  const lo = f ? instantKey(kind, f.date, f.time) + shift : -Infinity;
  const hi = tEnd ? instantKey(kind, tEnd.date, tEnd.time) + shift : Infinity;
  return {
    lo,
    hi,
    firstDate: f ? previousDate(f.date) : 0,
    lastDate: tEnd ? tEnd.date : 99999999,
    from: f,
    to: t,
  };
}

/** The calendar date before YYYYMMDD. */
export function previousDate(d: number): number {
  const dt = new Date(Date.UTC(Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, (d % 100) - 1));
  return dt.getUTCFullYear() * 10000 + (dt.getUTCMonth() + 1) * 100 + dt.getUTCDate();
}

/** 'YYYYMMDD HH:MM:SS.mmm' of an instant, for messages. */
export function describeInstant(i: ResolvedInstant | undefined, open: string): string {
  if (!i) return open;
  if (i.dateOnly) return String(i.date);
  const t = i.time;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${i.date} ${p(Math.floor(t / 10000000))}:${p(Math.floor(t / 100000) % 100)}:${p(Math.floor(t / 1000) % 100)}${t % 1000 ? `.${String(t % 1000).padStart(3, '0')}` : ''}`;
}

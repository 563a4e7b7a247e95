// Dates (YYYYMMDD) and times (HHMMSSmmm) as stored in records: parse and format.

export interface Instant {
  /** Calendar date YYYYMMDD, or undefined when only a time of day was given. */
  date: number | undefined;
  /** Time HHMMSSmmm. */
  time: number;
}

const RE_COMPACT = /^(\d{8})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;
const RE_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;
const RE_TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

function hms(h?: string, m?: string, s?: string, ms?: string): number {
  const H = Number(h ?? 0);
  const M = Number(m ?? 0);
  const S = Number(s ?? 0);
  const mil = ms === undefined ? 0 : Number(ms.padEnd(3, '0'));
  if (H > 23 || M > 59 || S > 59) return NaN;
  return H * 10000000 + M * 100000 + S * 1000 + mil;
}

/** Days in each month of a non-leap year (index 1..12). */
const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * THE rule for a date YYYYMMDD, used by every parser of dates in tickrec (command-line
 * options, the reader API, the normalizer of incoming records): a year 1900..9999 and a
 * day that exists in that month (20250230 and 20250229 do not, 20240229 does). A table,
 * not a Date: the normalizer runs it twice per tick.
 */
export function isCalendarDate(d: number): boolean {
  if (!Number.isInteger(d) || d < 19000101 || d > 99991231) return false;
  const y = Math.floor(d / 10000);
  const m = Math.floor(d / 100) % 100;
  const day = d % 100;
  if (m < 1 || m > 12 || day < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return day <= (m === 2 && leap ? 29 : MONTH_DAYS[m]!);
}

// ---- datakit's time keys -------------------------------------------------------------
//
// DATAKIT'S TIME KEYS: WonderTrader's datakit counts the dates inside its time numbers
// from 1990: a date YYYYMMDD enters them as (YYYYMMDD - 19900000), so 2024-01-02 is
// 340102. Two such numbers, and only these functions compute them:
// - a minute bar's stored `time` (WTSBarStruct.time): (date - 19900000) * 10000 + HHMM,
//   so `time + 199000000000` is YYYYMMDDHHMM (what datakit's readers compute), and a day
//   bar's key is the `time` of HHMM 0000 of its date;
// - the key of a tick's or a trade's instant, which orders records (tickrec's own):
//   (date - 19900000) * 1e9 + HHMMSSmmm, exact below 2^53 for every record date.

/** The date datakit's time numbers count from: a date enters them as date - DATAKIT_DATE_BASE. */
const DATAKIT_DATE_BASE = 19900000;

/** The key of an instant (a tick's or a trade's action_date YYYYMMDD and action_time HHMMSSmmm): one ordered number, exact below 2^53. */
export function timeKey(date: number, timeHHMMSSmmm: number): number {
  return (date - DATAKIT_DATE_BASE) * 1e9 + timeHHMMSSmmm;
}

/** A minute bar's `time` from a calendar date YYYYMMDD and HHMM (the bar's end; 0 for a day bar's key). */
export function minuteBarTime(calendarDate: number, hhmm: number): number {
  return (calendarDate - DATAKIT_DATE_BASE) * 10000 + hhmm;
}

/** YYYYMMDDHHMM of a minute bar's `time` (what datakit readers compute). */
export function minuteBarStamp(time: number): number {
  return time + DATAKIT_DATE_BASE * 10000;
}

/** The calendar date YYYYMMDD of a minute bar's `time` (the date of its end). */
export function minuteBarDate(time: number): number {
  return Math.floor(time / 10000) + DATAKIT_DATE_BASE;
}

/** The dates a record may carry: 1990-01-01 .. 2099-12-31 (datakit's time keys count from 19900000). */
export const RECORD_DATE_MIN = 19900101;
export const RECORD_DATE_MAX = 20991231;

/**
 * THE rule for a date a record carries (feed mappers, the normalizer): a calendar date
 * (isCalendarDate) within RECORD_DATE_MIN..RECORD_DATE_MAX. Dates the user types (ranges,
 * options) are calendar dates only.
 */
export function isRecordDate(d: unknown): d is number {
  return typeof d === 'number' && d >= RECORD_DATE_MIN && d <= RECORD_DATE_MAX && isCalendarDate(d);
}

function ymd(y: number, m: number, d: number): number {
  const date = y * 10000 + m * 100 + d;
  return isCalendarDate(date) ? date : NaN;
}

const RE_DATE = /^(?:(\d{4})(\d{2})(\d{2})|(\d{4})-(\d{2})-(\d{2}))$/;

/** Parses a date alone, 'YYYYMMDD' or 'YYYY-MM-DD', into YYYYMMDD; undefined for anything else or a day that does not exist. */
export function parseDate(text: string): number | undefined {
  const m = RE_DATE.exec(text.trim());
  if (!m) return undefined;
  const date = m[1] !== undefined ? ymd(Number(m[1]), Number(m[2]), Number(m[3])) : ymd(Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(date) ? undefined : date;
}

/** True when `text` has the shape of a date alone (it may still be a day that does not exist). */
export function looksLikeDate(text: string): boolean {
  return RE_DATE.test(text.trim());
}

/**
 * Parses 'YYYYMMDD', 'YYYYMMDD HH:MM[:SS[.mmm]]', 'YYYY-MM-DD[THH:MM[:SS[.mmm]]]' or
 * 'HH:MM[:SS[.mmm]]'. Returns undefined for anything else, and for a date that does not
 * exist (isCalendarDate) or a time past 23:59:59.
 */
export function parseInstant(text: string): Instant | undefined {
  const t = text.trim();
  let m = RE_COMPACT.exec(t);
  if (m) {
    const d = Number(m[1]);
    const date = ymd(Math.floor(d / 10000), Math.floor(d / 100) % 100, d % 100);
    const time = hms(m[2], m[3], m[4], m[5]);
    return Number.isNaN(date) || Number.isNaN(time) ? undefined : { date, time };
  }
  m = RE_ISO.exec(t);
  if (m) {
    const date = ymd(Number(m[1]), Number(m[2]), Number(m[3]));
    const time = hms(m[4], m[5], m[6], m[7]);
    return Number.isNaN(date) || Number.isNaN(time) ? undefined : { date, time };
  }
  m = RE_TIME.exec(t);
  if (m) {
    const time = hms(m[1], m[2], m[3], m[4]);
    return Number.isNaN(time) ? undefined : { date: undefined, time };
  }
  return undefined;
}

/** HHMMSSmmm → 'HH:MM:SS.mmm'. */
export function formatTime(t: number): string {
  const ms = t % 1000;
  const s = Math.floor(t / 1000) % 100;
  const m = Math.floor(t / 100000) % 100;
  const h = Math.floor(t / 10000000);
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}.${String(ms).padStart(3, '0')}`;
}

/** YYYYMMDD → 'YYYY-MM-DD'. */
export function formatDate(d: number): string {
  return `${Math.floor(d / 10000)}-${pad2(Math.floor(d / 100) % 100)}-${pad2(d % 100)}`;
}

/** The calendar date after YYYYMMDD. */
export function nextDate(d: number): number {
  const dt = new Date(Date.UTC(Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, (d % 100) + 1));
  return dt.getUTCFullYear() * 10000 + (dt.getUTCMonth() + 1) * 100 + dt.getUTCDate();
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

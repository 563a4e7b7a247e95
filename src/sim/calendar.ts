// Simulated wall clocks: epoch ms ↔ local dates/times, trading sections, and the trading-date rule.
//
// All simulated instants are epoch milliseconds (UTC). Each instrument has a fixed UTC
// offset (China futures: +08:00, Asia/Shanghai has no DST; crypto: UTC) and reads its
// local calendar date, weekday and HHMMSSmmm from that. Public holidays are ignored:
// every Monday..Friday is a trading day.

export const DAY_MS = 86_400_000;
export const SHANGHAI_OFFSET_MIN = 480;

/** A trading section in local wall-clock time, HHMM. `close < open` crosses midnight. */
export interface Section {
  open: number;
  close: number;
}

/** Local day index (days since 1970-01-01 in local time) of an instant. */
export function localDay(epochMs: number, offsetMin: number): number {
  return Math.floor((epochMs + offsetMin * 60_000) / DAY_MS);
}

/** 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekday(day: number): boolean {
  const w = weekday(day);
  return w >= 1 && w <= 5;
}

/** The first Monday..Friday strictly after `day`. */
export function nextWeekday(day: number): number {
  let d = day + 1;
  while (!isWeekday(d)) d++;
  return d;
}

/** Day index → YYYYMMDD. */
export function dayToYmd(day: number): number {
  const dt = new Date(day * DAY_MS);
  return dt.getUTCFullYear() * 10000 + (dt.getUTCMonth() + 1) * 100 + dt.getUTCDate();
}

/** YYYYMMDD → day index. */
export function ymdToDay(ymd: number): number {
  return Math.floor(Date.UTC(Math.floor(ymd / 10000), (Math.floor(ymd / 100) % 100) - 1, ymd % 100) / DAY_MS);
}

/** Milliseconds since local midnight → HHMMSSmmm. */
export function msOfDayToTime(ms: number): number {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return h * 10_000_000 + m * 100_000 + s * 1000 + (ms % 1000);
}

const hhmmToMin = (hhmm: number): number => Math.floor(hhmm / 100) * 60 + (hhmm % 100);

/** Sections that start at or after 18:00 are night sessions (they belong to the next trading day). */
export const NIGHT_FROM_MIN = 18 * 60;
/** Minutes before 06:00 are the tail of the previous evening's night session. */
export const MORNING_UNTIL_MIN = 6 * 60;

/**
 * Whether a futures section is trading at local day `day`, minute-of-day `min`.
 * Day sections trade Monday..Friday; a night section trades on Monday..Friday evenings
 * and its after-midnight part on the following morning (so Friday night runs into
 * Saturday 01:00 / 02:30, and there is no Sunday night).
 * A section is [open, close): 10:15 is the first closed minute of 09:00–10:15.
 */
export function sectionOpen(sec: Section, day: number, min: number): boolean {
  const open = hhmmToMin(sec.open);
  const close = hhmmToMin(sec.close);
  if (open === close) return true; // 24 h (crypto)
  if (open < close) {
    if (min < open || min >= close) return false;
    return isWeekday(day);
  }
  // crosses midnight
  if (min >= open) return isWeekday(day);
  if (min < close) return isWeekday(day - 1);
  return false;
}

/**
 * The trading date (day index) of a futures tick at local day `day`, minute `min`:
 * the night session belongs to the next trading day (a Friday night to Monday),
 * after-midnight minutes to the trading day after the previous evening, the day
 * session to its calendar day.
 */
export function futuresTradingDay(day: number, min: number): number {
  if (min >= NIGHT_FROM_MIN) return nextWeekday(day);
  if (min < MORNING_UNTIL_MIN) return nextWeekday(day - 1);
  return day;
}

/**
 * Parses a simulator start: 'YYYYMMDD HH:MM[:SS]' or 'YYYY-MM-DD[ T]HH:MM[:SS]' as
 * Asia/Shanghai wall-clock time (UTC+8), or 'YYYYMMDD' (00:00). Returns epoch ms,
 * or undefined when the text is not such a date.
 */
export function parseStart(text: string): number | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(utc).getUTCDate() !== d) return undefined; // 20250231
  return utc - SHANGHAI_OFFSET_MIN * 60_000;
}

/** Epoch ms → 'YYYY-MM-DD HH:MM:SS' in Asia/Shanghai wall-clock time. */
export function formatShanghai(epochMs: number): string {
  return new Date(epochMs + SHANGHAI_OFFSET_MIN * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Local time, HHMM, at which every simulated futures instrument trades (CFFEX opens 09:30; the commodities trade 09:00-10:15). */
export const ALL_OPEN_HHMM = 930;

/**
 * The simulator's start "open": 09:30 Asia/Shanghai of the current weekday, or of the
 * last weekday before it (on a weekend, or a day `isHoliday` names), as epoch ms. From
 * there every simulated instrument ticks, at any real hour: the quick start's market.
 */
export function openStartMs(nowMs: number, isHoliday: (ymd: number) => boolean = () => false): number {
  let day = localDay(nowMs, SHANGHAI_OFFSET_MIN);
  for (let i = 0; i < 31 && (!isWeekday(day) || isHoliday(dayToYmd(day))); i++) day--;
  const minutes = Math.floor(ALL_OPEN_HHMM / 100) * 60 + (ALL_OPEN_HHMM % 100);
  return day * DAY_MS + (minutes - SHANGHAI_OFFSET_MIN) * 60_000;
}

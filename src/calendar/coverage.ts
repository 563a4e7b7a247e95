// Whether the holiday calendar covers the days ahead: the recorder warns at start and /health, the monitor page and `tickrec calendar --check` say degraded when it does not reach today + 30 days.

import type { SessionBook } from './sessions.js';
import { addDays } from './trading-day.js';

/** Days ahead the calendar must cover. */
export const CALENDAR_HORIZON_DAYS = 30;

export interface CoverageCheck {
  /** 'ok'; 'short': the holidays end before today + horizon; 'none': the book lists no holidays and declares no coverage (not checked). */
  status: 'ok' | 'short' | 'none';
  today: number;
  /** today + horizon (YYYYMMDD). */
  needed: number;
  coversThrough: number;
  inferred: boolean;
  /** One line for logs, /health and the page. */
  message: string;
}

/** UTC calendar date of epoch ms, YYYYMMDD. */
function utcDate(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

export function checkCoverage(book: SessionBook, nowMs: number, horizonDays = CALENDAR_HORIZON_DAYS): CoverageCheck {
  const today = utcDate(nowMs);
  const needed = addDays(today, horizonDays);
  const c = book.calendar;
  const base = { today, needed, coversThrough: c.coversThrough, inferred: c.inferred };
  if (c.coversThrough === 0) {
    return { status: 'none', ...base, message: `the sessions file ${c.file} lists no holidays: trading days are weekdays only` };
  }
  if (c.coversThrough >= needed) {
    return { status: 'ok', ...base, message: `holiday calendar covers through ${c.coversThrough}${c.inferred ? ' (inferred)' : ''}` };
  }
  return {
    status: 'short',
    ...base,
    message:
      `holiday calendar ends ${c.coversThrough}${c.inferred ? ' (inferred from the last holiday listed)' : ''}, before ${needed} ` +
      `(today + ${horizonDays} days): trading dates after it skip weekends only. Add the exchanges' holidays to ${c.file} ` +
      `and send SIGHUP (docs/sessions.md)`,
  };
}

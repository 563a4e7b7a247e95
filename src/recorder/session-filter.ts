// The session rule of normalization (N10): a tick outside its instrument's trading time is not a tick of the day. Pure logic.
//
// RULE N10 (docs/protocol.md; applies to every feed whose instrument has a session in the
// sessions book; an instrument without one is not checked, and UTC24 — crypto — covers
// every instant, so the rule never rejects there). A tick is stored only when:
//  (a) time: its action_time lies in one of the session's sections or in its auction,
//      each widened by `graceMs` (default 60 s) on both sides: closing ticks stamped a
//      few seconds after 15:00:00 and the auction result stamped 20:59 pass;
//  (b) trading day: a trading date the feed gave equals the one the session rule
//      (src/calendar/trading-day.ts) gives for its action_date and action_time. A front
//      that sends, after login, the previous session's last tick with the NEW
//      TradingDay (SHFE: 15:00 of day D with TradingDay D+1) fails here;
//  (c) not from a later day: when the recorder's clock is the data's (storage.roll_by_clock),
//      its exchange time is at most `futureMs` (default 4 h) after the time it was
//      received. DCE dates that same stale tick 15:00 of the NEW day while it arrives
//      the evening before: some 18 h ahead (at least the 6 h from the 15:00 close to the
//      21:00 open). Smaller offsets are left alone: a clock that is wrong by minutes, or
//      a test clock that trails its simulator, must not lose a session.
// Otherwise the tick is rejected as off_session (counted by reason, logged with a
// count), BEFORE the instrument's state is touched: it never becomes the last tick,
// never sets the cumulative volume/turnover baseline (N8), never dates a trading day.
// What datakit does is the same in effect: it drops ticks outside the trading time.

import type { Session } from '../calendar/index.js';
import { tradingDateOf } from '../calendar/index.js';
import { SESSION_FILTER_DEFAULTS } from '../config/index.js';

export const SESSION_GRACE_MS_DEFAULT = SESSION_FILTER_DEFAULTS.graceMs;
export const SESSION_FUTURE_MS_DEFAULT = SESSION_FILTER_DEFAULTS.futureMs;

const DAY_S = 86_400;

/** Seconds since local midnight of HHMMSSmmm. */
function secondOfDay(time: number): number {
  return (
    Math.floor(time / 10000000) * 3600 + (Math.floor(time / 100000) % 100) * 60 + (Math.floor(time / 1000) % 100) + (time % 1000) / 1000
  );
}

function inWindow(sec: number, fromMin: number, toMin: number, graceS: number): boolean {
  const lo = fromMin * 60 - graceS;
  const hi = toMin * 60 + graceS;
  // A section may cross midnight (to > 1440): test the instant and the instant a day later.
  return (sec >= lo && sec <= hi) || (sec + DAY_S >= lo && sec + DAY_S <= hi) || (sec - DAY_S >= lo && sec - DAY_S <= hi);
}

/** (a): is HHMMSSmmm inside a section or the auction, widened by graceMs? */
export function inTradingTime(s: Session, time: number, graceMs: number): boolean {
  const sec = secondOfDay(time);
  const g = graceMs / 1000;
  if (s.auction !== undefined && inWindow(sec, s.auction.from, s.auction.to, g)) return true;
  for (const x of s.sections) if (inWindow(sec, x.from, x.to, g)) return true;
  return false;
}

/**
 * Why a tick breaks N10, or null when it does not. `givenTradingDate` is the feed's (0
 * when it gave none); `exchangeMs`/`receivedMs` are NaN when (c) does not apply.
 */
export function sessionProblem(
  s: Session,
  holidays: ReadonlySet<number>,
  actionDate: number,
  actionTime: number,
  givenTradingDate: number,
  exchangeMs: number,
  receivedMs: number,
  graceMs: number,
  futureMs: number,
  ruleDate: (s: Session, date: number, time: number) => number = (x, d, t) => tradingDateOf(x, d, t, holidays),
): string | null {
  if (!inTradingTime(s, actionTime, graceMs)) return `${actionDate} ${actionTime} is outside the sections and auction of session ${s.name}`;
  if (givenTradingDate !== 0) {
    const rule = ruleDate(s, actionDate, actionTime);
    if (rule !== givenTradingDate) {
      return `${actionDate} ${actionTime} belongs to trading day ${rule} by session ${s.name}, but the feed says ${givenTradingDate} (a stale snapshot of an earlier session)`;
    }
  }
  if (exchangeMs === exchangeMs && receivedMs === receivedMs && exchangeMs > receivedMs + futureMs) {
    return `${actionDate} ${actionTime} is ${Math.round((exchangeMs - receivedMs) / 1000)} s after it was received (a stale snapshot dated in the future)`;
  }
  return null;
}

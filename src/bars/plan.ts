// Minute labels of a trading session: which bar a tick belongs to, which derived-period bucket a 1-minute bar belongs to, and the latest bar end at an instant.
//
// LABEL RULES (docs/bars.md, "Which bar a tick belongs to"):
// L1 a bar is labelled by its END: the 1-minute bar HH:MM covers [HH:MM-1, HH:MM);
// L2 a tick stamped at local time t inside a section [from, to) belongs to the bar that
//    ends at the next minute boundary after t (09:30:00.000 → 09:31, 09:30:59.999 → 09:31);
// L3 a tick stamped at a section's end, to within END_TOLERANCE_MS (the end's second:
//    15:00:00.000 .. 15:00:00.999), belongs to the section's last bar (15:00);
// L4 a tick in the auction window, from the auction's start to the start of the section
//    that follows it, belongs to the first bar of that section (09:25 → 09:31);
// L5 any other tick is outside the session: it is recorded as a tick and makes no bar;
// L6 the calendar date of a label is the date of the bar's END (23:59:30 → 00:00 of the
//    next day); `time` = (that date - 19900000) * 10000 + HHMM.
// A section that crosses midnight (21:00-02:30) is one piece of clock time; the end
// time 24:00 is 00:00 of the next day.
//
// BUCKET RULE (derived periods, N minutes): minutes are counted from the start of each
// section; bucket k of a section covers its minutes (k*N, (k+1)*N] and is labelled by
// the end of its last minute, cut at the section's end. A bucket never spans a break, so
// the last bucket of a section may be shorter than N (rb 30m: 10:00-10:15 is the 10:15
// bar). For every shipped session, 5- and 15-minute buckets equal datakit's, which
// counts minutes from the session's open (every section length is a multiple of 15).

import { addDays, type Session } from '../calendar/index.js';
import { TickrecError } from '../errors.js';
import { minuteBarTime } from '../format/index.js';

const MIN_MS = 60_000;
const DAY_MIN = 1440;
const DAY_MS = DAY_MIN * MIN_MS;

/** A tick stamped this many ms after a section's end (exclusive) still belongs to its last bar (L3). */
export const END_TOLERANCE_MS = 1000;

export interface PlanSection {
  readonly index: number;
  /** Start, minutes from local midnight of the day the section starts (0..1439). */
  readonly from: number;
  /** End, minutes from the same midnight; above 1440 when the section crosses midnight. */
  readonly to: number;
  readonly fromMs: number;
  readonly toMs: number;
}

/** Where a tick or a 1-minute bar falls: filled in place (no allocation per tick). */
export interface MinuteLabel {
  /** Index of the section in the session's `sections`. */
  section: number;
  /** End of the bar, minutes from local midnight of the day the section starts (from < end <= to). */
  end: number;
  /** Days from the tick's (or the label's) calendar date to the day the section starts: -1, 0 or 1. */
  startShift: number;
}

export function newLabel(): MinuteLabel {
  return { section: -1, end: 0, startShift: 0 };
}

/** HHMM of a minute of the day (0..1439, or any minute taken modulo 1440). */
export function hhmmOf(minute: number): number {
  const m = minute % DAY_MIN;
  return Math.floor(m / 60) * 100 + (m % 60);
}

/** Milliseconds since midnight of a time HHMMSSmmm. */
export function msOfDay(time: number): number {
  const h = Math.floor(time / 10000000);
  const mi = Math.floor(time / 100000) % 100;
  const s = Math.floor(time / 1000) % 100;
  return ((h * 60 + mi) * 60 + s) * 1000 + (time % 1000);
}

/** A session prepared for labelling. Pure; build once per session. */
export class SessionPlan {
  readonly session: Session;
  readonly sections: readonly PlanSection[];
  private readonly auctionFromMs: number;
  private readonly auctionToMs: number;
  /** Section that follows the auction, and the day shift of its start from the auction's day. */
  private readonly auctionSection: number;
  private readonly auctionCrosses: boolean;

  constructor(session: Session) {
    this.session = session;
    if (session.sections.length === 0) {
      throw new TickrecError('E_CONFIG', `session ${session.name}: has no sections; a session needs at least one.`);
    }
    this.sections = session.sections.map((s, index) => {
      if (!(s.from >= 0 && s.from < DAY_MIN && s.to > s.from && s.to <= s.from + DAY_MIN)) {
        throw new TickrecError(
          'E_CONFIG',
          `session ${session.name}: section ${index + 1} (${hhmmOf(s.from)}-${hhmmOf(s.to)}) must start before 24:00 and last at most 24 hours.`,
        );
      }
      return { index, from: s.from, to: s.to, fromMs: s.from * MIN_MS, toMs: s.to * MIN_MS };
    });
    const a = session.auction;
    if (a) {
      // The section that follows the auction: the first start at or after the auction's start.
      let best = -1;
      let gap = DAY_MIN + 1;
      for (const s of this.sections) {
        const g = (s.from - a.from + DAY_MIN) % DAY_MIN;
        if (g < gap) {
          gap = g;
          best = s.index;
        }
      }
      const start = this.sections[best]!.from;
      this.auctionSection = best;
      this.auctionFromMs = a.from * MIN_MS;
      this.auctionCrosses = start < a.from;
      this.auctionToMs = (this.auctionCrosses ? start + DAY_MIN : start) * MIN_MS;
    } else {
      this.auctionSection = -1;
      this.auctionFromMs = 0;
      this.auctionToMs = 0;
      this.auctionCrosses = false;
    }
  }

  /**
   * Labels a tick stamped at local time `time` (HHMMSSmmm) by rules L2-L4. Returns false
   * when the tick is outside the session (L5).
   */
  labelTick(time: number, out: MinuteLabel): boolean {
    const t = msOfDay(time);
    const t2 = t + DAY_MS;
    const secs = this.sections;
    for (let i = 0; i < secs.length; i++) {
      const s = secs[i]!;
      if (t >= s.fromMs && t < s.toMs) {
        out.section = i;
        out.end = Math.floor(t / MIN_MS) + 1;
        out.startShift = 0;
        return true;
      }
      if (t2 >= s.fromMs && t2 < s.toMs) {
        out.section = i;
        out.end = Math.floor(t2 / MIN_MS) + 1;
        out.startShift = -1;
        return true;
      }
    }
    for (let i = 0; i < secs.length; i++) {
      const s = secs[i]!;
      if (t >= s.toMs && t < s.toMs + END_TOLERANCE_MS) {
        out.section = i;
        out.end = s.to;
        out.startShift = 0;
        return true;
      }
      if (t2 >= s.toMs && t2 < s.toMs + END_TOLERANCE_MS) {
        out.section = i;
        out.end = s.to;
        out.startShift = -1;
        return true;
      }
    }
    if (this.auctionSection >= 0) {
      const s = secs[this.auctionSection]!;
      if (t >= this.auctionFromMs && t < this.auctionToMs) {
        out.section = this.auctionSection;
        out.end = s.from + 1;
        out.startShift = this.auctionCrosses ? 1 : 0;
        return true;
      }
      if (t2 >= this.auctionFromMs && t2 < this.auctionToMs) {
        out.section = this.auctionSection;
        out.end = s.from + 1;
        out.startShift = 0;
        return true;
      }
    }
    return false;
  }

  /**
   * The section of a 1-minute bar label (its end as HHMM): the section with from < end <= to.
   * Returns false when HHMM ends no bar of the session. startShift is relative to the
   * label's calendar date.
   */
  labelOfBarEnd(hhmm: number, out: MinuteLabel): boolean {
    const m = Math.floor(hhmm / 100) * 60 + (hhmm % 100);
    const secs = this.sections;
    for (let i = 0; i < secs.length; i++) {
      const s = secs[i]!;
      for (let k = 0; k <= 1; k++) {
        const rel = m + k * DAY_MIN;
        if (rel > s.from && rel <= s.to) {
          out.section = i;
          out.end = rel;
          out.startShift = -k;
          return true;
        }
      }
    }
    return false;
  }

  /** End of the N-minute bucket that the 1-minute bar ending at `end` of `section` belongs to (BUCKET RULE). */
  bucketEnd(section: number, end: number, minutes: number): number {
    const s = this.sections[section]!;
    const k = end - s.from;
    const b = Math.ceil(k / minutes) * minutes;
    return s.from + Math.min(b, s.to - s.from);
  }

  /**
   * The latest bar end at or before local date `date`, minute of day `minute` (0..1439):
   * over every section that started on `date` or the day before. `prevDate` is the
   * calendar day before `date`. Returns undefined when no section has ended a minute yet.
   */
  latestBarEnd(date: number, prevDate: number, minute: number): { time: number; section: number; startDate: number } | undefined {
    let best: { time: number; section: number; startDate: number } | undefined;
    for (const s of this.sections) {
      for (let k = 0; k <= 1; k++) {
        const rel = minute + k * DAY_MIN;
        if (rel <= s.from) continue;
        const end = Math.min(rel, s.to);
        const startDate = k === 0 ? date : prevDate;
        const labelDate = Math.floor(end / DAY_MIN) - k === 0 ? date : prevDate;
        const time = minuteBarTime(labelDate, hhmmOf(end));
        if (!best || time > best.time) best = { time, section: s.index, startDate };
      }
    }
    return best;
  }
}

/** Calendar date `date` moved by `days` (-1, 0, 1 or more); arithmetic only when days is 0. */
export function shiftDate(date: number, days: number): number {
  return days === 0 ? date : addDays(date, days);
}

/** Bar `time` of a label: the calendar date of the section start plus the end's day offset. */
export function labelTime(startDate: number, end: number): number {
  const d = shiftDate(startDate, Math.floor(end / DAY_MIN));
  return minuteBarTime(d, hhmmOf(end));
}

// Exchange-local date and time → UTC instant: the one rule (epochOfLocal), and a fast cached form of it for exports and readers (utcMsOfLocal).
//
// RULE (docs/format.md, "Reading quantities and times"; the Python reader copies it in
// python/tickrec/meta.py, _offset_of_wall):
// - a local wall-clock time w (read as if it were UTC) is the instant t = w - o, where o is
//   the zone's offset AT t. Offsets lie in [-12h, +14h], so t lies in [w - 14h, w + 12h];
//   oE and oL are the offsets at the two ends of that window (before and after any change);
// - a candidate t = w - o (o in {oE, oL}) is valid when offsetAt(t) == o;
// - one valid candidate: that instant; both (the clocks went back: the wall time happens
//   twice): the EARLIER instant; neither (the clocks went forward: the wall time does not
//   exist): w - oE, i.e. the time moves forward by the change (the "compatible" rule of
//   Temporal, java.time, dateutil and most libraries: 02:30 on New York's spring day is
//   03:30 EDT = 07:30Z);
// - assumes at most one offset change within 26 hours (true of every zone of the tz database).

import { localDateTime } from './trading-day.js';

const HOUR_MS = 3_600_000;

/** Wall-clock ms of a local date YYYYMMDD and time HHMMSSmmm read as if it were UTC. */
function wallMs(date: number, time: number): number {
  return Date.UTC(
    Math.floor(date / 10000),
    (Math.floor(date / 100) % 100) - 1,
    date % 100,
    Math.floor(time / 10000000),
    Math.floor(time / 100000) % 100,
    Math.floor(time / 1000) % 100,
    time % 1000,
  );
}

/** The zone's offset at an instant, ms (local wall clock − UTC). */
export function offsetAt(epochMs: number, timezone: string): number {
  const l = localDateTime(epochMs, timezone);
  return wallMs(l.date, l.time) - epochMs;
}

/** The offset o such that wall − o is the instant of the wall-clock time `wall` in the zone, by the RULE above. */
function offsetOfWall(wall: number, timezone: string): number {
  const oE = offsetAt(wall - 14 * HOUR_MS, timezone);
  const oL = offsetAt(wall + 12 * HOUR_MS, timezone);
  const okE = offsetAt(wall - oE, timezone) === oE;
  if (oL === oE) return oE;
  const okL = offsetAt(wall - oL, timezone) === oL;
  if (okE && okL) return Math.max(oE, oL); // twice (fall back): the earlier instant
  if (okL) return oL;
  return oE; // okE, or neither (spring forward gap): moves forward by the change
}

/** Epoch ms of a local date YYYYMMDD and time HHMMSSmmm in an IANA zone, by the RULE above (exact; four zone look-ups). */
export function epochOfLocal(date: number, time: number, timezone: string): number {
  const wall = wallMs(date, time);
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return wall;
  return wall - offsetOfWall(wall, timezone);
}

/**
 * The offset (ms) that the RULE gives to every time of the local hour `hour` (0..23) of
 * `date`, or NaN when the offset changes within that hour (the hour of a clock change):
 * then only epochOfLocal per time is exact. Checked at both ends of the hour; one change
 * at most within an hour, so equal ends mean the offset holds for the whole hour.
 */
export function hourOffset(date: number, hour: number, timezone: string): number {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return 0;
  const start = wallMs(date, hour * 10000000);
  const a = offsetOfWall(start, timezone);
  const b = offsetOfWall(start + HOUR_MS - 1, timezone);
  return a === b ? a : Number.NaN;
}

const offsets = new Map<string, number>();
const OFFSETS_MAX = 100_000;

/**
 * Epoch ms of a local date YYYYMMDD and time HHMMSSmmm in an IANA zone, equal to
 * epochOfLocal for every input: the offset is looked up once per (zone, date, hour) and
 * cached; the hour of a clock change is computed per time.
 */
export function utcMsOfLocal(date: number, time: number, timezone: string): number {
  const wall = wallMs(date, time);
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return wall;
  const h = Math.floor(time / 10000000);
  const key = `${timezone}|${date}|${h}`;
  let off = offsets.get(key);
  if (off === undefined) {
    off = hourOffset(date, h, timezone);
    if (offsets.size > OFFSETS_MAX) offsets.clear();
    offsets.set(key, off);
  }
  return Number.isNaN(off) ? wall - offsetOfWall(wall, timezone) : wall - off;
}

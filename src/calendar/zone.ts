// Exchange-local date and time → UTC instant, fast enough for exports: one time-zone lookup per zone, date and hour, then arithmetic.

import { epochOfLocal } from './trading-day.js';

const offsets = new Map<string, number>();
const OFFSETS_MAX = 100_000;

/**
 * Epoch ms of a local date YYYYMMDD and time HHMMSSmmm in an IANA zone. The zone's offset
 * is looked up once per (zone, date, hour) and cached: exact for zones without daylight
 * saving (Asia/Shanghai, UTC) and, in DST zones, for every hour but the one the clocks jump in.
 */
export function utcMsOfLocal(date: number, time: number, timezone: string): number {
  const y = Math.floor(date / 10000);
  const mo = (Math.floor(date / 100) % 100) - 1;
  const d = date % 100;
  const h = Math.floor(time / 10000000);
  const wall = Date.UTC(y, mo, d, h, Math.floor(time / 100000) % 100, Math.floor(time / 1000) % 100, time % 1000);
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return wall;
  const key = `${timezone}|${date}|${h}`;
  let off = offsets.get(key);
  if (off === undefined) {
    off = Date.UTC(y, mo, d, h) - epochOfLocal(date, h * 10000000, timezone);
    if (offsets.size > OFFSETS_MAX) offsets.clear();
    offsets.set(key, off);
  }
  return wall - off;
}

// Exchange timestamps (local date + HHMMSSmmm in a session's time zone) to epoch ms, for
// the lag metric and the session filter's future check. Equal to epochOfLocal (the rule of
// src/calendar/zone.ts) for every input; the zone's offset is cached per zone for the last
// local date and hour, so the per-tick cost is arithmetic only (the hour of a clock change,
// whose offset varies within it, is computed per tick).

import { epochOfLocal, hourOffset } from '../calendar/index.js';

export class ExchangeClock {
  private readonly last = new Map<string, { date: number; hour: number; offset: number }>();

  epochMs(date: number, time: number, timezone: string): number {
    const h = Math.floor(time / 10000000);
    let m = this.last.get(timezone);
    if (!m || m.date !== date || m.hour !== h) {
      m = { date, hour: h, offset: hourOffset(date, h, timezone) };
      this.last.set(timezone, m);
    }
    if (Number.isNaN(m.offset)) return epochOfLocal(date, time, timezone);
    const y = Math.floor(date / 10000);
    const mo = (Math.floor(date / 100) % 100) - 1;
    const mi = Math.floor(time / 100000) % 100;
    const s = Math.floor(time / 1000) % 100;
    return Date.UTC(y, mo, date % 100, h, mi, s, time % 1000) - m.offset;
  }
}

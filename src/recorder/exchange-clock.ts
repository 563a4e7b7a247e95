// Exchange timestamps (local date + HHMMSSmmm in a session's time zone) to epoch ms, for
// the lag metric and the session filter's future check. Equal to epochOfLocal (the rule of
// src/calendar/zone.ts) for every input; per zone, the epoch of the last local date and
// hour asked is cached, so the per-tick cost is arithmetic only (the hour of a clock
// change, whose offset varies within it, is computed per tick).

import { epochOfLocal, hourOffset } from '../calendar/index.js';

interface Hour {
  date: number;
  hour: number;
  /** Epoch ms of date + hour:00 local; NaN in an hour whose offset changes (then per tick). */
  base: number;
}

export class ExchangeClock {
  private readonly byZone = new Map<string, Hour>();
  /** The zone asked last and its entry: ticks of one zone need no Map lookup. */
  private lastZone = '';
  private last: Hour = { date: -1, hour: -1, base: Number.NaN };

  epochMs(date: number, time: number, timezone: string): number {
    const h = Math.floor(time / 10000000);
    let m = this.last;
    if (timezone !== this.lastZone) {
      m = this.byZone.get(timezone) ?? { date: -1, hour: -1, base: Number.NaN };
      this.byZone.set(timezone, m);
      this.lastZone = timezone;
      this.last = m;
    }
    if (m.date !== date || m.hour !== h) {
      const offset = hourOffset(date, h, timezone);
      m.date = date;
      m.hour = h;
      m.base = Date.UTC(Math.floor(date / 10000), (Math.floor(date / 100) % 100) - 1, date % 100, h) - offset;
    }
    if (m.base !== m.base) return epochOfLocal(date, time, timezone);
    // Minutes and seconds below 60 (a valid HHMMSSmmm): whole milliseconds, exact.
    return m.base + (Math.floor(time / 100000) % 100) * 60_000 + (Math.floor(time / 1000) % 100) * 1000 + (time % 1000);
  }
}

// Exchange timestamps (local date + HHMMSSmmm in a session's time zone) to epoch ms,
// for the lag metric. The epoch of local midnight is cached per zone and date, so the
// per-tick cost is arithmetic only.

import { epochOfLocal } from '../calendar/index.js';

export class ExchangeClock {
  private readonly midnight = new Map<string, { date: number; epochMs: number }>();

  epochMs(date: number, time: number, timezone: string): number {
    let m = this.midnight.get(timezone);
    if (!m || m.date !== date) {
      m = { date, epochMs: epochOfLocal(date, 0, timezone) };
      this.midnight.set(timezone, m);
    }
    const h = Math.floor(time / 10000000);
    const mi = Math.floor(time / 100000) % 100;
    const s = Math.floor(time / 1000) % 100;
    return m.epochMs + ((h * 60 + mi) * 60 + s) * 1000 + (time % 1000);
  }
}

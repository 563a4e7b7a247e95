// The log of day rolls: each file set aside at debug, and one INFO summary per roll (per trading date), not lines per instrument.
//
// A roll sets aside every live file of a day within a second or so (by the clock, or as
// each instrument's first record of the next day arrives). With 2,000 instruments that
// was 8,000 INFO lines; now the details go to debug and a summary follows once no file
// was set aside for SUMMARY_QUIET_MS.

import type { Logger } from 'pino';

/** The summary is written once no roll came for this long. */
export const SUMMARY_QUIET_MS = 1000;

export interface RollEvent {
  /** 'tick', 'trade', 'min1'… or 'closed' for closed-bar event files. */
  kind: string;
  /** Instrument 'EXCHG.CODE', or the session of a closed-bar event file. */
  name: string;
  date: number;
  /** Where the finished file went; undefined when an empty file was removed. */
  to: string | undefined;
}

interface DaySummary {
  files: Map<string, number>;
  instruments: Set<string>;
  empty: number;
}

export class RollLog {
  private readonly days = new Map<number, DaySummary>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: Logger) {}

  add(e: RollEvent, detail: string): void {
    this.log.debug(e, detail);
    let d = this.days.get(e.date);
    if (!d) this.days.set(e.date, (d = { files: new Map(), instruments: new Set(), empty: 0 }));
    if (e.to === undefined) d.empty++;
    else {
      d.files.set(e.kind, (d.files.get(e.kind) ?? 0) + 1);
      if (e.kind !== 'closed') d.instruments.add(e.name);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), SUMMARY_QUIET_MS);
    this.timer.unref();
  }

  /** Writes the summary of every day rolled since the last one (also at stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [date, d] of [...this.days].sort((a, b) => a[0] - b[0])) {
      const total = [...d.files.values()].reduce((a, b) => a + b, 0);
      const byKind = [...d.files].map(([k, n]) => `${k} ${n}`).join(', ');
      this.log.info(
        { date, files: total, instruments: d.instruments.size, byKind: Object.fromEntries(d.files), emptyRemoved: d.empty },
        `day ${date} finished: ${total} files of ${d.instruments.size} instruments set aside under rt/<kind>/<EXCHG>/${date}/` +
          (byKind ? ` (${byKind})` : '') +
          (d.empty > 0 ? `, ${d.empty} empty files removed` : '') +
          ' (each file at log level debug)',
      );
    }
    this.days.clear();
  }
}

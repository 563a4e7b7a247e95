// Rejections: counted by reason, logged at most once per reason per interval, with how
// many were suppressed and the last detail. A flood of bad input costs a counter
// increment per message and one log line per reason per interval.

import type { Logger } from 'pino';

interface Window {
  suppressed: number;
  lastDetail: string;
  windowStartMs: number;
}

export class RejectLog {
  readonly counts = new Map<string, number>();
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** Counts one rejection of `reason`; logs now, or later in a summary. */
  reject(reason: string, detail: string, feed: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    const t = this.now();
    const w = this.windows.get(reason);
    if (!w || t - w.windowStartMs >= this.intervalMs) {
      if (w && w.suppressed > 0) this.summary(reason, w);
      this.windows.set(reason, { suppressed: 0, lastDetail: detail, windowStartMs: t });
      this.log.warn({ reason, feed, detail }, `rejected (${reason}): ${detail}`);
      return;
    }
    w.suppressed++;
    w.lastDetail = detail;
  }

  /** Logs the pending summaries (call periodically and at shutdown). */
  flush(): void {
    const t = this.now();
    for (const [reason, w] of this.windows) {
      if (w.suppressed > 0 && t - w.windowStartMs >= this.intervalMs) {
        this.summary(reason, w);
        w.suppressed = 0;
        w.windowStartMs = t;
      }
    }
  }

  total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  private summary(reason: string, w: Window): void {
    this.log.warn(
      { reason, suppressed: w.suppressed, detail: w.lastDetail },
      `rejected (${reason}): ${w.suppressed} more in the last ${Math.round(this.intervalMs / 1000)} s, last: ${w.lastDetail}`,
    );
  }
}

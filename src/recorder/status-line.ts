// One live line on the terminal: feeds up, ticks/s, instruments, written, rejected, lag.

import { setLiveLine } from './logger.js';
import type { Recorder } from './recorder.js';

export function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

/** Redraws the status line every second on `out` (a TTY); returns a stop function. */
export function startStatusLine(rec: Recorder, out: NodeJS.WriteStream = process.stdout): () => void {
  let prevWritten = 0;
  let prevMs = Date.now();
  let line = '';
  const show = () => out.write(`\r\x1b[K${line.slice(0, (out.columns ?? 160) - 1)}`);
  const draw = () => {
    const s = rec.stats();
    const now = Date.now();
    const written = s.ticksWritten + s.tradesWritten;
    const rate = ((written - prevWritten) * 1000) / Math.max(1, now - prevMs);
    prevWritten = written;
    prevMs = now;
    const up = s.feeds.filter((f) => f.state === 'up').length;
    const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
    line =
      `feeds ${up}/${s.feeds.length} up | ${formatCount(Math.round(rate))} rec/s | ${s.liveFiles} files | ` +
      `written ${formatCount(written)} | rejected ${formatCount(rejected)} | lag p50 ${s.lagMs.p50.toFixed(1)} ms p99 ${s.lagMs.p99.toFixed(1)} ms`;
    show();
  };
  // Log lines go to stderr, usually the same terminal: the logger erases this line before
  // each of them and draws it again after (logger.ts, setLiveLine).
  setLiveLine({ erase: () => line && out.write('\r\x1b[K'), draw: () => line && show() });
  const t = setInterval(draw, 1000);
  t.unref();
  return () => {
    clearInterval(t);
    setLiveLine(undefined);
    out.write('\r\x1b[K');
  };
}

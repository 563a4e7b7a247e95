// The recorder's own end-of-day compaction: after each day roll (and every check_interval_ms) it runs `tickrec compact` on the finished days, in a child process at low priority, and logs the result with the publish lag measured meanwhile.
//
// Why a child process: compaction reads, compresses and writes hundreds of MB; in the
// recorder's event loop it would stall every append for seconds. As a separate process
// (niced, config compaction.nice) it shares only the CPU and the disk, and it is the very
// command `tickrec compact` (same lock, same resumability after kill -9, same
// <root>/compact/last.json for the monitor page and the metrics). It never touches a day
// the recorder still owns (runCompaction refuses live days). With compaction.enabled
// false nothing runs: schedule `tickrec compact` instead (deploy/systemd/tickrec-compact.timer).

import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { scanRoot } from '../compact/index.js';
import type { Config } from '../config/index.js';
import type { Recorder } from '../recorder/recorder.js';
import { NODE_FLAGS } from './node-flags.js';

const MAIN_JS = fileURLToPath(new URL('./main.js', import.meta.url));

/** Lines of the child's output kept for the log (its summary is a few lines). */
const OUTPUT_LINES_MAX = 20;

/** True when a finished day that the recorder no longer owns waits in rt/. */
export function hasFinishedDays(root: string): boolean {
  const scan = scanRoot(root);
  const live = new Set(scan.live.map((l) => `${l.rt.name}/${l.exchg}/${l.code}/${l.date}`));
  return scan.work.some((w) => !live.has(`${w.rt.name}/${w.exchg}/${w.code}/${w.date}`));
}

export class EndOfDayCompaction {
  private child: ChildProcess | undefined;
  private readonly timer: NodeJS.Timeout;
  private rollsSeen = -1;
  private lastCheckMs = 0;
  private stopped = false;
  /** Runs so far (tests and the log). */
  runs = 0;

  constructor(
    private readonly rec: Recorder,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    // Once a second: a new day roll triggers a check at once; otherwise every check_interval_ms.
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    if (this.stopped || this.child) return;
    const rolls = this.rec.stats().rolls;
    const now = performance.now();
    if (rolls === this.rollsSeen && now - this.lastCheckMs < this.config.compaction.check_interval_ms) return;
    this.rollsSeen = rolls;
    this.lastCheckMs = now;
    let due: boolean;
    try {
      due = hasFinishedDays(this.config.root);
    } catch (err) {
      this.log.warn(`end-of-day compaction: cannot scan ${this.config.root}: ${(err as Error).message}; retrying later`);
      return;
    }
    if (due) this.run();
  }

  private run(): void {
    const c = this.config.compaction;
    const args = [...NODE_FLAGS, MAIN_JS, 'compact', '--root', this.config.root, '--codec', c.codec];
    const t0 = performance.now();
    const closeWindow = this.rec.openLagWindow();
    const out: string[] = [];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    this.child = child;
    this.runs++;
    try {
      if (child.pid !== undefined) os.setPriority(child.pid, c.nice);
    } catch {
      // not permitted (a container without CAP_SYS_NICE lowering is always allowed; raising is not needed)
    }
    this.log.info(
      `end-of-day compaction: started (pid ${child.pid ?? '?'}, ${c.codec}, nice ${c.nice}) on the finished days of ${this.config.root}`,
    );
    const keep = (b: Buffer) => {
      // Its summary and failures; not the per-instrument-day progress lines ("compact 3/84 …").
      for (const l of b.toString('utf8').split('\n'))
        if (l.trim() && !/^compact \d+\/\d+ /.test(l) && out.length < OUTPUT_LINES_MAX) out.push(l.trim());
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => this.log.error(`end-of-day compaction: cannot start ${process.execPath}: ${err.message}`));
    child.on('close', (code, signal) => {
      this.child = undefined;
      const lag = closeWindow();
      const seconds = (performance.now() - t0) / 1000;
      const lagText =
        `publish lag meanwhile p50 ${lag.p50.toFixed(2)} ms, p99 ${lag.p99.toFixed(2)} ms, max ${lag.max.toFixed(2)} ms ` +
        `over ${lag.count} ticks`;
      const detail = { code, signal, seconds, lagMs: lag, output: out };
      if (code === 0) this.log.info(detail, `end-of-day compaction: done in ${seconds.toFixed(1)} s (${out.join(' | ')}); ${lagText}`);
      else if (this.stopped) this.log.info(detail, 'end-of-day compaction: stopped with the recorder; the next run resumes it');
      else
        this.log.error(
          detail,
          `end-of-day compaction: exit ${code ?? signal} after ${seconds.toFixed(1)} s: ${out.join(' | ')}; ` +
            'the real-time files of a failed day are kept; run tickrec verify, then tickrec compact',
        );
    });
  }

  /** Stops checking; a running compaction is ended (SIGTERM) and resumes at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

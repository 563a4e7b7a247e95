// tickrec status: a summary of a running recorder, read from its /health endpoint.

import type { Command } from 'commander';
import { TickrecError } from '../errors.js';
import { loadConfig } from '../config/index.js';
import type { Health } from '../recorder/metrics.js';
import { formatCount } from '../recorder/status-line.js';
import { EXIT_OK, EXIT_PROBLEMS, action } from './run.js';
import { printOut } from './terminal.js';

/** The lines of `tickrec status` (not yet neutralised: printOut does it, per line). */
export function formatHealth(h: Health, nowMs: number): string[] {
  const s = h.stats;
  const lines = [
    `status     ${h.status}${h.problems.length ? ` (${h.problems.length} problems)` : ''}`,
    `root       ${s.root}`,
    `uptime     ${Math.round((nowMs - s.startedMs) / 1000)} s`,
    `written    ${formatCount(s.ticksWritten)} ticks, ${formatCount(s.tradesWritten)} trades (received ${formatCount(s.ticksReceived)} / ${formatCount(s.tradesReceived)})`,
    `files      ${s.liveFiles} live, ${s.openFiles} mapped, ${s.rolls} day rolls`,
    `rejected   ${
      Object.entries(s.rejected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
    `errors     ${s.writeErrors} write errors, ${s.volumeRegressions} volume regressions`,
    `lag        p50 ${s.lagMs.p50.toFixed(2)} ms, p99 ${s.lagMs.p99.toFixed(2)} ms, max ${s.lagMs.max.toFixed(2)} ms`,
    `disk free  ${s.diskFreeBytes >= 0 ? `${(s.diskFreeBytes / 1024 ** 3).toFixed(1)} GiB` : 'unknown'}`,
    ...s.feeds.map(
      (f) =>
        `feed       ${f.name}: ${f.state}, ${formatCount(f.messages)} messages, ${f.reconnects} reconnects` +
        (f.lastMessageMs ? `, last ${((nowMs - f.lastMessageMs) / 1000).toFixed(1)} s ago` : '') +
        (f.lastError ? `, last error: ${f.lastError}` : ''),
    ),
    ...h.problems.map((p) => `problem    ${p}`),
  ];
  return lines;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("print a running recorder's health: feeds, counts, rejections, lag, disk")
    .option('--url <url>', "the recorder's metrics endpoint (default: from --config, else http://127.0.0.1:9464)")
    .option('-c, --config <file>', 'read metrics.host and metrics.port from this configuration')
    .option('--json', 'print the raw /health JSON')
    .action(
      action(async (o: { url?: string; config?: string; json?: boolean }) => {
        let base = o.url;
        if (!base && o.config) {
          const c = loadConfig(o.config);
          base = `http://${c.metrics.host.includes(':') ? `[${c.metrics.host}]` : c.metrics.host}:${c.metrics.port}`;
        }
        base ??= 'http://127.0.0.1:9464';
        let res: Response;
        try {
          res = await fetch(`${base.replace(/\/$/, '')}/health`, { signal: AbortSignal.timeout(5000) });
        } catch (err) {
          throw new TickrecError(
            'E_IO',
            `${base}/health: no answer (${(err as Error).message}); is the recorder running with metrics enabled on that address?`,
          );
        }
        const h = (await res.json()) as Health;
        printOut(...(o.json ? JSON.stringify(h, null, 2).split('\n') : formatHealth(h, Date.now())));
        return h.status === 'ok' ? EXIT_OK : EXIT_PROBLEMS;
      }),
    );
}

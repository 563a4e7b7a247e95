// tickrec status: a summary of a running recorder, read from its /health endpoint.

import type { Command } from 'commander';
import { TickrecError } from '../errors.js';
import { loadConfig } from '../config/index.js';
import type { Health } from '../recorder/metrics.js';
import { formatCount } from '../recorder/status-line.js';
import { EXIT_OK, EXIT_PROBLEMS, action, usageError } from './run.js';
import { printOut } from './terminal.js';

/**
 * The recorder's base address from --url: http(s)://HOST:PORT, also accepted with the path
 * of one of its endpoints (/metrics, /health, the monitor page /), which is dropped.
 */
export function baseUrl(text: string): string {
  let u: URL | undefined;
  try {
    u = new URL(text);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.host === '') {
    const guess = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, 'http://') : `http://${text}`;
    throw usageError(`--url ${text}: not an http:// address; give the recorder's metrics address with its scheme, e.g. ${guess}`);
  }
  const p = u.pathname.replace(/\/+$/, '');
  if (p !== '' && p !== '/metrics' && p !== '/health') {
    throw usageError(`--url ${text}: unknown path ${u.pathname}; give the recorder's address, e.g. ${u.origin}`);
  }
  return u.origin;
}

function isHealth(v: unknown): v is Health {
  const h = v as Health | null;
  return typeof h === 'object' && h !== null && (h.status === 'ok' || h.status === 'degraded') && typeof h.stats === 'object';
}

/** 3 d 04:05:06, or 04:05:06 under a day. */
export function formatUptime(seconds: number): string {
  const t = Math.max(0, Math.floor(seconds));
  const d = Math.floor(t / 86400);
  const hms = [Math.floor(t / 3600) % 24, Math.floor(t / 60) % 60, t % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return d > 0 ? `${d} d ${hms}` : hms;
}

/** The lines of `tickrec status` (not yet neutralised: printOut does it, per line). */
export function formatHealth(h: Health, nowMs: number): string[] {
  const s = h.stats;
  const lines = [
    `status     ${h.status}${h.problems.length ? ` (${h.problems.length} problems)` : ''}`,
    `root       ${s.root}`,
    `uptime     ${formatUptime(s.uptimeSeconds ?? (nowMs - s.startedMs) / 1000)}`,
    `published  ${formatCount(s.ticksWritten)} ticks, ${formatCount(s.tradesWritten)} trades (received ${formatCount(s.ticksReceived)} / ${formatCount(s.tradesReceived)})`,
    `files      ${s.liveFiles} live, ${s.openFiles} mapped, ${s.rolls} day rolls`,
    `rejected   ${
      Object.entries(s.rejected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }`,
    `durable    ${formatCount(s.recordsSynced)} records synced to disk, ${s.syncErrors} failed syncs, ${s.notDurable.length} files not durable`,
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
    .option('--url <url>', "the recorder's metrics address http://HOST:PORT (default: from --config, else http://127.0.0.1:9464)")
    .option('-c, --config <file>', 'read metrics.host and metrics.port from this configuration')
    .option('--json', 'print the raw /health JSON')
    .action(
      action(async (o: { url?: string; config?: string; json?: boolean }) => {
        let base = o.url;
        if (!base && o.config) {
          const c = loadConfig(o.config);
          base = `http://${c.metrics.host.includes(':') ? `[${c.metrics.host}]` : c.metrics.host}:${c.metrics.port}`;
        }
        base = baseUrl(base ?? 'http://127.0.0.1:9464');
        let body: string;
        try {
          const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) });
          body = await res.text();
        } catch (err) {
          const c = (err as { cause?: { code?: string; message?: string } }).cause;
          const cause = c?.code ?? c?.message;
          throw new TickrecError(
            'E_IO',
            `${base}/health: no answer (${cause ?? (err as Error).message}); is the recorder running with metrics enabled on that address? ` +
              '(its log says "metrics and health on …"; tickrec status -c CONFIG reads the address from the configuration)',
          );
        }
        let h: unknown;
        try {
          h = JSON.parse(body);
        } catch {
          h = undefined;
        }
        if (!isHealth(h)) {
          throw new TickrecError(
            'E_IO',
            `${base}/health: answered, but not with a tickrec recorder's health JSON; is this the recorder's metrics address (metrics.host, metrics.port)?`,
          );
        }
        printOut(...(o.json ? JSON.stringify(h, null, 2).split('\n') : formatHealth(h, Date.now())));
        return h.status === 'ok' ? EXIT_OK : EXIT_PROBLEMS;
      }),
    );
}

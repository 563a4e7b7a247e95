// The loopback HTTP endpoint: /metrics (Prometheus text, prom-client), /health
// (JSON) and the monitor page (/, /api/snapshot, /api/events: src/monitor). Metrics are
// read from Recorder.stats() at scrape time, so the per-tick path only increments plain
// counters. Read-only: GET and HEAD, 405 for anything else.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { readCompactionSummary } from '../monitor/compaction.js';
import { HTTP_BOUNDS_DEFAULT, boundServer, refuseForeignHost, type HttpBounds } from '../http-guard.js';
import { publishLag, type PublishLag } from '../bus/lag.js';
import { startMonitor } from '../monitor/server.js';
import type { Recorder, RecorderStats } from './recorder.js';

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Feed state as a number for the gauge: 0 idle, 1 connecting, 2 up, 3 down, 4 stopped. */
const FEED_STATE = { idle: 0, connecting: 1, up: 2, down: 3, stopped: 4 } as const;

/** A feed with no message for this long is reported stale by /health. */
export const HEALTH_FEED_SILENT_MS = 60_000;
/** A write error or a failed sync keeps /health degraded this long after it happened. */
export const HEALTH_ERROR_WINDOW_MS = 60_000;

export interface Health {
  status: 'ok' | 'degraded';
  problems: string[];
  stats: RecorderStats;
}

export function health(s: RecorderStats, nowMs: number): Health {
  const problems: string[] = [];
  // A feed's lastMessageMs is wall time (Date.now), also under a simulated recorder clock
  // (--clock-start): its silence is measured on the wall clock.
  const wall = Date.now();
  for (const f of s.feeds) {
    if (f.state !== 'up') problems.push(`feed ${f.name} is ${f.state}${f.lastError ? `: ${f.lastError}` : ''}`);
    else if (f.lastMessageMs > 0 && wall - f.lastMessageMs > HEALTH_FEED_SILENT_MS)
      problems.push(`feed ${f.name} silent for ${Math.round((wall - f.lastMessageMs) / 1000)} s`);
  }
  // DURABILITY: a failed sync means published records may never reach the disk.
  if (s.notDurable.length > 0) {
    const f = s.notDurable[0]!;
    problems.push(
      `${s.notDurable.length} files not durable: the last sync failed (${f.path}: ${f.published - f.durable} records published since the last good sync; ${f.error})`,
    );
  } else if (s.lastSyncError.ms > 0 && nowMs - s.lastSyncError.ms < HEALTH_ERROR_WINDOW_MS) {
    problems.push(
      `a sync failed ${Math.round((nowMs - s.lastSyncError.ms) / 1000)} s ago (${s.syncErrors} in all): ${s.lastSyncError.message}`,
    );
  }
  if (s.lastDamage.ms > 0 && nowMs - s.lastDamage.ms < HEALTH_ERROR_WINDOW_MS) {
    problems.push(
      `${s.filesDamaged} live files damaged by someone else, the last ${Math.round((nowMs - s.lastDamage.ms) / 1000)} s ago: ${s.lastDamage.message}`,
    );
  }
  if (s.lastWriteError.ms > 0 && nowMs - s.lastWriteError.ms < HEALTH_ERROR_WINDOW_MS) {
    problems.push(
      `${s.writeErrors} write errors, the last ${Math.round((nowMs - s.lastWriteError.ms) / 1000)} s ago: ${s.lastWriteError.message}`,
    );
  }
  if (s.diskFreeBytes >= 0 && s.diskFreeBytes < 1024 ** 3)
    problems.push(`disk nearly full: ${Math.round(s.diskFreeBytes / 1024 ** 2)} MiB free under ${s.root}`);
  if (s.calendar.status === 'short') problems.push(s.calendar.message);
  return { status: problems.length === 0 ? 'ok' : 'degraded', problems, stats: s };
}

/**
 * tickrec_publish_lag_seconds as a Prometheus histogram (text exposition), from the
 * recorder's own fixed-memory histogram: prom-client's Histogram cannot take counts in
 * bulk, and observing per tick through it costs the hot path (src/recorder/histogram.ts).
 */
export function lagHistogramText(rec: Pick<Recorder, 'lagHistogram'>): string {
  const h = rec.lagHistogram();
  const name = 'tickrec_publish_lag_seconds';
  const lines = [
    `# HELP ${name} exchange timestamp to publication since start (includes exchange and feed clock skew)`,
    `# TYPE ${name} histogram`,
  ];
  for (const b of h.buckets) lines.push(`${name}_bucket{le="${b.leUs / 1e6}"} ${b.count}`);
  lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sumUs / 1e6}`, `${name}_count ${h.count}`);
  return lines.join('\n') + '\n';
}

// eslint-disable-next-line max-lines-per-function -- a flat table of metric declarations, each independent of the others (the one rule they share, a scrape reads the stats once, is at the top): cut, it would read no easier
function buildRegistry(rec: Recorder): Registry {
  const reg = new Registry();
  // The standard process_* and nodejs_* names, unprefixed, so standard dashboards find them.
  collectDefaultMetrics({ register: reg });
  // prom-client also exposes each count of nodejs_active_{handles,requests,resources}
  // as a gauge named *_total, a suffix Prometheus keeps for counters (promtool check
  // metrics refuses it): those duplicates are dropped.
  for (const name of ['handles', 'requests', 'resources']) reg.removeSingleMetric(`nodejs_active_${name}_total`);
  let snap: RecorderStats | undefined;
  const stats = () => (snap ??= rec.stats());
  // A scrape reads stats once: the first collector takes a snapshot, the last drops it.
  const counter = (name: string, help: string, pick: (s: RecorderStats) => number) =>
    new Counter({
      name,
      help,
      registers: [reg],
      collect() {
        this.reset();
        this.inc(pick(stats()));
      },
    });
  new Gauge({
    name: 'tickrec_up',
    help: 'the recorder is running (always 1; a failed scrape means it is not)',
    registers: [reg],
    collect() {
      snap = undefined; // registered first: a fresh snapshot per scrape
      this.set(1);
    },
  });
  counter('tickrec_ticks_received_total', 'ticks received from all feeds', (s) => s.ticksReceived);
  counter(
    'tickrec_ticks_written_total',
    'ticks published to real-time files (in the page cache; durable: records_synced)',
    (s) => s.ticksWritten,
  );
  counter('tickrec_records_synced_total', 'records a successful fdatasync/msync put on disk', (s) => s.recordsSynced);
  counter(
    'tickrec_files_damaged_total',
    'live files found truncated, deleted or replaced by someone else (set aside or restored)',
    (s) => s.filesDamaged,
  );
  counter('tickrec_sync_errors_total', 'syncs that failed (EIO, EROFS...): the records since are not durable', (s) => s.syncErrors);
  counter('tickrec_trades_received_total', 'trades received from all feeds', (s) => s.tradesReceived);
  counter('tickrec_trades_written_total', 'trades published to real-time files', (s) => s.tradesWritten);
  counter('tickrec_write_errors_total', 'records that could not be written (disk, permissions, damaged file)', (s) => s.writeErrors);
  counter('tickrec_volume_regressions_total', 'ticks whose cumulative volume went down (kept with volume 0)', (s) => s.volumeRegressions);
  counter('tickrec_day_rolls_total', 'real-time files set aside at the end of their trading day', (s) => s.rolls);
  new Counter({
    name: 'tickrec_rejected_total',
    help: 'messages and records rejected, by reason (docs/protocol.md)',
    labelNames: ['reason'],
    registers: [reg],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(stats().rejected)) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: 'tickrec_feed_state',
    help: 'feed state: 0 idle, 1 connecting, 2 up, 3 down, 4 stopped',
    labelNames: ['feed'],
    registers: [reg],
    collect() {
      this.reset();
      for (const f of stats().feeds) this.set({ feed: f.name }, FEED_STATE[f.state]);
    },
  });
  new Counter({
    name: 'tickrec_feed_reconnects_total',
    help: 'reconnections per feed',
    labelNames: ['feed'],
    registers: [reg],
    collect() {
      this.reset();
      for (const f of stats().feeds) this.inc({ feed: f.name }, f.reconnects);
    },
  });
  new Counter({
    name: 'tickrec_feed_messages_total',
    help: 'frames received per feed',
    labelNames: ['feed'],
    registers: [reg],
    collect() {
      this.reset();
      for (const f of stats().feeds) this.inc({ feed: f.name }, f.messages);
    },
  });
  new Gauge({
    name: 'tickrec_feed_last_message_timestamp_seconds',
    help: 'wall-clock time of the last frame received per feed, epoch seconds (absent before the first frame)',
    labelNames: ['feed'],
    registers: [reg],
    collect() {
      this.reset();
      for (const f of stats().feeds) if (f.lastMessageMs > 0) this.set({ feed: f.name }, f.lastMessageMs / 1000);
    },
  });
  new Counter({
    name: 'tickrec_bars_written_total',
    help: 'bars built from ticks and written, by period (min1, min5...)',
    labelNames: ['period'],
    registers: [reg],
    collect() {
      this.reset();
      for (const [period, n] of Object.entries(stats().bars?.bars ?? {})) this.inc({ period }, n);
    },
  });
  counter('tickrec_bar_events_total', 'closed-bar events published to rt/closed', (s) => s.bars?.events ?? 0);
  counter('tickrec_bar_ticks_late_total', 'ticks that came after their bar had closed (not in any bar)', (s) => s.bars?.late ?? 0);
  counter(
    'tickrec_bar_ticks_outside_session_total',
    'ticks outside every session of their instrument (not in any bar)',
    (s) => s.bars?.outside ?? 0,
  );
  counter('tickrec_bar_write_errors_total', 'bars that could not be written', (s) => s.bars?.writeErrors ?? 0);
  new Gauge({
    name: 'tickrec_compaction_last_finished_timestamp_seconds',
    help: 'when the last end-of-day compaction finished, epoch seconds (from <root>/compact/last.json; 0 before the first)',
    registers: [reg],
    async collect() {
      const c = await readCompactionSummary(rec.root);
      this.set(c.finishedAt !== null ? Date.parse(c.finishedAt) / 1000 : 0);
    },
  });
  new Gauge({
    name: 'tickrec_compaction_last_success',
    help: 'whether the last end-of-day compaction compacted every instrument-day (1) or left failures (0); 1 before the first',
    registers: [reg],
    async collect() {
      const c = await readCompactionSummary(rec.root);
      this.set(c.ok === false ? 0 : 1);
    },
  });
  const gauge = (name: string, help: string, pick: (s: RecorderStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [reg],
      collect() {
        this.set(pick(stats()));
      },
    });
  gauge('tickrec_open_files', 'real-time files mapped now', (s) => s.openFiles);
  gauge('tickrec_files_not_durable', 'open files whose last sync failed', (s) => s.notDurable.length);
  gauge('tickrec_live_files', 'live real-time files (instruments × kinds of the current day)', (s) => s.liveFiles);
  gauge('tickrec_disk_free_bytes', 'free bytes on the file system of the data root', (s) => s.diskFreeBytes);
  // The bus publisher's cursor lag, from its cursor file in the root (src/bus/lag.ts).
  let lags: PublishLag[] | undefined;
  const busLag = () => {
    if (lags === undefined) {
      const v = rec.monitorView();
      lags = publishLag(stats().root, v.liveFileSizes(), Date.now(), v.publishKinds);
    }
    return lags;
  };
  new Gauge({
    name: 'tickrec_bus_publish_lag_records',
    help: 'records in the live files that tickrec publish has not had acknowledged by JetStream, by stream (from its cursor file)',
    labelNames: ['stream'],
    registers: [reg],
    collect() {
      lags = undefined; // read once per scrape
      this.reset();
      for (const l of busLag()) this.set({ stream: l.stream }, l.lagRecords);
    },
  });
  new Gauge({
    name: 'tickrec_bus_publish_lag_seconds',
    help: 'how long the oldest record not yet acknowledged has waited, at most, by stream (0 when caught up; from its cursor file)',
    labelNames: ['stream'],
    registers: [reg],
    collect() {
      this.reset();
      for (const l of busLag()) this.set({ stream: l.stream }, l.lagSeconds);
    },
  });
  new Gauge({
    name: 'tickrec_bus_publish_cursor_age_seconds',
    help: 'since tickrec publish last wrote its cursors, by stream (grows while it is stopped or cannot reach NATS)',
    labelNames: ['stream'],
    registers: [reg],
    collect() {
      this.reset();
      for (const l of busLag()) this.set({ stream: l.stream }, l.cursorAgeMs / 1000);
    },
  });
  return reg;
}

export function startMetricsServer(
  rec: Recorder,
  host: string,
  port: number,
  now: () => number = Date.now,
  bounds: HttpBounds = HTTP_BOUNDS_DEFAULT,
): Promise<MetricsServer> {
  const reg = buildRegistry(rec);
  // record.ts passes Date.now itself for real time and its own function for a simulated clock.
  const monitor = startMonitor(rec, { now, simulatedClock: now !== Date.now });
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('read-only endpoint\n');
      return;
    }
    if (refuseForeignHost(host, req, res)) return; // every route (http-guard.ts)
    if (url === '/metrics') {
      reg.metrics().then(
        (text) => res.writeHead(200, { 'content-type': reg.contentType }).end(text + lagHistogramText(rec)),
        (err: Error) => res.writeHead(500).end(`metrics failed: ${err.message}\n`),
      );
    } else if (url === '/health') {
      const h = health(rec.stats(), now());
      res.writeHead(h.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h) + '\n');
    } else if (!monitor.handle(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('tickrec: GET / (monitor page), /metrics or /health\n');
    }
  });
  boundServer(server, bounds);
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      monitor.close();
      reject(err);
    });
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve({
        url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
        close: () =>
          new Promise<void>((r) => {
            monitor.close(); // ends the event streams
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

// /metrics (Prometheus) and /health of `tickrec publish` and `tickrec mirror`: a small
// loopback HTTP endpoint like the recorder's, read-only (GET and HEAD), with the same
// front door (Host check, connection bound: src/http-guard.ts), figures read from
// stats() at scrape time.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { HTTP_BOUNDS_DEFAULT, boundServer, refuseForeignHost } from '../http-guard.js';
import type { MirrorConsumerStats, MirrorStats } from './mirror.js';
import type { PublisherStats } from './publisher.js';

export interface BusMetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A publisher or a mirror behind this many seconds is reported degraded by /health. */
export const HEALTH_BUS_LAG_S = 60;

const STATE = { connecting: 0, connected: 1, reconnecting: 2, closed: 3 } as const;

type Stats = PublisherStats | MirrorStats;

export interface BusHealth {
  status: 'ok' | 'degraded';
  problems: string[];
  stats: Stats;
}

export function busHealth(role: 'publisher' | 'mirror', s: Stats): BusHealth {
  const problems: string[] = [];
  if (s.state !== 'connected') problems.push(`NATS connection is ${s.state}`);
  if (s.lagSeconds > HEALTH_BUS_LAG_S) problems.push(`${role} is ${Math.round(s.lagSeconds)} s behind`);
  // A mirror that receives nothing while messages wait for it on the servers (a failing write) is stuck.
  for (const c of 'consumers' in s ? s.consumers : []) {
    if (c.pending > 0 && c.lastRecordAgeSeconds !== null && c.lastRecordAgeSeconds > HEALTH_BUS_LAG_S)
      problems.push(
        `consumer ${c.name}: ${c.pending} messages pending on the servers, last record written ${Math.round(c.lastRecordAgeSeconds)} s ago`,
      );
  }
  return { status: problems.length === 0 ? 'ok' : 'degraded', problems, stats: s };
}

/** Registers the figures of one role; each collector reads one snapshot per scrape. */
function registry(role: 'publisher' | 'mirror', read: () => Stats): Registry {
  const reg = new Registry();
  collectDefaultMetrics({ register: reg, prefix: `tickrec_${role}_process_` });
  let snap: Stats | undefined;
  const stats = () => (snap ??= read());
  new Gauge({
    name: `tickrec_${role}_nats_state`,
    help: 'NATS connection: 0 connecting, 1 connected, 2 reconnecting, 3 closed',
    registers: [reg],
    collect() {
      snap = undefined; // registered first: a fresh snapshot per scrape
      this.set(STATE[stats().state]);
    },
  });
  const counter = (name: string, help: string, pick: (s: Stats) => number) =>
    new Counter({
      name,
      help,
      registers: [reg],
      collect() {
        this.reset();
        this.inc(pick(stats()));
      },
    });
  const gauge = (name: string, help: string, pick: (s: Stats) => number) =>
    new Gauge({
      name,
      help,
      registers: [reg],
      collect() {
        this.set(pick(stats()));
      },
    });
  gauge(
    `tickrec_${role}_lag_seconds`,
    role === 'publisher'
      ? 'how long the file furthest behind has had unpublished records'
      : 'now minus the stream time of the last message written, while messages are pending',
    (s) => s.lagSeconds,
  );
  if (role === 'publisher') {
    const p = () => stats() as PublisherStats;
    counter('tickrec_publisher_published_total', 'records stored by JetStream', () => p().published);
    counter('tickrec_publisher_duplicates_total', 'records JetStream already had (resends, a second recorder)', () => p().duplicates);
    counter('tickrec_publisher_end_markers_total', 'end-of-day markers sent', () => p().endMarkers);
    counter('tickrec_publisher_metadata_total', 'instrument metadata messages acknowledged (sent before the records)', () => p().metadata);
    counter('tickrec_publisher_errors_total', 'publishes that failed or were not answered (retried)', () => p().errors);
    counter('tickrec_publisher_gaps_total', 'day files gone before they were published whole', () => p().gaps);
    counter(
      'tickrec_publisher_order_breaks_total',
      'acknowledged stream sequences that fell in file order (0 unless something is badly wrong; logged as errors)',
      () => p().orderBreaks,
    );
    gauge(
      'tickrec_publisher_cursor_lag_records',
      'records in the files not yet acknowledged by JetStream, all files',
      () => p().lagRecords,
    );
    gauge('tickrec_publisher_cursor_lag_records_max', 'the largest cursor lag of one file, records', () => p().lagRecordsMax);
    gauge('tickrec_publisher_files', 'files followed', () => p().files);
    new Gauge({
      name: 'tickrec_publisher_mirror_pending_messages',
      help: "messages of the stream a mirror's durable consumer has not yet acknowledged, by consumer (as the server sees it)",
      labelNames: ['consumer'],
      registers: [reg],
      collect() {
        this.reset();
        for (const [consumer, n] of Object.entries(p().mirrors)) this.set({ consumer }, n);
      },
    });
  } else {
    const m = () => stats() as MirrorStats;
    counter('tickrec_mirror_written_total', 'records written to the mirror files', () => m().written);
    counter('tickrec_mirror_duplicates_total', 'records skipped because the mirror files hold them already', () => m().duplicates);
    counter('tickrec_mirror_days_ended_total', 'day files set aside on an end-of-day marker', () => m().daysEnded);
    counter('tickrec_mirror_metadata_written_total', 'instrument metadata files written (meta/instruments/)', () => m().metadataWritten);
    counter('tickrec_mirror_write_errors_total', 'records that could not be written (read again from the position)', () => m().writeErrors);
    counter(
      'tickrec_mirror_consumers_made_total',
      'durable consumers made (at start, or again after a lost delivery or a kill)',
      () => m().consumersMade,
    );
    gauge('tickrec_mirror_pending_messages', 'messages of the stream not yet read by the mirror', () => m().pendingMessages);
    new Gauge({
      name: 'tickrec_mirror_consumer_pending_messages',
      help: "messages of the consumer's filter not yet acknowledged by the mirror, as the NATS servers say (num_pending + num_ack_pending, read every 2 s)",
      labelNames: ['consumer', 'filter'],
      registers: [reg],
      collect() {
        this.reset();
        for (const c of m().consumers) if (c.pending >= 0) this.set({ consumer: c.name, filter: c.filter }, c.pending);
      },
    });
    new Gauge({
      name: 'tickrec_mirror_last_record_age_seconds',
      help: 'now minus the publication time (stream time stamp) of the last record written, by consumer',
      labelNames: ['consumer', 'filter'],
      registers: [reg],
      collect() {
        this.reset();
        for (const c of m().consumers)
          if (c.lastRecordAgeSeconds !== null) this.set({ consumer: c.name, filter: c.filter }, c.lastRecordAgeSeconds);
      },
    });
    new Counter({
      name: 'tickrec_mirror_refused_total',
      help: 'messages refused, by reason (docs/distributed.md)',
      labelNames: ['reason'],
      registers: [reg],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(m().refused)) this.inc({ reason }, n ?? 0);
      },
    });
  }
  return reg;
}

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const escapeHtml = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A figure as the page shows it: fractions to 3 decimals. */
const figure = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v));

/** The mirror's consumers (CONSUMER VIEW of mirror.ts): one row each. */
function consumersTable(consumers: MirrorConsumerStats[], nowMs: number): string {
  const head =
    '<tr><th>consumer</th><th>filter</th><th>pending (server)</th><th>last record age</th><th>position</th><th>servers read</th></tr>';
  const rows = consumers.map((c) => {
    const cell = (k: string, v: string) => `<td data-k="${k}">${escapeHtml(v)}</td>`;
    return (
      `<tr data-consumer="${escapeHtml(c.name)}">` +
      cell('name', c.name) +
      cell('filter', c.filter) +
      cell('pending', c.pending < 0 ? 'not read yet' : String(c.pending)) +
      cell('age', c.lastRecordAgeSeconds === null ? 'no record yet' : `${c.lastRecordAgeSeconds.toFixed(1)} s`) +
      cell('position', String(c.position)) +
      cell('read', c.readMs === 0 ? 'never' : `${((nowMs - c.readMs) / 1000).toFixed(1)} s ago`) +
      '</tr>'
    );
  });
  return `<h2>Consumers</h2><table class="consumers">${head}${rows.join('')}</table>`;
}

/** The status page: every figure of stats() in a table (and a mirror's consumers), reloaded every 2 s (no script). */
export function statusPage(role: 'publisher' | 'mirror', h: BusHealth, nowMs = Date.now()): string {
  const rows: string[] = [];
  const add = (k: string, v: unknown) =>
    rows.push(`<tr data-k="${escapeHtml(k)}"><th>${escapeHtml(k)}</th><td>${escapeHtml(figure(v))}</td></tr>`);
  let consumers = '';
  for (const [k, v] of Object.entries(h.stats)) {
    if (k === 'consumers' && Array.isArray(v)) consumers = consumersTable(v as MirrorConsumerStats[], nowMs);
    else if (v !== null && typeof v === 'object')
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) add(`${k} ${k2}`, v2);
    else add(k, v);
  }
  const status = h.status === 'ok' ? 'ok' : `degraded: ${h.problems.join('; ')}`;
  return (
    `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>tickrec ${role}</title>` +
    '<style>body{font:14px system-ui,sans-serif;margin:2em}th{text-align:left;padding-right:2em;font-weight:normal;color:#555}' +
    'td{font-variant-numeric:tabular-nums;padding-right:2em}.bad{color:#b00}h2{font-size:16px;margin-top:1.5em}</style></head><body>' +
    `<h1>tickrec ${role}</h1><p class="${h.status === 'ok' ? '' : 'bad'}">${escapeHtml(status)}</p>${consumers}` +
    `<h2>Totals</h2><table class="totals">${rows.join('')}</table>` +
    '<p>Figures for Prometheus: <a href="/metrics">/metrics</a>; JSON: <a href="/health">/health</a>. Reloads every 2 s.</p></body></html>\n'
  );
}

export function startBusMetricsServer(
  role: 'publisher' | 'mirror',
  read: () => Stats,
  host: string,
  port: number,
): Promise<BusMetricsServer> {
  const reg = registry(role, read);
  const server = http.createServer((req, res) => {
    if (refuseForeignHost(host, req, res)) return; // DNS rebinding (http-guard.ts)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('read-only endpoint\n');
      return;
    }
    if (req.url === '/metrics') {
      reg.metrics().then(
        (text) => res.writeHead(200, { 'content-type': reg.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(`metrics failed: ${err.message}\n`),
      );
    } else if (req.url === '/health') {
      const h = busHealth(role, read());
      res.writeHead(h.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h) + '\n');
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...PAGE_HEADERS }).end(statusPage(role, busHealth(role, read())));
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end(`tickrec ${role}: GET / (status page), /metrics or /health\n`);
  });
  boundServer(server, HTTP_BOUNDS_DEFAULT);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve({
        url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

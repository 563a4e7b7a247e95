// The monitor's HTTP routes, mounted on the metrics server: GET / (the page), GET /api/snapshot (JSON), GET /api/events (server-sent events).
//
// Read-only: the metrics server answers 405 to anything but GET and HEAD before these
// routes run, and nothing here reads a request body or a query parameter. A client of
// /api/events gets a full snapshot, then an update every interval (the figures and the
// instrument rows that changed); at most maxClients are served at once (503 beyond), a
// client that does not read (more than maxBufferedBytes queued) is dropped, and close()
// ends every stream.
//
// DNS rebinding: when the server listens on a loopback address, a request whose Host
// header is a name other than localhost (a web page that rebound its own domain to
// 127.0.0.1) is refused with 403.

import type http from 'node:http';
import net from 'node:net';
import { PAGE_CSP, PAGE_HTML } from './page.js';
import { Monitor, type MonitorOptions, type MonitorSource } from './snapshot.js';

export interface MonitorServerOptions extends MonitorOptions {
  /** The address the server listens on (the Host check applies when it is loopback). */
  host?: string;
  /** Most /api/events clients at once. Default 32. */
  maxClients?: number;
  /** Sampling and update interval, ms. Default 1000. */
  intervalMs?: number;
  /** A client with more than this many bytes not yet sent is dropped. Default 8 MiB. */
  maxBufferedBytes?: number;
}

export interface MonitorRoutes {
  /** Serves the monitor's paths; false when the path is not one of them. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Open /api/events streams. */
  readonly clients: number;
  readonly monitor: Monitor;
  /** Stops the timer and ends every event stream. */
  close(): void;
}

export const MONITOR_MAX_CLIENTS = 32;

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** The host name of a Host header value ('[::1]:9464' → '::1', 'a.b:80' → 'a.b'). */
function hostName(value: string): string {
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? value : value.slice(1, end);
  }
  const colon = value.lastIndexOf(':');
  return (colon < 0 ? value : value.slice(0, colon)).toLowerCase();
}

function allowedHost(header: string | undefined): boolean {
  if (header === undefined || header === '') return true; // HTTP/1.0 clients (curl -0); browsers always send it
  const name = hostName(header);
  return net.isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost');
}

export function startMonitor(src: MonitorSource, opts: MonitorServerOptions = {}): MonitorRoutes {
  const monitor = new Monitor(src, opts);
  const maxClients = opts.maxClients ?? MONITOR_MAX_CLIENTS;
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  const checkHost = isLoopback(opts.host ?? '127.0.0.1');
  const clients = new Set<http.ServerResponse>();
  let closed = false;

  const event = (name: string, json: string) => `event: ${name}\ndata: ${json}\n\n`;

  monitor.sample();
  const timer = setInterval(() => {
    try {
      monitor.sample();
      if (clients.size === 0) return;
      const frame = event('update', JSON.stringify(monitor.update()));
      for (const res of clients) {
        if (res.writableLength > maxBuffered) {
          clients.delete(res);
          res.destroy(); // a client that does not read is not allowed to hold the recorder's memory
        } else res.write(frame);
      }
    } catch {
      // a failed sample is retried at the next tick; the recorder is never disturbed
    }
  }, opts.intervalMs ?? 1000);
  timer.unref();

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== '/' && path !== '/index.html' && path !== '/api/snapshot' && path !== '/api/events') return false;
    if (checkHost && !allowedHost(req.headers.host)) {
      res
        .writeHead(403, { 'content-type': 'text/plain', ...COMMON_HEADERS })
        .end('tickrec monitor: use http://127.0.0.1:<port>/ or http://localhost:<port>/\n');
      return true;
    }
    if (path === '/api/snapshot') {
      res.writeHead(200, { 'content-type': 'application/json', ...COMMON_HEADERS }).end(JSON.stringify(monitor.snapshot()) + '\n');
    } else if (path === '/api/events') {
      if (closed || clients.size >= maxClients) {
        res
          .writeHead(503, { 'content-type': 'text/plain', 'retry-after': '10', ...COMMON_HEADERS })
          .end(`tickrec monitor: at most ${maxClients} live clients; close another page and retry\n`);
        return true;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        ...COMMON_HEADERS,
      });
      if (req.method === 'HEAD') {
        res.end();
        return true;
      }
      res.socket?.setNoDelay(true);
      clients.add(res);
      res.on('close', () => clients.delete(res));
      res.write('retry: 2000\n\n' + event('snapshot', JSON.stringify(monitor.snapshot())));
    } else {
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': PAGE_CSP,
          'x-frame-options': 'DENY',
          ...COMMON_HEADERS,
        })
        .end(PAGE_HTML);
    }
    return true;
  };

  return {
    handle,
    monitor,
    get clients() {
      return clients.size;
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}

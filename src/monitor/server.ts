// The monitor's HTTP routes, mounted on the metrics server: GET / (the page), GET /api/snapshot (JSON), GET /api/events (server-sent events).
//
// Read-only: the metrics server answers 405 to anything but GET and HEAD before these
// routes run, and nothing here reads a request body or a query parameter. A client of
// /api/events gets a full snapshot, then an update every interval (the figures and the
// instrument rows that changed); at most maxClients are served at once (503 beyond), a
// client that does not read (more than maxBufferedBytes queued) is dropped, and close()
// ends every stream.
//
// DNS rebinding and connection bounds are the server's front door (src/http-guard.ts),
// applied to every route before these run.

import type http from 'node:http';
import { PAGE_CSP, PAGE_HTML } from './page.js';
import { Monitor, type MonitorOptions, type MonitorSource } from './snapshot.js';

export interface MonitorServerOptions extends MonitorOptions {
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

export function startMonitor(src: MonitorSource, opts: MonitorServerOptions = {}): MonitorRoutes {
  const monitor = new Monitor(src, opts);
  const maxClients = opts.maxClients ?? MONITOR_MAX_CLIENTS;
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
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

// The front door of the recorder's HTTP server (metrics, health, monitor): which Host
// headers are answered, and how many connections and how much idle time it may hold.
//
// DNS rebinding: when the server listens on a loopback address, a request whose Host
// header is a name other than localhost (a web page that rebound its own domain to
// 127.0.0.1) is refused with 403, on EVERY route (/health and /metrics name the data
// root, the feed URLs and the feeds' last errors).
//
// CONNECTION BOUND: the HTTP side shares the recorder's file descriptors with its tick
// files; it may never hold more than `maxConnections` sockets (Node closes any further
// connection as soon as it is accepted), and a socket that sends or receives nothing for
// `idleTimeoutMs` is closed. A flood of idle connections then costs at most
// maxConnections descriptors, never the ones recording needs.

import type http from 'node:http';
import net from 'node:net';

export interface HttpBounds {
  /** Most open connections at once (the /api/events streams count). */
  maxConnections: number;
  /** A socket with no traffic for this long is closed, ms. */
  idleTimeoutMs: number;
}

/** Defaults of `metrics.max_connections` and `metrics.idle_timeout_ms`. */
export const HTTP_BOUNDS_DEFAULT: HttpBounds = { maxConnections: 64, idleTimeoutMs: 10_000 };

export function isLoopback(host: string): boolean {
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

/** Whether a Host header may be answered by a server listening on loopback. */
export function allowedHost(header: string | undefined): boolean {
  if (header === undefined || header === '') return true; // HTTP/1.0 clients (curl -0); browsers always send it
  const name = hostName(header);
  return net.isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Answers 403 and returns true when the request must not be served (the Host check applies
 * only when the server listens on loopback: `listenHost`).
 */
export function refuseForeignHost(listenHost: string, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (!isLoopback(listenHost) || allowedHost(req.headers.host)) return false;
  res
    .writeHead(403, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
    .end('tickrec: use http://127.0.0.1:<port>/ or http://localhost:<port>/ (this Host is refused: DNS rebinding)\n');
  return true;
}

/** Applies the CONNECTION BOUND to a server before it listens. */
export function boundServer(server: http.Server, b: HttpBounds): void {
  server.maxConnections = b.maxConnections;
  server.keepAliveTimeout = Math.min(5000, b.idleTimeoutMs);
  server.headersTimeout = b.idleTimeoutMs;
  server.requestTimeout = Math.max(b.idleTimeoutMs, 1000);
  // An idle socket (connected, nothing sent, or between requests) is destroyed: with a
  // 'timeout' listener Node would leave it open, so none is added.
  server.setTimeout(b.idleTimeoutMs);
}

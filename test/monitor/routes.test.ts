// The monitor's HTTP routes on the metrics server: the page, /api/snapshot, /api/events (SSE), read-only 405s, the client bound, the Host check, close.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import vm from 'node:vm';
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MONITOR_MAX_CLIENTS, type MonitorMessage } from '../../src/monitor/index.js';
import { PAGE_CSP, PAGE_HTML, PAGE_PARTS } from '../../src/monitor/page.js';
import { HEALTH_ERROR_WINDOW_MS, health, startMetricsServer, type MetricsServer } from '../../src/recorder/metrics.js';
import { openSse, removeTempDirs, request, shfeTick, startRecorder, waitFor, type SseClient, type TestRecorder } from './helpers.js';

const recorders: TestRecorder[] = [];
const servers: MetricsServer[] = [];
const sse: SseClient[] = [];
afterEach(async () => {
  for (const c of sse.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
  for (const r of recorders.splice(0)) await r.stop();
  removeTempDirs();
});

async function setup() {
  const r = startRecorder();
  recorders.push(r);
  const server = await startMetricsServer(r.rec, '127.0.0.1', 0);
  servers.push(server);
  return { ...r, server, url: server.url };
}

async function sseClient(url: string): Promise<SseClient> {
  const c = await openSse(url);
  sse.push(c);
  return c;
}

describe('monitor routes', () => {
  it('GET / serves the page with a strict Content-Security-Policy; HEAD has no body', async () => {
    const { url } = await setup();
    const res = await request(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toBe(PAGE_HTML);
    expect(res.body).toContain('<title>tickrec monitor</title>');
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const head = await request(`${url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await request(`${url}/nope`)).status).toBe(404);
    // the existing endpoints are unchanged
    expect((await request(`${url}/metrics`)).body).toContain('tickrec_ticks_written_total');
    expect((await request(`${url}/health`)).status).toBe(200);
  });

  it('is read-only: every other method gets 405 on every route, and nothing changes', async () => {
    const { url, rec, feed } = await setup();
    feed.tick(shfeTick('rb2505', 0));
    const before = JSON.stringify(rec.stats());
    for (const p of ['/', '/api/snapshot', '/api/events', '/metrics', '/health', '/api/anything']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const res = await request(`${url}${p}`, { method, headers: { 'content-type': 'application/json' }, body: '{"state":"stopped"}' });
        expect(res.status, `${method} ${p}`).toBe(405);
        expect(res.headers.allow).toBe('GET, HEAD');
      }
    }
    const after = rec.stats();
    // Everything but what moves by itself (free disk, uptime) is unchanged.
    expect(JSON.stringify({ ...after, diskFreeBytes: 0, uptimeSeconds: 0 })).toBe(
      JSON.stringify({ ...(JSON.parse(before) as object), diskFreeBytes: 0, uptimeSeconds: 0 }),
    );
    expect(after.feeds[0]!.state).toBe('up');
  });

  it('GET /api/snapshot returns the instruments as JSON', async () => {
    const { url, feed } = await setup();
    for (let i = 0; i < 5; i++) feed.tick(shfeTick('rb2505', i));
    const res = await request(`${url}/api/snapshot?ignored=1`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('no-store');
    const m = JSON.parse(res.body) as MonitorMessage;
    expect(m.type).toBe('snapshot');
    expect(m.instruments).toHaveLength(1);
    expect(m.instruments[0]).toMatchObject({ id: 'SHFE.rb2505', ticks: 5 });
    expect(m.feeds).toEqual([expect.objectContaining({ name: 'fake', state: 'up' })]);
  });

  it('GET /api/events streams a snapshot, then updates with the rows that changed', async () => {
    const { url, feed } = await setup();
    feed.tick(shfeTick('rb2505', 0));
    const c = await sseClient(`${url}/api/events`);
    expect(c.status).toBe(200);
    const first = await waitFor('the snapshot event', () => c.events[0]);
    expect(first.event).toBe('snapshot');
    expect((JSON.parse(first.data) as MonitorMessage).instruments.map((r) => r.id)).toEqual(['SHFE.rb2505']);
    feed.tick(shfeTick('cu2505', 0, 70123));
    const upd = await waitFor('an update with cu2505', () =>
      c.events
        .filter((e) => e.event === 'update')
        .find((e) => (JSON.parse(e.data) as MonitorMessage).instruments.some((r) => r.id === 'SHFE.cu2505')),
    );
    const m = JSON.parse(upd.data) as MonitorMessage;
    expect(m.type).toBe('update');
    expect(m.instruments.find((r) => r.id === 'SHFE.cu2505')!.price).toBe(70123);
    // updates keep coming once a second while the client is connected
    const n = c.events.length;
    await waitFor('another update', () => c.events.length > n);
  });

  it(`serves at most ${MONITOR_MAX_CLIENTS} event streams at once (503 beyond), a slot frees when a client leaves`, async () => {
    const { url } = await setup();
    const clients: SseClient[] = [];
    for (let i = 0; i < MONITOR_MAX_CLIENTS; i++) clients.push(await sseClient(`${url}/api/events`));
    expect(clients.every((c) => c.status === 200)).toBe(true);
    const extra = await request(`${url}/api/events`);
    expect(extra.status).toBe(503);
    expect(extra.headers['retry-after']).toBe('10');
    expect(extra.body).toMatch(/at most 32 live clients/);
    // the page and the snapshot are still served
    expect((await request(`${url}/api/snapshot`)).status).toBe(200);
    clients[0]!.close();
    const again = await waitFor('a free slot', async () => {
      const c = await sseClient(`${url}/api/events`);
      if (c.status === 200) return c;
      c.close();
      return undefined;
    });
    expect(again.status).toBe(200);
  });

  it('closing the server ends every event stream', async () => {
    const r = startRecorder();
    recorders.push(r);
    const server = await startMetricsServer(r.rec, '127.0.0.1', 0);
    const a = await sseClient(`${server.url}/api/events`);
    const b = await sseClient(`${server.url}/api/events`);
    await waitFor('both snapshots', () => a.events.length > 0 && b.events.length > 0);
    await server.close();
    await waitFor('both streams ended', () => a.ended && b.ended, 5000);
  });

  it('refuses a Host that names another site (DNS rebinding); IPs and localhost are fine', async () => {
    const { url } = await setup();
    const port = new URL(url).port;
    // every route: /health and /metrics name the data root, the feed URLs and the feeds' errors
    for (const p of ['/', '/api/snapshot', '/api/events', '/health', '/metrics', '/nope']) {
      const res = await request(`${url}${p}`, { headers: { host: `evil.example:${port}` } });
      expect(res.status, p).toBe(403);
      expect(res.body, p).not.toContain('tickrec_');
      expect(res.body, p).not.toContain('root');
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await request(`${url}/api/snapshot`, { headers: { host } })).status, host).toBe(200);
      expect((await request(`${url}/health`, { headers: { host } })).status, host).toBe(200);
    }
  });

  it('/health is degraded while write errors pile up (a write error names the file), ok again a minute after the last', async () => {
    const r = startRecorder();
    recorders.push(r);
    fs.mkdirSync(path.join(r.root, 'rt', 'ticks'), { recursive: true });
    fs.writeFileSync(path.join(r.root, 'rt', 'ticks', 'SHFE'), 'not a folder'); // every SHFE tick file fails to open
    for (let i = 0; i < 5; i++) r.feed.tick(shfeTick('rb2505', i));
    const s = r.rec.stats();
    expect(s.writeErrors).toBe(5);
    const now = Date.now();
    const h = health(s, now);
    expect(h.status).toBe('degraded');
    expect(h.problems.join('\n')).toMatch(/5 write errors, the last 0 s ago: tick SHFE\.rb2505: .*rt\/ticks\/SHFE/);
    expect(health({ ...s, feeds: [] }, now + HEALTH_ERROR_WINDOW_MS + 1).status).toBe('ok'); // (the fake feed would be silent by then)
  });

  it('holds at most max_connections sockets and closes idle ones (a connection flood cannot take the fds)', async () => {
    const r = startRecorder();
    recorders.push(r);
    const server = await startMetricsServer(r.rec, '127.0.0.1', 0, Date.now, { maxConnections: 8, idleTimeoutMs: 1500 });
    servers.push(server);
    const port = Number(new URL(server.url).port);
    const socks: net.Socket[] = [];
    let closedByServer = 0;
    try {
      for (let i = 0; i < 40; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.on('close', () => closedByServer++);
        socks.push(s);
      }
      await waitFor('all 40 connects answered', () => socks.every((s) => !s.connecting));
      // beyond the bound, the server closes on accept: 32 of 40 are closed without a request
      await waitFor('the sockets beyond the bound closed', () => closedByServer >= 32, 10_000);
      expect(fdsOfSelfToPort(port)).toBeLessThanOrEqual(8);
      // and the 8 held, idle, are closed by the idle timeout
      await waitFor('idle sockets closed', () => closedByServer === 40, 15_000);
      // the server still answers
      expect((await request(`${server.url}/health`)).status).toBe(200);
    } finally {
      for (const s of socks) s.destroy();
    }
  });
});

/** Sockets of this process connected to the server (its side): counts the server's accepted connections. */
function fdsOfSelfToPort(port: number): number {
  // /proc/net/tcp lists local:remote in hex; the server's sockets have local port = port and state 01 (ESTABLISHED)
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3 && f[1]!.endsWith(`:${hex}`) && f[3] === '01') n++;
  }
  return n;
}

describe('the page source', () => {
  it('puts nothing into the DOM as HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    for (const sink of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval(',
      'new Function',
      "setAttribute('on",
      'javascript:',
    ]) {
      expect(PAGE_PARTS.js, sink).not.toContain(sink);
    }
    expect(PAGE_PARTS.js).toContain('textContent');
  });

  it('the script compiles and the CSP hashes match the inline script and style', () => {
    expect(() => new vm.Script(PAGE_PARTS.js)).not.toThrow();
    const hash = (s: string) => crypto.createHash('sha256').update(s).digest('base64');
    expect(PAGE_HTML).toContain(`<script>${PAGE_PARTS.js}</script>`);
    expect(PAGE_HTML).toContain(`<style>${PAGE_PARTS.css}</style>`);
    expect(PAGE_CSP).toContain(`script-src 'sha256-${hash(PAGE_PARTS.js)}'`);
    expect(PAGE_CSP).toContain(`style-src 'sha256-${hash(PAGE_PARTS.css)}'`);
    expect(PAGE_CSP).toContain("default-src 'none'");
    expect(PAGE_CSP).toContain("connect-src 'self'");
    expect(PAGE_CSP).toContain("form-action 'none'");
    expect(PAGE_HTML).not.toMatch(/<form|<iframe|https?:\/\//i);
  });
});

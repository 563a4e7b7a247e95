// WsFeed against real ws servers on 127.0.0.1: subscribe, order, reconnects, storms, stale links, oversized frames, make-before-break, stop, redaction; backoff unit tests.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { Backoff, backoffCapMs, backoffDelayMs } from '../../src/feed/backoff.js';
import {
  WS_FEED_DEFAULTS,
  WsFeed,
  isServerShutdown,
  type WsFeedEvent,
  type WsFeedEventKind,
  type WsFeedOptions,
} from '../../src/feed/ws-feed.js';
import { redactText, redactUrl, urlSecrets } from '../../src/feed/ws/redact.js';
import { rng } from '../helpers/ticks.js';
import { trackResources, type ResourceTracker } from './helpers/resource-tracker.js';
import {
  RecordingMapper,
  RecordingSink,
  TestServer,
  freePort,
  sleep,
  startRawServer,
  waitFor,
  type RawServer,
} from './helpers/ws-servers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface Harness {
  feed: WsFeed;
  mapper: RecordingMapper;
  sink: RecordingSink;
  events: { kind: WsFeedEventKind; detail: WsFeedEvent }[];
  count(kind: WsFeedEventKind): number;
}

/** A started feed with a recording mapper, sink and event log; stopped after the test. */
function startFeed(opts: Partial<WsFeedOptions> & { url: string }): Harness {
  const mapper = new RecordingMapper();
  const sink = new RecordingSink();
  const events: Harness['events'] = [];
  const feed = new WsFeed({
    name: 'test-ws',
    mapper,
    subscribe: ['TEST.X', 'TEST.Y'],
    reconnectMinMs: 5,
    reconnectMaxMs: 40,
    random: rng(7),
    onEvent: (kind, detail) => events.push({ kind, detail }),
    ...opts,
  });
  feed.start(sink);
  cleanups.push(() => feed.stop());
  return { feed, mapper, sink, events, count: (k) => events.filter((e) => e.kind === k).length };
}

async function server(opts: Parameters<typeof TestServer.start>[0] = {}): Promise<TestServer> {
  const s = await TestServer.start(opts);
  cleanups.push(() => s.close());
  return s;
}

async function raw(handshake: boolean): Promise<RawServer> {
  const s = await startRawServer(handshake);
  cleanups.push(() => s.close());
  return s;
}

const url = (s: { port: number }): string => `ws://127.0.0.1:${s.port}/stream`;

/** No number between the smallest and the largest is missing. */
function missingSeqs(seqs: number[]): number[] {
  const have = new Set(seqs);
  const missing: number[] = [];
  for (let n = Math.min(...seqs); n <= Math.max(...seqs); n++) if (!have.has(n)) missing.push(n);
  return missing;
}

/** Server log proves make-before-break from connection `a` to `b`. */
function expectOverlap(log: string[], a: number, b: number): void {
  const sub = log.findIndex((l) => l.startsWith(`sub ${b} `));
  const close = log.findIndex((l) => l.startsWith(`close ${a} `));
  expect(sub, `log ${log.join(' | ')}`).toBeGreaterThanOrEqual(0);
  expect(close, `log ${log.join(' | ')}`).toBeGreaterThan(sub);
  expect(log[sub]).toBe(`sub ${b} 2`); // both connections open when the new one subscribed
  expect(log[close]).toBe(`close ${a} 1000`);
}

describe('backoff', () => {
  it('keeps every delay within [0, min(max, min * 2^attempt)]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, min, extra, r) => {
          const max = min + extra;
          const cap = backoffCapMs(attempt, min, max);
          expect(cap).toBe(Math.min(max, min * 2 ** attempt));
          const d = backoffDelayMs(attempt, min, max, () => r);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(cap);
          expect(Number.isInteger(d)).toBe(true);
        },
      ),
    );
  });

  it('grows exponentially up to the cap with the jitter at its top', () => {
    const b = new Backoff(250, 30_000, () => 0.999999);
    const seq = Array.from({ length: 12 }, () => b.next());
    expect(seq.slice(0, 7)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16_000]);
    expect(seq.slice(7).every((d) => d === 30_000)).toBe(true);
    for (let i = 1; i < seq.length; i++) expect(seq[i]).toBeGreaterThanOrEqual(seq[i - 1]!);
  });

  it('jitters over the whole [0, cap] range (full jitter)', () => {
    const r = rng(1);
    const ds = Array.from({ length: 2000 }, () => backoffDelayMs(3, 100, 10_000, r)); // cap 800
    expect(Math.min(...ds)).toBeLessThan(80);
    expect(Math.max(...ds)).toBeGreaterThan(720);
    expect(ds.every((d) => d >= 0 && d <= 800)).toBe(true);
    expect(backoffDelayMs(3, 100, 10_000, () => 0)).toBe(0);
  });

  it('resets to the first attempt, clamps a bad random, rejects bad bounds', () => {
    const b = new Backoff(100, 5000, () => 0.999);
    for (let i = 0; i < 6; i++) b.next();
    expect(b.attempt).toBe(6);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBeLessThanOrEqual(100);
    expect(backoffDelayMs(2, 10, 100, () => Number.NaN)).toBe(0);
    expect(backoffDelayMs(2, 10, 100, () => 7)).toBe(40);
    expect(backoffDelayMs(2, 10, 100, () => -1)).toBe(0);
    expect(backoffCapMs(1e9, 10, 100)).toBe(100);
    expect(() => new Backoff(100, 50)).toThrow(RangeError);
    expect(() => backoffDelayMs(0, -1, 10, Math.random)).toThrow(RangeError);
  });
});

describe('redaction helpers', () => {
  it('redacts userinfo and secret-looking query values, keeps the rest byte for byte', () => {
    const u = 'wss://alice:pw%21@host.example:9443/stream?streams=btcusdt@trade/ethusdt@depth&apiKey=K1&token=T2&x=1#frag';
    expect(redactUrl(u)).toBe('wss://***@host.example:9443/stream?streams=btcusdt@trade/ethusdt@depth&apiKey=***&token=***&x=1');
    expect(redactUrl('wss://host/ws')).toBe('wss://host/ws');
    expect(urlSecrets(u)).toEqual(expect.arrayContaining(['pw%21', 'pw!', 'alice', 'K1', 'T2']));
    expect(redactText('failed for pw! and T2 at ws://bob:x@h/?signature=abc', urlSecrets(u))).toBe(
      'failed for *** and *** at ws://***@h/?signature=***',
    );
    expect(redactUrl('not a url?password=hunter2')).not.toContain('hunter2');
  });

  it('recognizes serverShutdown announcements in every envelope, and nothing else', () => {
    expect(isServerShutdown('{"e":"serverShutdown","E":1}')).toBe(true);
    expect(isServerShutdown('{"event":"serverShutdown"}')).toBe(true);
    expect(isServerShutdown('{"event":{"e":"serverShutdown","E":1770123456789}}')).toBe(true);
    expect(isServerShutdown('{"stream":"x","data":{"e":"serverShutdown"}}')).toBe(true);
    expect(isServerShutdown('{"e":"trade","note":"serverShutdown"}')).toBe(false);
    expect(isServerShutdown('serverShutdown')).toBe(false);
    expect(isServerShutdown('{"e":"trade"}')).toBe(false);
  });
});

describe('WsFeed options', () => {
  it('has one defaults object with the documented values', () => {
    expect(WS_FEED_DEFAULTS).toMatchObject({
      maxPayloadBytes: 4 * 1024 * 1024,
      reconnectMinMs: 250,
      reconnectMaxMs: 30_000,
      stableAfterMs: 10_000,
      pingIntervalMs: 15_000,
      staleTimeoutMs: 30_000,
      textPing: false,
      maxConnectionAgeMs: 0,
      handshakeTimeoutMs: 10_000,
      closeTimeoutMs: 2_000,
    });
  });

  it('rejects a bad URL or limit with an error naming the feed and no secret', () => {
    const mapper = new RecordingMapper();
    const bad = (o: Partial<WsFeedOptions>): unknown => {
      try {
        new WsFeed({ name: 'binance-spot', url: 'ws://h/', mapper, ...o });
      } catch (err) {
        return err;
      }
      return null;
    };
    for (const u of ['http://u:hunter2@h/?token=abc', 'not a url token=abc', '']) {
      const err = bad({ url: u });
      expect(err).toBeInstanceOf(TickrecError);
      expect((err as TickrecError).code).toBe('E_CONFIG');
      expect((err as Error).message).toContain('binance-spot');
      expect((err as Error).message).not.toMatch(/hunter2|abc/);
    }
    expect((bad({ reconnectMinMs: 100, reconnectMaxMs: 10 }) as Error).message).toMatch(/binance-spot.*reconnectMaxMs/);
    expect((bad({ staleTimeoutMs: Number.NaN }) as Error).message).toMatch(/staleTimeoutMs/);
    expect((bad({ maxConnectionAgeMs: 2 ** 40 }) as Error).message).toMatch(/maxConnectionAgeMs/);
    expect(bad({ url: 'wss://h:443/ws?x=1' })).toBeNull();
  });
});

describe('WsFeed against a real server', () => {
  it('connects, subscribes, and delivers text and binary frames in order', async () => {
    const srv = await server({
      onSubscribe: (c) => {
        if (c.subscribes !== 1) return;
        for (let i = 0; i < 200; i++) c.ws.send(JSON.stringify({ n: i }));
        c.ws.send(Buffer.from('{"bin":1}'), { binary: true });
      },
    });
    const h = startFeed({ url: url(srv), clock: () => 1_700_000_000_123 });
    await waitFor(() => h.mapper.frames.length === 201, '201 frames');
    expect(h.mapper.frames).toEqual([...Array.from({ length: 200 }, (_, i) => `{"n":${i}}`), '{"bin":1}']);
    expect(srv.conns[0]!.received[0]).toBe('{"op":"subscribe","args":["TEST.X","TEST.Y"]}');
    const s = h.feed.stats();
    expect(s).toMatchObject({ state: 'up', messages: 201, reconnects: 0, lastMessageMs: 1_700_000_000_123, lastError: '' });
    expect(h.count('connected')).toBe(1);

    // New list: frames for it are sent on the live connection; nothing unsubscribed.
    h.feed.setSubscriptions(['TEST.Z']);
    await waitFor(() => srv.conns[0]!.subscribes === 2, 'the second subscribe');
    expect(srv.conns[0]!.received.at(-1)).toBe('{"op":"subscribe","args":["TEST.Z"]}');
    expect(h.feed.subscriptions()).toEqual(['TEST.Z']);
  });

  it('reconnects and resubscribes after the server closes the connection and after a server restart', async () => {
    let srv = await TestServer.start({
      onSubscribe: (c) => {
        if (c.id === 1) c.ws.close(1001, 'going away');
      },
    });
    const port = srv.port;
    cleanups.push(() => srv.close());
    const h = startFeed({ url: url(srv) });
    await waitFor(() => srv.conns.length === 2 && srv.conns[1]!.subscribes === 1, 'resubscribe after close');
    const disc = h.events.find((e) => e.kind === 'disconnected');
    expect(disc?.detail).toMatchObject({ code: 1001, reason: 'going away', planned: false });

    // Process-like restart: all sockets die, the port refuses for a while, then comes back.
    await srv.close();
    const scheduled = h.count('reconnect_scheduled');
    await waitFor(() => h.count('reconnect_scheduled') >= scheduled + 3, 'refused attempts');
    expect(['down', 'connecting']).toContain(h.feed.stats().state);
    expect(h.feed.stats().lastError).toMatch(/ECONNREFUSED/);
    srv = await TestServer.start({ port });
    await waitFor(() => srv.conns[0]?.subscribes === 1 && h.feed.stats().state === 'up', 'resubscribe after restart');
    expect(h.feed.stats().reconnects).toBeGreaterThanOrEqual(4);
    expect(h.mapper.subscribeCalls.length).toBe(h.feed.stats().connections);
    for (const e of h.events.filter((x) => x.kind === 'reconnect_scheduled')) {
      expect(e.detail.delayMs).toBeLessThanOrEqual(backoffCapMs(e.detail.attempt!, 5, 40));
    }
  });

  it('survives a storm of 20 drops: resubscribed every time, no frame lost while connected', async () => {
    const srv = await server({
      onSubscribe: (c) => {
        for (let i = 0; i < 5; i++) c.ws.send(JSON.stringify({ c: c.id, i }));
        if (c.id <= 20) c.ws.close(1012, 'service restart');
      },
    });
    const h = startFeed({ url: url(srv) });
    await waitFor(() => srv.conns.length === 21 && h.mapper.frames.length === 21 * 5, '21 connections x 5 frames');
    for (const c of srv.conns) expect(c.subscribes).toBe(1);
    const byConn = new Map<number, number[]>();
    for (const f of h.mapper.frames) {
      const o = JSON.parse(f) as { c: number; i: number };
      byConn.set(o.c, [...(byConn.get(o.c) ?? []), o.i]);
    }
    for (let k = 1; k <= 21; k++) expect(byConn.get(k)).toEqual([0, 1, 2, 3, 4]);
    const s = h.feed.stats();
    expect(s).toMatchObject({ state: 'up', reconnects: 20, connections: 21, messages: 105 });
    // Never stable: each attempt is the next one, and each delay is within its cap.
    const sched = h.events.filter((e) => e.kind === 'reconnect_scheduled').map((e) => e.detail);
    expect(sched.map((d) => d.attempt)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const d of sched) expect(d.delayMs).toBeLessThanOrEqual(backoffCapMs(d.attempt!, 5, 40));
  });

  it('resets the backoff after a connection stayed up stableAfterMs', async () => {
    const srv = await server({
      onSubscribe: (c) => {
        if (c.id <= 3) c.ws.close(1012, 'restart');
      },
    });
    const h = startFeed({ url: url(srv), stableAfterMs: 200 });
    await waitFor(() => srv.conns[3]?.subscribes === 1, 'the 4th connection');
    await sleep(600); // the 4th connection outlives stableAfterMs
    srv.conns[3]!.ws.close(1012, 'restart');
    await waitFor(() => srv.conns[4]?.subscribes === 1, 'the 5th connection');
    const attempts = h.events.filter((e) => e.kind === 'reconnect_scheduled').map((e) => e.detail.attempt);
    expect(attempts).toEqual([0, 1, 2, 0]);
  });

  it('terminates and replaces a connection whose server stops answering (no pong, no frame)', async () => {
    const srv = await raw(true);
    const h = startFeed({ url: url(srv), pingIntervalMs: 20, staleTimeoutMs: 150, closeTimeoutMs: 100 });
    await waitFor(() => srv.upgraded >= 3, 'two replacements of silent connections');
    expect(h.feed.stats().staleTerminations).toBeGreaterThanOrEqual(2);
    expect(h.feed.stats().lastError).toMatch(/presumed dead/);
    const disc = h.events.find((e) => e.kind === 'disconnected');
    expect(disc?.detail).toMatchObject({ code: 1006, reason: 'stale', planned: false });
  });

  it('keeps a quiet connection whose server answers pings', async () => {
    const srv = await server();
    const h = startFeed({ url: url(srv), pingIntervalMs: 10, staleTimeoutMs: 1500 });
    await waitFor(() => (srv.conns[0]?.pings ?? 0) >= 100, '100 pings answered').catch((err: Error) => {
      throw new Error(`${err.message}; stats ${JSON.stringify(h.feed.stats())}`);
    });
    expect(h.feed.stats()).toMatchObject({ state: 'up', staleTerminations: 0, connections: 1 });
  });

  it('gives up a handshake that never completes after handshakeTimeoutMs and retries', async () => {
    const srv = await raw(false);
    const h = startFeed({ url: url(srv), handshakeTimeoutMs: 100 });
    await waitFor(() => srv.accepted >= 3, 'retried handshakes');
    expect(h.feed.stats().lastError).toMatch(/handshake has timed out/i);
    expect(h.count('connected')).toBe(0);
  });

  it('rejects an oversized frame once, closes with 1009 and reconnects', async () => {
    const srv = await server({
      onSubscribe: (c) => {
        if (c.id === 1) {
          c.ws.send('{"n":0}');
          c.ws.send(JSON.stringify({ big: 'x'.repeat(4096) }));
        } else c.ws.send('{"ok":1}');
      },
    });
    const h = startFeed({ url: url(srv), maxPayloadBytes: 1024 });
    await waitFor(() => h.mapper.frames.includes('{"ok":1}'), 'a frame on the second connection');
    expect(h.mapper.frames).toEqual(['{"n":0}', '{"ok":1}']);
    expect(h.sink.rejects.map((r) => r.reason)).toEqual(['oversized']);
    expect(h.sink.rejects[0]!.detail).toMatch(/test-ws.*maxPayloadBytes=1024/);
    expect(h.feed.stats()).toMatchObject({ oversized: 1, reconnects: 1, state: 'up' });
    await waitFor(() => srv.conns[0]!.closed, 'server sees the close');
    expect(srv.conns[0]!.closeCode).toBe(1009);
  });

  it('counts and rejects a frame on which the mapper throws, and keeps the connection', async () => {
    const srv = await server({
      onSubscribe: (c) => {
        c.ws.send('{"boom":1}');
        c.ws.send('{"after":1}');
      },
    });
    const h = startFeed({ url: url(srv) });
    h.mapper.throwOn = 'boom';
    await waitFor(() => h.mapper.frames.includes('{"after":1}'), 'the frame after');
    expect(h.sink.rejects.map((r) => r.reason)).toEqual(['malformed_json']);
    expect(h.feed.stats()).toMatchObject({ mapperErrors: 1, connections: 1, state: 'up' });
  });

  it('rotates make-before-break at maxConnectionAgeMs: new subscribed before old closed, no gap', async () => {
    const srv = await server();
    srv.startTicker(2);
    const h = startFeed({ url: url(srv), maxConnectionAgeMs: 250 });
    await waitFor(() => h.feed.stats().rotations >= 2 && srv.conns.length >= 3 && srv.conns[1]!.closed, 'two rotations');
    const seenAfter = h.mapper.seqs().length;
    await waitFor(() => h.mapper.seqs().length > seenAfter + 20, 'data after the rotations');
    expectOverlap(srv.log, 1, 2);
    expectOverlap(srv.log, 2, 3);
    const seqs = h.mapper.seqs();
    expect(missingSeqs(seqs)).toEqual([]);
    expect(h.feed.stats().reconnects).toBe(0);
    expect(h.events.filter((e) => e.kind === 'rotating').every((e) => e.detail.cause === 'max_age')).toBe(true);
    expect(h.events.find((e) => e.kind === 'disconnected')?.detail).toMatchObject({ code: 1000, planned: true, reason: 'rotated' });
    expect(h.events.find((e) => e.kind === 'connected' && e.detail.connection === 2)?.detail.rotation).toBe(true);
  });

  it('rotates make-before-break on a serverShutdown announcement (both envelopes)', async () => {
    const srv = await server();
    srv.startTicker(2);
    const h = startFeed({ url: url(srv) });
    await waitFor(() => h.mapper.seqs().length >= 20, 'data on connection 1');
    srv.conns[0]!.ws.send(JSON.stringify({ e: 'serverShutdown', E: Date.now() }));
    await waitFor(() => srv.conns[1]?.subscribes === 1 && srv.conns[0]!.closed, 'rotation 1');
    let n = h.mapper.seqs().length;
    await waitFor(() => h.mapper.seqs().length >= n + 20, 'data on connection 2');
    srv.conns[1]!.ws.send(JSON.stringify({ event: { e: 'serverShutdown', E: Date.now() } }));
    await waitFor(() => srv.conns[2]?.subscribes === 1 && srv.conns[1]!.closed, 'rotation 2');
    n = h.mapper.seqs().length;
    await waitFor(() => h.mapper.seqs().length >= n + 20, 'data on connection 3');
    expectOverlap(srv.log, 1, 2);
    expectOverlap(srv.log, 2, 3);
    expect(missingSeqs(h.mapper.seqs())).toEqual([]);
    expect(h.mapper.frames.some((f) => f.includes('serverShutdown'))).toBe(false);
    expect(h.feed.stats()).toMatchObject({ rotations: 2, reconnects: 0, state: 'up' });
    expect(h.events.filter((e) => e.kind === 'rotating').map((e) => e.detail.cause)).toEqual(['server_shutdown', 'server_shutdown']);
  });

  it('keeps the old connection when the rotation connection is refused, and retries', async () => {
    const srv = await server({ refuseAttempt: (n) => (n === 2 ? 503 : undefined) });
    srv.startTicker(2);
    const h = startFeed({ url: url(srv), maxConnectionAgeMs: 200 });
    await waitFor(() => srv.conns[1]?.subscribes === 1 && srv.conns[0]!.closed, 'the retried rotation');
    const n = h.mapper.seqs().length;
    await waitFor(() => h.mapper.seqs().length >= n + 20, 'data on the new connection');
    expectOverlap(srv.log, 1, 2);
    expect(missingSeqs(h.mapper.seqs())).toEqual([]);
    expect(h.feed.stats().reconnects).toBe(0);
    expect(h.events.find((e) => e.kind === 'reconnect_scheduled')?.detail.cause).toBe('max_age');
    // Connection 1 was rotated out once, planned. (Connection 2 also has a 200 ms age
    // limit: on a loaded machine it may be rotated in turn before these checks, planned too.)
    const disconnects = h.events.filter((e) => e.kind === 'disconnected');
    expect(disconnects.filter((e) => e.detail.connection === 1)).toHaveLength(1);
    expect(disconnects.filter((e) => e.detail.planned !== true)).toEqual([]);
  });

  it('falls back to the old connection when the new one dies before delivering data', async () => {
    const srv = await server({
      onSubscribe: (c) => {
        if (c.id === 2) c.ws.close(1011, 'internal error');
      },
    });
    srv.startTicker(2);
    const h = startFeed({ url: url(srv), maxConnectionAgeMs: 200 });
    await waitFor(() => srv.conns[2]?.subscribes === 1 && srv.conns[0]!.closed, 'the retried rotation');
    const n = h.mapper.seqs().length;
    await waitFor(() => h.mapper.seqs().length >= n + 20, 'data on connection 3');
    expectOverlap(srv.log, 1, 3);
    expect(missingSeqs(h.mapper.seqs())).toEqual([]);
    expect(h.feed.stats().reconnects).toBe(0);
    expect(h.events.find((e) => e.kind === 'disconnected')?.detail).toMatchObject({ connection: 2, code: 1011, planned: false });
  });

  it('textPing mode sends the text ping instead of ws pings; the pong reply goes to the mapper', async () => {
    const srv = await server({
      onMessage: (c, text) => {
        if (text === 'ping') c.ws.send('pong');
      },
    });
    const h = startFeed({ url: url(srv), textPing: true, pingIntervalMs: 20 });
    await waitFor(
      () => (srv.conns[0]?.received.filter((t) => t === 'ping').length ?? 0) >= 3 && h.mapper.frames.includes('pong'),
      'text pings and a pong',
    );
    expect(srv.conns[0]!.pings).toBe(0);
    expect(srv.conns[0]!.received[0]).toMatch(/^\{"op":"subscribe"/);
  });
});

describe('WsFeed stop()', () => {
  /** Every timer, immediate and socket the feed created (tracked from start()) is gone. */
  async function expectNoLeftovers(tr: ResourceTracker): Promise<void> {
    await waitFor(() => tr.alive().length === 0, 'no leftover handles', 5000).catch(() => {
      throw new Error(`handles left behind by the feed: ${tr.alive().join(', ')}`);
    });
    tr.disable();
  }

  it('resolves while connecting and leaves nothing behind', async () => {
    const srv = await raw(false);
    const tr = trackResources();
    const h = tr.run(() => startFeed({ url: url(srv) }));
    await waitFor(() => srv.accepted === 1, 'the TCP connection');
    expect(h.feed.stats().state).toBe('connecting');
    expect(tr.alive().length).toBeGreaterThan(0); // the tracker sees the feed's socket
    await tr.run(() => h.feed.stop());
    expect(h.feed.stats().state).toBe('stopped');
    await expectNoLeftovers(tr);
    expect(srv.accepted).toBe(1);
  });

  it('resolves while up (mid-rotation), closes with 1000, leaves nothing behind', async () => {
    const srv = await server();
    srv.startTicker(2);
    const tr = trackResources();
    const h = tr.run(() => startFeed({ url: url(srv), pingIntervalMs: 10, stableAfterMs: 20, maxConnectionAgeMs: 100 }));
    await waitFor(() => h.feed.stats().rotations >= 1 && h.mapper.seqs().length >= 10, 'data and a rotation');
    await tr.run(() => h.feed.stop());
    const frames = h.mapper.frames.length;
    await expectNoLeftovers(tr);
    await waitFor(() => srv.conns.every((c) => c.closed), 'server sees the closes');
    // Every connection the client had open (it subscribed on it) ended with a 1000 close; a
    // rotation connection still in its handshake at stop() is aborted instead.
    for (const c of srv.conns) if (c.subscribes > 0) expect(c.closeCode, srv.log.join(' | ')).toBe(1000);
    await sleep(30);
    expect(h.mapper.frames.length).toBe(frames); // nothing reaches the mapper after stop() resolved
    expect(h.events.at(-1)).toMatchObject({ kind: 'disconnected', detail: { code: 1000, planned: true } });
  });

  it('resolves while waiting to reconnect, is idempotent, and works before start()', async () => {
    const port = await freePort();
    const tr = trackResources();
    const h = tr.run(() =>
      startFeed({ url: `ws://127.0.0.1:${port}/`, reconnectMinMs: 60_000, reconnectMaxMs: 60_000, random: () => 0.99 }),
    );
    await waitFor(() => h.feed.stats().state === 'down' && h.count('reconnect_scheduled') === 1, 'a scheduled reconnect');
    expect(h.events.find((e) => e.kind === 'reconnect_scheduled')!.detail.delayMs).toBeGreaterThan(50_000);
    expect(tr.alive().some((r) => r.startsWith('Timeout'))).toBe(true); // the reconnect timer
    const p1 = tr.run(() => h.feed.stop());
    expect(h.feed.stop()).toBe(p1);
    await p1;
    await expectNoLeftovers(tr);
    const idle = new WsFeed({ name: 'idle', url: 'ws://127.0.0.1:1/', mapper: new RecordingMapper() });
    await idle.stop();
    expect(idle.stats().state).toBe('stopped');
    expect(() => idle.start(new RecordingSink())).toThrow(/after stop/);
  });

  it('stop() called from the onEvent hook leaves nothing behind', async () => {
    const port = await freePort();
    const tr = trackResources();
    let stopped: Promise<void> | null = null;
    const holder: { feed?: WsFeed } = {};
    const h = tr.run(() =>
      startFeed({
        url: `ws://127.0.0.1:${port}/`,
        reconnectMinMs: 60_000,
        reconnectMaxMs: 60_000,
        random: () => 0.99,
        onEvent: (kind) => {
          if (kind === 'reconnect_scheduled') stopped ??= holder.feed!.stop();
        },
      }),
    );
    holder.feed = h.feed;
    await waitFor(() => stopped !== null, 'the hook to stop the feed');
    // set inside the hook, which TypeScript's narrowing above cannot see
    await (stopped as Promise<void> | null);
    await expectNoLeftovers(tr);
    expect(h.feed.stats()).toMatchObject({ state: 'stopped', reconnects: 0 });
  });

  it('lets a process that used connect, rotation, reconnect and stop exit by itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'helpers', 'exit-check.ts')], {
      cwd: path.resolve(here, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | string>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('did not exit within 15 s: something keeps the event loop alive');
      }, 15_000);
      child.on('exit', (c) => {
        clearTimeout(t);
        resolve(c ?? -1);
      });
    });
    expect(code, err).toBe(0);
    expect(out).toMatch(/^stopped state=stopped rotations=[1-9]\d* /);
  });
});

describe('WsFeed redaction', () => {
  const secrets = ['s3cr3tPW', 'TOK123', 'LK999', 'SIG777', 'alice'];
  const secretUrl = (port: number): string =>
    `ws://alice:s3cr3tPW@127.0.0.1:${port}/ws?symbol=btcusdt&token=TOK123&listenKey=LK999&signature=SIG777`;

  it('never stores or reports credentials from the URL', async () => {
    const refusing = await server({ refuseStatus: 401 });
    const h = startFeed({ url: secretUrl(refusing.port) });
    await waitFor(() => h.count('reconnect_scheduled') >= 2, 'refused attempts');
    const s = h.feed.stats();
    expect(s.lastError).toMatch(/401/);
    expect(s.url).toBe(`ws://***@127.0.0.1:${refusing.port}/ws?symbol=btcusdt&token=***&listenKey=***&signature=***`);
    expect(h.feed.redactedUrl).toBe(s.url);

    // A server that echoes a secret in its close reason.
    const echoing = await server({
      onSubscribe: (c) => {
        if (c.id === 1) c.ws.close(4001, 'bad token TOK123 for alice');
      },
    });
    const h2 = startFeed({ url: secretUrl(echoing.port) });
    await waitFor(() => echoing.conns.length >= 2, 'a reconnect');
    const disc = h2.events.find((e) => e.kind === 'disconnected');
    expect(disc?.detail.reason).toBe('bad token *** for ***');
    expect(h2.feed.stats().lastError).toMatch(/4001/);

    const everything = JSON.stringify([h.feed.stats(), h.events, h2.feed.stats(), h2.events]);
    for (const sec of secrets) expect(everything).not.toContain(sec);
  });
});

// Helpers of the monitor tests: an in-process Recorder driven by a fake feed, ticks, SSE reading, bounded polling.

import { coveredSessionsFile } from '../helpers/sessions.js';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../src/config/index.js';
import type { FeedAdapter, FeedSink, FeedState, FeedStats, TickInput } from '../../src/feed/index.js';
import { Recorder } from '../../src/recorder/recorder.js';

const made: string[] = [];

export function tempDir(prefix = 'tickrec-monitor-'): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  made.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A feed the test drives by hand: push ticks through `sink`, set `state`. */
export class FakeFeed implements FeedAdapter {
  readonly type = 'fake';
  sink: FeedSink | undefined;
  state: FeedState = 'up';
  messages = 0;
  reconnects = 0;
  lastMessageMs = 0;
  lastError = '';
  constructor(readonly name: string) {}
  start(sink: FeedSink): void {
    this.sink = sink;
  }
  async stop(): Promise<void> {
    this.state = 'stopped';
  }
  setSubscriptions(): void {}
  stats(): FeedStats {
    return {
      state: this.state,
      messages: this.messages,
      reconnects: this.reconnects,
      lastMessageMs: this.lastMessageMs,
      lastError: this.lastError,
    };
  }
  tick(t: TickInput): void {
    this.messages++;
    this.lastMessageMs = Date.now();
    this.sink!.tick(t);
  }
}

/** A night-session SHFE tick (trading day 20250107) at 21:00:00 + i × 500 ms. */
export function shfeTick(code: string, i: number, price = 3500 + (i % 7)): TickInput {
  const ms = i * 500;
  const s = Math.floor(ms / 1000);
  const time = 21 * 10000000 + Math.floor(s / 60) * 100000 + (s % 60) * 1000 + (ms % 1000);
  return { exchg: 'SHFE', code, price, total_volume: 10 * (i + 1), trading_date: 20250107, action_date: 20250106, action_time: time };
}

export interface TestRecorder {
  rec: Recorder;
  feed: FakeFeed;
  root: string;
  stop(): Promise<void>;
}

/** A Recorder on a temp root, fed by a FakeFeed (or the configured feeds when `feedsFromConfig`). */
export function startRecorder(o: { root?: string; feeds?: unknown[]; feedsFromConfig?: boolean; now?: () => number } = {}): TestRecorder {
  const root = o.root ?? tempDir();
  const config = parseConfig(
    {
      root,
      feeds: o.feeds ?? [{ type: 'websocket', name: 'fake', url: 'ws://127.0.0.1:9/', format: 'tickrec' }],
      storage: { roll_by_clock: false, sync_interval_ms: 0 },
      bars: { enabled: false },
      log: { level: 'silent' },
      sessions: coveredSessionsFile(),
    },
    'test',
  );
  const feed = new FakeFeed('fake');
  const rec = Recorder.start({
    config,
    log: pino({ level: 'silent' }),
    ...(o.feedsFromConfig ? {} : { feeds: [feed] }),
    ...(o.now ? { now: o.now } : {}),
  });
  return { rec, feed, root, stop: () => rec.stop() };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value, at most `timeoutMs`; throws with `what` otherwise. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request; the whole body. */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers = { ...opts.headers, ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}) };
    const req = http.request(url, { method: opts.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface SseEvent {
  event: string;
  data: string;
}

/** An open /api/events stream: its status, the events parsed so far, and a way to close it. */
export interface SseClient {
  status: number;
  events: SseEvent[];
  ended: boolean;
  close(): void;
}

export function openSse(url: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const c: SseClient = { status: res.statusCode ?? 0, events: [], ended: false, close: () => req.destroy() };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) c.events.push({ event, data: data.join('\n') });
        }
      });
      const end = () => {
        c.ended = true;
      };
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
      resolve(c);
    });
    req.on('error', reject);
  });
}

// What real fronts and real SDKs do (issue 13), played by the stand-in, and what the feed does about it: silence, accept-and-close floods, a silent front, two fronts, GetTradingDay before login, a library of another SDK.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import {
  CtpFeed,
  LAYOUT_65,
  captureHeader,
  captureRecord,
  encodeDepthMarketData,
  readCapture,
  loadCtpAddon,
  type CtpFeedEventKind,
  type CtpFeedOptions,
  type CtpNativeEvent,
} from '../../src/feed/ctp/index.js';
import type { FeedSink } from '../../src/feed/types.js';
import type { WsFeedEvent } from '../../src/feed/ws-feed.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { buildCtp, type CtpBuild } from './helpers/build.js';
import { deadPort, Front } from './helpers/front.js';

let build: CtpBuild;
const fronts: Front[] = [];
const feeds: CtpFeed[] = [];

beforeAll(() => {
  build = buildCtp();
}, 300_000);

afterEach(async () => {
  for (const f of feeds.splice(0)) await f.stop();
  for (const f of fronts.splice(0)) await f.close();
});

afterAll(() => removeTempDirs());

async function newFront(mode: Front['mode'] = 'answer'): Promise<Front> {
  const f = await Front.start();
  f.mode = mode;
  fronts.push(f);
  return f;
}

async function until(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface H {
  feed: CtpFeed;
  events: { kind: CtpFeedEventKind; detail: WsFeedEvent }[];
  sink: FeedSink;
}

function harness(o: Partial<CtpFeedOptions> & Pick<CtpFeedOptions, 'fronts'>): H {
  const h = { events: [] } as unknown as H;
  h.sink = { tick: () => undefined, trade: () => undefined, reject: () => undefined };
  h.feed = new CtpFeed({
    name: 'ctp',
    brokerId: '9999',
    userId: 'u007',
    password: 'pw',
    subscribe: ['SHFE.rb2505'],
    flowDir: path.join(makeTempDir('tickrec-ctp-rf-'), 'flow'),
    library: build.lib4,
    addonPath: build.addon,
    onEvent: (kind, detail) => h.events.push({ kind, detail }),
    ...o,
  });
  feeds.push(h.feed);
  return h;
}

const errors = (h: H) => h.events.filter((e) => e.kind === 'error').map((e) => e.detail.error ?? '');
const count = (h: H, kind: CtpFeedEventKind) => h.events.filter((e) => e.kind === kind).length;

describe('the stand-in behaves like the real library', () => {
  it('nothing listens: it retries every 5 s by default, silently (no OnFrontDisconnected)', async () => {
    const port = await deadPort();
    const saved = process.env.STANDIN_RETRY_MS;
    process.env.STANDIN_RETRY_MS = ''; // the library's own interval
    try {
      const h = harness({ fronts: [`tcp://127.0.0.1:${port}`], connectWarnMs: 60_000 });
      const started = Date.now();
      h.feed.start(h.sink);
      await new Promise((r) => setTimeout(r, 1000));
      // Something starts listening; the library only notices at its next try, 5 s after the first.
      expect(count(h, 'disconnected')).toBe(0); // while nothing listened: nothing reported by the library
      let connectedAt = 0;
      const server = net.createServer((s) => {
        connectedAt ||= Date.now();
        s.destroy();
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      try {
        await until(() => connectedAt > 0, 'the retry', 30_000);
      } finally {
        server.close();
      }
      expect(connectedAt - started).toBeGreaterThanOrEqual(4500); // not before the 5 s retry (a lower bound only)
    } finally {
      if (saved === undefined) delete process.env.STANDIN_RETRY_MS;
      else process.env.STANDIN_RETRY_MS = saved;
    }
  });

  it('GetTradingDay() is "19800100" before a login, the login\'s TradingDay after', async () => {
    const front = await newFront();
    const addon = loadCtpAddon(build.addon);
    const events: CtpNativeEvent[] = [];
    const s = new addon.MdSession(
      { library: build.lib4, flowDir: makeTempDir('tickrec-ctp-rf-') + '/', fronts: [front.url], generation: 0, queueMax: 16 },
      (e) => events.push(e),
      () => undefined,
    );
    try {
      s.init();
      expect(s.tradingDay()).toBe('19800100');
      await until(() => events.some((e) => e.type === 'connected'), 'connected');
      expect(s.tradingDay()).toBe('19800100');
      expect(s.login('9999', 'u', 'p', 1)).toBe(0);
      await until(() => events.some((e) => e.type === 'login'), 'login');
      expect(s.tradingDay()).toBe(front.tradingDay);
    } finally {
      s.release();
    }
  });
});

describe('what the feed does about it', () => {
  it('nothing answers: a warning naming the fronts after connect_warn_ms, in lastError and waitingForFrontMs', async () => {
    const a = await deadPort();
    const b = await deadPort();
    const h = harness({ fronts: [`tcp://127.0.0.1:${a}`, `tcp://127.0.0.1:${b}`], connectWarnMs: 300, connectWarnRepeatMs: 600_000 });
    h.feed.start(h.sink);
    await until(() => errors(h).length > 0, 'the warning');
    expect(errors(h)[0]).toMatch(
      new RegExp(
        `^no front has answered for \\d+ s \\(tcp://127.0.0.1:${a}, tcp://127.0.0.1:${b}\\): .* retrying every 5 s and reports nothing`,
      ),
    );
    const s = h.feed.stats();
    expect(s.state).toBe('connecting');
    expect(s.lastError).toBe(errors(h)[0]);
    expect(s.waitingForFrontMs).toBeGreaterThanOrEqual(300);
    expect(count(h, 'disconnected')).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(errors(h)).toHaveLength(1); // repeated only every connectWarnRepeatMs
  });

  it('a front that accepts and closes: logs stay bounded, the API is released and created again after a backoff', async () => {
    const front = await newFront('close');
    const h = harness({
      fronts: [front.url],
      flapDisconnects: 20,
      flapWindowMs: 10_000,
      restartMinMs: 300,
      restartMaxMs: 300,
      logIntervalMs: 1000,
    });
    const t0 = Date.now();
    h.feed.start(h.sink);
    await until(() => h.feed.stats().apiRestarts >= 2, 'two API restarts');
    const seconds = (Date.now() - t0) / 1000;
    expect(front.connections).toBeGreaterThanOrEqual(40); // the library looped
    // At most one message per kind per second, each saying how many were left out.
    for (const kind of ['connected', 'disconnected'] as const) expect(count(h, kind)).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    const restart = errors(h).find((e) => e.includes('disconnects within'))!;
    expect(restart).toMatch(
      /^20 disconnects within 10000 ms: a front accepts connections and closes them; the CTP API was released and is created again in 300 ms$/,
    );
    const s = h.feed.stats();
    expect(s.connections).toBeGreaterThanOrEqual(40);
    expect(s.lastError).not.toBe('');
  });

  it('a front that accepts and stays silent: the login times out, is reported, and the API is created again', async () => {
    const front = await newFront('silent');
    const h = harness({ fronts: [front.url], loginTimeoutMs: 300, restartMinMs: 100, restartMaxMs: 100 });
    h.feed.start(h.sink);
    await until(() => h.feed.stats().loginTimeouts >= 1 && front.connections >= 2, 'a login timeout and a new connection');
    expect(errors(h)).toContain(
      `the login on front ${front.url} was not answered within 300 ms (a front that accepts and stays silent); the CTP API was released and is created again in 100 ms`,
    );
    expect(front.of('LOGIN', 1)).toHaveLength(1);
    expect(h.feed.stats().apiRestarts).toBeGreaterThanOrEqual(1);
  });

  it('the library reports a silent front as heartbeat timeout 8193 (after STANDIN_HEARTBEAT_TIMEOUT_MS), never as a heartbeat warning', async () => {
    const front = await newFront('silent');
    const saved = process.env.STANDIN_HEARTBEAT_TIMEOUT_MS;
    process.env.STANDIN_HEARTBEAT_TIMEOUT_MS = '400';
    try {
      const h = harness({ fronts: [front.url], loginTimeoutMs: 60_000, logIntervalMs: 0 });
      h.feed.start(h.sink);
      await until(() => count(h, 'disconnected') >= 1, 'the heartbeat timeout');
      const d = h.events.find((e) => e.kind === 'disconnected')!.detail;
      expect(d.code).toBe(8193);
      expect(d.reason).toBe('heartbeat receive timeout (0x2001)');
      expect(h.feed.stats().lastError).toBe(
        `front ${front.url} disconnected: heartbeat receive timeout (0x2001); the CTP API reconnects by itself`,
      );
      expect(errors(h).some((e) => e.includes('heartbeat warning'))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.STANDIN_HEARTBEAT_TIMEOUT_MS;
      else process.env.STANDIN_HEARTBEAT_TIMEOUT_MS = saved;
    }
  });

  it('two fronts: the one that answered is named in events, messages and stats', async () => {
    const dead = await deadPort();
    const front = await newFront();
    const h = harness({ fronts: [`tcp://127.0.0.1:${dead}`, front.url], logIntervalMs: 0 });
    h.feed.start(h.sink);
    await until(() => count(h, 'subscribed') === 1, 'subscribed');
    const connected = h.events.find((e) => e.kind === 'connected')!.detail;
    expect(connected.url).toBe(front.url);
    expect(connected.reason).toBe(`to front ${front.url}`);
    expect(h.events.find((e) => e.kind === 'logged_in')!.detail.reason).toContain(`on front ${front.url}, trading day 20250106`);
    expect(h.feed.stats().front).toBe(front.url);
    front.drop(0x1001);
    await until(() => count(h, 'disconnected') === 1, 'disconnected');
    expect(h.events.find((e) => e.kind === 'disconnected')!.detail.url).toBe(front.url);
  });

  it('a library of another SDK line (GetApiVersion 6.3.11 for an addon built with 6.7-layout headers) is refused with E_CONFIG naming both', () => {
    let err: unknown;
    try {
      harness({ fronts: ['tcp://127.0.0.1:1'], library: build.lib63 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_CONFIG');
    expect((err as Error).message).toContain(
      `${build.lib63} does not belong to the SDK the CTP addon was built with: the library is CTP v6.3.11_20180109 14:59:34 (the 6.3 line: 408-byte tick struct), ` +
        'but the addon was built with SDK v6.7.11_20250617 (584-byte tick struct, with OnRspQryMulticastInstrument: the 6.5+ line)',
    );
    expect(() => harness({ fronts: ['tcp://127.0.0.1:1'], library: build.lib63, allowSdkMismatch: true })).not.toThrow();
    // A 6.7.7 library (3-parameter CreateFtdcMdApi, same line) belongs.
    expect(() => harness({ fronts: ['tcp://127.0.0.1:1'], library: build.lib3 })).not.toThrow();
    expect(fs.existsSync(build.lib63)).toBe(true);
  });

  it('capture: a torn tail left by kill -9 is cut back and reported; every tick is appended as received, whole', async () => {
    const front = await newFront();
    const dir = makeTempDir('tickrec-ctp-cap-');
    const now = new Date();
    const day = now.getFullYear() * 10000 + (now.getMonth() + 1) * 100 + now.getDate();
    const file = path.join(dir, `${day}.cap`);
    // What a writer killed inside a write leaves: one whole record and 100 bytes of the next.
    const first = encodeDepthMarketData(LAYOUT_65, { ExchangeID: 'SHFE', InstrumentID: 'rb2505', UpdateTime: '09:00:00', LastPrice: 1 });
    fs.writeFileSync(file, Buffer.concat([captureHeader(584), captureRecord(123n, first), Buffer.alloc(100, 9)]));
    const h = harness({ fronts: [front.url], captureDir: dir, logIntervalMs: 0 });
    const ticks: unknown[] = [];
    h.sink = { tick: (t) => ticks.push(t), trade: () => undefined, reject: () => undefined };
    h.feed.start(h.sink);
    await until(() => count(h, 'subscribed') === 1, 'subscribed');
    front.tick({
      ExchangeID: 'SHFE',
      InstrumentID: 'rb2505',
      TradingDay: '20250106',
      ActionDay: '20250106',
      UpdateTime: '09:00:01',
      UpdateMillisec: 500,
      LastPrice: 3500,
      Volume: 7,
    });
    front.tick({
      ExchangeID: 'SHFE',
      InstrumentID: 'rb2505',
      TradingDay: '20250106',
      ActionDay: '20250106',
      UpdateTime: '09:00:02',
      LastPrice: 3501,
      Volume: 8,
    });
    await until(() => ticks.length === 2 && count(h, 'notice') === 1, 'two ticks and the notice');
    await h.feed.stop();
    const notice = h.events.find((e) => e.kind === 'notice')?.detail.reason ?? '';
    expect(notice).toBe(`capture: ${file} ended in a torn record (100 bytes, a crash while writing); cut back to 1 whole records`);
    const recs = [...readCapture(file, (i) => expect(i.tornBytes).toBe(0))];
    expect(recs.map((r) => [r.field.UpdateTime, r.field.LastPrice, r.field.Volume, r.field.UpdateMillisec])).toEqual([
      ['09:00:00', 1, 0, 0],
      ['09:00:01', 3500, 7, 500],
      ['09:00:02', 3501, 8, 0],
    ]);
    expect(recs[1]!.field.AskPrice1).toBe(Number.MAX_VALUE); // as received: DBL_MAX stays DBL_MAX
    const ns = recs[1]!.receivedNs;
    expect(Number(ns / 1_000_000n)).toBeGreaterThan(Date.now() - 600_000);
    expect(h.feed.stats().capture).toEqual({ records: 2, errors: 0, file });
  });
});

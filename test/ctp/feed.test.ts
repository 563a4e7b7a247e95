// CtpFeed against the stand-in front: fronts, login, batched subscriptions, ticks, disconnect → reconnect → login and subscribe again, both CreateFtdcMdApi generations, queue overflow, stop inside callbacks.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { CtpFeed, type CtpAddon, type CtpFeedEventKind, type CtpFeedOptions } from '../../src/feed/ctp/index.js';
import type { FeedSink, TickInput } from '../../src/feed/types.js';
import type { WsFeedEvent } from '../../src/feed/ws-feed.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { buildCtp, type CtpBuild } from './helpers/build.js';
import { deadPort, Front, hex, unhex } from './helpers/front.js';

const PASSWORD = 'pw-Secr3t!';
const GBK_BAD_LOGIN = Buffer.from('4354503ab2bbbacfb7a8b5c4b5c7c2bc', 'hex'); // CTP:不合法的登录
const GBK_NO_RIGHT = Buffer.from('cedeb4cbc8a8cfde', 'hex'); // 无此权限
const SEVEN = ['SHFE.rb2505', 'SHFE.cu2505', 'SHFE.au2506', 'DCE.m2505', 'DCE.i2505', 'CZCE.SR505', 'CZCE.CF505'];

let build: CtpBuild;
let front: Front;
const feeds: CtpFeed[] = [];

beforeAll(async () => {
  build = buildCtp();
  front = await Front.start();
}, 300_000);

afterEach(async () => {
  for (const f of feeds.splice(0)) await f.stop();
});

afterAll(async () => {
  await front?.close();
  removeTempDirs();
});

async function until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Harness {
  feed: CtpFeed;
  events: { kind: CtpFeedEventKind; detail: WsFeedEvent }[];
  ticks: TickInput[];
  rejects: { reason: string; detail: string }[];
  sink: FeedSink;
  flowDir: string;
  /** Front lines from the connections this feed made. */
  since: number;
}

function harness(o: Partial<CtpFeedOptions> = {}, onTick?: (t: TickInput, h: Harness) => void): Harness {
  const flowDir = path.join(makeTempDir('tickrec-ctp-'), 'flow');
  const h = { events: [], ticks: [], rejects: [], flowDir, since: front.connections } as unknown as Harness;
  h.sink = {
    tick: (t) => {
      h.ticks.push(t);
      onTick?.(t, h);
    },
    trade: () => undefined,
    reject: (reason, detail) => h.rejects.push({ reason, detail }),
  };
  h.feed = new CtpFeed({
    name: 'ctp',
    fronts: [front.url],
    brokerId: '9999',
    userId: 'u007',
    password: PASSWORD,
    subscribe: SEVEN,
    subscribeBatch: 3,
    flowDir,
    library: build.lib4,
    addonPath: build.addon,
    loginRetryMinMs: 20,
    loginRetryMaxMs: 60,
    overflowReportMs: 30,
    logIntervalMs: 0, // every event reaches the hook (the rate limit has its own test)
    onEvent: (kind, detail) => h.events.push({ kind, detail }),
    ...o,
  });
  feeds.push(h.feed);
  return h;
}

const count = (h: Harness, kind: CtpFeedEventKind) => h.events.filter((e) => e.kind === kind).length;
const tick = (over: Record<string, string | number> = {}) => ({
  TradingDay: '20250106',
  ActionDay: '20250103',
  UpdateTime: '21:00:01',
  UpdateMillisec: 500,
  ExchangeID: 'SHFE',
  InstrumentID: 'rb2505',
  LastPrice: 3500,
  Volume: 10,
  Turnover: 350000,
  OpenInterest: 1000,
  BidPrice1: 3499,
  BidVolume1: 3,
  AskPrice1: 3501,
  AskVolume1: 4,
  ...over,
});

describe('CtpFeed against the stand-in front', () => {
  it('tries the fronts in order, logs in, subscribes in batches and delivers ticks', async () => {
    const dead = await deadPort();
    const h = harness({ fronts: [`tcp://127.0.0.1:${dead}`, front.url] });
    h.feed.start(h.sink);
    const conn = h.since + 1;
    const hello = await front.waitFor((l) => l.verb === 'HELLO' && l.conn === conn, 'HELLO');
    expect(hello.args).toContain('gen=4');
    expect(hello.args).toContain('front=1'); // the first front is dead
    expect(hello.args).toContain('flowok=1');
    expect(hello.line).toContain(`flow=${h.flowDir}/`);
    expect(fs.existsSync(path.join(h.flowDir, 'DialogRsp.con'))).toBe(true);
    const login = await front.waitFor((l) => l.verb === 'LOGIN' && l.conn === conn, 'LOGIN');
    expect(login.args.slice(1).map(unhex)).toEqual(['9999', 'u007', PASSWORD]);
    await until(() => count(h, 'subscribed') === 1, 'subscribed');
    await front.waitCount('SUB', conn, 3);
    const subs = front.of('SUB', conn);
    expect(subs.map((l) => Number(l.args[0]))).toEqual([3, 3, 1]);
    expect(subs.flatMap((l) => l.args.slice(1))).toEqual(SEVEN.map((s) => s.split('.')[1]));

    front.tick(tick());
    front.tick(tick({ ExchangeID: '', InstrumentID: 'm2505', TradingDay: '20250106', ActionDay: '20250106', LastPrice: 2900 }));
    front.tick(tick({ ExchangeID: '', InstrumentID: 'zz999' }));
    await front.ping();
    await until(() => h.ticks.length === 2 && h.rejects.length === 1, '2 ticks and 1 reject');
    expect(h.ticks[0]).toMatchObject({
      exchg: 'SHFE',
      code: 'rb2505',
      price: 3500,
      trading_date: 20250106,
      action_date: 20250103,
      action_time: 210001500,
      total_volume: 10,
    });
    expect(h.ticks[1]).toMatchObject({ exchg: 'DCE', code: 'm2505', price: 2900, trading_date: 20250106, action_date: 20250103 });
    expect(h.ticks[0]!.settle_price).toBeUndefined(); // DBL_MAX from the front
    expect(h.rejects[0]!.reason).toBe('not_subscribed');
    expect(h.rejects[0]!.detail).toContain('zz999');

    const s = h.feed.stats();
    expect(s).toMatchObject({
      state: 'up',
      loggedIn: true,
      tradingDay: '20250106',
      connections: 1,
      reconnects: 0,
      subscribeRequests: 3,
      apiGeneration: 4,
      messages: 3,
      instruments: 7,
    });
    expect(s.apiVersion).toContain('4-parameter');
    expect(h.events.map((e) => e.kind)).toEqual(['connected', 'logged_in', 'subscribed']);

    await h.feed.stop();
    await front.waitFor((l) => l.verb === 'BYE' && l.conn === conn, 'BYE (Release)');
    expect(h.feed.stats().state).toBe('stopped');
  });

  it('after a disconnect: logs the reason by name, reconnects, logs in and subscribes again', async () => {
    const h = harness();
    h.feed.start(h.sink);
    const c1 = h.since + 1;
    await until(() => count(h, 'subscribed') === 1, 'first subscribe');
    front.drop(0x2001);
    await until(() => count(h, 'disconnected') === 1, 'disconnected');
    const d = h.events.find((e) => e.kind === 'disconnected')!.detail;
    expect(d.code).toBe(0x2001);
    expect(d.reason).toBe('heartbeat receive timeout (0x2001)');
    expect(h.feed.stats().lastError).toContain('heartbeat receive timeout (0x2001)');
    expect(['down', 'connecting', 'up']).toContain(h.feed.stats().state);

    await until(() => count(h, 'subscribed') === 2, 'second subscribe');
    const c2 = c1 + 1;
    await front.waitCount('SUB', c2, 3);
    expect(front.of('LOGIN', c2)).toHaveLength(1);
    expect(front.of('SUB', c2).map((l) => Number(l.args[0]))).toEqual([3, 3, 1]);
    expect(h.feed.stats()).toMatchObject({ connections: 2, reconnects: 1, loggedIn: true, state: 'up' });
    front.tick(tick());
    await until(() => h.ticks.length === 1, 'a tick after the reconnect');

    front.hangUp(); // the front goes away: the API reads EOF
    await until(() => count(h, 'disconnected') === 2, 'second disconnect');
    expect(h.events.filter((e) => e.kind === 'disconnected')[1]!.detail.reason).toBe('network read failure (0x1001)');
    await until(() => count(h, 'subscribed') === 3, 'third subscribe');
    await front.waitCount('SUB', c2 + 1, 3);
    expect(h.feed.stats().reconnects).toBe(2);
  });

  it('works with both generations of CreateFtdcMdApi (3 and 4 parameters)', async () => {
    for (const [gen, lib] of [
      [3, build.lib3],
      [4, build.lib4],
    ] as const) {
      for (const apiGeneration of ['auto', gen] as const) {
        const h = harness({ library: lib, apiGeneration });
        h.feed.start(h.sink);
        const hello = await front.waitFor((l) => l.verb === 'HELLO' && l.conn === h.since + 1, `HELLO gen ${gen}`);
        expect(hello.args).toContain(`gen=${gen}`);
        expect(hello.args).toContain(gen === 3 ? 'production=-' : 'production=1');
        await until(() => count(h, 'subscribed') === 1, `gen ${gen} subscribed`);
        front.tick(tick());
        await until(() => h.ticks.length === 1, `gen ${gen} tick`);
        expect(h.feed.stats().apiGeneration).toBe(gen);
        expect(h.feed.stats().apiVersion).toContain(`${gen}-parameter`);
        await h.feed.stop();
      }
    }
    expect(() => harness({ library: build.lib3, apiGeneration: 4 })).toThrow(
      /api_generation 4 does not match .* only the 3-parameter CreateFtdcMdApi/,
    );
    expect(() => harness({ library: build.lib4, apiGeneration: 3 })).toThrow(/only the 4-parameter/);
  });

  it('a failed login: GBK message decoded, retried with backoff; error responses decoded; the password is never reported', async () => {
    front.loginReplies = [{ errorId: 3, message: GBK_BAD_LOGIN }];
    const h = harness();
    h.feed.start(h.sink);
    const conn = h.since + 1;
    await until(() => count(h, 'logged_in') === 1, 'login after a retry');
    const err = h.events.find((e) => e.kind === 'error')!;
    expect(err.detail.error).toBe(`login of user u007 at broker 9999 on front ${front.url} failed: ErrorID 3: CTP:不合法的登录`);
    await front.waitCount('LOGIN', conn, 2);
    front.send(`RSPERROR 7 12 ${hex(GBK_NO_RIGHT)}`);
    await until(() => h.events.some((e) => e.detail.error?.includes('无此权限') === true), 'decoded error response');
    expect(h.feed.stats().lastError).toBe('error response (request 7): ErrorID 12: 无此权限');
    front.send('HB 30');
    await until(() => h.events.some((e) => e.detail.error?.includes('heartbeat warning') === true), 'heartbeat warning');
    const everything = JSON.stringify({ events: h.events, stats: h.feed.stats() }) + inspect(h.feed, { depth: 6, showHidden: true });
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(hex(PASSWORD));
  });

  it('a full queue drops and counts ticks, and the feed carries on', async () => {
    const h = harness({ queueMax: 16 });
    h.feed.start(h.sink);
    await until(() => count(h, 'subscribed') === 1, 'subscribed');
    const N = 50_000;
    front.flood(N, tick({ UpdateMillisec: 0 }));
    await front.ping();
    await until(() => h.feed.stats().queuePending === 0, 'the queue drained');
    const s = h.feed.stats();
    expect(s.queueOverflow).toBeGreaterThan(0);
    expect(h.ticks.length + s.queueOverflow).toBe(N);
    expect(s.messages).toBe(h.ticks.length);
    await until(
      () =>
        h.events.some(
          (e) => e.kind === 'error' && /ticks dropped: the queue to JavaScript \(queue_max 16\) was full/.test(e.detail.error ?? ''),
        ),
      'overflow report',
    );
    const before = h.ticks.length;
    front.tick(tick({ UpdateTime: '21:00:02' }));
    await until(() => h.ticks.length === before + 1, 'a tick after the flood');
    expect(h.feed.stats().state).toBe('up');
  });

  it('stop() inside a tick callback during a flood is safe; nothing arrives after it', async () => {
    let stopped: Promise<void> | undefined;
    const h = harness({ queueMax: 1024 }, (_t, hh) => {
      if (hh.ticks.length === 100) stopped = hh.feed.stop();
      if (hh.ticks.length > 100) throw new Error('a tick after stop()');
    });
    h.feed.start(h.sink);
    const conn = h.since + 1;
    await until(() => count(h, 'subscribed') === 1, 'subscribed');
    front.flood(1_000_000, tick());
    await until(() => stopped !== undefined, 'stop() called');
    await stopped;
    await front.waitFor((l) => l.verb === 'BYE' && l.conn === conn, 'BYE');
    await new Promise((r) => setTimeout(r, 100));
    expect(h.ticks).toHaveLength(100);
    expect(h.feed.stats().state).toBe('stopped');
    await h.feed.stop(); // idempotent
  });

  it('stop() inside an event callback, before start, and twice', async () => {
    const h: Harness = harness({
      onEvent: (kind) => {
        if (kind === 'connected') void h.feed.stop();
      },
    });
    h.feed.start(h.sink);
    const conn = h.since + 1;
    await front.waitFor((l) => l.verb === 'BYE' && l.conn === conn, 'BYE');
    await new Promise((r) => setTimeout(r, 50));
    expect(front.of('LOGIN', conn)).toHaveLength(0);
    await h.feed.stop();

    const idle = harness();
    await idle.feed.stop();
    await idle.feed.stop();
    expect(() => idle.feed.start(idle.sink)).toThrow(/start\(\) after stop\(\)/);
  });

  it('setSubscriptions subscribes the new codes and unsubscribes the removed ones on the live login', async () => {
    const h = harness({ subscribe: ['SHFE.rb2505', 'DCE.m2505', 'CZCE.SR505'], subscribeBatch: 500 });
    h.feed.start(h.sink);
    const conn = h.since + 1;
    await until(() => count(h, 'subscribed') === 1, 'subscribed');
    h.feed.setSubscriptions(['DCE.m2505', 'CZCE.SR505', 'DCE.i2505', 'SHFE.au2506']);
    const sub = await front.waitFor((l) => l.verb === 'SUB' && l.conn === conn && l.args.includes('i2505'), 'SUB of the new codes');
    expect(sub.args).toEqual(['2', 'i2505', 'au2506']);
    const unsub = await front.waitFor((l) => l.verb === 'UNSUB' && l.conn === conn, 'UNSUB');
    expect(unsub.args).toEqual(['1', 'rb2505']);
    front.tick(tick({ ExchangeID: '', InstrumentID: 'au2506' }));
    await until(() => h.ticks.length === 1, 'tick of a new code');
    expect(h.ticks[0]!.exchg).toBe('SHFE');
    expect(h.feed.stats().instruments).toBe(4);
  });
});

describe('the native session', () => {
  it('a worker thread that ends with a running session (no release) does not take the process down', () => {
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'helpers', 'worker-teardown.mjs'), build.addon, build.lib4], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      // Only what the library itself prints (the stand-in prints what the real one does).
      expect(r.stderr.replace(/^(eth0: Success|lo: Bad file descriptor)\n/gm, '')).toBe('');
      expect(r.stdout).toContain('survived the worker teardown');
      expect(r.status).toBe(0);
    }
  });
});

describe('CtpFeed configuration errors', () => {
  const base = () => ({
    name: 'ctp',
    fronts: ['tcp://127.0.0.1:1'],
    brokerId: '9999',
    userId: 'u',
    password: PASSWORD,
    subscribe: ['SHFE.rb2505'],
    flowDir: path.join(makeTempDir('tickrec-ctp-'), 'flow'),
    addonPath: build.addon,
  });
  const configError = (o: Partial<CtpFeedOptions>): TickrecError => {
    try {
      new CtpFeed({ ...base(), ...o });
    } catch (err) {
      expect(err).toBeInstanceOf(TickrecError);
      expect((err as TickrecError).code).toBe('E_CONFIG');
      expect((err as Error).message).not.toContain(PASSWORD);
      return err as TickrecError;
    }
    throw new Error('no error');
  };

  it('no library and no CTP_SDK_DIR; a missing library; a library that is not CTP', () => {
    expect(configError({ env: {} }).message).toMatch(/set the feed's "library" .* or export CTP_SDK_DIR=/);
    expect(configError({ env: { CTP_SDK_DIR: '/nonexistent/sdk' } }).message).toContain(
      'CTP_SDK_DIR=/nonexistent/sdk holds none of thostmduserapi_se.so, libthostmduserapi_se.so, thostmduserapi.so',
    );
    expect(configError({ library: build.addon }).message).toContain('exports no CThostFtdcMdApi::CreateFtdcMdApi');
    const f = new CtpFeed({ ...base(), env: { CTP_SDK_DIR: build.sdk } });
    expect(f.library).toBe(path.join(build.sdk, 'thostmduserapi_se.so'));
  });

  it('a flow folder that cannot be created is E_IO; an API that fails to start is reported, not thrown', () => {
    const file = path.join(makeTempDir('tickrec-ctp-'), 'a-file');
    fs.writeFileSync(file, '');
    expect(() => new CtpFeed({ ...base(), library: build.lib4, flowDir: path.join(file, 'flow') })).toThrow(
      /cannot create the CTP flow folder/,
    );
    const events: string[] = [];
    const fake = {
      abi: 'tickrec-ctp/2',
      depthFieldBytes: 0,
      fieldNames: [],
      probe: () => ({ generations: [4], apiVersion: 'fake' }),
      MdSession: class {
        init(): void {
          throw new Error('CThostFtdcMdApi::CreateFtdcMdApi returned null');
        }
        release(): void {}
      },
    } as unknown as CtpAddon;
    const f = new CtpFeed({ ...base(), library: build.lib4, addon: fake, onEvent: (k, d) => events.push(`${k}: ${d.error ?? ''}`) });
    f.start({ tick: () => undefined, trade: () => undefined, reject: () => undefined });
    expect(events).toEqual(['error: cannot start the CTP API: CThostFtdcMdApi::CreateFtdcMdApi returned null']);
    expect(f.stats()).toMatchObject({
      state: 'down',
      lastError: 'cannot start the CTP API: CThostFtdcMdApi::CreateFtdcMdApi returned null',
    });
  });

  it('subscriptions must be explicit EXCHG.CODE, one exchange per code; fronts must be tcp://', () => {
    expect(configError({ library: build.lib4, subscribe: ['*'] }).message).toContain('CTP needs explicit instrument codes');
    expect(configError({ library: build.lib4, subscribe: ['SHFE.rb2505', 'DCE.rb2505'] }).message).toContain(
      'code rb2505 is listed under SHFE and DCE',
    );
    expect(configError({ library: build.lib4, fronts: ['ws://x:1'] }).message).toContain('is not tcp://HOST:PORT');
    expect(configError({ library: build.lib4, brokerId: 'x'.repeat(11) }).message).toContain('broker_id');
  });
});

// CtpFeed: the FeedAdapter over the native CTP market-data session (native/ctp): fronts, login, batched subscriptions, reconnects, bounded queue, clean release.
//
// FLOW. The constructor checks everything that can be checked before connecting (the
// addon, the library and its CreateFtdcMdApi generation, the flow folder): a problem is
// a TickrecError, so `tickrec record` exits 2 naming it. start() creates the API with
// the flow folder and the fronts and calls Init(); a failure there is reported as an
// 'error' event and in stats(), like a websocket that cannot connect. The API connects to
// the first front that answers and retries the others by itself. After every
// OnFrontConnected — the first and every reconnect — the feed logs in; after every
// successful login it subscribes the whole list again, in SubscribeMarketData calls of
// at most subscribeBatch codes. A failed login is retried with backoff while the front
// stays connected. OnFrontDisconnected is logged with the reason by name
// (text.ts); the API reconnects by itself. stop() releases the API (Release() joins its
// threads) and is idempotent and safe from inside the sink's callbacks.
//
// QUEUE. Ticks cross from the API thread through a bounded queue (queueMax). When
// JavaScript falls behind, the newest ticks are dropped and counted
// (stats().queueOverflow), reported as an 'error' event at most once per
// overflowReportMs; the API thread never blocks.
//
// SECRETS. The password goes to ReqUserLogin and nowhere else: not in stats, events,
// errors or logs.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError } from '../../errors.js';
import { Backoff, MAX_TIMER_MS } from '../backoff.js';
import type { FeedAdapter, FeedSink, FeedState, FeedStats } from '../types.js';
import type { WsFeedEvent } from '../ws-feed.js';
import { loadCtpAddon, type CtpAddon, type CtpNativeEvent, type CtpSession } from './addon.js';
import type { CtpDepthMarketData } from './fields.js';
import { mapDepthMarketData, type CtpMapContext } from './map.js';
import { decodeGbk, disconnectReasonName } from './text.js';

export const CTP_FEED_DEFAULTS = {
  queueMax: 65_536,
  subscribeBatch: 500,
  /** Backoff of login retries after a failed login. */
  loginRetryMinMs: 1_000,
  loginRetryMaxMs: 30_000,
  /** A queue overflow is reported at most this often. */
  overflowReportMs: 1_000,
} as const;

export type CtpFeedEventKind = 'connected' | 'disconnected' | 'logged_in' | 'subscribed' | 'error';

export interface CtpFeedOptions {
  name: string;
  /** tcp://HOST:PORT front addresses, tried in order. */
  fronts: readonly string[];
  brokerId: string;
  userId: string;
  /** Sent with ReqUserLogin only; never reported. */
  password: string;
  /** EXCHG.CODE instruments. CTP subscribes by code; the exchange fills an empty ExchangeID. */
  subscribe: readonly string[];
  /** The API's flow folder (its .con files); created by the constructor when missing. */
  flowDir: string;
  /** thostmduserapi_se.so; default $CTP_SDK_DIR/thostmduserapi_se.so. */
  library?: string;
  apiGeneration?: 'auto' | 3 | 4;
  queueMax?: number;
  subscribeBatch?: number;
  /** CZCE contract multipliers by product (docs/ctp.md, C7). */
  czceMultipliers?: Readonly<Record<string, number>>;
  loginRetryMinMs?: number;
  loginRetryMaxMs?: number;
  overflowReportMs?: number;
  /** The addon file (default $TICKREC_CTP_ADDON, else native/ctp/build/Release/tickrec_ctp.node). */
  addonPath?: string;
  /** An already loaded addon (tests). */
  addon?: CtpAddon;
  env?: NodeJS.ProcessEnv;
  /** Wall clock for lastMessageMs (default Date.now). */
  clock?: () => number;
  /** Logging hook; exceptions it throws are swallowed. */
  onEvent?: (kind: CtpFeedEventKind, detail: WsFeedEvent) => void;
}

export interface CtpFeedStats extends FeedStats {
  /** The front addresses (they carry no secret). */
  fronts: string[];
  /** OnFrontConnected calls. */
  connections: number;
  loggedIn: boolean;
  /** TradingDay of the last successful login, '' before. */
  tradingDay: string;
  /** Codes in the subscription list. */
  instruments: number;
  /** SubscribeMarketData calls made. */
  subscribeRequests: number;
  /** Subscribe responses with an error. */
  subscribeErrors: number;
  /** Ticks dropped because the queue to JavaScript was full. */
  queueOverflow: number;
  /** Ticks waiting in that queue now. */
  queuePending: number;
  queueMax: number;
  /** Ticks whose ExchangeID was empty and whose code no subscription names (rejected). */
  unknownInstruments: number;
  /** The CreateFtdcMdApi generation in use (3 or 4), 0 before start. */
  apiGeneration: number;
  apiVersion: string;
}

const GENERATIONS = { auto: 0, 3: 3, 4: 4 } as const;

/** Splits EXCHG.CODE into a code → exchange map; a code under two exchanges is an error. */
export function codeMap(feed: string, list: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const s of list) {
    const dot = s.indexOf('.');
    if (dot <= 0 || dot === s.length - 1 || s === '*') {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${feed}": subscribe entry "${s}" must be EXCHG.CODE; CTP needs explicit instrument codes (no "*").`,
      );
    }
    const ex = s.slice(0, dot);
    const code = s.slice(dot + 1);
    const prev = m.get(code);
    if (prev !== undefined && prev !== ex) {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${feed}": code ${code} is listed under ${prev} and ${ex}; CTP subscribes by code alone, keep one.`,
      );
    }
    m.set(code, ex);
  }
  return m;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class CtpFeed implements FeedAdapter {
  readonly name: string;
  readonly type = 'ctp' as const;
  readonly flowDir: string;
  readonly library: string;

  private readonly fronts: string[];
  private readonly brokerId: string;
  private readonly userId: string;
  /** A true private field: not in JSON.stringify, util.inspect or a logged object. */
  readonly #password: string;
  private readonly addon: CtpAddon;
  private readonly generation: 0 | 3 | 4;
  private readonly queueMax: number;
  private readonly subscribeBatch: number;
  private readonly overflowReportMs: number;
  private readonly clock: () => number;
  private readonly onEventHook: CtpFeedOptions['onEvent'];
  private readonly loginBackoff: Backoff;
  private readonly mapCtx: CtpMapContext;

  private codes: Map<string, string>;
  /** Codes subscribed on the current login (so a new list sends only the difference). */
  private live = new Set<string>();
  private sink: FeedSink | null = null;
  private session: CtpSession | null = null;
  private state: FeedState = 'idle';
  private stopped = false;
  private connected = false;
  private loggedIn = false;
  private requestId = 0;
  private loginTimer: NodeJS.Timeout | undefined;
  private overflowTimer: NodeJS.Timeout | undefined;
  private reportedOverflow = 0;
  private finalStats: { overflow: number; pending: number; generation: number; apiVersion: string } | null = null;

  private messages = 0;
  private reconnects = 0;
  private connections = 0;
  private lastMessageMs = 0;
  private lastError = '';
  private tradingDay = '';
  private subscribeRequests = 0;
  private subscribeErrors = 0;
  private unknownInstruments = 0;

  constructor(o: CtpFeedOptions) {
    const name = o.name;
    if (typeof name !== 'string' || name === '') throw new TickrecError('E_CONFIG', 'ctp feed: `name` must be a non-empty string');
    this.name = name;
    const bad = (msg: string): never => {
      throw new TickrecError('E_CONFIG', `feed "${name}": ${msg}`);
    };
    if (!Array.isArray(o.fronts) || o.fronts.length === 0) bad('fronts must list at least one tcp://HOST:PORT front');
    for (const f of o.fronts)
      if (typeof f !== 'string' || !/^tcp:\/\/[^\s:/]+:\d{1,5}$/.test(f)) bad(`front ${JSON.stringify(f)} is not tcp://HOST:PORT`);
    this.fronts = [...o.fronts];
    if (typeof o.brokerId !== 'string' || o.brokerId === '' || o.brokerId.length > 10) bad('broker_id must be 1 to 10 characters');
    if (typeof o.userId !== 'string' || o.userId === '' || o.userId.length > 15) bad('user_id must be 1 to 15 characters');
    if (typeof o.password !== 'string' || o.password.length > 40) bad('password must be a string of at most 40 characters');
    this.brokerId = o.brokerId;
    this.userId = o.userId;
    this.#password = o.password;
    this.codes = codeMap(name, o.subscribe);
    if (this.codes.size === 0) bad('subscribe must list at least one EXCHG.CODE');
    const int = (v: number | undefined, def: number, min: number, max: number, key: string): number => {
      const x = v ?? def;
      if (!Number.isInteger(x) || x < min || x > max) bad(`${key} must be an integer in [${min}, ${max}], got ${String(x)}`);
      return x;
    };
    const D = CTP_FEED_DEFAULTS;
    this.queueMax = int(o.queueMax, D.queueMax, 1, 16_777_216, 'queue_max');
    this.subscribeBatch = int(o.subscribeBatch, D.subscribeBatch, 1, 10_000, 'subscribe_batch');
    this.overflowReportMs = int(o.overflowReportMs, D.overflowReportMs, 1, MAX_TIMER_MS, 'overflowReportMs');
    const gen = o.apiGeneration ?? 'auto';
    if (gen !== 'auto' && gen !== 3 && gen !== 4) bad(`api_generation must be "auto", 3 or 4, got ${JSON.stringify(gen)}`);
    this.generation = GENERATIONS[gen];
    this.loginBackoff = new Backoff(o.loginRetryMinMs ?? D.loginRetryMinMs, o.loginRetryMaxMs ?? D.loginRetryMaxMs);
    const mult = o.czceMultipliers ?? {};
    this.mapCtx = {
      exchangeOf: (code) => this.codes.get(code),
      czceMultiplier: (product) => (Object.prototype.hasOwnProperty.call(mult, product) ? mult[product] : undefined),
    };
    this.clock = o.clock ?? Date.now;
    this.onEventHook = o.onEvent;
    if (typeof o.flowDir !== 'string' || o.flowDir === '') bad('flow_dir must be a folder');
    this.flowDir = path.resolve(o.flowDir);

    this.addon = o.addon ?? loadCtpAddon(o.addonPath, `feed "${name}"`);
    const env = o.env ?? process.env;
    const sdk = env.CTP_SDK_DIR;
    if (o.library !== undefined && o.library !== '') this.library = path.resolve(o.library);
    else if (sdk !== undefined && sdk !== '') this.library = path.resolve(sdk, 'thostmduserapi_se.so');
    else {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${name}": no CTP library: set the feed's "library" to the path of thostmduserapi_se.so, or export CTP_SDK_DIR=/path/to/sdk.`,
      );
    }
    if (!fs.existsSync(this.library)) {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${name}": the CTP library ${this.library} does not exist; point "library" (or CTP_SDK_DIR) at the SDK's thostmduserapi_se.so.`,
        { file: this.library },
      );
    }
    let gens: number[];
    try {
      gens = this.addon.probe(this.library).generations;
    } catch (err) {
      throw new TickrecError('E_CONFIG', `feed "${name}": ${(err as Error).message}`, { file: this.library });
    }
    if (this.generation !== 0 && !gens.includes(this.generation)) {
      const has = gens.length === 1 ? `only the ${gens[0]}-parameter CreateFtdcMdApi` : `CreateFtdcMdApi generations ${gens.join(', ')}`;
      bad(`api_generation ${this.generation} does not match ${this.library}, which has ${has}; use "auto" or ${gens[0]}.`);
    }
    try {
      fs.mkdirSync(this.flowDir, { recursive: true });
    } catch (err) {
      throw new TickrecError(
        'E_IO',
        `feed "${name}": cannot create the CTP flow folder ${this.flowDir} (${(err as Error).message}); fix its permissions or set flow_dir.`,
        {
          file: this.flowDir,
          cause: err,
        },
      );
    }
  }

  // ---- FeedAdapter ----------------------------------------------------------------

  start(sink: FeedSink): void {
    if (this.stopped) throw new Error(`feed "${this.name}": start() after stop()`);
    if (this.sink !== null) throw new Error(`feed "${this.name}": start() called twice`);
    this.sink = sink;
    try {
      this.session = new this.addon.MdSession(
        {
          library: this.library,
          flowDir: this.flowDir.endsWith(path.sep) ? this.flowDir : this.flowDir + path.sep,
          fronts: this.fronts,
          generation: this.generation,
          queueMax: this.queueMax,
        },
        (e) => this.onNative(e),
        (t) => this.onTick(t),
      );
      this.state = 'connecting';
      this.session.init();
    } catch (err) {
      // Like a websocket feed that cannot connect: reported, never thrown at the recorder.
      this.session?.release();
      this.session = null;
      this.state = 'down';
      this.note('error', { error: `cannot start the CTP API: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    this.overflowTimer = setInterval(() => this.reportOverflow(), this.overflowReportMs);
    this.overflowTimer.unref();
  }

  /** Releases the API; nothing reaches the sink afterwards. Idempotent, safe inside the sink's callbacks. */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    this.state = 'stopped';
    this.clearLoginTimer();
    if (this.overflowTimer !== undefined) clearInterval(this.overflowTimer);
    this.overflowTimer = undefined;
    const s = this.session;
    if (s !== null) {
      s.release();
      const st = s.stats();
      this.finalStats = { overflow: st.overflow, pending: 0, generation: st.generation, apiVersion: st.apiVersion };
    }
    this.loggedIn = false;
    this.connected = false;
    return Promise.resolve();
  }

  /** New list: subscribes the codes not yet subscribed and unsubscribes the removed ones on the live login. */
  setSubscriptions(instruments: readonly string[]): void {
    const next = codeMap(this.name, instruments);
    this.codes = next;
    if (!this.loggedIn || this.session === null || this.stopped) return;
    const added = [...next.keys()].filter((c) => !this.live.has(c));
    const removed = [...this.live].filter((c) => !next.has(c));
    if (removed.length > 0) {
      for (const b of batches(removed, this.subscribeBatch)) this.session.unsubscribe(b);
      for (const c of removed) this.live.delete(c);
    }
    if (added.length > 0) this.subscribeCodes(added);
  }

  stats(): CtpFeedStats {
    const s = this.finalStats ?? (this.session !== null ? this.session.stats() : null);
    return {
      state: this.state,
      messages: this.messages,
      reconnects: this.reconnects,
      lastMessageMs: this.lastMessageMs,
      lastError: this.lastError,
      fronts: [...this.fronts],
      connections: this.connections,
      loggedIn: this.loggedIn,
      tradingDay: this.tradingDay,
      instruments: this.codes.size,
      subscribeRequests: this.subscribeRequests,
      subscribeErrors: this.subscribeErrors,
      queueOverflow: s?.overflow ?? 0,
      queuePending: s?.pending ?? 0,
      queueMax: this.queueMax,
      unknownInstruments: this.unknownInstruments,
      apiGeneration: s?.generation ?? 0,
      apiVersion: s?.apiVersion ?? '',
    };
  }

  // ---- native callbacks (JS thread) -----------------------------------------------

  private onTick(f: CtpDepthMarketData): void {
    if (this.stopped || this.sink === null) return;
    this.messages++;
    this.lastMessageMs = this.clock();
    try {
      const t = mapDepthMarketData(f, this.mapCtx);
      if (t.exchg === '') {
        this.unknownInstruments++;
        this.sink.reject(
          'not_subscribed',
          `feed "${this.name}": tick for ${String(t.code).slice(0, 40)} has no ExchangeID and no subscription names its code`,
        );
        return;
      }
      this.sink.tick(t);
    } catch (err) {
      // A throwing sink must not reach the native side (which would only count it).
      this.note('error', { error: `tick handling failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private onNative(e: CtpNativeEvent): void {
    if (this.stopped) return;
    try {
      this.handle(e);
    } catch (err) {
      this.note('error', { error: `event ${e.type} handling failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private handle(e: CtpNativeEvent): void {
    switch (e.type) {
      case 'connected': {
        this.connections++;
        if (this.connections > 1) this.reconnects++;
        this.connected = true;
        this.loggedIn = false;
        this.live.clear();
        this.state = 'connecting';
        this.loginBackoff.reset();
        this.emit('connected', {});
        if (!this.stopped) this.login();
        return;
      }
      case 'disconnected': {
        const reason = disconnectReasonName(e.reason);
        this.connected = false;
        this.loggedIn = false;
        this.live.clear();
        this.clearLoginTimer();
        this.state = 'down';
        this.lastError = `front disconnected: ${reason}; the CTP API reconnects by itself`;
        this.emit('disconnected', { code: e.reason, reason, planned: false });
        return;
      }
      case 'heartbeat': {
        const msg = `heartbeat warning: nothing from the front for ${e.lapse} s`;
        this.lastError = msg;
        this.emit('error', { error: msg });
        return;
      }
      case 'login': {
        if (e.errorId !== 0) {
          const msg = `login of user ${this.userId} at broker ${this.brokerId} failed: ErrorID ${e.errorId}: ${decodeGbk(e.errorMsg)}`;
          this.lastError = msg;
          this.emit('error', { error: msg });
          this.scheduleLogin();
          return;
        }
        this.loggedIn = true;
        this.tradingDay = e.tradingDay;
        this.state = 'up';
        this.emit('logged_in', { reason: `user ${this.userId} at broker ${this.brokerId}, trading day ${e.tradingDay || '?'}` });
        if (this.stopped) return;
        this.live.clear();
        this.subscribeCodes([...this.codes.keys()]);
        return;
      }
      case 'sub':
      case 'unsub': {
        if (e.errorId !== 0) {
          if (e.type === 'sub') this.subscribeErrors++;
          const msg = `${e.type === 'sub' ? 'subscribing' : 'unsubscribing'} ${e.instrument || '?'} failed: ErrorID ${e.errorId}: ${decodeGbk(e.errorMsg)}`;
          this.lastError = msg;
          this.emit('error', { error: msg });
        }
        return;
      }
      case 'error': {
        const msg = `error response (request ${e.requestId}): ErrorID ${e.errorId}: ${decodeGbk(e.errorMsg)}`;
        this.lastError = msg;
        this.emit('error', { error: msg });
        return;
      }
      case 'logout':
        return;
    }
  }

  // ---- flow -----------------------------------------------------------------------

  private login(): void {
    const s = this.session;
    if (s === null || this.stopped || !this.connected) return;
    const rc = s.login(this.brokerId, this.userId, this.#password, ++this.requestId);
    if (rc !== 0) {
      const msg = `ReqUserLogin returned ${rc} (${rc === -1 ? 'network not ready' : rc === -2 ? 'too many requests pending' : rc === -3 ? 'too many requests per second' : 'failed'})`;
      this.lastError = msg;
      this.emit('error', { error: msg });
      this.scheduleLogin();
    }
  }

  private scheduleLogin(): void {
    this.clearLoginTimer();
    if (this.stopped || !this.connected) return;
    const delay = this.loginBackoff.next();
    this.loginTimer = setTimeout(() => {
      this.loginTimer = undefined;
      this.login();
    }, delay);
    this.loginTimer.unref();
  }

  private clearLoginTimer(): void {
    if (this.loginTimer !== undefined) clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
  }

  private subscribeCodes(codes: string[]): void {
    const s = this.session;
    if (s === null || this.stopped) return;
    const parts = batches(codes, this.subscribeBatch);
    let failed = 0;
    for (const b of parts) {
      this.subscribeRequests++;
      const rc = s.subscribe(b);
      if (rc !== 0) {
        failed++;
        const msg = `SubscribeMarketData of ${b.length} codes returned ${rc}`;
        this.lastError = msg;
        this.emit('error', { error: msg });
      } else for (const c of b) this.live.add(c);
    }
    this.emit('subscribed', {
      reason: `${codes.length} instruments in ${parts.length} request${parts.length === 1 ? '' : 's'} of at most ${this.subscribeBatch}${failed ? `, ${failed} failed` : ''}`,
    });
  }

  private reportOverflow(): void {
    const s = this.session;
    if (s === null || this.stopped) return;
    const total = s.stats().overflow;
    if (total > this.reportedOverflow) {
      const n = total - this.reportedOverflow;
      this.reportedOverflow = total;
      const msg = `${n} ticks dropped: the queue to JavaScript (queue_max ${this.queueMax}) was full; ${total} since start`;
      this.lastError = msg;
      this.emit('error', { error: msg });
    }
  }

  // ---- helpers --------------------------------------------------------------------

  private note(kind: CtpFeedEventKind, extra: Omit<WsFeedEvent, 'feed' | 'url' | 'connection'>): void {
    if (extra.error !== undefined) this.lastError = extra.error;
    this.emit(kind, extra);
  }

  private emit(kind: CtpFeedEventKind, extra: Omit<WsFeedEvent, 'feed' | 'url' | 'connection'>): void {
    if (this.onEventHook === undefined) return;
    try {
      this.onEventHook(kind, { feed: this.name, url: this.fronts.join(','), connection: this.connections, ...extra });
    } catch {
      // A logging hook must not break the feed.
    }
  }
}

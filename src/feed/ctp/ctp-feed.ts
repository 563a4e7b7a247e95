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
// WHAT REAL FRONTS AND LIBRARIES DO (issue 13), AND WHAT THE FEED DOES ABOUT IT:
// - No front listening: the library retries every 5 s and reports nothing. After
//   connectWarnMs (15 s) without OnFrontConnected the feed warns, naming the fronts, and
//   repeats it every connectWarnRepeatMs (60 s); stats().waitingForFrontMs and lastError
//   say so in /health and on the monitor page.
// - A front that accepts and closes: the library loops hundreds of connect/close cycles
//   a second. Connect, disconnect and login-failure messages are rate-limited (at most
//   one per kind per logIntervalMs, with the count of those left out), and
//   flapDisconnects disconnects within flapWindowMs release the API; a new one is
//   created after restartMinMs, doubling up to restartMaxMs (reset by a login).
// - A front that accepts and stays silent: the login is never answered (the library
//   reports 8193, heartbeat timeout, only after ~121 s). A login unanswered for
//   loginTimeoutMs (10 s) is reported and the API released and created again.
// - Which front answered is named wherever it is known (front-of.ts).
// - The addon refuses a library of another SDK than its headers (sdk.ts), unless
//   allowSdkMismatch.
// - capture: every tick struct is also appended, as received, to a capture file
//   (native/ctp/src/capture.h; capture.ts reads them; `tickrec ctp replay`).
// - libraryOutput 'log': the library's own text on fds 1/2 becomes log records
//   (native/ctp/src/foreign_output.h); only in the main thread, only on streams that
//   are not terminals, stderr only when the log is JSON.
//
// SECRETS. The password goes to ReqUserLogin and nowhere else: not in stats, events,
// errors or logs.

import fs from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { TickrecError } from '../../errors.js';
import { Backoff, MAX_TIMER_MS } from '../backoff.js';
import type { FeedAdapter, FeedSink, FeedState, FeedStats } from '../types.js';
import type { WsFeedEvent } from '../ws-feed.js';
import { loadCtpAddon, type CtpAddon, type CtpNativeEvent, type CtpSession } from './addon.js';
import type { CzceTurnoverCounts, CzceTurnoverMode } from './czce-turnover.js';
import type { CtpDepthMarketData } from './fields.js';
import { connectedFront } from './front-of.js';
import { describeSdk, sdkMismatch, type CtpSdkInfo } from './sdk.js';
import { CtpTickMapper } from './tick-mapper.js';
import { decodeGbk, disconnectReasonName } from './text.js';

/** Names of the market-data library, tried in this order in CTP_SDK_DIR (SFIT 6.5 on; vnpy's; SFIT up to 6.3). */
export const CTP_LIBRARY_NAMES = ['thostmduserapi_se.so', 'libthostmduserapi_se.so', 'thostmduserapi.so'] as const;

export const CTP_FEED_DEFAULTS = {
  queueMax: 65_536,
  subscribeBatch: 500,
  /** Backoff of login retries after a failed login. */
  loginRetryMinMs: 1_000,
  loginRetryMaxMs: 30_000,
  /** A queue overflow is reported at most this often. */
  overflowReportMs: 1_000,
  /** Warn when no front has answered for this long (the library retries every 5 s silently). */
  connectWarnMs: 15_000,
  /** ... and again this often while it lasts. */
  connectWarnRepeatMs: 60_000,
  /** A login not answered within this long releases the API and connects again. */
  loginTimeoutMs: 10_000,
  /** This many disconnects within flapWindowMs release the API ... */
  flapDisconnects: 20,
  flapWindowMs: 10_000,
  /** ... and create a new one after this delay, doubling up to restartMaxMs (reset by a login). */
  restartMinMs: 1_000,
  restartMaxMs: 60_000,
  /** Connect, disconnect and login-failure messages: at most one per kind this often (with a count). */
  logIntervalMs: 1_000,
} as const;

export type CtpFeedEventKind = 'connected' | 'disconnected' | 'logged_in' | 'subscribed' | 'error' | 'notice';

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
  /** Whether CZCE turnover gets the multiplier: decided from the data (auto, default) or forced. */
  czceTurnover?: CzceTurnoverMode;
  /** Folder of capture files (<YYYYMMDD>.cap); no capture when undefined. */
  captureDir?: string;
  /** 'log': the library's text on stdout/stderr becomes log records; 'keep' (default here): left alone. */
  libraryOutput?: 'log' | 'keep';
  /** The recorder's log is JSON (then stderr may be taken over by libraryOutput 'log'). */
  jsonLog?: boolean;
  /** Start even when the library's version does not belong to the addon's SDK (sdk.ts). */
  allowSdkMismatch?: boolean;
  loginRetryMinMs?: number;
  loginRetryMaxMs?: number;
  overflowReportMs?: number;
  connectWarnMs?: number;
  connectWarnRepeatMs?: number;
  loginTimeoutMs?: number;
  flapDisconnects?: number;
  flapWindowMs?: number;
  restartMinMs?: number;
  restartMaxMs?: number;
  logIntervalMs?: number;
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
  /** The front of the current connection when known, else ''. */
  front: string;
  /** How long the feed has been waiting for a front to answer, 0 when connected. */
  waitingForFrontMs: number;
  /** Times the API was released and created again (flapping fronts, login timeouts). */
  apiRestarts: number;
  /** Logins not answered within loginTimeoutMs. */
  loginTimeouts: number;
  /** The SDK the addon was built with. */
  sdk: string;
  /** CZCE turnover rule C7: the verdict in force and counts. */
  czceTurnover: { mode: CzceTurnoverMode; verdict: string } & CzceTurnoverCounts;
  /** Capture (when on): records written, failures, the current file. */
  capture: { records: number; errors: number; file: string } | null;
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
  private readonly mapper: CtpTickMapper;
  private readonly limits: Required<
    Pick<
      CtpFeedOptions,
      | 'connectWarnMs'
      | 'connectWarnRepeatMs'
      | 'loginTimeoutMs'
      | 'flapDisconnects'
      | 'flapWindowMs'
      | 'restartMinMs'
      | 'restartMaxMs'
      | 'logIntervalMs'
    >
  >;
  private readonly captureDir: string | undefined;
  private readonly libraryOutput: 'log' | 'keep';
  private readonly jsonLog: boolean;
  private readonly sdk: CtpSdkInfo | undefined;

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
  private loginTimeoutTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private overflowTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private reportedOverflow = 0;
  private finalStats: { overflow: number; pending: number; generation: number; apiVersion: string } | null = null;
  /** Counts of sessions released before the current one. */
  private carried = { overflow: 0, captureRecords: 0, captureErrors: 0 };
  private captureFile = '';
  private front = '';
  /** Since when no front has answered (0 while connected). */
  private waitingSince = 0;
  private lastWaitWarnMs = 0;
  private recentDisconnects: number[] = [];
  private restartDelayMs = 0;
  private apiRestarts = 0;
  private loginTimeouts = 0;
  /** Rate limit of repetitive messages: last time emitted and how many were left out, by key. */
  private readonly limited = new Map<string, { at: number; left: number }>();

  private messages = 0;
  private reconnects = 0;
  private connections = 0;
  private lastMessageMs = 0;
  private lastError = '';
  private tradingDay = '';
  private subscribeRequests = 0;
  private subscribeErrors = 0;

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
    const mode = o.czceTurnover ?? 'auto';
    if (mode !== 'auto' && mode !== 'multiply' && mode !== 'as_sent') bad(`czce_turnover must be "auto", "multiply" or "as_sent"`);
    this.limits = {
      connectWarnMs: int(o.connectWarnMs, D.connectWarnMs, 1, MAX_TIMER_MS, 'connect_warn_ms'),
      connectWarnRepeatMs: int(o.connectWarnRepeatMs, D.connectWarnRepeatMs, 1, MAX_TIMER_MS, 'connectWarnRepeatMs'),
      loginTimeoutMs: int(o.loginTimeoutMs, D.loginTimeoutMs, 1, MAX_TIMER_MS, 'login_timeout_ms'),
      flapDisconnects: int(o.flapDisconnects, D.flapDisconnects, 2, 1_000_000, 'flapDisconnects'),
      flapWindowMs: int(o.flapWindowMs, D.flapWindowMs, 1, MAX_TIMER_MS, 'flapWindowMs'),
      restartMinMs: int(o.restartMinMs, D.restartMinMs, 1, MAX_TIMER_MS, 'restartMinMs'),
      restartMaxMs: int(o.restartMaxMs, D.restartMaxMs, 1, MAX_TIMER_MS, 'restartMaxMs'),
      logIntervalMs: int(o.logIntervalMs, D.logIntervalMs, 0, MAX_TIMER_MS, 'logIntervalMs'),
    };
    this.clock = o.clock ?? Date.now;
    this.onEventHook = o.onEvent;
    this.mapper = new CtpTickMapper({
      feed: name,
      exchangeOf: (code) => this.codes.get(code),
      czceMultipliers: o.czceMultipliers ?? {},
      czceTurnover: mode,
      onDecision: (m) => this.emit('notice', { reason: m }),
    });
    this.captureDir = o.captureDir === undefined ? undefined : path.resolve(o.captureDir);
    this.libraryOutput = o.libraryOutput ?? 'keep';
    this.jsonLog = o.jsonLog ?? false;
    if (typeof o.flowDir !== 'string' || o.flowDir === '') bad('flow_dir must be a folder');
    this.flowDir = path.resolve(o.flowDir);

    this.addon = o.addon ?? loadCtpAddon(o.addonPath, `feed "${name}"`);
    this.sdk = this.addon.sdk;
    this.library = ctpLibraryPath(name, o.library, (o.env ?? process.env).CTP_SDK_DIR);
    checkCtpLibrary(name, this.addon, this.library, this.generation, o.allowSdkMismatch === true);
    try {
      fs.mkdirSync(this.flowDir, { recursive: true });
      if (this.captureDir !== undefined) fs.mkdirSync(this.captureDir, { recursive: true });
    } catch (err) {
      throw new TickrecError(
        'E_IO',
        `feed "${name}": cannot create the CTP flow folder ${this.flowDir}${this.captureDir !== undefined ? ` or the capture folder ${this.captureDir}` : ''} (${(err as Error).message}); fix its permissions or set flow_dir.`,
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
    this.takeLibraryOutput();
    this.overflowTimer = setInterval(() => this.reportOverflow(), this.overflowReportMs);
    this.overflowTimer.unref();
    const L = this.limits;
    this.watchTimer = setInterval(() => this.watchConnect(), Math.max(10, Math.min(1000, Math.floor(L.connectWarnMs / 4))));
    this.watchTimer.unref();
    this.openSession();
  }

  /** Creates the API and starts it; a failure is reported like a websocket that cannot connect. */
  private openSession(): void {
    if (this.stopped) return;
    this.waitingSince = this.clock();
    this.lastWaitWarnMs = 0;
    try {
      this.session = new this.addon.MdSession(
        {
          library: this.library,
          flowDir: this.flowDir.endsWith(path.sep) ? this.flowDir : this.flowDir + path.sep,
          fronts: this.fronts,
          generation: this.generation,
          queueMax: this.queueMax,
          ...(this.captureDir !== undefined ? { capture: this.captureDir } : {}),
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
    }
  }

  /** libraryOutput 'log': the library's text on fds 1 and 2 becomes log records (main thread, non-terminal streams only). */
  private takeLibraryOutput(): void {
    if (this.libraryOutput !== 'log' || !isMainThread || typeof this.addon.redirectForeignOutput !== 'function') return;
    const out = process.stdout.isTTY !== true;
    const err = this.jsonLog && process.stderr.isTTY !== true;
    if (!out && !err) return;
    const why = this.addon.redirectForeignOutput(out, err);
    if (why !== '') this.note('error', { error: `cannot take over the CTP library's output (${why}); its text stays on stdout/stderr` });
  }

  /** Releases the API; nothing reaches the sink afterwards. Idempotent, safe inside the sink's callbacks. */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    this.state = 'stopped';
    this.clearLoginTimer();
    this.clearLoginTimeout();
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.overflowTimer !== undefined) clearInterval(this.overflowTimer);
    this.overflowTimer = undefined;
    if (this.watchTimer !== undefined) clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    const s = this.session;
    if (s !== null) {
      s.release();
      this.carry(s);
      const st = s.stats();
      this.finalStats = { overflow: this.carried.overflow, pending: 0, generation: st.generation, apiVersion: st.apiVersion };
    } else if (this.finalStats === null) {
      this.finalStats = { overflow: this.carried.overflow, pending: 0, generation: 0, apiVersion: '' };
    }
    this.session = null;
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
    const live = this.session !== null ? this.session.stats() : null;
    const s = this.finalStats ?? (live !== null ? { ...live, overflow: live.overflow + this.carried.overflow } : null);
    const cz = this.mapper.czce;
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
      unknownInstruments: this.mapper.unknownInstruments,
      apiGeneration: s?.generation ?? 0,
      apiVersion: s?.apiVersion ?? '',
      front: this.front,
      waitingForFrontMs: this.waitingSince > 0 && !this.stopped ? Math.max(0, this.clock() - this.waitingSince) : 0,
      apiRestarts: this.apiRestarts,
      loginTimeouts: this.loginTimeouts,
      sdk: this.sdk !== undefined ? describeSdk(this.sdk) : '',
      czceTurnover: { mode: cz.mode, verdict: cz.verdict ?? '', ...cz.counts },
      capture:
        this.captureDir === undefined
          ? null
          : {
              records: this.carried.captureRecords + (live?.captureRecords ?? 0),
              errors: this.carried.captureErrors + (live?.captureErrors ?? 0),
              file: live?.captureFile || this.captureFile,
            },
    };
  }

  // ---- native callbacks (JS thread) -----------------------------------------------

  private onTick(f: CtpDepthMarketData): void {
    if (this.stopped || this.sink === null) return;
    this.messages++;
    this.lastMessageMs = this.clock();
    try {
      this.mapper.handle(f, this.sink);
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
        this.waitingSince = 0;
        this.loginBackoff.reset();
        this.front = connectedFront(this.fronts) ?? '';
        this.limitedEmit('connected', 'connected', {
          reason: `to ${this.frontName()}`,
        });
        if (!this.stopped) this.login();
        return;
      }
      case 'disconnected': {
        const reason = disconnectReasonName(e.reason);
        const was = this.frontName();
        this.connected = false;
        this.loggedIn = false;
        this.live.clear();
        this.clearLoginTimer();
        this.clearLoginTimeout();
        this.state = 'down';
        this.waitingSince = this.clock();
        this.lastError = `${was} disconnected: ${reason}; the CTP API reconnects by itself`;
        this.limitedEmit('disconnected', 'disconnected', { code: e.reason, reason, planned: false }); // url: the front
        this.front = '';
        this.checkFlapping();
        return;
      }
      case 'notice': {
        // From the capture writer (a torn record cut back, a file that cannot be written).
        if (/fail|cannot|not captured/.test(e.message)) this.note('error', { error: e.message });
        else this.emit('notice', { reason: e.message });
        return;
      }
      case 'heartbeat': {
        const msg = `heartbeat warning: nothing from the front for ${e.lapse} s`;
        this.lastError = msg;
        this.emit('error', { error: msg });
        return;
      }
      case 'login': {
        this.clearLoginTimeout();
        if (e.errorId !== 0) {
          const msg = `login of user ${this.userId} at broker ${this.brokerId} on ${this.frontName()} failed: ErrorID ${e.errorId}: ${decodeGbk(e.errorMsg)}`;
          this.lastError = msg;
          this.emit('error', { error: msg });
          this.scheduleLogin();
          return;
        }
        this.loggedIn = true;
        this.tradingDay = e.tradingDay;
        this.state = 'up';
        this.restartDelayMs = 0;
        this.recentDisconnects = [];
        this.emit('logged_in', {
          reason: `user ${this.userId} at broker ${this.brokerId} on ${this.frontName()}, trading day ${e.tradingDay || '?'}`,
        });
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
      const msg = `ReqUserLogin on ${this.frontName()} returned ${rc} (${rc === -1 ? 'network not ready' : rc === -2 ? 'too many requests pending' : rc === -3 ? 'too many requests per second' : 'failed'})`;
      this.lastError = msg;
      this.limitedEmit('login_rc', 'error', { error: msg });
      this.scheduleLogin();
      return;
    }
    this.clearLoginTimeout();
    const timeout = this.limits.loginTimeoutMs;
    this.loginTimeoutTimer = setTimeout(() => {
      this.loginTimeoutTimer = undefined;
      if (this.stopped || this.loggedIn) return;
      this.loginTimeouts++;
      this.restartApi(`the login on ${this.frontName()} was not answered within ${timeout} ms (a front that accepts and stays silent)`);
    }, timeout);
    this.loginTimeoutTimer.unref();
  }

  private clearLoginTimeout(): void {
    if (this.loginTimeoutTimer !== undefined) clearTimeout(this.loginTimeoutTimer);
    this.loginTimeoutTimer = undefined;
  }

  /** The front of the current connection for messages: its address, or "one of the fronts (…)". */
  private frontName(): string {
    return this.front !== '' ? `front ${this.front}` : `one of the fronts (${this.fronts.join(', ')})`;
  }

  /** Counts of a released session, kept for stats(). */
  private carry(s: CtpSession): void {
    const st = s.stats();
    this.carried.overflow += st.overflow;
    this.carried.captureRecords += st.captureRecords ?? 0;
    this.carried.captureErrors += st.captureErrors ?? 0;
    if (st.captureFile) this.captureFile = st.captureFile;
  }

  /** Flapping: flapDisconnects within flapWindowMs release the API. */
  private checkFlapping(): void {
    const now = this.clock();
    const L = this.limits;
    this.recentDisconnects.push(now);
    while (this.recentDisconnects.length > 0 && now - this.recentDisconnects[0]! > L.flapWindowMs) this.recentDisconnects.shift();
    if (this.recentDisconnects.length >= L.flapDisconnects) {
      const n = this.recentDisconnects.length;
      this.recentDisconnects = [];
      this.restartApi(`${n} disconnects within ${L.flapWindowMs} ms: a front accepts connections and closes them`);
    }
  }

  /** Releases the API and creates a new one after a growing delay. */
  private restartApi(why: string): void {
    if (this.stopped) return;
    const s = this.session;
    this.session = null;
    if (s !== null) {
      s.release();
      this.carry(s);
    }
    this.connected = false;
    this.loggedIn = false;
    this.live.clear();
    this.clearLoginTimer();
    this.clearLoginTimeout();
    this.state = 'down';
    this.front = '';
    this.apiRestarts++;
    const L = this.limits;
    this.restartDelayMs = Math.min(L.restartMaxMs, this.restartDelayMs === 0 ? L.restartMinMs : this.restartDelayMs * 2);
    const delay = this.restartDelayMs;
    this.note('error', { error: `${why}; the CTP API was released and is created again in ${delay} ms` });
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.openSession();
    }, delay);
    this.restartTimer.unref();
  }

  /** No front answering: warn after connectWarnMs, then every connectWarnRepeatMs. */
  private watchConnect(): void {
    if (this.stopped || this.waitingSince === 0 || this.session === null) return;
    const now = this.clock();
    const waited = now - this.waitingSince;
    const L = this.limits;
    if (waited < L.connectWarnMs) return;
    if (this.lastWaitWarnMs !== 0 && now - this.lastWaitWarnMs < L.connectWarnRepeatMs) return;
    this.lastWaitWarnMs = now;
    this.note('error', {
      error:
        `no front has answered for ${Math.round(waited / 1000)} s (${this.fronts.join(', ')}): nothing listens there or the network drops it; ` +
        'the CTP API keeps retrying every 5 s and reports nothing until one answers',
    });
  }

  /** At most one message per key per logIntervalMs; the next says how many were left out. */
  private limitedEmit(key: string, kind: CtpFeedEventKind, extra: Omit<WsFeedEvent, 'feed' | 'url' | 'connection'>): void {
    const now = this.clock();
    const l = this.limited.get(key) ?? { at: -Infinity, left: 0 };
    this.limited.set(key, l);
    if (now - l.at < this.limits.logIntervalMs) {
      l.left++;
      return;
    }
    const more = l.left > 0 ? ` (${l.left} more like it in the last ${Math.round((now - l.at) / 1000)} s, not logged)` : '';
    l.at = now;
    l.left = 0;
    if (more === '') return this.emit(kind, extra);
    if (extra.error !== undefined) this.emit(kind, { ...extra, error: extra.error + more });
    else this.emit(kind, { ...extra, reason: (extra.reason ?? '') + more });
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
      reason: `on ${this.frontName()}: ${codes.length} instruments in ${parts.length} request${parts.length === 1 ? '' : 's'} of at most ${this.subscribeBatch}${failed ? `, ${failed} failed` : ''}`,
    });
  }

  private reportOverflow(): void {
    const s = this.session;
    if (s === null || this.stopped) return;
    const total = s.stats().overflow + this.carried.overflow;
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
      this.onEventHook(kind, { feed: this.name, url: this.front || this.fronts.join(','), connection: this.connections, ...extra });
    } catch {
      // A logging hook must not break the feed.
    }
  }
}

/**
 * The CTP market-data library a feed loads: its `library` option, else the first of
 * CTP_LIBRARY_NAMES in CTP_SDK_DIR; E_CONFIG naming what to set when there is none.
 */
function ctpLibraryPath(name: string, library: string | undefined, sdkDir: string | undefined): string {
  let file: string;
  if (library !== undefined && library !== '') file = path.resolve(library);
  else if (sdkDir !== undefined && sdkDir !== '') {
    const names = CTP_LIBRARY_NAMES.map((f) => path.resolve(sdkDir, f));
    file = names.find((f) => fs.existsSync(f)) ?? names[0]!;
    if (!fs.existsSync(file)) {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${name}": CTP_SDK_DIR=${sdkDir} holds none of ${CTP_LIBRARY_NAMES.join(', ')}; set the feed's "library" to the SDK's market-data library.`,
        { file: sdkDir },
      );
    }
  } else {
    throw new TickrecError(
      'E_CONFIG',
      `feed "${name}": no CTP library: set the feed's "library" to the path of thostmduserapi_se.so, or export CTP_SDK_DIR=/path/to/sdk.`,
    );
  }
  if (!fs.existsSync(file)) {
    throw new TickrecError(
      'E_CONFIG',
      `feed "${name}": the CTP library ${file} does not exist; point "library" (or CTP_SDK_DIR) at the SDK's thostmduserapi_se.so.`,
      { file },
    );
  }
  return file;
}

/**
 * Before connecting: the library loads (the addon's probe), belongs to the SDK the addon
 * was built with (unless allowed otherwise) and has the CreateFtdcMdApi generation asked
 * for (0: auto); E_CONFIG naming the library and what to do otherwise.
 */
function checkCtpLibrary(name: string, addon: CtpAddon, library: string, generation: number, allowSdkMismatch: boolean): void {
  let gens: number[];
  let libVersion: string;
  try {
    const p = addon.probe(library);
    gens = p.generations;
    libVersion = p.apiVersion;
  } catch (err) {
    throw new TickrecError('E_CONFIG', `feed "${name}": ${(err as Error).message}`, { file: library });
  }
  if (addon.sdk !== undefined && !allowSdkMismatch) {
    const why = sdkMismatch(addon.sdk, libVersion);
    if (why !== null) {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${name}": ${library} does not belong to the SDK the CTP addon was built with: ${why}. ` +
          `Rebuild the addon with that library's headers (CTP_SDK_DIR=/path/to/its/sdk npm run build:ctp), or point "library" at a library of the addon's SDK.`,
        { file: library },
      );
    }
  }
  if (generation !== 0 && !gens.includes(generation)) {
    const has = gens.length === 1 ? `only the ${gens[0]}-parameter CreateFtdcMdApi` : `CreateFtdcMdApi generations ${gens.join(', ')}`;
    throw new TickrecError(
      'E_CONFIG',
      `feed "${name}": api_generation ${generation} does not match ${library}, which has ${has}; use "auto" or ${gens[0]}.`,
    );
  }
}

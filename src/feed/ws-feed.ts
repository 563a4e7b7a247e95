// WsFeed: a websocket FeedAdapter that reconnects with jittered backoff, detects dead links, rotates make-before-break and leaves no timers.
//
// One WsFeed holds at most three connections at a time:
//   current  the connection whose frames are flowing (state 'up');
//   pending  a connection being opened: a reconnect after a drop (state 'connecting'),
//            or a rotation while `current` still flows (state stays 'up');
//   old      during a rotation, the previous connection, still delivering until the new
//            one has delivered its first tick or trade (or rotateOverlapMaxMs passed);
// plus any number being closed (role 'closing') that no longer matter.
//
// Rotation (make-before-break) happens when a connection reaches maxConnectionAgeMs
// (Binance drops connections after 24 h) or the server announces a shutdown (Binance
// `serverShutdown`). The new connection is opened and subscribed while the old one
// still delivers, so there is no gap; the frames both deliver during the overlap go to
// the mapper twice and are removed downstream (src/recorder dedupe).
//
// Liveness: every pingIntervalMs a ws-level ping (or, with textPing, the text 'ping')
// is sent; any frame, ping or pong counts as life. A connection silent for
// staleTimeoutMs is terminated (no close handshake: the peer is presumed dead) and
// reconnected. Liveness uses a monotonic clock; the injectable `clock` only stamps
// lastMessageMs, so a wall-clock step can neither kill nor keep a connection.
//
// Subscriptions: after every (re)connect, mapper.subscribeFrames(subscribe) is sent.
// setSubscriptions() replaces the list and sends the frames for the new list on the
// live connection. Unsubscribing instruments that were removed is format-specific and
// NOT done: the server may keep sending them and the recorder filters them
// ('not_subscribed'). They stop at the next reconnect.
//
// Counters: stats().reconnects counts reconnect attempts started after a drop; planned
// rotations are counted in stats().rotations only.
//
// Secrets: the URL may carry userinfo or tokens in its query. Everything this class
// stores (stats().url, stats().lastError) or reports (onEvent) is redacted; `headers`
// are sent and never reported.

import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { RawData } from 'ws';
import { TickrecError } from '../errors.js';
import { Backoff, MAX_TIMER_MS, type RandomSource } from './backoff.js';
import type { FeedAdapter, FeedSink, FeedState, FeedStats, MessageMapper, TickInput, TradeInput } from './types.js';
import { redactText, redactUrl, urlSecrets } from './ws/redact.js';

/** Defaults of every WsFeed limit; each name carries its unit. */
export const WS_FEED_DEFAULTS = {
  /** Largest frame accepted (4 MiB); a larger one closes the connection with 1009. */
  maxPayloadBytes: 4 * 1024 * 1024,
  /** Backoff cap of the first reconnect attempt; attempt n waits up to min(max, min * 2^n). */
  reconnectMinMs: 250,
  /** Largest reconnect delay. */
  reconnectMaxMs: 30_000,
  /** A connection up this long resets the backoff to attempt 0. */
  stableAfterMs: 10_000,
  /** How often a ping (ws-level, or the text 'ping' with textPing) is sent. */
  pingIntervalMs: 15_000,
  /** A connection with no frame, ping or pong for this long is terminated and replaced. */
  staleTimeoutMs: 30_000,
  /** Send the text 'ping' instead of ws-level pings (OKX). */
  textPing: false,
  /** Rotate (make-before-break) a connection this old; 0 = never. Binance: e.g. 23.5 h. */
  maxConnectionAgeMs: 0,
  /** During a rotation, the longest the old connection stays open after the new one subscribed. */
  rotateOverlapMaxMs: 5_000,
  /** Time allowed for TCP + TLS + the HTTP upgrade. */
  handshakeTimeoutMs: 10_000,
  /** Time allowed for a close handshake (stop(), rotation) before the socket is destroyed. */
  closeTimeoutMs: 2_000,
} as const;

export type WsFeedEventKind = 'connected' | 'disconnected' | 'reconnect_scheduled' | 'rotating' | 'error';

/** What onEvent receives besides the kind. Every string is already redacted. */
export interface WsFeedEvent {
  feed: string;
  /** The feed URL, redacted. */
  url: string;
  /** Serial number of the connection the event is about (1, 2, ...); 0 when none. */
  connection: number;
  /** 'disconnected': the close code (1006 when the socket just died). */
  code?: number;
  /** 'disconnected': the close reason, or why we closed it. */
  reason?: string;
  /** 'disconnected': true when we closed it on purpose (stop, rotation). */
  planned?: boolean;
  /** 'connected': true when this connection replaces a live one (rotation). */
  rotation?: boolean;
  /** 'reconnect_scheduled': the delay before the next attempt. */
  delayMs?: number;
  /** 'reconnect_scheduled': the backoff attempt number (0 after a stable connection). */
  attempt?: number;
  /** 'rotating' and a rotation retry: why. */
  cause?: 'max_age' | 'server_shutdown';
  /** 'error': the message. */
  error?: string;
}

export interface WsFeedOptions {
  /** The feed's name in config, logs and errors. */
  name: string;
  type?: 'websocket';
  /** ws:// or wss:// URL. May carry credentials; they are never logged. */
  url: string;
  mapper: MessageMapper;
  /** Instruments (EXCHG.CODE or '*') handed to mapper.subscribeFrames after each connect. */
  subscribe?: readonly string[];
  maxPayloadBytes?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  stableAfterMs?: number;
  pingIntervalMs?: number;
  staleTimeoutMs?: number;
  textPing?: boolean;
  maxConnectionAgeMs?: number;
  rotateOverlapMaxMs?: number;
  handshakeTimeoutMs?: number;
  closeTimeoutMs?: number;
  /** Extra HTTP headers of the upgrade request (e.g. an API key); never reported. */
  headers?: Record<string, string>;
  /** Uniform [0, 1) source for backoff jitter (tests inject a seeded one). */
  random?: RandomSource;
  /** Wall clock in ms for lastMessageMs (default Date.now). */
  clock?: () => number;
  /** Logging hook; exceptions it throws are swallowed. */
  onEvent?: (kind: WsFeedEventKind, detail: WsFeedEvent) => void;
}

export interface WsFeedStats extends FeedStats {
  /** The URL, redacted. */
  url: string;
  /** Connections that completed the handshake. */
  connections: number;
  /** Make-before-break rotations started (max age or server shutdown). */
  rotations: number;
  /** Frames above maxPayloadBytes (each closed its connection). */
  oversized: number;
  /** Frames on which the mapper threw (counted and rejected as malformed_json). */
  mapperErrors: number;
  /** Connections terminated because they stayed silent for staleTimeoutMs. */
  staleTerminations: number;
  /** Connections open right now (2 during a rotation). */
  openConnections: number;
}

type Role = 'pending' | 'current' | 'old' | 'closing';

interface Conn {
  readonly id: number;
  readonly ws: WebSocket;
  sink: FeedSink;
  role: Role;
  opened: boolean;
  /** performance.now() of the last frame, ping or pong. */
  lastRx: number;
  /** This connection handed the mapper's output at least one tick or trade. */
  gotData: boolean;
  /** The error that ended (or is ending) this connection, redacted. */
  error: string;
  /** Why we closed it ourselves. */
  closeNote: string;
  pingTimer: NodeJS.Timeout | undefined;
  staleTimer: NodeJS.Timeout | undefined;
  /** The last look before a stale kill, after pending I/O (see armStale). */
  staleCheck: NodeJS.Immediate | undefined;
  ageTimer: NodeJS.Timeout | undefined;
  stableTimer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
}

interface Limits {
  maxPayloadBytes: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  stableAfterMs: number;
  pingIntervalMs: number;
  staleTimeoutMs: number;
  textPing: boolean;
  maxConnectionAgeMs: number;
  rotateOverlapMaxMs: number;
  handshakeTimeoutMs: number;
  closeTimeoutMs: number;
}

const NOOP_SINK: FeedSink = { tick() {}, trade() {}, reject() {} };

/** A shutdown announcement is a small control frame; market-data frames are not searched. */
export const SHUTDOWN_FRAME_MAX_CHARS = 4096;

/** True when `text` is a server-shutdown announcement (Binance `serverShutdown`, any of its envelopes). */
export function isServerShutdown(text: string): boolean {
  // Searching every 50 KB data frame cost ~0.2 µs per tick (recorder benchmark profile).
  if (text.length > SHUTDOWN_FRAME_MAX_CHARS || !text.includes('serverShutdown')) return false;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  if (o.e === 'serverShutdown' || o.event === 'serverShutdown') return true;
  for (const inner of [o.event, o.data]) {
    if (inner !== null && typeof inner === 'object' && (inner as Record<string, unknown>).e === 'serverShutdown') {
      return true;
    }
  }
  return false;
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export class WsFeed implements FeedAdapter {
  readonly name: string;
  readonly type = 'websocket' as const;
  /** The URL with credentials redacted; the raw one is kept private. */
  readonly redactedUrl: string;

  private readonly rawUrl: string;
  private readonly secrets: string[];
  private readonly mapper: MessageMapper;
  private readonly limits: Limits;
  private readonly headers: Record<string, string> | undefined;
  private readonly clock: () => number;
  private readonly onEvent: WsFeedOptions['onEvent'];
  private readonly backoff: Backoff;
  private readonly rotateBackoff: Backoff;

  private subscribeList: string[];
  private sink: FeedSink | null = null;
  private state: FeedState = 'idle';
  private serial = 0;
  private readonly conns = new Set<Conn>();
  private current: Conn | null = null;
  private pending: Conn | null = null;
  private old: Conn | null = null;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private overlapTimer: NodeJS.Timeout | undefined;
  /** Why the last rotation was started; a failed one is retried for the same cause. */
  private rotationCause: 'max_age' | 'server_shutdown' = 'max_age';
  private stopping = false;
  private stopPromise: Promise<void> | null = null;
  private stopResolve: (() => void) | null = null;

  private messages = 0;
  private reconnects = 0;
  private connections = 0;
  private rotations = 0;
  private oversized = 0;
  private mapperErrors = 0;
  private staleTerminations = 0;
  private lastMessageMs = 0;
  private lastError = '';

  constructor(options: WsFeedOptions) {
    const name = options.name;
    if (typeof name !== 'string' || name === '') {
      throw new TickrecError('E_CONFIG', 'websocket feed: `name` must be a non-empty string');
    }
    this.name = name;
    if (options.type !== undefined && options.type !== 'websocket') {
      throw new TickrecError('E_CONFIG', `feed "${name}": type must be 'websocket', got ${JSON.stringify(options.type)}`);
    }
    this.rawUrl = WsFeed.checkUrl(name, options.url);
    this.secrets = urlSecrets(this.rawUrl);
    this.redactedUrl = redactUrl(this.rawUrl);
    if (options.mapper === null || typeof options.mapper !== 'object' || typeof options.mapper.parse !== 'function') {
      throw new TickrecError('E_CONFIG', `feed "${name}": mapper must be a MessageMapper`);
    }
    this.mapper = options.mapper;
    this.subscribeList = [...(options.subscribe ?? [])];
    this.limits = WsFeed.checkLimits(name, options);
    this.headers = options.headers === undefined ? undefined : { ...options.headers };
    this.clock = options.clock ?? Date.now;
    this.onEvent = options.onEvent;
    const random = options.random ?? Math.random;
    this.backoff = new Backoff(this.limits.reconnectMinMs, this.limits.reconnectMaxMs, random);
    this.rotateBackoff = new Backoff(this.limits.reconnectMinMs, this.limits.reconnectMaxMs, random);
  }

  private static checkUrl(name: string, url: unknown): string {
    if (typeof url !== 'string' || url === '') {
      throw new TickrecError('E_CONFIG', `feed "${name}": url must be a ws:// or wss:// URL`);
    }
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${name}": url ${redactUrl(url)} is not a valid URL; use ws://host[:port]/path or wss://...`,
      );
    }
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${name}": url ${redactUrl(url)} has scheme ${u.protocol}; only ws:// and wss:// are supported`,
      );
    }
    return url;
  }

  private static checkLimits(name: string, o: WsFeedOptions): Limits {
    const D = WS_FEED_DEFAULTS;
    const num = (key: keyof Limits & keyof WsFeedOptions, def: number, min: number, max = MAX_TIMER_MS): number => {
      const v = o[key] ?? def;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
        throw new TickrecError('E_CONFIG', `feed "${name}": ${key} must be a number in [${min}, ${max}], got ${String(v)}`);
      }
      return v;
    };
    const limits: Limits = {
      maxPayloadBytes: num('maxPayloadBytes', D.maxPayloadBytes, 1, 2 ** 31),
      reconnectMinMs: num('reconnectMinMs', D.reconnectMinMs, 1),
      reconnectMaxMs: num('reconnectMaxMs', D.reconnectMaxMs, 1),
      stableAfterMs: num('stableAfterMs', D.stableAfterMs, 1),
      pingIntervalMs: num('pingIntervalMs', D.pingIntervalMs, 1),
      staleTimeoutMs: num('staleTimeoutMs', D.staleTimeoutMs, 1),
      textPing: o.textPing ?? D.textPing,
      maxConnectionAgeMs: num('maxConnectionAgeMs', D.maxConnectionAgeMs, 0),
      rotateOverlapMaxMs: num('rotateOverlapMaxMs', D.rotateOverlapMaxMs, 0),
      handshakeTimeoutMs: num('handshakeTimeoutMs', D.handshakeTimeoutMs, 1),
      closeTimeoutMs: num('closeTimeoutMs', D.closeTimeoutMs, 0),
    };
    if (limits.reconnectMaxMs < limits.reconnectMinMs) {
      throw new TickrecError(
        'E_CONFIG',
        `feed "${name}": reconnectMaxMs (${limits.reconnectMaxMs}) must be >= reconnectMinMs (${limits.reconnectMinMs})`,
      );
    }
    if (typeof limits.textPing !== 'boolean') {
      throw new TickrecError('E_CONFIG', `feed "${name}": textPing must be a boolean`);
    }
    return limits;
  }

  // ---- FeedAdapter ----------------------------------------------------------------

  start(sink: FeedSink): void {
    if (this.stopping) throw new Error(`feed "${this.name}": start() after stop()`);
    if (this.sink !== null) throw new Error(`feed "${this.name}": start() called twice`);
    this.sink = sink;
    this.connect();
  }

  /**
   * No more reconnects; every connection is closed with 1000 (destroyed after
   * closeTimeoutMs). Resolves when all sockets are closed: no more data reaches the sink
   * and no timer of this feed is left. Frames that arrive during the close handshake
   * are still delivered. Idempotent.
   */
  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.stopping = true;
    this.state = 'stopped';
    this.clearTimer('reconnectTimer');
    this.clearTimer('overlapTimer');
    this.current = null;
    this.pending = null;
    this.old = null;
    this.stopPromise = new Promise<void>((resolve) => {
      this.stopResolve = resolve;
    });
    for (const c of [...this.conns]) this.closeConn(c, 1000, 'client stopping');
    this.maybeFinishStop();
    return this.stopPromise;
  }

  /**
   * Replaces the subscription list. If a connection is up, the mapper's subscribe frames
   * for the NEW list are sent on it (a pending connection will use the new list when it
   * opens). Instruments no longer in the list are not unsubscribed (format-specific);
   * the recorder filters them.
   */
  setSubscriptions(instruments: readonly string[]): void {
    this.subscribeList = [...instruments];
    const c = this.current;
    if (c !== null && !this.stopping) this.sendSubscribe(c);
  }

  stats(): WsFeedStats {
    let open = 0;
    for (const c of this.conns) if (c.ws.readyState === WebSocket.OPEN) open++;
    return {
      state: this.state,
      messages: this.messages,
      reconnects: this.reconnects,
      lastMessageMs: this.lastMessageMs,
      lastError: this.lastError,
      url: this.redactedUrl,
      connections: this.connections,
      rotations: this.rotations,
      oversized: this.oversized,
      mapperErrors: this.mapperErrors,
      staleTerminations: this.staleTerminations,
      openConnections: open,
    };
  }

  /** The current subscription list (a copy). */
  subscriptions(): string[] {
    return [...this.subscribeList];
  }

  // ---- connections ----------------------------------------------------------------

  private connect(): void {
    const id = ++this.serial;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.rawUrl, {
        maxPayload: this.limits.maxPayloadBytes,
        handshakeTimeout: this.limits.handshakeTimeoutMs,
        ...(this.headers === undefined ? {} : { headers: this.headers }),
      });
    } catch (err) {
      // new WebSocket() throws only on a bad URL, which the constructor rejected; be safe.
      this.noteError(id, err);
      if (this.stopping) return;
      if (this.current !== null) this.scheduleRotationRetry(this.rotationCause);
      else this.scheduleReconnect();
      return;
    }
    ws.binaryType = 'nodebuffer';
    const c: Conn = {
      id,
      ws,
      sink: NOOP_SINK,
      role: 'pending',
      opened: false,
      lastRx: performance.now(),
      gotData: false,
      error: '',
      closeNote: '',
      pingTimer: undefined,
      staleTimer: undefined,
      staleCheck: undefined,
      ageTimer: undefined,
      stableTimer: undefined,
      killTimer: undefined,
    };
    c.sink = this.connSink(c);
    this.conns.add(c);
    this.pending = c;
    if (this.current === null) this.state = 'connecting';
    ws.on('open', () => this.onOpen(c));
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(c, data, isBinary));
    ws.on('ping', () => {
      c.lastRx = performance.now();
    });
    ws.on('pong', () => {
      c.lastRx = performance.now();
    });
    ws.on('error', (err: Error) => this.onError(c, err));
    ws.on('close', (code: number, reason: Buffer) => this.onClose(c, code, reason.toString('utf8')));
  }

  /** The sink a connection's frames are parsed into: the feed's sink, noting the first data. */
  private connSink(c: Conn): FeedSink {
    return {
      tick: (t: TickInput) => {
        if (!c.gotData) this.firstData(c);
        this.sink?.tick(t);
      },
      trade: (t: TradeInput) => {
        if (!c.gotData) this.firstData(c);
        this.sink?.trade(t);
      },
      reject: (reason, detail) => this.sink?.reject(reason, detail),
    };
  }

  private onOpen(c: Conn): void {
    if (this.stopping || c.role !== 'pending') return;
    const L = this.limits;
    c.opened = true;
    c.lastRx = performance.now();
    this.connections++;
    if (this.pending === c) this.pending = null;
    const prev = this.current;
    c.role = 'current';
    this.current = c;
    this.state = 'up';
    c.pingTimer = setInterval(() => this.sendPing(c), L.pingIntervalMs);
    this.armStale(c, L.staleTimeoutMs);
    c.stableTimer = setTimeout(() => {
      c.stableTimer = undefined;
      this.backoff.reset();
      this.rotateBackoff.reset();
    }, L.stableAfterMs);
    if (L.maxConnectionAgeMs > 0) {
      c.ageTimer = setTimeout(() => {
        c.ageTimer = undefined;
        this.rotate(c, 'max_age');
      }, L.maxConnectionAgeMs);
    }
    this.emit('connected', c.id, { rotation: prev !== null });
    if (this.stopping) return; // the hook called stop()
    this.sendSubscribe(c);
    if (prev !== null) {
      // Make-before-break: the new one is subscribed; the old one keeps delivering until
      // the new one has delivered data (firstData) or the overlap limit is reached.
      prev.role = 'old';
      this.clearConnTimer(prev, 'ageTimer');
      this.old = prev;
      this.clearTimer('overlapTimer');
      this.overlapTimer = setTimeout(() => {
        this.overlapTimer = undefined;
        this.retireOld();
      }, L.rotateOverlapMaxMs);
    }
  }

  private firstData(c: Conn): void {
    c.gotData = true;
    if (c === this.current && this.old !== null) this.retireOld();
  }

  private retireOld(): void {
    const o = this.old;
    if (o === null) return;
    this.old = null;
    this.clearTimer('overlapTimer');
    this.closeConn(o, 1000, 'rotated');
  }

  private onFrame(c: Conn, data: RawData, _isBinary: boolean): void {
    c.lastRx = performance.now();
    this.messages++;
    this.lastMessageMs = this.clock();
    // Bytes straight to a mapper that reads them (no string of the frame), unless the
    // frame is short enough to hold a shutdown announcement (UTF-8: at most 4 bytes a character).
    if (this.mapper.parseBytes !== undefined && Buffer.isBuffer(data) && data.length > 4 * SHUTDOWN_FRAME_MAX_CHARS) {
      try {
        this.mapper.parseBytes(data, c.sink);
      } catch (err) {
        this.onMapperThrow(err, c);
      }
      return;
    }
    const text = toText(data);
    if (isServerShutdown(text)) {
      // A control frame for us, not market data: the mapper does not see it.
      this.rotate(c, 'server_shutdown');
      return;
    }
    try {
      this.mapper.parse(text, c.sink);
    } catch (err) {
      this.onMapperThrow(err, c);
    }
  }

  private onMapperThrow(err: unknown, c: Conn): void {
    this.mapperErrors++;
    const msg = this.redact(`mapper threw: ${err instanceof Error ? err.message : String(err)}`);
    this.safeReject('malformed_json', `feed "${this.name}": ${msg}`);
    this.emit('error', c.id, { error: msg });
  }

  private onError(c: Conn, err: Error): void {
    if (this.stopping || c.role === 'closing') return;
    const code = (err as NodeJS.ErrnoException).code;
    let msg: string;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.oversized++;
      msg = `frame larger than maxPayloadBytes=${this.limits.maxPayloadBytes}; connection closed with 1009`;
      this.safeReject('oversized', `feed "${this.name}": ${msg}`);
    } else {
      msg = this.redact(err.message !== '' ? err.message : String(code ?? err));
    }
    c.error = msg;
    this.lastError = msg;
    this.emit('error', c.id, { error: msg });
  }

  private onClose(c: Conn, code: number, reasonText: string): void {
    this.conns.delete(c);
    this.clearConnTimers(c);
    this.clearConnTimer(c, 'killTimer');
    const reason = this.redact(c.closeNote !== '' ? c.closeNote : reasonText);
    const role = c.role;
    if (this.stopping) {
      if (c.opened) this.emit('disconnected', c.id, { code, reason, planned: true });
      this.maybeFinishStop();
      return;
    }
    if (role === 'closing') {
      if (c.opened) this.emit('disconnected', c.id, { code, reason, planned: true });
      return;
    }
    if (role === 'old') {
      // The old connection died during the overlap; the new one carries on.
      if (this.old === c) this.old = null;
      this.clearTimer('overlapTimer');
      this.emit('disconnected', c.id, { code, reason, planned: false });
      return;
    }
    const what = `connection ${c.opened ? 'closed' : 'failed'} (code ${code}${reason !== '' ? `: ${reason}` : ''})`;
    this.lastError = c.error !== '' ? `${c.error}; ${what}` : what;
    if (role === 'pending') {
      if (this.pending === c) this.pending = null;
      if (this.current !== null) this.scheduleRotationRetry(this.rotationCause);
      else this.scheduleReconnect();
      return;
    }
    // role === 'current'
    this.current = null;
    this.emit('disconnected', c.id, { code, reason, planned: false });
    if (this.stopping) return; // the hook called stop()
    const o = this.old;
    if (o !== null && o.ws.readyState === WebSocket.OPEN) {
      // The new connection died during the overlap: keep the old one and retry the rotation.
      this.old = null;
      this.clearTimer('overlapTimer');
      o.role = 'current';
      this.current = o;
      this.state = 'up';
      this.scheduleRotationRetry(this.rotationCause);
      return;
    }
    if (this.pending !== null) {
      this.state = 'connecting';
      return;
    }
    this.scheduleReconnect();
  }

  /** Starts a make-before-break replacement of `c` if it is the current connection. */
  private rotate(c: Conn, cause: 'max_age' | 'server_shutdown'): void {
    if (this.stopping || c !== this.current || this.pending !== null || this.old !== null) return;
    this.clearConnTimer(c, 'ageTimer');
    this.clearTimer('reconnectTimer');
    this.rotations++;
    this.rotationCause = cause;
    this.emit('rotating', c.id, { cause });
    if (this.stopping) return; // the hook called stop()
    this.connect();
  }

  private scheduleReconnect(): void {
    this.clearTimer('reconnectTimer');
    const attempt = this.backoff.attempt;
    const delayMs = this.backoff.next();
    this.state = 'down';
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopping) return;
      this.reconnects++;
      this.connect();
    }, delayMs);
    this.emit('reconnect_scheduled', 0, { delayMs, attempt }); // after the timer: the hook may stop()
  }

  /** A rotation could not complete while the current connection still works: try again later. */
  private scheduleRotationRetry(cause: 'max_age' | 'server_shutdown'): void {
    this.clearTimer('reconnectTimer');
    const attempt = this.rotateBackoff.attempt;
    const delayMs = this.rotateBackoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      const cur = this.current;
      if (cur !== null) this.rotate(cur, cause);
      else if (!this.stopping && this.pending === null) this.connect();
    }, delayMs);
    this.emit('reconnect_scheduled', this.current?.id ?? 0, { delayMs, attempt, cause });
  }

  /** Closes `c` on purpose: 1000 handshake if open, destroyed after closeTimeoutMs anyway. */
  private closeConn(c: Conn, code: number, note: string): void {
    c.role = 'closing';
    c.closeNote = note;
    this.clearConnTimers(c);
    const ws = c.ws;
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate(); // aborts the handshake; 'close' follows on the next tick
      return;
    }
    if (ws.readyState === WebSocket.OPEN) {
      try {
        ws.close(code, note);
      } catch {
        ws.terminate();
        return;
      }
    }
    if (ws.readyState !== WebSocket.CLOSED && c.killTimer === undefined) {
      c.killTimer = setTimeout(() => {
        c.killTimer = undefined;
        ws.terminate();
      }, this.limits.closeTimeoutMs);
    }
  }

  private maybeFinishStop(): void {
    if (this.conns.size === 0 && this.stopResolve !== null) {
      const r = this.stopResolve;
      this.stopResolve = null;
      r();
    }
  }

  // ---- liveness -------------------------------------------------------------------

  private sendPing(c: Conn): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    try {
      if (this.limits.textPing) c.ws.send('ping');
      else c.ws.ping();
    } catch {
      // The socket is going away; 'close' follows.
    }
  }

  /**
   * Re-checks at the instant `c` would go stale; cheap however fast frames arrive. When
   * the timer finds the connection silent, one last look is taken from setImmediate,
   * i.e. after the event loop has read the sockets: a pong that sat unread while the
   * loop was blocked (GC pause, long synchronous work) still counts.
   */
  private armStale(c: Conn, inMs: number): void {
    const timeout = this.limits.staleTimeoutMs;
    c.staleTimer = setTimeout(() => {
      c.staleTimer = undefined;
      const idle = performance.now() - c.lastRx;
      if (idle < timeout) {
        this.armStale(c, Math.max(1, timeout - idle));
        return;
      }
      c.staleCheck = setImmediate(() => {
        c.staleCheck = undefined;
        const idleNow = performance.now() - c.lastRx;
        if (idleNow < timeout) {
          this.armStale(c, Math.max(1, timeout - idleNow));
          return;
        }
        this.staleTerminations++;
        const msg = `no frame, ping or pong for ${Math.round(idleNow)} ms (staleTimeoutMs=${timeout}): connection presumed dead, terminated`;
        c.error = msg;
        c.closeNote = 'stale';
        this.lastError = msg;
        this.emit('error', c.id, { error: msg });
        c.ws.terminate();
      });
    }, inMs);
  }

  // ---- helpers --------------------------------------------------------------------

  private sendSubscribe(c: Conn): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    let frames: string[];
    try {
      frames = this.mapper.subscribeFrames(this.subscribeList);
    } catch (err) {
      const msg = this.redact(`subscribeFrames threw: ${err instanceof Error ? err.message : String(err)}`);
      this.lastError = msg;
      this.emit('error', c.id, { error: msg });
      return;
    }
    for (const f of frames) {
      c.ws.send(f, (err?: Error) => {
        if (err && !this.stopping && c.role !== 'closing') {
          const msg = this.redact(`sending a subscribe frame failed: ${err.message}`);
          this.lastError = msg;
          this.emit('error', c.id, { error: msg });
        }
      });
    }
  }

  private safeReject(reason: 'oversized' | 'malformed_json', detail: string): void {
    try {
      this.sink?.reject(reason, detail);
    } catch {
      // The sink is the recorder's; a throwing sink must not break the connection logic.
    }
  }

  private noteError(id: number, err: unknown): void {
    const msg = this.redact(err instanceof Error ? err.message : String(err));
    this.lastError = msg;
    this.emit('error', id, { error: msg });
  }

  private redact(text: string): string {
    return redactText(text, this.secrets);
  }

  private emit(kind: WsFeedEventKind, connection: number, extra: Omit<WsFeedEvent, 'feed' | 'url' | 'connection'>): void {
    if (this.onEvent === undefined) return;
    try {
      this.onEvent(kind, { feed: this.name, url: this.redactedUrl, connection, ...extra });
    } catch {
      // A logging hook must not break the feed.
    }
  }

  private clearTimer(which: 'reconnectTimer' | 'overlapTimer'): void {
    const t = this[which];
    if (t !== undefined) {
      clearTimeout(t);
      this[which] = undefined;
    }
  }

  private clearConnTimer(c: Conn, which: 'pingTimer' | 'staleTimer' | 'ageTimer' | 'stableTimer' | 'killTimer'): void {
    const t = c[which];
    if (t !== undefined) {
      clearTimeout(t); // clears intervals too
      c[which] = undefined;
    }
  }

  /** Clears every timer of `c` except the kill timer of a close in progress. */
  private clearConnTimers(c: Conn): void {
    this.clearConnTimer(c, 'pingTimer');
    this.clearConnTimer(c, 'staleTimer');
    this.clearConnTimer(c, 'ageTimer');
    this.clearConnTimer(c, 'stableTimer');
    if (c.staleCheck !== undefined) {
      clearImmediate(c.staleCheck);
      c.staleCheck = undefined;
    }
  }
}

// The recorder's configuration: one schema (zod) with every default in it. The README's
// configuration reference is checked against this file by test/config/readme.test.ts.
// A default that a module also applies when it is used without a configuration (a feed,
// the bars, the bus, the store, the HTTP bounds) is that module's constant, taken here:
// each default is written once.

import { z } from 'zod';
import { DEFAULT_GRACE_MS } from '../bars/engine.js';
import { STREAM_DEFAULTS } from '../bus/connect.js';
import { BUS_PREFIX, BUS_PREFIX_RULE } from '../bus/wire.js';
import { CTP_FEED_DEFAULTS } from '../feed/ctp/ctp-feed.js';
import { WS_FEED_DEFAULTS } from '../feed/ws-feed.js';
import { HTTP_BOUNDS_DEFAULT } from '../http-guard.js';
import { STREAM_NAME } from '../layout/index.js';
import { SIMULATOR_DEFAULTS } from '../sim/defaults.js';
import { DEFAULT_INITIAL_CAPACITY } from '../store/rt-writer.js';

/** Defaults of the session filter (N10); the normalizer applies them when it is given none. */
export const SESSION_FILTER_DEFAULTS = { graceMs: 60_000, futureMs: 4 * 3_600_000 } as const;

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().min(1);
const instrument = z.string().regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z0-9][A-Za-z0-9._-]*)$/, 'an instrument "EXCHG.CODE" or "*"');

export const WebsocketFeedSchema = z.strictObject({
  type: z.literal('websocket'),
  /** Name in logs and metrics; default: the format and the position, e.g. tickrec-0. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, "_", "." or "-", at most 40')
    .optional(),
  url: z.string().regex(/^wss?:\/\/.+/, 'a ws:// or wss:// URL'),
  format: z.enum(['tickrec', 'binance', 'okx']),
  subscribe: z.array(instrument).min(1).default(['*']),
  max_payload_bytes: z.number().int().min(1024).default(WS_FEED_DEFAULTS.maxPayloadBytes),
  reconnect_min_ms: positiveMs.default(WS_FEED_DEFAULTS.reconnectMinMs),
  reconnect_max_ms: positiveMs.default(WS_FEED_DEFAULTS.reconnectMaxMs),
  ping_interval_ms: positiveMs.default(WS_FEED_DEFAULTS.pingIntervalMs),
  stale_timeout_ms: positiveMs.default(WS_FEED_DEFAULTS.staleTimeoutMs),
  /** OKX: keepalive with the text "ping" instead of websocket pings. Default: true for okx. */
  text_ping: z.boolean().optional(),
  /** Reconnect (make-before-break) after this age. Default: 23.5 h for binance, none otherwise. */
  max_connection_age_ms: positiveMs.optional(),
  /** Replaced by the instruments' lot steps (docs/instruments.md): refused with that hint. */
  trade_volume_scale: z
    .unknown()
    .refine((v) => v === undefined, {
      message:
        'trade_volume_scale is gone: a trade is stored in units of its instrument lot step; set lot_step in the instruments file (docs/instruments.md) and remove this key',
    })
    .optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

/** A CTP market-data feed through the native addon (docs/ctp.md). */
export const CtpFeedSchema = z.strictObject({
  type: z.literal('ctp'),
  /** Name in logs and metrics; default: ctp-<position>. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, "_", "." or "-", at most 40')
    .optional(),
  /** Front addresses, tried in order; the API moves to the next when one does not answer. */
  fronts: z.array(z.string().regex(/^tcp:\/\/[^\s:/]+:\d{1,5}$/, 'a front address tcp://HOST:PORT')).min(1),
  broker_id: z.string().min(1).max(10),
  user_id: z.string().min(1).max(15),
  /** Put "${CTP_PASSWORD}" here and export the variable: the password never reaches logs. */
  password: z.string().max(40),
  /** Explicit EXCHG.CODE instruments (CTP has no "all"); the exchange fills an empty ExchangeID. */
  subscribe: z
    .array(
      z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9_-]*\.[A-Za-z0-9][A-Za-z0-9._&-]*( [A-Za-z0-9][A-Za-z0-9._&-]*)?$/,
          'an instrument "EXCHG.CODE" (CTP needs explicit codes, no "*"; a combination as CTP names it: "DCE.SP m2505&m2509")',
        ),
    )
    .min(1),
  /** The API's flow folder (its .con files). Default <root>/ctp-flow/<name>; relative to the data root. */
  flow_dir: z.string().min(1).optional(),
  /** Absolute path of the market-data library. Default: the first of thostmduserapi_se.so, libthostmduserapi_se.so, thostmduserapi.so in $CTP_SDK_DIR. */
  library: z.string().regex(/^\//, 'an absolute path to thostmduserapi_se.so').optional(),
  /** Ticks waiting for the JavaScript thread at most; more are dropped and counted. */
  queue_max: z.number().int().min(1).max(16_777_216).default(CTP_FEED_DEFAULTS.queueMax),
  /** Codes per SubscribeMarketData call. */
  subscribe_batch: z.number().int().min(1).max(10_000).default(CTP_FEED_DEFAULTS.subscribeBatch),
  /** CreateFtdcMdApi with 3 parameters (CTP up to 6.7.10) or 4 (6.7.11 on); auto: what the library exports. */
  api_generation: z.union([z.literal('auto'), z.literal(3), z.literal(4)]).default('auto'),
  /** CZCE contract multipliers by product ({"SR": 10}): CZCE's Turnover lacks them (docs/ctp.md). */
  czce_multipliers: z.record(z.string().regex(/^[A-Za-z]{1,8}$/, 'a product such as SR'), z.number().positive()).optional(),
  /** Multiply CZCE turnover by czce_multipliers: decided from the data (auto), always (multiply) or never (as_sent). */
  czce_turnover: z.enum(['auto', 'multiply', 'as_sent']).default('auto'),
  /** Append every tick struct, as received, to <root>/capture/ctp/<name>/<YYYYMMDD>.cap (docs/ctp.md). */
  capture: z.boolean().default(false),
  /** The library's own text on stdout/stderr: "log" turns each line into a log record; "keep" leaves it. */
  library_output: z.enum(['log', 'keep']).default('log'),
  /** Start even when the library's GetApiVersion() is not of the SDK the addon was built with. */
  allow_sdk_mismatch: z.boolean().default(false),
  /** Warn when no front has answered for this long (the library retries silently every 5 s). */
  connect_warn_ms: z.number().int().min(1).max(86_400_000).default(CTP_FEED_DEFAULTS.connectWarnMs),
  /** A login not answered within this long releases the API and connects again. */
  login_timeout_ms: z.number().int().min(1).max(600_000).default(CTP_FEED_DEFAULTS.loginTimeoutMs),
});

export const FeedSchema = z.discriminatedUnion('type', [WebsocketFeedSchema, CtpFeedSchema]);

export const SimulatorSchema = z.strictObject({
  host: z.string().default(SIMULATOR_DEFAULTS.host),
  port: port.default(SIMULATOR_DEFAULTS.port),
  instruments: z.number().int().min(1).max(100_000).default(SIMULATOR_DEFAULTS.instruments),
  /** Ticks per second, all instruments together. */
  rate: z.number().positive().default(SIMULATOR_DEFAULTS.rate),
  seed: z.number().int().default(SIMULATOR_DEFAULTS.seed),
  /**
   * Simulated start "YYYYMMDD HH:MM" (Asia/Shanghai), or "open": 09:30 China time of the
   * current (or last) weekday, when every simulated instrument trades. With a start, the
   * recorder runs on the simulator's clock. Default: real time.
   */
  start: z.string().optional(),
  /** Simulated time runs this many times faster than real time. */
  speed: z.number().positive().default(SIMULATOR_DEFAULTS.speed),
  trades: z.boolean().default(SIMULATOR_DEFAULTS.trades),
});

/** Where the bus publisher sends (docs/distributed.md): a NATS JetStream stream. */
export const NatsPublishSchema = z.strictObject({
  /** NATS server URLs, tried in turn (nats://HOST:PORT, tls://HOST:PORT). */
  servers: z.array(z.string().regex(/^(nats|tls):\/\/[^\s/]+$/, 'a server URL nats://HOST:PORT or tls://HOST:PORT')).min(1),
  /** JetStream stream name. */
  stream: z.string().regex(STREAM_NAME, 'letters, digits, "_" or "-", at most 64').default('TICKREC'),
  /** First subject token: subjects are <prefix>.<kind>.<EXCHG>.<CODE>. */
  prefix: z.string().regex(BUS_PREFIX, BUS_PREFIX_RULE).default('tickrec'),
  /** Record kinds to publish, and 'closed' for the closed-bar events (rt/closed). */
  kinds: z
    .array(z.enum(['tick', 'trade', 'min1', 'min5', 'min15', 'min30', 'min60', 'closed']))
    .min(1)
    .default(['tick', 'trade', 'min1', 'min5', 'min15', 'min30', 'min60', 'closed']),
  /** Credentials: put "${NAME}" here and export the variable (they never reach logs). */
  user: z.string().optional(),
  pass: z.string().optional(),
  token: z.string().optional(),
  /** A NATS .creds file (JWT + NKey seed). */
  creds_file: z.string().optional(),
  tls: z
    .strictObject({
      ca_file: z.string().optional(),
      cert_file: z.string().optional(),
      key_file: z.string().optional(),
    })
    .optional(),
  /** The stream made when it does not exist (an existing stream is used as it is). */
  create_stream: z
    .strictObject({
      replicas: z.number().int().min(1).max(5).default(STREAM_DEFAULTS.replicas),
      max_age_hours: z.number().min(0).default(STREAM_DEFAULTS.maxAgeHours),
      /** -1: no limit. */
      max_bytes: z.number().int().min(-1).default(STREAM_DEFAULTS.maxBytes),
      duplicate_window_s: z.number().int().min(1).max(86_400).default(STREAM_DEFAULTS.duplicateWindowS),
      storage: z.enum(['file', 'memory']).default(STREAM_DEFAULTS.storage),
    })
    .prefault({}),
  /** A publish not acknowledged within this is retried (same message id). */
  ack_timeout_ms: positiveMs.default(5000),
  /** The durable cursors are written at most this often. */
  cursor_flush_ms: z.number().int().min(10).max(60_000).default(500),
  /** Records in flight at once, all files together. */
  max_in_flight: z.number().int().min(1).max(65_536).default(4096),
  /** Records of one file in flight at once (src/bus/publisher.ts, ORDER RULE); 1: each after the previous one's acknowledgement. */
  pipeline: z.number().int().min(1).max(1024).default(64),
  /** The publisher's own /metrics and /health. */
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().default('127.0.0.1'),
      port: port.default(9465),
    })
    .prefault({}),
});

/** The recorder's own end-of-day compaction (src/cli/eod-compaction.ts). */
export const CompactionSchema = z.strictObject({
  /** Compact each finished day by itself; off: run `tickrec compact` on a schedule (the systemd timer). */
  enabled: z.boolean().default(true),
  codec: z.enum(['lz4', 'zstd']).default('lz4'),
  /** How often to look for finished days not yet compacted (also right after each day roll). */
  check_interval_ms: z.number().int().min(100).max(86_400_000).default(60_000),
  /** Scheduling priority (nice) of the compaction process: it yields the CPU to the recorder. */
  nice: z.number().int().min(0).max(19).default(10),
});

export const ConfigSchema = z.strictObject({
  /** Data root: rt/, his/, the lock file. Relative paths are relative to the config file. */
  root: z.string().min(1),
  compaction: CompactionSchema.prefault({}),
  feeds: z.array(FeedSchema).min(1),
  /** Start the built-in simulator in this process before the feeds connect. */
  simulator: SimulatorSchema.optional(),
  /** Sessions file; default: the bundled config/sessions.json (or, with instruments.wondertrader, WonderTrader's sessions and holidays). */
  sessions: z.string().optional(),
  /** Instrument metadata sources (docs/instruments.md); relative paths are relative to the config file. */
  instruments: z
    .strictObject({
      /** tickrec's instruments file; default: the bundled config/instruments.json. */
      file: z.string().min(1).optional(),
      /** A WonderTrader common/ folder (commodities.json, contracts.json, sessions.json, holidays.json). */
      wondertrader: z.string().min(1).optional(),
      /** A Binance exchangeInfo document saved to a file (tick and lot sizes of BINANCE symbols). */
      binance_exchange_info: z.string().min(1).optional(),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().default('127.0.0.1'),
      port: port.default(9464),
      /** Most HTTP connections held at once (src/http-guard.ts); more are closed on accept. */
      max_connections: z.number().int().min(4).max(4096).default(HTTP_BOUNDS_DEFAULT.maxConnections),
      /** An HTTP connection with no traffic for this long is closed. */
      idle_timeout_ms: z.number().int().min(1000).max(600_000).default(HTTP_BOUNDS_DEFAULT.idleTimeoutMs),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** Human-readable lines instead of JSON; default: when stderr is a terminal. */
      pretty: z.boolean().optional(),
      /** Same rejection reason logged at most once per this interval (with a count). */
      reject_log_interval_ms: positiveMs.default(10_000),
    })
    .prefault({}),
  /** Bounds on what one message may claim (normalization rule N10, src/recorder/normalize.ts). */
  limits: z
    .strictObject({
      /** A tick or trade stamped further ahead of the recorder's clock is refused (ahead_of_clock). */
      max_ahead_ms: z
        .number()
        .int()
        .min(1000)
        .max(7 * 86_400_000)
        .default(300_000),
    })
    .prefault({}),
  storage: z
    .strictObject({
      initial_capacity_ticks: z.number().int().min(1).default(DEFAULT_INITIAL_CAPACITY.tick!),
      initial_capacity_trades: z.number().int().min(1).default(DEFAULT_INITIAL_CAPACITY.trade!),
      /** Background fdatasync of every open file at this interval; 0 = only at roll and close. */
      sync_interval_ms: z.number().int().min(0).default(1000),
      /**
       * Most files mapped at once; the least recently written is closed beyond it (and
       * reopened on its next record). "auto": what the process's open-file limit and
       * vm.max_map_count allow (src/store/open-limit.ts).
       */
      max_open_files: z.union([z.number().int().min(4), z.literal('auto')]).default('auto'),
      /**
       * Set a file aside when the session clock says its trading day is over, even with
       * no further record. Turn off to record a replay whose timestamps are not "now".
       */
      roll_by_clock: z.boolean().default(true),
      /** With roll_by_clock: make the coming trading day's files between sessions, ahead of their first records. */
      prepare_files: z.boolean().default(true),
      /** With roll_by_clock: set a day aside only this long after it ended by the clock. */
      roll_grace_ms: z.number().int().min(0).max(3_600_000).default(60_000),
    })
    .prefault({}),
  /** Normalization rule N10 (docs/protocol.md): ticks outside their instrument's trading time are not stored. */
  session_filter: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Sections and auctions are widened by this much on both sides. */
      grace_ms: z.number().int().min(0).max(3_600_000).default(SESSION_FILTER_DEFAULTS.graceMs),
      /** N10 (c): a tick dated more than this after it was received is a stale snapshot of a later day. */
      future_ms: z.number().int().min(60_000).max(86_400_000).default(SESSION_FILTER_DEFAULTS.futureMs),
    })
    .prefault({}),
  /** Bars from ticks (docs/bars.md). */
  bars: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Periods in minutes among 1, 5, 15, 30, 60; must include 1. */
      periods: z
        .array(
          z.union([z.literal(1), z.literal(5), z.literal(15), z.literal(30), z.literal(60)], {
            error: 'a period in minutes: 1, 5, 15, 30 or 60',
          }),
        )
        .refine((p) => p.includes(1), 'must include 1 (every longer bar is folded from 1-minute bars)')
        .default([1, 5]),
      /** A bar closes this long after its end by the clock. */
      grace_ms: z.number().int().min(0).max(60_000).default(DEFAULT_GRACE_MS),
      /** How often the bar timer runs. */
      timer_ms: z.number().int().min(10).max(10_000).default(250),
      /** Publish closed-bar events to rt/closed/<SESSION>.dmb. */
      closed_events: z.boolean().default(true),
    })
    .prefault({}),
  /** Live records to other hosts (`tickrec publish`, docs/distributed.md). */
  publish: z.strictObject({ nats: NatsPublishSchema.optional() }).optional(),
  /** One-line live status on the terminal; default: when stdout is a terminal. */
  status_line: z.boolean().optional(),
});

export type Config = z.output<typeof ConfigSchema>;
export type FeedConfig = z.output<typeof FeedSchema>;
export type CtpFeedConfig = z.output<typeof CtpFeedSchema>;
export type SimulatorConfig = z.output<typeof SimulatorSchema>;
export type NatsPublishConfig = z.output<typeof NatsPublishSchema>;

// The recorder's configuration: one schema (zod) with every default in it. The README's
// configuration reference is checked against this file by test/config/readme.test.ts.

import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().min(1);
const instrument = z
  .string()
  .regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z0-9][A-Za-z0-9._-]*)$/, 'an instrument "EXCHG.CODE" or "*"');

export const WebsocketFeedSchema = z.strictObject({
  type: z.literal('websocket'),
  /** Name in logs and metrics; default: the format and the position, e.g. tickrec-0. */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, "_", "." or "-", at most 40').optional(),
  url: z.string().regex(/^wss?:\/\/.+/, 'a ws:// or wss:// URL'),
  format: z.enum(['tickrec', 'binance', 'okx']),
  subscribe: z.array(instrument).min(1).default(['*']),
  max_payload_bytes: z.number().int().min(1024).default(4 * 1024 * 1024),
  reconnect_min_ms: positiveMs.default(250),
  reconnect_max_ms: positiveMs.default(30_000),
  ping_interval_ms: positiveMs.default(15_000),
  stale_timeout_ms: positiveMs.default(30_000),
  /** OKX: keepalive with the text "ping" instead of websocket pings. Default: true for okx. */
  text_ping: z.boolean().optional(),
  /** Reconnect (make-before-break) after this age. Default: 23.5 h for binance, none otherwise. */
  max_connection_age_ms: positiveMs.optional(),
  /** Trade volume stored = round(quantity × scale) (the record field is a u32). */
  trade_volume_scale: z.number().positive().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

export const FeedSchema = z.discriminatedUnion('type', [WebsocketFeedSchema]);

export const SimulatorSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: port.default(8765),
  instruments: z.number().int().min(1).max(100_000).default(20),
  /** Ticks per second, all instruments together. */
  rate: z.number().min(0).default(200),
  seed: z.number().int().default(1),
  /** Simulated start "YYYYMMDD HH:MM" (exchange local time); default: now. */
  start: z.string().optional(),
  /** Simulated time runs this many times faster than real time. */
  speed: z.number().positive().default(1),
  trades: z.boolean().default(false),
});

export const ConfigSchema = z.strictObject({
  /** Data root: rt/, his/, the lock file. Relative paths are relative to the config file. */
  root: z.string().min(1),
  feeds: z.array(FeedSchema).min(1),
  /** Start the built-in simulator in this process before the feeds connect. */
  simulator: SimulatorSchema.optional(),
  /** Sessions file; default: the bundled config/sessions.json. */
  sessions: z.string().optional(),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().default('127.0.0.1'),
      port: port.default(9464),
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
  storage: z
    .strictObject({
      initial_capacity_ticks: z.number().int().min(1).default(2500),
      initial_capacity_trades: z.number().int().min(1).default(5000),
      /** msync of every open file at this interval; 0 = only at growth, roll and close. */
      sync_interval_ms: z.number().int().min(0).default(1000),
      /** Most files mapped at once; the least recently written is closed beyond it. */
      max_open_files: z.number().int().min(4).default(4096),
    })
    .prefault({}),
  /** One-line live status on the terminal; default: when stdout is a terminal. */
  status_line: z.boolean().optional(),
});

export type Config = z.output<typeof ConfigSchema>;
export type FeedConfig = z.output<typeof FeedSchema>;
export type SimulatorConfig = z.output<typeof SimulatorSchema>;

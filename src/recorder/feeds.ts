// Feed adapters from the recorder's configuration: the one place that knows every feed type (src/feed holds the adapters; this wiring sits above both feed and config).

import path from 'node:path';
import type { FeedConfig } from '../config/index.js';
import { ctpCaptureDir, ctpFlowDir } from '../layout/index.js';
import { CtpFeed, type CtpFeedEventKind } from '../feed/ctp/index.js';
import { WsFeed, createMapper, type FeedAdapter, type WsFeedEvent, type WsFeedEventKind } from '../feed/index.js';

const BINANCE_MAX_AGE_MS = 23.5 * 3600 * 1000; // Binance closes connections at 24 h

export interface FeedHooks {
  onEvent?: (kind: WsFeedEventKind | CtpFeedEventKind, detail: WsFeedEvent) => void;
  /** The data root: a CTP feed keeps its flow folder under it (default <root>/ctp-flow/<name>). */
  root?: string;
  /** The recorder's log is JSON lines (a CTP feed may then turn the library's stderr text into records). */
  jsonLog?: boolean;
}

/** The name of feed i: its configured name or `<format>-<i>`. */
export function feedName(cfg: FeedConfig, i: number): string {
  return cfg.name ?? `${cfg.type === 'ctp' ? 'ctp' : cfg.format}-${i}`;
}

export function createFeed(cfg: FeedConfig, i: number, hooks: FeedHooks = {}): FeedAdapter {
  if (cfg.type === 'ctp') {
    const name = feedName(cfg, i);
    const root = hooks.root ?? process.cwd();
    return new CtpFeed({
      name,
      fronts: cfg.fronts,
      brokerId: cfg.broker_id,
      userId: cfg.user_id,
      password: cfg.password,
      subscribe: cfg.subscribe,
      flowDir: cfg.flow_dir === undefined ? ctpFlowDir(root, name) : path.resolve(root, cfg.flow_dir),
      apiGeneration: cfg.api_generation,
      queueMax: cfg.queue_max,
      subscribeBatch: cfg.subscribe_batch,
      ...(cfg.library !== undefined ? { library: cfg.library } : {}),
      ...(cfg.czce_multipliers !== undefined ? { czceMultipliers: cfg.czce_multipliers } : {}),
      czceTurnover: cfg.czce_turnover,
      ...(cfg.capture ? { captureDir: ctpCaptureDir(root, name) } : {}),
      libraryOutput: cfg.library_output,
      jsonLog: hooks.jsonLog ?? false,
      allowSdkMismatch: cfg.allow_sdk_mismatch,
      connectWarnMs: cfg.connect_warn_ms,
      loginTimeoutMs: cfg.login_timeout_ms,
      ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    });
  }
  const mapper = createMapper(cfg.format, {});
  const maxAge = cfg.max_connection_age_ms ?? (cfg.format === 'binance' ? BINANCE_MAX_AGE_MS : 0);
  return new WsFeed({
    name: feedName(cfg, i),
    url: cfg.url,
    mapper,
    subscribe: cfg.subscribe,
    maxPayloadBytes: cfg.max_payload_bytes,
    reconnectMinMs: cfg.reconnect_min_ms,
    reconnectMaxMs: cfg.reconnect_max_ms,
    pingIntervalMs: cfg.ping_interval_ms,
    staleTimeoutMs: cfg.stale_timeout_ms,
    textPing: cfg.text_ping ?? cfg.format === 'okx',
    maxConnectionAgeMs: maxAge,
    ...(cfg.headers ? { headers: cfg.headers } : {}),
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
  });
}

// What every feed adapter produces and the interface the recorder drives it through.
//
// Data flows one way: an adapter parses its wire format into TickInput/TradeInput and
// hands them to a FeedSink; the recorder normalizes (src/recorder/normalize.ts) and
// writes. Adapters do syntax and types; they never decide trading dates, dedupe across
// feeds, or touch files.

/**
 * A tick as a feed gives it. Numbers may still be NaN, DBL_MAX or missing; a missing
 * optional field may be absent or present with the value undefined (fixed-shape objects).
 */
export interface TickInput {
  exchg: string;
  code: string;
  price: number;
  open?: number;
  high?: number;
  low?: number;
  settle_price?: number;
  upper_limit?: number;
  lower_limit?: number;
  /** Cumulative volume of the trading day. */
  total_volume?: number;
  /** Volume since the previous tick; computed from total_volume when missing. */
  volume?: number;
  total_turnover?: number;
  turn_over?: number;
  open_interest?: number;
  diff_interest?: number;
  /** Trading date YYYYMMDD when the feed knows it (CTP, tickrec protocol), else 0/undefined. */
  trading_date?: number;
  /** Calendar date YYYYMMDD of the exchange timestamp. */
  action_date: number;
  /** HHMMSSmmm of the exchange timestamp. */
  action_time: number;
  pre_close?: number;
  pre_settle?: number;
  pre_interest?: number;
  bid_prices?: number[];
  ask_prices?: number[];
  bid_qty?: number[];
  ask_qty?: number[];
}

/** A trade print as a feed gives it. */
export interface TradeInput {
  exchg: string;
  code: string;
  trading_date?: number;
  action_date: number;
  action_time: number;
  index?: number;
  /** Trade type as datakit's char code: 77 'M' match, 67 'C' cancel, 85 'U' unknown (absent: 'U'). */
  ttype?: number;
  /** 'B', 'S' or ' ' as a char code (66, 83, 32). */
  side?: number;
  price: number;
  /** The real quantity as the feed sent it (fractions kept); the recorder stores it in lot-step units (src/meta/units.ts). */
  volume: number;
  askorder?: number;
  bidorder?: number;
}

/**
 * Why a message or a record was rejected. Stable names: they are metric labels
 * (tickrec_rejected_total{reason=...}) and documented in docs/protocol.md.
 */
export const REJECT_REASONS = [
  'malformed_json', // not parseable JSON / not the expected envelope
  'oversized', // a frame above the feed's max_payload_bytes, or a batch of more than 10,000 messages
  'unknown_type', // a message type the format does not know
  'missing_field', // a required field is absent
  'bad_type', // a field has the wrong JSON type
  'bad_name', // exchange or code fails the name rule (src/layout/names.ts); also a Binance symbol the mapper cannot key
  'bad_date', // a date or time that is not a valid YYYYMMDD / HHMMSSmmm, or outside 1990-2099
  'bad_price', // price missing, not a number, non-finite or DBL_MAX (negative prices are kept)
  'out_of_range', // a number that does not fit its field (e.g. a trade quantity above what the u32 volume holds in lot-step units)
  'volume_precision', // a trade quantity that is not a whole multiple of its instrument's volume unit (finer than the lot step)
  'not_subscribed', // an instrument not in the feed's subscription list
  'duplicate', // the same tick again (resent snapshot, second feed)
  'out_of_order', // older than the last tick of the instrument (or an older Binance book update)
  'off_session', // a tick outside its instrument's trading sections and auction, or of another session (N10)
  'ahead_of_clock', // stamped more than limits.max_ahead_ms ahead of the recorder's clock (N11)
  'bad_trading_date', // a trading date more than 7 days before or 14 days after the action date (N11)
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface FeedSink {
  /**
   * One tick. The object may be reused for the next tick (the tickrec byte scanner
   * re-points one object per tick): valid during the call only; copy what you keep
   * (the recorder's normalizer copies every field into its own record).
   */
  tick(t: TickInput): void;
  trade(t: TradeInput): void;
  /** A rejected message or record; detail names the field or instrument. */
  reject(reason: RejectReason, detail: string): void;
}

/** A wire-format parser. Stateful (e.g. Binance keeps the book per symbol). */
export interface MessageMapper {
  /** Parses one frame; everything it yields goes to the sink, nothing is thrown. */
  parse(data: string, sink: FeedSink): void;
  /**
   * Optional: parses one frame from its UTF-8 bytes, with the same results as
   * parse(text) (a mapper that has a byte-level fast path; the feed prefers it).
   */
  parseBytes?(data: Uint8Array, sink: FeedSink): void;
  /** Frames to send after (re)connecting to subscribe to `instruments` (EXCHG.CODE or '*'). */
  subscribeFrames(instruments: readonly string[]): string[];
}

export type FeedState = 'idle' | 'connecting' | 'up' | 'down' | 'stopped';

export interface FeedStats {
  state: FeedState;
  /** Frames received since start. */
  messages: number;
  reconnects: number;
  /** Date.now() of the last frame, 0 when none. */
  lastMessageMs: number;
  /** Last error or disconnect reason, '' when none. */
  lastError: string;
}

export interface FeedAdapter {
  readonly name: string;
  readonly type: string;
  start(sink: FeedSink): void;
  /** Stops and closes; resolves when no more data will reach the sink. */
  stop(): Promise<void>;
  /** Replaces the subscription list (SIGHUP reload); resubscribes if connected. */
  setSubscriptions(instruments: readonly string[]): void;
  stats(): FeedStats;
}

// What every feed adapter produces and the interface the recorder drives it through.
//
// Data flows one way: an adapter parses its wire format into TickInput/TradeInput and
// hands them to a FeedSink; the recorder normalizes (src/recorder/normalize.ts) and
// writes. Adapters do syntax and types; they never decide trading dates, dedupe across
// feeds, or touch files.

import { assert } from '../assert.js';
import { TICK, valueFields, type FullTick, type StructInput, type TRADE } from '../format/index.js';

/**
 * A tick as a feed gives it: the tick record's fields (src/format/tick.ts TICK, the one
 * list), book levels as plain arrays. Required: exchg, code, price, action_date (calendar
 * date YYYYMMDD of the exchange timestamp), action_time (its HHMMSSmmm). Optional: the
 * rest; trading_date only when the feed knows it (CTP, tickrec protocol), else 0 or
 * absent; volume is computed from total_volume when missing (N8). Numbers may still be
 * NaN, DBL_MAX or missing; a missing optional field may be absent or present with the
 * value undefined (fixed-shape objects).
 */
export type TickInput = StructInput<typeof TICK, 'exchg' | 'code' | 'price' | 'action_date' | 'action_time'>;

/** The number fields of a tick (dates and times included). */
export type TickNumberField = { [K in keyof FullTick]: FullTick[K] extends number ? K : never }[keyof FullTick];
/** The book-level fields of a tick (numeric arrays). */
export type TickLevelField = { [K in keyof FullTick]: FullTick[K] extends number[] ? K : never }[keyof FullTick];

/**
 * The optional plain numbers of a tick message, in record order: every number field of
 * TICK but price, trading_date, action_date and action_time (which have rules of their own).
 */
export const TICK_INPUT_NUMBERS: readonly TickNumberField[] = valueFields(TICK)
  .filter((f) => f.type !== 'char' && !f.isArray && !['price', 'trading_date', 'action_date', 'action_time'].includes(f.name))
  .map((f) => f.name as TickNumberField);

/** The optional book-level arrays of a tick message (best first), in record order. */
export const TICK_INPUT_LEVELS: readonly TickLevelField[] = valueFields(TICK)
  .filter((f) => f.isArray)
  .map((f) => f.name as TickLevelField);

/** Most levels of a book-level array (the record's count, the same for every side). */
export const TICK_MAX_LEVELS = TICK.field(TICK_INPUT_LEVELS[0]!).count;
assert(
  TICK_INPUT_LEVELS.every((n) => TICK.field(n).count === TICK_MAX_LEVELS),
  'every book-level array of TICK has the same count',
);

/**
 * A trade print as a feed gives it: the trade record's fields (src/format/trade.ts TRADE).
 * Required: exchg, code, action_date, action_time, price, volume; trading_date as for
 * ticks. volume is the real quantity as the feed sent it (fractions kept; the recorder
 * stores it in lot-step units, src/meta/units.ts); ttype is datakit's char code (77 'M'
 * match, 67 'C' cancel, 85 'U' unknown; absent: 'U'); side 'B', 'S' or ' ' as a char code.
 */
export type TradeInput = StructInput<typeof TRADE, 'exchg' | 'code' | 'action_date' | 'action_time' | 'price' | 'volume'>;

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

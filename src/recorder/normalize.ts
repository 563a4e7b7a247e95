// Normalization: the documented rules that turn what feeds send into records that are
// safe to store. Pure logic over per-instrument state; no I/O (the state of an
// instrument already on disk is handed in through `recover`).
//
// RULES (docs/protocol.md, "Normalization rules", is generated from this list):
// N1 names: exchg and code must pass the name rule (src/layout/names.ts) → else bad_name.
// N2 price: must be finite and below 1e300 (CTP's DBL_MAX means "no value") → else bad_price.
// N3 every other number: NaN, ±Infinity or |v| >= 1e300 becomes 0 ("no value"); book
//    levels past the tenth are ignored.
// N4 dates: action_date must be a valid YYYYMMDD in 1990..2099 and action_time a valid
//    HHMMSSmmm → else bad_date.
// N5 trading date: the feed's when it gives a valid one; otherwise the session rule of
//    src/calendar/trading-day.ts; otherwise (no session known) the action date.
// N6 order: a tick of an earlier trading day than the instrument's last, or with an
//    earlier (action_date, action_time) within the same trading day → out_of_order.
// N7 duplicate: same time, price, cumulative volume as sent (the per-tick volume when the
//    feed sends no total), turnover, open interest and best bid/ask (price and
//    quantity) as ANY tick already accepted at that same time → duplicate (a snapshot or
//    a batch resent after a reconnect, or the same tick from a second feed). Feeds
//    stamp several ticks with one time (SHFE: 500 ms), so every tick of the current
//    time is remembered, not only the last one.
// N8 per-tick volume: with a cumulative total_volume, volume = total_volume − the
//    highest total seen this trading day (never negative: a regression, as after a
//    reconnect, gives volume 0 and is counted, the base stays at the highest). The first
//    tick of a trading day: the feed's volume if given, else total_volume. Without a
//    total, the feed's volume is used and the total is accumulated. Turnover likewise.
//    Differences and sums are decimal (src/format/decimal.ts): 5.171 − 5 is 0.171, no float noise.
// N9 diff_interest: open_interest − the previous tick's, unless the feed gives it.
// N10 session (ticks; checked right after N5, before the instrument's state is touched):
//    for an instrument with a session, a tick outside its sections and auction (±
//    session_filter.grace_ms, default 60 s), or whose feed-given trading date is not the
//    session rule's for its time, or (with roll_by_clock) dated more than
//    session_filter.future_ms (4 h) after it was received → off_session. It never sets the N8 baseline. Details in
//    src/recorder/session-filter.ts.
// N11 bounds (one bad message must not poison what follows: N6 compares every later
//    tick with the last one accepted): the instant of a tick or trade (action_date +
//    action_time in its session's time zone, UTC without one) may be at most
//    limits.max_ahead_ms (default 5 min) ahead of the recorder's clock (when the clock
//    is the data's: storage.roll_by_clock) → else ahead_of_clock; a trading date the feed gives must lie between 7 days before and 14
//    days after action_date (a Friday night session, a week of holidays) → else
//    bad_trading_date. Checked before the instrument's state changes.
// Trades: N1, N2, N4, N11, N5, N6; the quantity is stored in integer units of the
// instrument's volume unit (src/meta/units.ts): finer than the unit → volume_precision,
// more units than a u32 holds or negative → out_of_range (never rounded);
// ids (index, askorder, bidorder) that are not safe integers become 0; ttype is stored as
// datakit's char code: 77 'M' match, 67 'C' cancel, 85 'U' unknown (no ttype given: 'U');
// any other value → out_of_range;
// duplicate: a positive trade index not above the last one of the day, or (index 0)
// the same time, price, volume and side as the last trade.

import type { Session, SessionBook } from '../calendar/index.js';
import { tradingDateOf } from '../calendar/index.js';
import { assert } from '../assert.js';
import { TICK_MAX_LEVELS, type RejectReason, type TickInput, type TradeInput } from '../feed/types.js';
import { compileFunction } from '../format/compile.js';
import {
  SIDE_BUY,
  SIDE_SELL,
  SIDE_UNKNOWN,
  TICK,
  TRADE,
  TTYPE_UNKNOWN,
  decimalAdd,
  decimalSub,
  isRecordDate,
  isTradeType,
  timeKey,
  valueFields,
  zeroRecord,
  type FullTick,
  type Trade,
} from '../format/index.js';
import { quantityToUnits } from '../meta/units.js';
import { CODE_MAX_CHARS, EXCHG_MAX_CHARS, nameProblem } from '../layout/index.js';
import { ExchangeClock } from './exchange-clock.js';
import { SESSION_FUTURE_MS_DEFAULT, SESSION_GRACE_MS_DEFAULT, sessionProblem } from './session-filter.js';

const NO_VALUE = 1e300;

export function clean(v: number | undefined | null): number {
  return typeof v === 'number' && v === v && v < NO_VALUE && v > -NO_VALUE ? v : 0;
}

/** A safe integer, or 0 ("no value") for anything else (ids of the i64 fields). */
export function safeInt(v: number | undefined | null): number {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : 0;
}

/** A record's date (src/format/time.ts isRecordDate). */
export const validDate = isRecordDate;

export function validTime(t: unknown): boolean {
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 235959999) return false;
  return Math.floor(t / 100000) % 100 < 60 && Math.floor(t / 1000) % 100 < 60;
}

/** The state of one instrument, as the last stored record left it. */
export interface InstrumentState {
  tradingDate: number;
  actionDate: number;
  actionTime: number;
  /** Highest cumulative volume seen this trading day (the base of N8). */
  volumeBase: number;
  turnoverBase: number;
  openInterest: number;
  /** N7 fingerprints of the ticks accepted at (actionDate, actionTime), FP_SIZE numbers each. */
  fp: number[];
  fpCount: number;
  /** Trades: last index and the fields of N7 for trades. */
  tradeIndex: number;
  tradeKey: number;
  tradePrice: number;
  tradeVolume: number;
  tradeSide: number;
  tradeDate: number;
  /** Decimals of the instrument's stored trade volume unit (10^-d); 0 = whole units. */
  volumeDecimals: number;
  /** N11: the latest time key allowed when last looked (0: not looked yet); looked again only when a tick passes it. */
  aheadKey: number;
  /**
   * The instrument's session (N5, N10), looked up when the state is made (state()):
   * sessions are fixed for a run (a reload changes holidays only), so a known
   * instrument's ticks need no session lookup.
   */
  session: Session | undefined;
}

export function emptyState(): InstrumentState {
  return {
    tradingDate: 0,
    actionDate: 0,
    actionTime: 0,
    volumeBase: 0,
    turnoverBase: 0,
    openInterest: 0,
    fp: [],
    fpCount: 0,
    tradeIndex: 0,
    tradeKey: 0,
    tradePrice: 0,
    tradeVolume: 0,
    tradeSide: 0,
    tradeDate: 0,
    volumeDecimals: 0,
    aheadKey: 0,
    session: undefined,
  };
}

/** A normalized tick: every record field present, ready for the writer's encoder. */
export type TickRecord = FullTick;

/** A normalized trade: every record field present. */
export type TradeRecord = Required<Trade>;

export type Verdict = { ok: true } | { ok: false; reason: RejectReason; detail: string };
const OK: Verdict = { ok: true };
const reject = (reason: RejectReason, detail: string): Verdict => ({ ok: false, reason, detail });

/** N11: a feed's trading date may lie this many days before / after the action date. */
export const TRADING_DATE_DAYS_BEFORE = 7;
export const TRADING_DATE_DAYS_AFTER = 14;

/** N11: the clock a tick may not run ahead of. */
export interface ClockBound {
  /** How far a tick may be ahead of the recorder's clock, ms (for the message). */
  maxAheadMs: number;
  /**
   * The latest time key (see timeKey) an instrument's tick may have now: the recorder's
   * clock plus maxAheadMs, as a local date and time in the instrument's time zone.
   */
  limitKey: (exchg: string, code: string) => number;
}

/** Day number (days since 1970-01-01) of a valid YYYYMMDD. */
function dayNumber(d: number): number {
  return Date.UTC(Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, d % 100) / 86_400_000;
}

export interface NormalizerOptions {
  sessions: SessionBook;
  /** N11's clock bound; without it, ticks are not compared with a clock (tests, tools). */
  clock?: ClockBound;
  /** State of an instrument not seen yet in this run (from its file), or undefined. */
  recover: (kind: 'tick' | 'trade', exchg: string, code: string, tradingDate: number) => InstrumentState | undefined;
  /**
   * Called once per instrument and kind before its first record in a run: makes sure the
   * instrument's metadata is in the data root and returns its volume decimals (default:
   * 0, whole units). May throw (an I/O error): then nothing of the record is stored.
   */
  instrument?: (exchg: string, code: string) => number;
  /** N10 on (default true). */
  sessionFilter?: boolean;
  /** N10's grace around sections and auctions, and for (c), ms (default 60 000). */
  sessionGraceMs?: number;
  /** N10 (c): how far after its receipt a tick may be dated, ms (default 4 h). */
  sessionFutureMs?: number;
  /** The receive time of the tick being normalized (epoch ms) for N10 (c); without it (c) is off. */
  receivedMs?: () => number;
}

/** Numbers in one N7 fingerprint: price, hasTotal, total or volume, turnover, oi, bid1, ask1, bidQty1, askQty1. */
export const FP_SIZE = 9;
/** Most fingerprints kept for one timestamp (a bound: past it, older ones are overwritten). */
const FP_MAX = 256;

function fpFind(st: InstrumentState, f: readonly number[]): boolean {
  const fp = st.fp;
  for (let k = 0; k < st.fpCount; k++) {
    const b = k * FP_SIZE;
    let same = true;
    for (let j = 0; j < FP_SIZE && same; j++) same = fp[b + j] === f[j];
    if (same) return true;
  }
  return false;
}

function fpAdd(st: InstrumentState, f: readonly number[]): void {
  const slot = st.fpCount < FP_MAX ? st.fpCount++ : FP_MAX - 1;
  const b = slot * FP_SIZE;
  for (let j = 0; j < FP_SIZE; j++) st.fp[b + j] = f[j]!;
}

function level1(src: readonly number[] | undefined): number {
  return src && src.length > 0 ? clean(src[0]) : 0;
}

function copyLevels(src: readonly number[] | undefined, dst: number[]): void {
  const n = src ? Math.min(src.length, TICK_MAX_LEVELS) : 0;
  for (let i = 0; i < TICK_MAX_LEVELS; i++) dst[i] = i < n ? clean(src![i]) : 0;
}

/** The tick fields whose stored value a rule of its own computes (N1, N2, N4, N5, N8, N9). */
const TICK_RULED_FIELDS: ReadonlySet<string> = new Set([
  'exchg',
  'code',
  'price',
  'trading_date',
  'action_date',
  'action_time',
  'total_volume',
  'volume',
  'total_turnover',
  'turn_over',
  'open_interest',
  'diff_interest',
]);

/**
 * N3 for every other field of the tick record: a number through clean(), a book-level
 * array through copyLevels(). Compiled once from the field table (straight-line code,
 * literal names: no per-tick lookup or allocation), so a field added to TICK is stored.
 */
const copyPlainFields = compileFunction<(o: TickRecord, x: TickInput) => void>(
  ['clean', 'copyLevels'],
  `return function copyPlainFields(o, x) {\n${valueFields(TICK)
    .filter((f) => !TICK_RULED_FIELDS.has(f.name))
    .map((f) => {
      assert(/^[a-z_][a-z0-9_]*$/.test(f.name) && f.type !== 'char', `tick field ${f.name}: a plain numeric identifier`);
      return f.isArray ? `  copyLevels(x.${f.name}, o.${f.name});` : `  o.${f.name} = clean(x.${f.name});`;
    })
    .join('\n')}\n};`,
  clean,
  copyLevels,
);

/** A zero trade record with datakit's "unknown" ttype and side. */
function emptyTradeRecord(): TradeRecord {
  const t = zeroRecord(TRADE);
  t.ttype = TTYPE_UNKNOWN;
  t.side = SIDE_UNKNOWN;
  return t;
}

/** N6 for a tick: OK, or out_of_order when it is older than the instrument's last accepted tick. */
function tickOrder(x: TickInput, td: number, st: InstrumentState): Verdict {
  if (st.tradingDate === 0) return OK;
  if (td < st.tradingDate) return reject('out_of_order', `tick ${x.exchg}.${x.code}: trading date ${td} before ${st.tradingDate}`);
  if (td === st.tradingDate && (x.action_date < st.actionDate || (x.action_date === st.actionDate && x.action_time < st.actionTime))) {
    return reject('out_of_order', `tick ${x.exchg}.${x.code}: ${x.action_date} ${x.action_time} before ${st.actionDate} ${st.actionTime}`);
  }
  return OK;
}

export class Normalizer {
  /** Scratch fingerprint of the tick being checked (N7). */
  private readonly fpScratch: number[] = new Array<number>(FP_SIZE).fill(0);
  /** Exchange → codes whose names passed the name rule (see common()). */
  private readonly namesOk = new Map<string, Set<string>>();
  private readonly exchangeClock = new ExchangeClock();
  private readonly sessionGraceMs: number;
  private readonly sessionFutureMs: number;
  /**
   * N10 (b): per session, the session rule's trading date of the last (date, part of day)
   * asked. Per session, not one entry: ticks of instruments of different sessions
   * interleave, and one shared entry missed on almost every tick (tradingDateOf builds Dates).
   */
  private readonly ruleCache = new Map<Session, { date: number; part: number; td: number }>();
  /** sessionProblem's rule, bound once (not a closure per tick). */
  private readonly ruleDateFn = (s: Session, date: number, time: number): number => this.ruleTradingDate(s, date, time);
  /** Counted, not rejected: ticks whose cumulative volume went down (N8). */
  volumeRegressions = 0;
  private readonly states = {
    tick: new Map<string, Map<string, InstrumentState>>(),
    trade: new Map<string, Map<string, InstrumentState>>(),
  };
  /** Reused output records (every field of the record, in table order): the hot path allocates nothing per tick. */
  readonly tickOut: TickRecord = zeroRecord(TICK);
  readonly tradeOut: TradeRecord = emptyTradeRecord();

  /** N11: the last (trading date, action date) pair found in range. */
  private tdOk = { td: 0, ad: 0 };

  constructor(private readonly opts: NormalizerOptions) {
    this.sessionGraceMs = opts.sessionGraceMs ?? SESSION_GRACE_MS_DEFAULT;
    this.sessionFutureMs = opts.sessionFutureMs ?? SESSION_FUTURE_MS_DEFAULT;
  }

  /** The holidays changed (SIGHUP reload): trading dates remembered from the old calendar are forgotten. */
  calendarChanged(): void {
    this.ruleCache.clear();
  }

  /** N10: why the tick is off its session, or null. `st`: the instrument's state when it has one. */
  private offSession(x: TickInput, st: InstrumentState | undefined): string | null {
    if (this.opts.sessionFilter === false) return null;
    const s = st !== undefined ? st.session : this.opts.sessions.sessionOf(x.exchg, x.code);
    if (s === undefined) return null;
    const given = validDate(x.trading_date) ? x.trading_date : 0;
    const received = this.opts.receivedMs;
    const rcv = received === undefined ? NaN : received();
    const exMs = received === undefined ? NaN : this.exchangeClock.epochMs(x.action_date, x.action_time, s.timezone);
    return sessionProblem(
      s,
      this.opts.sessions.holidays,
      x.action_date,
      x.action_time,
      given,
      exMs,
      rcv,
      this.sessionGraceMs,
      this.sessionFutureMs,
      this.ruleDateFn,
    );
  }

  /** tradingDateOf, remembered for the last (session, date, part of day): night ticks would otherwise build Dates per tick. */
  private ruleTradingDate(s: Session, date: number, time: number): number {
    // tradingDateOf depends on the date and on which of these parts the minute is in.
    const minute = Math.floor(time / 10000000) * 60 + (Math.floor(time / 100000) % 100);
    const part = s.dayStarts !== undefined && minute >= s.dayStarts ? 2 : minute < 360 ? 1 : 0;
    const c = this.ruleCache.get(s);
    if (c !== undefined && c.date === date && c.part === part) return c.td;
    const td = tradingDateOf(s, date, time, this.opts.sessions.holidays);
    if (c === undefined) this.ruleCache.set(s, { date, part, td });
    else {
      c.date = date;
      c.part = part;
      c.td = td;
    }
    return td;
  }

  /**
   * N11 (see the rules above); OK or the rejection. Per tick: one comparison with the
   * instrument's cached limit; the clock is read (and the limit moved) only when a tick
   * passes the limit, about once per max_ahead_ms of market time.
   */
  private bounds(x: TickInput | TradeInput, what: string, st: InstrumentState): Verdict {
    const td = x.trading_date;
    if (validDate(td) && td !== x.action_date && !(td === this.tdOk.td && x.action_date === this.tdOk.ad)) {
      const lead = dayNumber(td) - dayNumber(x.action_date);
      if (lead < -TRADING_DATE_DAYS_BEFORE || lead > TRADING_DATE_DAYS_AFTER) {
        return reject(
          'bad_trading_date',
          `${what} ${x.exchg}.${x.code}: trading date ${td} is ${lead} days from action date ${x.action_date} (allowed ${-TRADING_DATE_DAYS_BEFORE}..${TRADING_DATE_DAYS_AFTER})`,
        );
      }
      this.tdOk = { td: td, ad: x.action_date };
    }
    const c = this.opts.clock;
    if (c) {
      const key = timeKey(x.action_date, x.action_time);
      if (key > st.aheadKey) st.aheadKey = c.limitKey(x.exchg, x.code);
      if (key > st.aheadKey) {
        return reject(
          'ahead_of_clock',
          `${what} ${x.exchg}.${x.code}: ${x.action_date} ${x.action_time} is more than ${c.maxAheadMs / 1000} s ahead of the recorder's clock (limits.max_ahead_ms)`,
        );
      }
    }
    return OK;
  }

  private common(x: TickInput | TradeInput, what: string, namesChecked: boolean): Verdict {
    // N1 (names) once per instrument: a name pair that passed is remembered (two Map
    // lookups per tick instead of two regular expressions), and an instrument with a
    // state has passed it (`namesChecked`: no lookup at all).
    if (!namesChecked && this.namesOk.get(x.exchg)?.has(x.code) !== true) {
      const pe = nameProblem(x.exchg, EXCHG_MAX_CHARS);
      if (pe) return reject('bad_name', `${what}: exchange '${String(x.exchg).slice(0, 32)}': ${pe}`);
      const pc = nameProblem(x.code, CODE_MAX_CHARS);
      if (pc) return reject('bad_name', `${what} ${x.exchg}: code '${String(x.code).slice(0, 40)}': ${pc}`);
      let codes = this.namesOk.get(x.exchg);
      if (codes === undefined) {
        if (this.namesOk.size > 10_000) this.namesOk.clear();
        this.namesOk.set(x.exchg, (codes = new Set()));
      }
      if (codes.size > 100_000) codes.clear();
      codes.add(x.code);
    }
    if (typeof x.price !== 'number' || !(x.price === x.price) || x.price >= NO_VALUE || x.price <= -NO_VALUE) {
      return reject('bad_price', `${what} ${x.exchg}.${x.code}: price ${String(x.price).slice(0, 32)} is not a usable price`);
    }
    if (!validDate(x.action_date) || !validTime(x.action_time)) {
      return reject('bad_date', `${what} ${x.exchg}.${x.code}: action_date ${x.action_date} / action_time ${x.action_time} invalid`);
    }
    return OK;
  }

  private tradingDate(x: TickInput | TradeInput, st: InstrumentState | undefined): number {
    if (validDate(x.trading_date)) return x.trading_date;
    const s = st !== undefined ? st.session : this.opts.sessions.sessionOf(x.exchg, x.code);
    return s ? tradingDateOf(s, x.action_date, x.action_time, this.opts.sessions.holidays) : x.action_date;
  }

  private state(kind: 'tick' | 'trade', exchg: string, code: string, tradingDate: number): InstrumentState {
    const byExchg = this.states[kind];
    let byCode = byExchg.get(exchg);
    if (!byCode) byExchg.set(exchg, (byCode = new Map<string, InstrumentState>()));
    let st = byCode.get(code);
    if (!st) {
      const volumeDecimals = this.opts.instrument?.(exchg, code) ?? 0;
      st = this.opts.recover(kind, exchg, code, tradingDate) ?? emptyState();
      st.volumeDecimals = volumeDecimals;
      st.session = this.opts.sessions.sessionOf(exchg, code);
      byCode.set(code, st);
    }
    return st;
  }

  /** Applies N1–N11; on success the record is in `tickOut` and the state advanced. */
  tick(x: TickInput): Verdict {
    // A state exists only for a name pair that passed N1 (state() runs after common()).
    const known = this.states.tick.get(x.exchg)?.get(x.code);
    const v = this.common(x, 'tick', known !== undefined);
    if (!v.ok) return v;
    const td = this.tradingDate(x, known);
    const off = this.offSession(x, known);
    if (off !== null) return reject('off_session', `tick ${x.exchg}.${x.code}: ${off}`);
    const st = known ?? this.state('tick', x.exchg, x.code, td);
    const b = this.bounds(x, 'tick', st);
    if (!b.ok) return b;
    const order = tickOrder(x, td, st);
    if (!order.ok) return order;
    const sameDay = td === st.tradingDate;
    const sameTime = sameDay && x.action_date === st.actionDate && x.action_time === st.actionTime;
    if (this.duplicateTick(x, st, sameTime)) {
      return reject('duplicate', `tick ${x.exchg}.${x.code}: same as a tick already recorded at ${x.action_date} ${x.action_time}`);
    }
    const o = this.tickOut;
    o.exchg = x.exchg;
    o.code = x.code;
    o.price = x.price;
    o.trading_date = td;
    o.action_date = x.action_date;
    o.action_time = x.action_time;
    copyPlainFields(o, x);
    this.volumes(x, o, st, sameDay);
    o.open_interest = clean(x.open_interest);
    o.diff_interest =
      x.diff_interest !== undefined && x.diff_interest !== null
        ? clean(x.diff_interest)
        : sameDay || st.openInterest !== 0
          ? decimalSub(o.open_interest, st.openInterest) // N9
          : 0;
    st.tradingDate = td;
    st.actionDate = x.action_date;
    st.actionTime = x.action_time;
    st.openInterest = o.open_interest;
    return OK;
  }

  /**
   * N7, decided on what the feed sent: true when the tick matches one already accepted at
   * its time; else its fingerprint is remembered (the list starts again at a new time).
   */
  private duplicateTick(x: TickInput, st: InstrumentState, sameTime: boolean): boolean {
    const hasTotal = x.total_volume !== undefined && x.total_volume !== null;
    const f = this.fpScratch;
    f[0] = x.price;
    f[1] = hasTotal ? 1 : 0;
    f[2] = hasTotal ? clean(x.total_volume) : clean(x.volume);
    f[3] = clean(x.total_turnover);
    f[4] = clean(x.open_interest);
    f[5] = level1(x.bid_prices);
    f[6] = level1(x.ask_prices);
    f[7] = level1(x.bid_qty);
    f[8] = level1(x.ask_qty);
    if (sameTime && fpFind(st, f)) return true;
    if (!sameTime) st.fpCount = 0;
    fpAdd(st, f);
    return false;
  }

  /** N8: the stored cumulative and per-tick volume and turnover, and the day's bases in `st`. */
  private volumes(x: TickInput, o: TickRecord, st: InstrumentState, sameDay: boolean): void {
    const givenVol = clean(x.volume);
    const givenTurn = clean(x.turn_over);
    o.total_volume = clean(x.total_volume);
    o.total_turnover = clean(x.total_turnover);
    if (!sameDay) {
      st.volumeBase = 0;
      st.turnoverBase = 0;
    }
    if (x.total_volume !== undefined && x.total_volume !== null) {
      if (!sameDay) o.volume = x.volume !== undefined ? givenVol : o.total_volume;
      else if (o.total_volume >= st.volumeBase) o.volume = decimalSub(o.total_volume, st.volumeBase);
      else {
        o.volume = 0;
        this.volumeRegressions++;
      }
      if (o.total_volume > st.volumeBase) st.volumeBase = o.total_volume;
    } else {
      o.volume = givenVol;
      st.volumeBase = decimalAdd(st.volumeBase, givenVol);
      o.total_volume = st.volumeBase;
    }
    if (x.total_turnover !== undefined && x.total_turnover !== null) {
      if (!sameDay) o.turn_over = x.turn_over !== undefined ? givenTurn : o.total_turnover;
      else o.turn_over = o.total_turnover >= st.turnoverBase ? decimalSub(o.total_turnover, st.turnoverBase) : 0;
      if (o.total_turnover > st.turnoverBase) st.turnoverBase = o.total_turnover;
    } else {
      o.turn_over = givenTurn;
      st.turnoverBase = decimalAdd(st.turnoverBase, givenTurn);
      o.total_turnover = st.turnoverBase;
    }
  }

  /** Trade rules; on success the record is in `tradeOut`. */
  trade(x: TradeInput): Verdict {
    const known = this.states.trade.get(x.exchg)?.get(x.code);
    const v = this.common(x, 'trade', known !== undefined);
    if (!v.ok) return v;
    const ttype = x.ttype === undefined ? TTYPE_UNKNOWN : x.ttype;
    if (!isTradeType(ttype)) {
      return reject(
        'out_of_range',
        `trade ${x.exchg}.${x.code}: ttype ${String(x.ttype).slice(0, 32)} is not 77 'M' (match), 67 'C' (cancel) or 85 'U' (unknown)`,
      );
    }
    const td = this.tradingDate(x, known);
    const st = known ?? this.state('trade', x.exchg, x.code, td);
    const b = this.bounds(x, 'trade', st);
    if (!b.ok) return b;
    const units = quantityToUnits(typeof x.volume === 'number' ? x.volume : NaN, st.volumeDecimals);
    if (!units.ok) return reject(units.reason, `trade ${x.exchg}.${x.code}: ${units.detail}`);
    const vol = units.units;
    const key = timeKey(x.action_date, x.action_time);
    const index = safeInt(x.index);
    const side = x.side === SIDE_BUY || x.side === SIDE_SELL ? x.side : SIDE_UNKNOWN;
    if (st.tradeDate !== 0) {
      if (td < st.tradeDate || (td === st.tradeDate && key < st.tradeKey)) {
        return reject('out_of_order', `trade ${x.exchg}.${x.code}: ${x.action_date} ${x.action_time} before the last trade`);
      }
      if (td === st.tradeDate) {
        const dup =
          index > 0
            ? index <= st.tradeIndex
            : key === st.tradeKey && x.price === st.tradePrice && vol === st.tradeVolume && side === st.tradeSide;
        if (dup)
          return reject('duplicate', `trade ${x.exchg}.${x.code}: index ${index} at ${x.action_date} ${x.action_time} already recorded`);
      }
    }
    const o = this.tradeOut;
    o.exchg = x.exchg;
    o.code = x.code;
    o.trading_date = td;
    o.action_date = x.action_date;
    o.action_time = x.action_time;
    o.index = index;
    o.ttype = ttype;
    o.side = side;
    o.price = x.price;
    o.volume = vol;
    o.askorder = safeInt(x.askorder);
    o.bidorder = safeInt(x.bidorder);
    st.tradeIndex = td === st.tradeDate ? Math.max(index, st.tradeIndex) : index;
    st.tradeDate = td;
    st.tradeKey = key;
    st.tradePrice = x.price;
    st.tradeVolume = vol;
    st.tradeSide = side;
    return OK;
  }
}

/**
 * The state stored records leave (for recovery after a restart): `last` is the last
 * record; `sameTime` are the records before it with the same time (newest first), whose
 * fingerprints N7 needs to recognise a resent batch.
 */
export function stateFromTick(last: Record<string, unknown>, sameTime: readonly Record<string, unknown>[] = []): InstrumentState {
  const s = emptyState();
  const n = (r: Record<string, unknown>, k: string) => (typeof r[k] === 'number' ? r[k] : 0);
  const first = (r: Record<string, unknown>, k: string) => {
    const a = r[k] as ArrayLike<number> | undefined;
    return a && a.length > 0 ? a[0]! : 0;
  };
  s.tradingDate = n(last, 'trading_date');
  s.actionDate = n(last, 'action_date');
  s.actionTime = n(last, 'action_time');
  s.volumeBase = n(last, 'total_volume');
  s.turnoverBase = n(last, 'total_turnover');
  s.openInterest = n(last, 'open_interest');
  // N7 fingerprints what the FEED sent (hasTotal, and its total or per-tick volume and
  // turnover); a stored record holds the totals N8 made, whichever the feed sent. So each
  // stored tick gives every message it can have come from: cumulative totals; per-tick
  // volume with cumulative turnover; per-tick volume and turnover (turnover 0 in the
  // fingerprint, as the live path's clean(undefined)). A fresh tick matches one of them
  // only if it is that message again (hasTotal is part of the fingerprint).
  for (const r of [...sameTime].reverse().concat([last])) {
    if (n(r, 'action_date') !== s.actionDate || n(r, 'action_time') !== s.actionTime) continue;
    const book = [n(r, 'open_interest'), first(r, 'bid_prices'), first(r, 'ask_prices'), first(r, 'bid_qty'), first(r, 'ask_qty')];
    const price = n(r, 'price');
    const turnover = n(r, 'total_turnover');
    fpAdd(s, [price, 1, n(r, 'total_volume'), turnover, ...book]);
    fpAdd(s, [price, 0, n(r, 'volume'), turnover, ...book]);
    if (turnover !== 0) fpAdd(s, [price, 0, n(r, 'volume'), 0, ...book]);
  }
  return s;
}

export function stateFromTrade(r: Record<string, unknown>): InstrumentState {
  const s = emptyState();
  const n = (k: string) => (typeof r[k] === 'number' ? r[k] : 0);
  s.tradeDate = n('trading_date');
  s.tradeKey = timeKey(n('action_date'), n('action_time'));
  s.tradeIndex = n('index');
  s.tradePrice = n('price');
  s.tradeVolume = n('volume');
  s.tradeSide = n('side');
  return s;
}

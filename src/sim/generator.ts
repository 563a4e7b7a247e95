// A pure, seeded tick generator: random-walk prices on the tick size within daily limits, cumulative volumes, a book, and CTP's date rules.
//
// Determinism: the output depends only on the seed, the instrument list and the
// sequence of simulated times passed to next(); no clock, no Math.random. Every call
// with a time at which some instrument trades yields exactly one tick (of a seeded
// random instrument among those in session); otherwise it yields undefined and draws
// nothing from the PRNG.
//
// Rules the ticks follow (the tests hold each one):
// - prices are whole multiples of the tick size, strictly inside [lower_limit, upper_limit]
//   with room for the whole book (limits are pre_settle ± limitPct, rounded inward to the
//   tick; crypto has no limits: 0);
// - bid_prices[0] < ask_prices[0], one tick apart, the last price on one of them; 5 levels
//   (10 for crypto), each one tick further out;
// - volume >= 1 lot on every tick, total_volume/total_turnover cumulative over the trading
//   day, volume/turn_over/diff_interest the change since the instrument's previous tick;
// - open/high/low of the trading day; settle_price 0 (not known intraday); at a new
//   trading day pre_close = last price, pre_settle = the day's VWAP on the tick,
//   pre_interest = open interest, and the cumulative fields restart from 0;
// - ticks only inside the instrument's sections (crypto: always); SHFE/INE action_time
//   millis are 0 or 500; action_date is the local calendar date; trading_date is the
//   calendar date for day sessions, the next weekday for a night session (Friday night
//   → Monday), and the same for its after-midnight tail (Saturday 02:00 → Monday).

import type { FullTick } from '../format/tick.js';
import { DAY_MS, dayToYmd, futuresTradingDay, msOfDayToTime, sectionOpen } from './calendar.js';
import { ascii, type JsonBytes } from './bytes.js';
import { Prng } from './prng.js';
import type { Instrument } from './universe.js';

/** A generated tick: every TickInput field, all present and finite. */
export type SimTick = FullTick;

/** The trade print of a tick (one aggregated print per tick). */
export interface SimTrade {
  exchg: string;
  code: string;
  price: number;
  volume: number;
  /** Aggressor: 'B' when the price is on the ask, 'S' when on the bid. */
  side: 'B' | 'S';
  /** Per-instrument print number, 1, 2, 3... since the generator started. */
  index: number;
  action_date: number;
  action_time: number;
  trading_date: number;
}

export interface GeneratorOptions {
  seed: number;
  instruments: readonly Instrument[];
  /** Simulated epoch ms of the clock start; earlier times passed to next() are raised to it. */
  startMs?: number;
  /** Scales the size of price moves (default 1); large values drive prices to the limits. */
  volatility?: number;
}

export interface Generator {
  readonly instruments: readonly Instrument[];
  /** One tick at simulated time `simNowMs` (epoch ms; non-decreasing), or undefined when nothing trades then. */
  next(simNowMs: number): SimTick | undefined;
  /**
   * Appends the JSON of the last tick next() returned to `out`, byte-identical to
   * tickJson(tick) but written from the integer state, without strings. False when none.
   */
  writeLast(out: JsonBytes): boolean;
  /** The trade print of the last tick next() returned (draws nothing: enabling trades never changes the ticks). */
  lastTrade(): SimTrade | undefined;
}

interface State {
  inst: Instrument;
  /** tickSize = tickNum / pow10, exactly. */
  tickNum: number;
  pow10: number;
  /** 1 / lot: volumes are integer lots / lotDiv. */
  lotDiv: number;
  /** turnover = money units / moneyDiv; one price tick × one lot = moneyMul units. */
  moneyMul: number;
  moneyDiv: number;
  baseTicks: number;
  /** Book quantities are uniform in 1..qSpan lots. */
  qSpan: number;
  volTicks: number;
  /** Last price in ticks. */
  p: number;
  tradingDay: number;
  tradingYmd: number;
  open: number;
  high: number;
  low: number;
  totalLots: number;
  /** Cumulative turnover of the day in money units (see moneyMul). */
  turnover: number;
  /** Σ price_ticks × lots of the day, for the VWAP settlement. */
  pxLots: number;
  oi: number;
  preClose: number;
  preSettle: number;
  preInterest: number;
  upper: number;
  lower: number;
  seq: number;
  /** The last tick's book quantities, in lots (for writeLast). */
  bidLots: Int32Array;
  askLots: Int32Array;
  /** Decimals of the price, of a lot, of turnover money units. */
  priceDec: number;
  lotDec: number;
  moneyDec: number;
  /** JSON pieces: the head up to "price":, and the day's constant fields. */
  jsonHead: Uint8Array;
  jsonLimits: Uint8Array;
  jsonPre: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function decimalsOf(x: number): number {
  const s = String(x);
  if (s.includes('e')) throw new RangeError(`tick size ${x}: use a plain decimal`);
  return (s.split('.')[1] ?? '').length;
}

const K_OPEN = ascii(',"open":');
const K_HIGH = ascii(',"high":');
const K_LOW = ascii(',"low":');
const K_TOTAL_VOLUME = ascii(',"total_volume":');
const K_VOLUME = ascii(',"volume":');
const K_TOTAL_TURNOVER = ascii(',"total_turnover":');
const K_TURN_OVER = ascii(',"turn_over":');
const K_OPEN_INTEREST = ascii(',"open_interest":');
const K_DIFF_INTEREST = ascii(',"diff_interest":');
const K_TRADING_DATE = ascii(',"trading_date":');
const K_ACTION_DATE = ascii(',"action_date":');
const K_ACTION_TIME = ascii(',"action_time":');
const K_BID_PRICES = ascii(',"bid_prices":[');
const K_ASK_PRICES = ascii('],"ask_prices":[');
const K_BID_QTY = ascii('],"bid_qty":[');
const K_ASK_QTY = ascii('],"ask_qty":[');
const K_END = ascii(']}');
/** More than one tick's JSON can take (10 levels, every number at its longest). */
const MAX_TICK_BYTES = 4096;

export function createGenerator(options: GeneratorOptions): Generator {
  const { instruments } = options;
  const volatility = options.volatility ?? 1;
  if (!(Number.isFinite(volatility) && volatility > 0)) throw new RangeError(`volatility ${volatility}: a number > 0`);
  const rng = new Prng(options.seed);
  const states: State[] = instruments.map((inst) => initialState(inst, rng, volatility));
  const sessions = new OpenSessions(instruments);
  let lastT = options.startMs ?? -Infinity;
  let last: LastTick | undefined;

  return {
    instruments,
    next(simNowMs: number): SimTick | undefined {
      let t = Math.floor(simNowMs);
      if (t < lastT) t = lastT;
      lastT = t;
      const open = sessions.openAt(t);
      if (open.length === 0) {
        last = undefined;
        return undefined;
      }
      const i = open[open.length === 1 ? 0 : rng.int(open.length)]!;
      const s = states[i]!;
      const day = sessions.tradingDay[i]!;
      if (day !== s.tradingDay) rollDay(s, day, sessions.ymd(day));
      last = nextTick(s, rng, t, sessions.actionYmd[i]!, sessions.dayStartMs[i]!);
      return last.tick;
    },
    writeLast(out: JsonBytes): boolean {
      if (!last) return false;
      writeTickJson(out, last);
      return true;
    },
    lastTrade(): SimTrade | undefined {
      return last ? tradeOf(last) : undefined;
    },
  };
}

/** The last tick next() made, with what writeLast and lastTrade need of it. */
interface LastTick {
  s: State;
  tick: SimTick;
  buy: boolean;
  lots: number;
  bid1: number;
  moneyUnits: number;
}

/** An instrument's state before its first tick: a seeded start within ±1% of its base level (draws one number). */
function initialState(inst: Instrument, rng: Prng, volatility: number): State {
  const pow10 = 10 ** decimalsOf(inst.tickSize);
  const tickNum = Math.round(inst.tickSize * pow10);
  const baseTicks = Math.round(inst.basePrice / inst.tickSize);
  const p = Math.max(inst.levels + 1, Math.round(baseTicks * (1 + (rng.float() - 0.5) * 0.02)));
  return {
    inst,
    tickNum,
    pow10,
    lotDiv: Math.round(1 / inst.lot),
    moneyMul: tickNum * inst.multiplier,
    moneyDiv: pow10 * Math.round(1 / inst.lot),
    baseTicks,
    qSpan: Math.max(2, Math.round(inst.meanLots * 6)),
    volTicks: Math.max(1, Math.round(baseTicks * 0.00015 * volatility)),
    p,
    tradingDay: -1,
    tradingYmd: 0,
    open: 0,
    high: 0,
    low: 0,
    totalLots: 0,
    turnover: 0,
    pxLots: 0,
    oi: inst.baseOpenInterest,
    preClose: p,
    preSettle: p,
    preInterest: inst.baseOpenInterest,
    upper: 0,
    lower: 0,
    seq: 0,
    bidLots: new Int32Array(inst.levels),
    askLots: new Int32Array(inst.levels),
    priceDec: decimalsOf(inst.tickSize),
    lotDec: Math.round(Math.log10(Math.round(1 / inst.lot))),
    moneyDec: decimalsOf(inst.tickSize) + Math.round(Math.log10(Math.round(1 / inst.lot))),
    jsonHead: ascii('{"type":"tick","exchg":"' + inst.exchg + '","code":"' + inst.code + '","price":'),
    jsonLimits: EMPTY,
    jsonPre: EMPTY,
  };
}

/** Which instruments trade in a simulated minute, with their local day start, calendar date and trading day (recomputed once a minute). */
class OpenSessions {
  /** Indexes of the instruments in session in the current minute. */
  private open: number[] = [];
  private minuteKey = NaN;
  readonly dayStartMs: Float64Array;
  readonly actionYmd: Uint32Array;
  readonly tradingDay: Int32Array;
  private readonly ymdCache = new Map<number, number>();

  constructor(private readonly instruments: readonly Instrument[]) {
    this.dayStartMs = new Float64Array(instruments.length);
    this.actionYmd = new Uint32Array(instruments.length);
    this.tradingDay = new Int32Array(instruments.length);
  }

  /** The instruments in session at simulated time t (epoch ms). */
  openAt(t: number): readonly number[] {
    if (Math.floor(t / 60_000) !== this.minuteKey) this.refresh(t);
    return this.open;
  }

  /** YYYYMMDD of a day number (cached: a few days are in use at once). */
  ymd(day: number): number {
    let v = this.ymdCache.get(day);
    if (v === undefined) {
      if (this.ymdCache.size > 64) this.ymdCache.clear();
      v = dayToYmd(day);
      this.ymdCache.set(day, v);
    }
    return v;
  }

  private refresh(t: number): void {
    this.minuteKey = Math.floor(t / 60_000);
    this.open = [];
    for (let i = 0; i < this.instruments.length; i++) {
      const inst = this.instruments[i]!;
      const offMs = inst.utcOffsetMin * 60_000;
      const day = Math.floor((t + offMs) / DAY_MS);
      const min = Math.floor((t + offMs - day * DAY_MS) / 60_000);
      let on = false;
      for (const sec of inst.sections) if (sectionOpen(sec, day, min)) on = true;
      if (!on) continue;
      this.open.push(i);
      this.dayStartMs[i] = day * DAY_MS - offMs;
      this.actionYmd[i] = this.ymd(day);
      this.tradingDay[i] = inst.kind === 'crypto' ? day : futuresTradingDay(day, min);
    }
  }
}

/** A new trading day: the previous day's close, settlement (VWAP) and interest become pre_*, the day's totals restart, the limits move. */
function rollDay(s: State, day: number, ymd: number): void {
  if (s.tradingDay !== -1) {
    s.preClose = s.p;
    s.preSettle = s.totalLots > 0 ? Math.round(s.pxLots / s.totalLots) : s.p;
    s.preInterest = s.oi;
  }
  s.tradingDay = day;
  s.tradingYmd = ymd;
  s.totalLots = 0;
  s.turnover = 0;
  s.pxLots = 0;
  s.open = 0;
  s.jsonLimits = EMPTY; // rebuilt from the first tick of the day
  const pct = s.inst.limitPct;
  if (pct > 0) {
    s.upper = Math.floor(s.preSettle * (1 + pct) + 1e-9);
    s.lower = Math.ceil(s.preSettle * (1 - pct) - 1e-9);
  }
}

/** The next tick of instrument `s` at simulated time t: price, trade, book, then the record (draws in that order). */
function nextTick(s: State, rng: Prng, t: number, actionYmd: number, dayStartMs: number): LastTick {
  const inst = s.inst;
  const p = movePrice(s, rng);
  const lots = 1 + Math.floor(rng.exp(inst.meanLots));
  const buy = rng.float() < 0.5;
  const diffOi = moveOpenInterest(s, rng, lots);
  const { tickNum, pow10, lotDiv } = s;
  // Turnover in exact integer units of (tick × lot) so that it prints as a short
  // decimal: Σ p·lots·tickNum·multiplier / (pow10·lotDiv).
  const moneyUnits = p * lots * s.moneyMul;
  s.totalLots += lots;
  s.pxLots += p * lots;
  s.turnover += moneyUnits;
  const bid1 = buy ? p - 1 : p;
  const book = drawBook(s, rng, bid1);
  const tq = inst.halfSecond ? t - (t % 500) : t;
  const tick: SimTick = {
    exchg: inst.exchg,
    code: inst.code,
    price: (p * tickNum) / pow10,
    open: (s.open * tickNum) / pow10,
    high: (s.high * tickNum) / pow10,
    low: (s.low * tickNum) / pow10,
    settle_price: 0,
    upper_limit: s.upper > 0 ? (s.upper * tickNum) / pow10 : 0,
    lower_limit: s.lower > 0 ? (s.lower * tickNum) / pow10 : 0,
    total_volume: s.totalLots / lotDiv,
    volume: lots / lotDiv,
    total_turnover: s.turnover / s.moneyDiv,
    turn_over: moneyUnits / s.moneyDiv,
    open_interest: s.oi,
    diff_interest: diffOi,
    trading_date: s.tradingYmd,
    action_date: actionYmd,
    action_time: msOfDayToTime(tq - dayStartMs),
    pre_close: (s.preClose * tickNum) / pow10,
    pre_settle: inst.kind === 'crypto' ? 0 : (s.preSettle * tickNum) / pow10,
    pre_interest: s.preInterest,
    bid_prices: book.bid_prices,
    ask_prices: book.ask_prices,
    bid_qty: book.bid_qty,
    ask_qty: book.ask_qty,
  };
  s.seq++;
  if (s.jsonLimits === EMPTY) {
    s.jsonLimits = ascii(
      ',"settle_price":' + tick.settle_price + ',"upper_limit":' + tick.upper_limit + ',"lower_limit":' + tick.lower_limit,
    );
    s.jsonPre = ascii(',"pre_close":' + tick.pre_close + ',"pre_settle":' + tick.pre_settle + ',"pre_interest":' + tick.pre_interest);
  }
  return { s, tick, buy, lots, bid1, moneyUnits };
}

/**
 * The price's next step (in ticks): a small random walk with a weak pull to the base
 * level, kept inside the limits with room for the book; updates open/high/low.
 */
function movePrice(s: State, rng: Prng): number {
  const L = s.inst.levels;
  const step = Math.round((rng.float() + rng.float() - 1) * 2 * s.volTicks);
  const pull = Math.round((s.baseTicks - s.p) * 0.002);
  let p = s.p + step + pull;
  const lo = s.lower > 0 ? s.lower + L : L + 1;
  const hi = s.upper > 0 ? s.upper - L : Infinity;
  if (p < lo) p = lo;
  if (p > hi) p = hi;
  s.p = p;
  if (s.open === 0) s.open = s.high = s.low = p;
  else if (p > s.high) s.high = p;
  else if (p < s.low) s.low = p;
  return p;
}

/** The change of open interest of a futures trade of `lots` (never below 0); 0 for other kinds (draws nothing). */
function moveOpenInterest(s: State, rng: Prng, lots: number): number {
  if (s.inst.kind !== 'future') return 0;
  let diffOi = rng.int(2 * lots + 1) - lots;
  if (s.oi + diffOi < 0) diffOi = 0 - s.oi;
  s.oi += diffOi;
  return diffOi;
}

/** The book around bid1 (one tick wide, each level one tick further out) with random quantities, kept in lots for writeLast. */
function drawBook(s: State, rng: Prng, bid1: number): { bid_prices: number[]; ask_prices: number[]; bid_qty: number[]; ask_qty: number[] } {
  const L = s.inst.levels;
  const { tickNum, pow10, lotDiv, qSpan } = s;
  const bidPrices = new Array<number>(L);
  const askPrices = new Array<number>(L);
  const bidQty = new Array<number>(L);
  const askQty = new Array<number>(L);
  for (let k = 0; k < L; k++) {
    bidPrices[k] = ((bid1 - k) * tickNum) / pow10;
    askPrices[k] = ((bid1 + 1 + k) * tickNum) / pow10;
    const bl = 1 + (rng.u32() % qSpan);
    const al = 1 + (rng.u32() % qSpan);
    s.bidLots[k] = bl;
    s.askLots[k] = al;
    bidQty[k] = bl / lotDiv;
    askQty[k] = al / lotDiv;
  }
  return { bid_prices: bidPrices, ask_prices: askPrices, bid_qty: bidQty, ask_qty: askQty };
}

/** Appends the JSON of the last tick, byte-identical to tickJson(tick), from the integer state. */
function writeTickJson(out: JsonBytes, last: LastTick): void {
  const { s, tick, lots, bid1 } = last;
  const L = s.inst.levels;
  const pd = s.priceDec;
  const tn = s.tickNum;
  out.ensure(MAX_TICK_BYTES);
  out.lit(s.jsonHead);
  out.fixed(s.p * tn, pd);
  out.lit(K_OPEN);
  out.fixed(s.open * tn, pd);
  out.lit(K_HIGH);
  out.fixed(s.high * tn, pd);
  out.lit(K_LOW);
  out.fixed(s.low * tn, pd);
  out.lit(s.jsonLimits);
  out.lit(K_TOTAL_VOLUME);
  out.fixed(s.totalLots, s.lotDec);
  out.lit(K_VOLUME);
  out.fixed(lots, s.lotDec);
  out.lit(K_TOTAL_TURNOVER);
  out.fixed(s.turnover, s.moneyDec);
  out.lit(K_TURN_OVER);
  out.fixed(last.moneyUnits, s.moneyDec);
  out.lit(K_OPEN_INTEREST);
  out.num(tick.open_interest);
  out.lit(K_DIFF_INTEREST);
  out.num(tick.diff_interest);
  out.lit(K_TRADING_DATE);
  out.num(tick.trading_date);
  out.lit(K_ACTION_DATE);
  out.num(tick.action_date);
  out.lit(K_ACTION_TIME);
  out.num(tick.action_time);
  out.lit(s.jsonPre);
  out.lit(K_BID_PRICES);
  for (let k = 0; k < L; k++) {
    if (k > 0) out.byte(44);
    out.fixed((bid1 - k) * tn, pd);
  }
  out.lit(K_ASK_PRICES);
  for (let k = 0; k < L; k++) {
    if (k > 0) out.byte(44);
    out.fixed((bid1 + 1 + k) * tn, pd);
  }
  out.lit(K_BID_QTY);
  for (let k = 0; k < L; k++) {
    if (k > 0) out.byte(44);
    out.fixed(s.bidLots[k]!, s.lotDec);
  }
  out.lit(K_ASK_QTY);
  for (let k = 0; k < L; k++) {
    if (k > 0) out.byte(44);
    out.fixed(s.askLots[k]!, s.lotDec);
  }
  out.lit(K_END);
}

/** The trade print of the last tick (draws nothing). */
function tradeOf(last: LastTick): SimTrade {
  const { s, tick, buy } = last;
  return {
    exchg: tick.exchg,
    code: tick.code,
    price: tick.price,
    volume: tick.volume,
    side: buy ? 'B' : 'S',
    index: s.seq,
    action_date: tick.action_date,
    action_time: tick.action_time,
    trading_date: tick.trading_date,
  };
}

/**
 * The simulated time of the server's tick slot `slot` (0, 1, 2, ...): slots are spaced
 * 1/rate real seconds apart, and simulated time runs `speed` times real time.
 */
export function slotTimeMs(startMs: number, slot: number, rate: number, speed: number): number {
  return startMs + Math.floor((slot * 1000 * speed) / rate);
}

// The Binance spot market-stream mapper: bookTicker, aggTrade and partial-depth payloads (combined or raw) → BINANCE ticks and trades, with a per-symbol book and day totals.

import { decimalAdd, decimalMul } from '../../format/decimal.js';
import { CODE_MAX_CHARS } from '../../layout/index.js';
import { SIDE_BUY, SIDE_SELL, TTYPE_MATCH } from '../../format/trade.js';
import type { MessageMapper, TickInput, TradeInput } from '../types.js';
import {
  type JsonObject,
  type MapperOptions,
  type Output,
  chunks,
  clean,
  clip,
  decimalValue,
  fail,
  isObject,
  mapOne,
  own,
  parseJson,
  preview,
  reqDecimal,
  runParse,
  splitInstrument,
  typeName,
  utcInstant,
  tradeQuantity,
} from './common.js';

export const BINANCE_EXCHG = 'BINANCE';
/** Streams subscribed per instrument, in this order. */
export const BINANCE_STREAMS = ['bookTicker', 'aggTrade', 'depth5@100ms'] as const;
/** Most params per SUBSCRIBE frame. */
export const BINANCE_MAX_PARAMS = 200;
/** Most symbols the mapper keeps state for; more → 'out_of_range'. */
export const BINANCE_MAX_SYMBOLS = 10_000;
/** Book levels kept per side. */
export const BINANCE_LEVELS = 10;

/** A Binance symbol: letters and digits (the mapper upper-cases it for the code), no longer than a code may be. */
const SYMBOL = new RegExp(`^[A-Za-z0-9]{1,${CODE_MAX_CHARS}}$`);
const DEPTH_STREAM = /^depth(?:5|10|20)(?:@(?:100|1000)ms)?$/;

interface SymbolState {
  /** Price of the latest aggTrade (by trade time); NaN before the first trade. */
  last: number;
  /** Trade time (ms) of `last`. */
  lastT: number;
  /** UTC date (YYYYMMDD) the totals belong to; 0 before anything. */
  day: number;
  /** Base-asset quantity traded since UTC midnight (or since start). */
  volume: number;
  /** Quote-asset turnover (sum of price × qty) since UTC midnight (or since start). */
  turnover: number;
  bidPx: number[];
  bidQty: number[];
  askPx: number[];
  askQty: number[];
  /** Last order-book update id seen (bookTicker `u`, depth `lastUpdateId`); -1 before any. */
  bookId: number;
}

type Kind = 'bookTicker' | 'aggTrade' | 'depth';

/** The message kind named in reject details. */
const WHAT: Record<Kind, string> = { bookTicker: 'bookTicker', aggTrade: 'trade', depth: 'depth' };

type Instant = { date: number; time: number };

/**
 * Binance spot streams mapper. State per symbol: last trade price, base volume and quote
 * turnover of the UTC day (from aggTrades), best bid/ask and up to 10 levels. Every
 * bookTicker and depth update emits a tick with the current state; every aggTrade emits
 * a trade (its quantity as sent, fractions kept). Options: nowMs (default Date.now), onIgnored.
 */
export function createBinanceMapper(options: MapperOptions = {}): MessageMapper {
  const books = new SymbolBooks(options.nowMs ?? Date.now);
  let nextId = 1;
  return {
    parse(data: string, sink) {
      runParse('binance', (out) => mapFrame(books, typeof data === 'string' ? data : String(data), out), sink, options);
    },
    subscribeFrames(instruments: readonly string[]): string[] {
      return chunks(subscribeParams(instruments), BINANCE_MAX_PARAMS).map((c) =>
        JSON.stringify({ method: 'SUBSCRIBE', params: c, id: nextId++ }),
      );
    },
  };
}

/** The stream params of the instruments (BINANCE.<SYMBOL> only, each symbol once): BINANCE_STREAMS of each. */
function subscribeParams(instruments: readonly string[]): string[] {
  const params: string[] = [];
  const seen = new Set<string>();
  for (const inst of instruments) {
    if (typeof inst !== 'string') continue;
    const p = splitInstrument(inst);
    if (!p || p.exchg !== BINANCE_EXCHG || !SYMBOL.test(p.code)) continue;
    const sym = p.code.toLowerCase();
    if (seen.has(sym)) continue;
    seen.add(sym);
    for (const s of BINANCE_STREAMS) params.push(`${sym}@${s}`);
  }
  return params;
}

// ---- the state of every symbol, and the records it makes ----------------------------------

/** The per-symbol state (book, last trade, day totals) and the tick or trade each payload makes. */
class SymbolBooks {
  private readonly states = new Map<string, SymbolState>();

  constructor(private readonly nowMs: () => number) {}

  bookTicker(d: JsonObject, code: string): TickInput {
    const bid = reqDecimal(d, 'b');
    const bidQty = reqDecimal(d, 'B');
    const ask = reqDecimal(d, 'a');
    const askQty = reqDecimal(d, 'A');
    const at = this.now();
    const st = this.state(code);
    const id = bookId(d, 'u', st);
    if (id !== undefined) st.bookId = id;
    setBest(st, bid, bidQty, ask, askQty);
    return tickOf(code, st, at);
  }

  depth(d: JsonObject, code: string): TickInput {
    const bids = bookLevels(d, 'bids');
    const asks = bookLevels(d, 'asks');
    const at = this.now();
    const st = this.state(code);
    const id = bookId(d, 'lastUpdateId', st);
    if (id !== undefined) st.bookId = id;
    st.bidPx = bids.px;
    st.bidQty = bids.qty;
    st.askPx = asks.px;
    st.askQty = asks.qty;
    return tickOf(code, st, at);
  }

  aggTrade(d: JsonObject, code: string): TradeInput {
    const t = parseAggTrade(d);
    const st = this.state(code);
    if (t.T >= st.lastT) {
      st.last = t.price;
      st.lastT = t.T;
    }
    rollDay(st, t.at.date);
    if (t.at.date === st.day) {
      // A late trade of an already closed UTC day is emitted but not counted in today's totals.
      // Decimal sums (src/format/decimal.ts): the day totals carry no float noise.
      st.volume = decimalAdd(st.volume, t.qty);
      st.turnover = decimalAdd(st.turnover, decimalMul(t.price, t.qty));
    }
    return {
      exchg: BINANCE_EXCHG,
      code,
      trading_date: t.at.date,
      action_date: t.at.date,
      action_time: t.at.time,
      index: t.index,
      ttype: TTYPE_MATCH, // an aggregate trade is a match
      side: t.buyerIsMaker ? SIDE_SELL : SIDE_BUY, // buyer is the maker → the seller hit the bid
      price: t.price,
      volume: t.volume,
    };
  }

  private state(code: string): SymbolState {
    let st = this.states.get(code);
    if (st === undefined) {
      if (this.states.size >= BINANCE_MAX_SYMBOLS) fail('out_of_range', 's', `more than ${BINANCE_MAX_SYMBOLS} symbols tracked`);
      st = { last: NaN, lastT: -Infinity, day: 0, volume: 0, turnover: 0, bidPx: [], bidQty: [], askPx: [], askQty: [], bookId: -1 };
      this.states.set(code, st);
    }
    return st;
  }

  /** The receive time: book payloads carry none. */
  private now(): Instant {
    const ms = this.nowMs();
    const at = utcInstant(ms);
    if (!at) fail('bad_date', 'clock', `nowMs() gave ${preview(ms)}, not a time in 1990-2099`);
    return at;
  }
}

/** Moves the day totals to `date` when it is a later UTC day. */
function rollDay(st: SymbolState, date: number): void {
  if (date > st.day) {
    if (st.day !== 0) {
      st.volume = 0;
      st.turnover = 0;
    }
    st.day = date;
  }
}

/** The tick of the symbol's current state at `at`. */
function tickOf(code: string, st: SymbolState, at: Instant): TickInput {
  rollDay(st, at.date);
  const bid = st.bidPx[0] ?? 0;
  const ask = st.askPx[0] ?? 0;
  let price = st.last;
  if (Number.isNaN(price)) price = bid > 0 && ask > 0 ? (bid + ask) / 2 : bid > 0 ? bid : ask > 0 ? ask : NaN;
  return {
    exchg: BINANCE_EXCHG,
    code,
    price,
    total_volume: st.volume,
    total_turnover: st.turnover,
    trading_date: at.date,
    action_date: at.date,
    action_time: at.time,
    bid_prices: st.bidPx.slice(),
    ask_prices: st.askPx.slice(),
    bid_qty: st.bidQty.slice(),
    ask_qty: st.askQty.slice(),
  };
}

/** New level 1 of both sides; deeper levels survive only while they stay behind the new best price. */
function setBest(st: SymbolState, bid: number, bidQty: number, ask: number, askQty: number): void {
  let nb = 1;
  while (nb < st.bidPx.length && (st.bidPx[nb] as number) >= bid) nb++;
  st.bidPx = [bid, ...st.bidPx.slice(nb)];
  st.bidQty = [bidQty, ...st.bidQty.slice(nb)];
  let na = 1;
  while (na < st.askPx.length && (st.askPx[na] as number) <= ask) na++;
  st.askPx = [ask, ...st.askPx.slice(na)];
  st.askQty = [askQty, ...st.askQty.slice(na)];
}

// ---- payload fields ---------------------------------------------------------------------

function symbolCode(raw: unknown, field: string): string {
  if (raw === undefined || raw === null || raw === '') fail('missing_field', field, 'missing: no symbol');
  if (typeof raw !== 'string') fail('bad_type', field, `expected a string, got ${typeName(raw)}`);
  if (!SYMBOL.test(raw)) fail('bad_name', field, `not a Binance symbol (1-${CODE_MAX_CHARS} letters and digits): ${preview(raw)}`);
  return raw.toUpperCase();
}

/** The order-book update id of a payload, refused when older than the one already seen. */
function bookId(d: JsonObject, field: string, st: SymbolState): number | undefined {
  const v = own(d, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') fail('bad_type', field, `expected a number, got ${typeName(v)}`);
  if (!Number.isSafeInteger(v) || v < 0) fail('out_of_range', field, `expected an update id, got ${preview(v)}`);
  if (v < st.bookId) fail('out_of_order', field, `book update ${v} is older than ${st.bookId} already seen`);
  return v;
}

/** The first BINANCE_LEVELS [price, qty] levels of one side of a depth payload. */
function bookLevels(d: JsonObject, field: string): { px: number[]; qty: number[] } {
  const v = own(d, field);
  if (v === undefined || v === null) fail('missing_field', field, 'missing');
  if (!Array.isArray(v)) fail('bad_type', field, `expected an array of [price, qty], got ${typeName(v)}`);
  const px: number[] = [];
  const qty: number[] = [];
  const n = Math.min(v.length, BINANCE_LEVELS);
  for (let i = 0; i < n; i++) {
    const level: unknown = v[i];
    const name = `${field}[${i}]`;
    if (!Array.isArray(level) || level.length < 2) {
      fail('bad_type', name, `expected [price, qty], got ${Array.isArray(level) ? `array(${level.length})` : typeName(level)}`);
    }
    px.push(decimalValue(level[0], `${name}[0]`));
    qty.push(decimalValue(level[1], `${name}[1]`));
  }
  return { px, qty };
}

/** The checked fields of an aggTrade payload. */
function parseAggTrade(d: JsonObject): {
  index: number;
  price: number;
  qty: number;
  volume: number;
  T: number;
  at: Instant;
  buyerIsMaker: boolean;
} {
  const index = own(d, 'a');
  if (index === undefined || index === null) fail('missing_field', 'a', 'missing');
  if (typeof index !== 'number') fail('bad_type', 'a', `expected a number, got ${typeName(index)}`);
  if (!Number.isSafeInteger(index) || index < 0) fail('out_of_range', 'a', `expected a trade id, got ${preview(index)}`);
  const price = reqDecimal(d, 'p');
  const qty = reqDecimal(d, 'q');
  const volume = tradeQuantity(qty, 'q');
  const T = reqDecimal(d, 'T');
  const at = utcInstant(T);
  if (!at) fail('bad_date', 'T', `expected a Unix time in ms within 1990-2099, got ${preview(T)}`);
  const m = own(d, 'm');
  if (m === undefined || m === null) fail('missing_field', 'm', 'missing');
  if (typeof m !== 'boolean') fail('bad_type', 'm', `expected a boolean, got ${typeName(m)}`);
  return { index, price, qty, volume, T, at, buyerIsMaker: m };
}

// ---- frames -------------------------------------------------------------------------------

/** One websocket frame: a combined-stream payload, a raw event, a server error or ack, or a reject. */
function mapFrame(books: SymbolBooks, data: string, out: Output[]): void {
  const parsed = parseJson(data);
  if (!parsed.ok) {
    out.push({ kind: 'reject', reason: 'malformed_json', detail: clip(`binance frame: not JSON (${clean(parsed.error, 64)})`) });
    return;
  }
  const v = parsed.value;
  if (!isObject(v)) {
    out.push({ kind: 'reject', reason: 'malformed_json', detail: `binance frame: expected an object, got ${typeName(v)}` });
    return;
  }
  const stream = own(v, 'stream');
  if (stream !== undefined) return mapCombined(books, v, stream, out);
  const error = own(v, 'error');
  if (error !== undefined) return mapServerError(error, out);
  if (Object.prototype.hasOwnProperty.call(v, 'result')) {
    out.push({ kind: 'ignored', what: 'binance result ack' });
    return;
  }
  mapRawEvent(books, v, out);
}

/** The kind of a combined stream's name after '<symbol>@', or undefined for a stream the mapper does not read. */
function streamKind(rest: string): Kind | undefined {
  return rest === 'bookTicker' ? 'bookTicker' : rest === 'aggTrade' ? 'aggTrade' : DEPTH_STREAM.test(rest) ? 'depth' : undefined;
}

/** A combined-stream frame {stream: '<symbol>@<name>', data: {...}}. */
function mapCombined(books: SymbolBooks, v: JsonObject, stream: unknown, out: Output[]): void {
  if (typeof stream !== 'string') {
    out.push({ kind: 'reject', reason: 'bad_type', detail: `binance frame: field stream: expected a string, got ${typeName(stream)}` });
    return;
  }
  const at = stream.indexOf('@');
  const sym = at > 0 ? stream.slice(0, at) : '';
  const kind = streamKind(at > 0 ? stream.slice(at + 1) : '');
  if (kind === undefined) {
    out.push({ kind: 'ignored', what: `binance stream ${clean(stream, 48)}` });
    return;
  }
  const d = own(v, 'data');
  if (!isObject(d)) {
    const reason = d === undefined || d === null ? 'missing_field' : 'bad_type';
    const msg = reason === 'missing_field' ? 'missing' : `expected an object, got ${typeName(d)}`;
    out.push({
      kind: 'reject',
      reason,
      detail: clip(`${WHAT[kind]} ${BINANCE_EXCHG}.${clean(sym, 32).toUpperCase() || '?'}: field data: ${msg}`),
    });
    return;
  }
  dispatch(books, kind, d, sym, out);
}

/** A frame {error: {code, msg}} from the server. */
function mapServerError(error: unknown, out: Output[]): void {
  const msg = isObject(error) ? own(error, 'msg') : error;
  const code = isObject(error) ? own(error, 'code') : undefined;
  const text = typeof msg === 'string' ? clean(msg, 64) : preview(msg);
  out.push({
    kind: 'reject',
    reason: 'unknown_type',
    detail: clip(`binance frame: error from server${typeof code === 'number' ? ` (code ${code})` : ''}: ${text}`),
  });
}

/** A raw-stream payload (no combined wrapper): an event with `e`, a bookTicker, or a partial book (refused: no symbol). */
function mapRawEvent(books: SymbolBooks, v: JsonObject, out: Output[]): void {
  const e = own(v, 'e');
  if (e !== undefined) {
    if (e === 'aggTrade') dispatch(books, 'aggTrade', v, undefined, out);
    else if (e === 'bookTicker') dispatch(books, 'bookTicker', v, undefined, out);
    else if (typeof e === 'string') out.push({ kind: 'ignored', what: `binance event ${clean(e, 32)}` });
    else out.push({ kind: 'reject', reason: 'bad_type', detail: `binance frame: field e: expected a string, got ${typeName(e)}` });
    return;
  }
  if (own(v, 'u') !== undefined && own(v, 's') !== undefined) {
    dispatch(books, 'bookTicker', v, undefined, out);
    return;
  }
  if (own(v, 'lastUpdateId') !== undefined) {
    out.push({
      kind: 'reject',
      reason: 'missing_field',
      detail: 'depth BINANCE.?: field stream: a raw partial book carries no symbol; connect to /stream?streams= (combined)',
    });
    return;
  }
  out.push({
    kind: 'reject',
    reason: 'malformed_json',
    detail: 'binance frame: not a stream payload (no stream, e, result or error field)',
  });
}

/** Maps one payload of a known kind to its tick or trade (or its reject), named by its symbol. */
function dispatch(books: SymbolBooks, kind: Kind, d: JsonObject, streamSymbol: string | undefined, out: Output[]): void {
  const what = WHAT[kind];
  let rawSym: unknown = own(d, 's');
  if (rawSym === undefined || rawSym === null) rawSym = streamSymbol;
  const label = () => `${BINANCE_EXCHG}.${typeof rawSym === 'string' && rawSym !== '' ? clean(rawSym, 32).toUpperCase() : '?'}`;
  if (kind === 'aggTrade') {
    const t = mapOne(out, what, label, () => books.aggTrade(d, symbolCode(rawSym, 's')));
    if (t) out.push({ kind: 'trade', value: t });
  } else {
    const field = kind === 'depth' ? 'stream' : 's';
    const t = mapOne(out, what, label, () =>
      kind === 'depth' ? books.depth(d, symbolCode(rawSym, field)) : books.bookTicker(d, symbolCode(rawSym, field)),
    );
    if (t) out.push({ kind: 'tick', value: t });
  }
}

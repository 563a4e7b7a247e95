// CThostFtdcDepthMarketDataField → TickInput: a pure function with the documented CTP rules (DBL_MAX, five levels, millis, exchange date quirks, CZCE turnover).
//
// RULES (docs/ctp.md, "Mapping a tick", repeats them; each has a test in test/ctp/map.test.ts):
// C1 no value: a number at or above 1e300 (CTP's DBL_MAX), or not finite, is "no value".
//    Optional fields become undefined (stored as 0); book prices become 0. A LastPrice
//    without value: price 0 when the tick has a book (a bid or ask price at any level):
//    a combination quote (DCE/CZCE spreads) or a quote before the first trade keeps its
//    book, stored with price 0 as datakit does (bars skip it: docs/bars.md B4b);
//    without a book, NaN, which the recorder rejects as bad_price (N2).
// C2 book: five levels, bid_prices/ask_prices from BidPrice1..5/AskPrice1..5 and
//    bid_qty/ask_qty from BidVolume1..5/AskVolume1..5; levels 6 to 10 stay 0.
// C3 time: action_time = HHMMSS of UpdateTime × 1000 + UpdateMillisec (0 when outside
//    0..999). An UpdateTime that is not HH:MM:SS gives NaN (the recorder's bad_date).
// C4 exchange: ExchangeID; when empty, the exchange under which the subscription list
//    names the code ("" when it names none: the adapter rejects it as not_subscribed).
// C5 dates. Night = UpdateTime at or after 18:00 ("evening") or before 06:00 ("after
//    midnight"); everything else is day.
//    SHFE, INE and every exchange not named below: TradingDay and ActionDay are right
//      and used as sent; an empty ActionDay is derived from TradingDay as for DCE.
//    DCE: both fields carry the trading day. action_date: evening → the weekday before
//      TradingDay; after midnight → the day after that; day → TradingDay.
//    CZCE: both fields carry the calendar day. action_date = ActionDay (TradingDay when
//      empty); trading_date: evening → the weekday after action_date; after midnight →
//      the weekday after action_date − 1; day → action_date.
//    "Weekday" is right across weekends and holidays: the exchanges hold no night
//    session on the evening before a holiday, so a night always belongs to the next
//    weekday. An invalid TradingDay leaves trading_date undefined (the recorder's N5
//    then applies the session rule).
// C6 totals: total_volume = Volume and total_turnover = Turnover (cumulative; the
//    recorder derives per-tick volume and turnover, N8), open_interest = OpenInterest,
//    pre_close/pre_settle/pre_interest from PreClosePrice/PreSettlementPrice/
//    PreOpenInterest, settle_price = SettlementPrice.
// C7 CZCE turnover: CZCE sends Turnover as Σ price × volume without the contract
//    multiplier (its AveragePrice is a price, SHFE's and DCE's are price × multiplier);
//    back ends from 6.7.1 multiply it on ordinary fronts. Whether to multiply by the
//    feed's czce_multipliers ({"SR": 10, ...}, by product) is decided per feed from the
//    data, or set by czce_turnover (czce-turnover.ts); a product not listed is stored as
//    sent.
// C8 combination codes: DCE's and CZCE's spreads are named with a space and "&"
//    ("SP m2505&m2509", "SPD SR505&SR509"), which no file name takes: each space and "&"
//    is stored as "_" ("SP_m2505_m2509"). Subscribe with CTP's code; the recorder files
//    it under the stored name.

import { addDays, productOf, weekday } from '../../calendar/index.js';
import type { TickInput } from '../types.js';
import type { CzceTurnover } from './czce-turnover.js';
import { NO_VALUE, type CtpDepthMarketData } from './fields.js';

export interface CtpMapContext {
  /** The exchange the subscription list gives a code (C4), or undefined. */
  exchangeOf(code: string): string | undefined;
  /** The CZCE turnover rule of the feed (C7); without it CZCE turnover is stored as sent. */
  czce?: CzceTurnover;
}

/** C8: the name a CTP code is stored under (a combination's space and "&" become "_"). */
export function ctpStoredCode(code: string): string {
  return code.replace(/[ &]/g, '_');
}

/** A number, or undefined for CTP's "no value" (C1). */
export function ctpValue(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v < NO_VALUE && v > -NO_VALUE ? v : undefined;
}

function level(v: unknown): number {
  return ctpValue(v) ?? 0;
}

/** YYYYMMDD from CTP's "20250106", or 0 when it is not a real date. */
export function ctpDate(text: unknown): number {
  if (typeof text !== 'string' || !/^\d{8}$/.test(text)) return 0;
  const d = Number(text);
  const y = Math.floor(d / 10000);
  const m = Math.floor(d / 100) % 100;
  const day = d % 100;
  if (y < 1990 || y > 2099 || m < 1 || m > 12 || day < 1 || day > new Date(Date.UTC(y, m, 0)).getUTCDate()) return 0;
  return d;
}

/** HHMMSS from "HH:MM:SS" (or "HHMMSS"), NaN when it is not a time of day. */
export function ctpTime(text: unknown): number {
  if (typeof text !== 'string') return NaN;
  const m = /^(\d{1,2}):?(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!m) return NaN;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const s = Number(m[3]);
  if (h > 23 || mi > 59 || s > 59) return NaN;
  return h * 10000 + mi * 100 + s;
}

/** The weekday (Mon–Fri) strictly before d. */
export function weekdayBefore(d: number): number {
  let x = addDays(d, -1);
  while (weekday(x) === 0 || weekday(x) === 6) x = addDays(x, -1);
  return x;
}

/** The weekday (Mon–Fri) strictly after d. */
export function weekdayAfter(d: number): number {
  let x = addDays(d, 1);
  while (weekday(x) === 0 || weekday(x) === 6) x = addDays(x, 1);
  return x;
}

type Part = 'evening' | 'after_midnight' | 'day';

function partOf(hhmmss: number): Part {
  if (hhmmss >= 180000) return 'evening';
  if (hhmmss < 60000) return 'after_midnight';
  return 'day';
}

/** Calendar date of a tick from its (correct) trading day (C5, the DCE rule). */
function calendarFromTradingDay(td: number, part: Part): number {
  if (td === 0) return 0;
  if (part === 'evening') return weekdayBefore(td);
  if (part === 'after_midnight') return addDays(weekdayBefore(td), 1);
  return td;
}

/** Trading day of a tick from its (correct) calendar date (C5, the CZCE rule). */
function tradingDayFromCalendar(cal: number, part: Part): number {
  if (cal === 0) return 0;
  if (part === 'evening') return weekdayAfter(cal);
  if (part === 'after_midnight') return weekdayAfter(addDays(cal, -1));
  return cal;
}

/** The dates of a tick by exchange (C5). */
export function ctpDates(exchg: string, tradingDay: string, actionDay: string, hhmmss: number): { trading: number; action: number } {
  const td = ctpDate(tradingDay);
  const ad = ctpDate(actionDay);
  const part: Part = Number.isNaN(hhmmss) ? 'day' : partOf(hhmmss);
  if (exchg === 'DCE') return { trading: td, action: calendarFromTradingDay(td, part) };
  if (exchg === 'CZCE') {
    const cal = ad !== 0 ? ad : td;
    return { trading: tradingDayFromCalendar(cal, part), action: cal };
  }
  return { trading: td, action: ad !== 0 ? ad : calendarFromTradingDay(td, part) };
}

/** C1: does the tick carry a book (a bid or ask price with a value at any level)? A spread's prices may be 0 or negative. */
function hasBook(f: CtpDepthMarketData): boolean {
  return (
    ctpValue(f.BidPrice1) !== undefined ||
    ctpValue(f.AskPrice1) !== undefined ||
    ctpValue(f.BidPrice2) !== undefined ||
    ctpValue(f.AskPrice2) !== undefined ||
    ctpValue(f.BidPrice3) !== undefined ||
    ctpValue(f.AskPrice3) !== undefined ||
    ctpValue(f.BidPrice4) !== undefined ||
    ctpValue(f.AskPrice4) !== undefined ||
    ctpValue(f.BidPrice5) !== undefined ||
    ctpValue(f.AskPrice5) !== undefined
  );
}

/** Maps one CTP tick (C1–C7). Never throws; what it cannot read becomes "no value" or NaN. */
export function mapDepthMarketData(f: CtpDepthMarketData, ctx: CtpMapContext): TickInput {
  const raw = typeof f.InstrumentID === 'string' ? f.InstrumentID.trim() : '';
  const code = ctpStoredCode(raw);
  const sent = typeof f.ExchangeID === 'string' ? f.ExchangeID.trim() : '';
  const exchg = sent !== '' ? sent : (ctx.exchangeOf(raw) ?? '');
  const hhmmss = ctpTime(f.UpdateTime);
  const ms = Number.isInteger(f.UpdateMillisec) && f.UpdateMillisec >= 0 && f.UpdateMillisec <= 999 ? f.UpdateMillisec : 0;
  const { trading, action } = ctpDates(exchg, f.TradingDay, f.ActionDay, hhmmss);
  const price = ctpValue(f.LastPrice);
  let turnover = ctpValue(f.Turnover);
  if (exchg === 'CZCE' && turnover !== undefined && ctx.czce !== undefined) {
    turnover = ctx.czce.apply(productOf(code), turnover, ctpValue(f.Volume) ?? 0, price ?? 0);
  }
  const bid = [level(f.BidPrice1), level(f.BidPrice2), level(f.BidPrice3), level(f.BidPrice4), level(f.BidPrice5)];
  const ask = [level(f.AskPrice1), level(f.AskPrice2), level(f.AskPrice3), level(f.AskPrice4), level(f.AskPrice5)];
  const t: TickInput = {
    exchg,
    code,
    price: price ?? (hasBook(f) ? 0 : NaN),
    open: ctpValue(f.OpenPrice),
    high: ctpValue(f.HighestPrice),
    low: ctpValue(f.LowestPrice),
    settle_price: ctpValue(f.SettlementPrice),
    upper_limit: ctpValue(f.UpperLimitPrice),
    lower_limit: ctpValue(f.LowerLimitPrice),
    total_volume: ctpValue(f.Volume),
    total_turnover: turnover,
    open_interest: ctpValue(f.OpenInterest),
    action_date: action,
    action_time: hhmmss * 1000 + ms,
    pre_close: ctpValue(f.PreClosePrice),
    pre_settle: ctpValue(f.PreSettlementPrice),
    pre_interest: ctpValue(f.PreOpenInterest),
    bid_prices: bid,
    ask_prices: ask,
    bid_qty: [level(f.BidVolume1), level(f.BidVolume2), level(f.BidVolume3), level(f.BidVolume4), level(f.BidVolume5)],
    ask_qty: [level(f.AskVolume1), level(f.AskVolume2), level(f.AskVolume3), level(f.AskVolume4), level(f.AskVolume5)],
  };
  if (trading !== 0) t.trading_date = trading;
  return t;
}

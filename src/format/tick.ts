// The tick record (datakit WTSTickStruct), 512 bytes, natural alignment.

import { defineStruct, type StructInput, type StructValues } from './struct.js';

const f64 = <N extends string>(name: N, offset: number, doc: string) => ({ name, type: 'f64', offset, doc }) as const;
const levels = <N extends string>(name: N, offset: number, doc: string) => ({ name, type: 'f64', offset, count: 10, doc }) as const;

export const TICK = defineStruct({
  name: 'Tick',
  size: 512,
  fields: [
    { name: 'exchg', type: 'char', offset: 0, count: 16, doc: 'exchange code, NUL-padded ASCII (e.g. SHFE, BINANCE)' },
    { name: 'code', type: 'char', offset: 16, count: 32, doc: 'raw instrument code, NUL-padded ASCII (e.g. rb2505)' },
    f64('price', 48, 'last price'),
    f64('open', 56, 'open price of the trading day'),
    f64('high', 64, 'high of the trading day'),
    f64('low', 72, 'low of the trading day'),
    f64('settle_price', 80, 'settlement price (0 until known)'),
    f64('upper_limit', 88, 'upper price limit (0 when none)'),
    f64('lower_limit', 96, 'lower price limit (0 when none)'),
    f64('total_volume', 104, 'cumulative volume of the trading day'),
    f64('volume', 112, 'volume since the previous tick of this instrument'),
    f64('total_turnover', 120, 'cumulative turnover (money) of the trading day'),
    f64('turn_over', 128, 'turnover since the previous tick'),
    f64('open_interest', 136, 'open interest'),
    f64('diff_interest', 144, 'open-interest change since the previous tick'),
    { name: 'trading_date', type: 'u32', offset: 152, doc: 'trading date YYYYMMDD (a night session belongs to the next trading day)' },
    { name: 'action_date', type: 'u32', offset: 156, doc: 'calendar date of the tick YYYYMMDD' },
    { name: 'action_time', type: 'u32', offset: 160, doc: 'time of the tick HHMMSSmmm (105932500 = 10:59:32.500)' },
    { name: 'reserved', type: 'pad', offset: 164, count: 4, doc: 'reserved, zero' },
    f64('pre_close', 168, 'previous close'),
    f64('pre_settle', 176, 'previous settlement price'),
    f64('pre_interest', 184, 'previous open interest'),
    levels('bid_prices', 192, 'bid prices, best first; 0 for an empty level'),
    levels('ask_prices', 272, 'ask prices, best first; 0 for an empty level'),
    levels('bid_qty', 352, 'bid quantities, best first'),
    levels('ask_qty', 432, 'ask quantities, best first'),
  ],
});

/** A tick with every field present and book levels as plain arrays: what the recorder writes. Derived from TICK. */
export type FullTick = StructValues<typeof TICK>;

/** A tick as a plain object (what the encoder takes): the fields absent are 0, numeric arrays may be shorter than 10 (the rest is 0). */
export type Tick = StructInput<typeof TICK, 'exchg' | 'code' | 'price' | 'trading_date' | 'action_date' | 'action_time', ArrayLike<number>>;

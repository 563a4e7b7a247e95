// The transaction record (datakit WTSTransStruct, a trade print), 112 bytes.

import { defineStruct, type StructInput } from './struct.js';

export const TRADE = defineStruct({
  name: 'Trade',
  size: 112,
  fields: [
    { name: 'exchg', type: 'char', offset: 0, count: 16, doc: 'exchange code, NUL-padded ASCII' },
    { name: 'code', type: 'char', offset: 16, count: 32, doc: 'raw instrument code, NUL-padded ASCII' },
    { name: 'trading_date', type: 'u32', offset: 48, doc: 'trading date YYYYMMDD' },
    { name: 'action_date', type: 'u32', offset: 52, doc: 'calendar date YYYYMMDD' },
    { name: 'action_time', type: 'u32', offset: 56, doc: 'time HHMMSSmmm' },
    { name: 'pad0', type: 'pad', offset: 60, count: 4, doc: 'alignment padding, zero' },
    { name: 'index', type: 'i64', offset: 64, doc: 'trade id from the exchange (0 when none)' },
    {
      name: 'ttype',
      type: 'u32',
      offset: 72,
      doc: "trade type as a char code (datakit's WTSTransType): 77 'M' match, 67 'C' cancel, 85 'U' unknown",
    },
    { name: 'side', type: 'u32', offset: 76, doc: "aggressor side as a char code: 66 'B' buy, 83 'S' sell, 32 ' ' unknown" },
    { name: 'price', type: 'f64', offset: 80, doc: 'trade price' },
    {
      name: 'volume',
      type: 'u32',
      offset: 88,
      doc: 'trade quantity in units of the instrument volume unit 10^-volume_decimals (Trade volume, below)',
    },
    { name: 'pad1', type: 'pad', offset: 92, count: 4, doc: 'alignment padding, zero' },
    { name: 'askorder', type: 'i64', offset: 96, doc: 'ask order id (0 when none)' },
    { name: 'bidorder', type: 'i64', offset: 104, doc: 'bid order id (0 when none)' },
  ],
});

export const SIDE_BUY = 0x42; // 'B'
export const SIDE_SELL = 0x53; // 'S'
export const SIDE_UNKNOWN = 0x20; // ' '

/** True for a side tickrec stores: one of the three char codes above. */
export function isTradeSide(v: unknown): v is number {
  return v === SIDE_BUY || v === SIDE_SELL || v === SIDE_UNKNOWN;
}

// Trade types (datakit's WTSTransType in WTSTypes.h: TT_Match, TT_Cancel, TT_Unknown).
export const TTYPE_MATCH = 0x4d; // 'M' a matched trade
export const TTYPE_CANCEL = 0x43; // 'C' a cancellation (SZSE reports cancels as trades)
export const TTYPE_UNKNOWN = 0x55; // 'U' the feed does not say

/** True for a trade type tickrec stores: one of datakit's three char codes. */
export function isTradeType(v: unknown): v is number {
  return v === TTYPE_MATCH || v === TTYPE_CANCEL || v === TTYPE_UNKNOWN;
}

/** A trade print as a plain object (what the encoder takes): the fields absent are 0. Derived from TRADE. */
export type Trade = StructInput<typeof TRADE, 'exchg' | 'code' | 'trading_date' | 'action_date' | 'action_time' | 'price' | 'volume'>;

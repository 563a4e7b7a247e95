// The bar record (datakit WTSBarStruct), 88 bytes, natural alignment.

import { defineStruct } from './struct.js';

export const BAR = defineStruct({
  name: 'Bar',
  size: 88,
  fields: [
    { name: 'date', type: 'u32', offset: 0, doc: 'trading date YYYYMMDD' },
    { name: 'reserved', type: 'pad', offset: 4, count: 4, doc: 'reserved, zero' },
    {
      name: 'time',
      type: 'u64',
      offset: 8,
      doc: 'minute bars: (calendar date - 19900000) * 10000 + HHMM of the bar END, full 64-bit; day bars: 0',
    },
    { name: 'open', type: 'f64', offset: 16, doc: 'first price of the bar' },
    { name: 'high', type: 'f64', offset: 24, doc: 'highest price' },
    { name: 'low', type: 'f64', offset: 32, doc: 'lowest price' },
    { name: 'close', type: 'f64', offset: 40, doc: 'last price' },
    { name: 'settle', type: 'f64', offset: 48, doc: 'settlement price (day bars), else 0' },
    { name: 'money', type: 'f64', offset: 56, doc: 'turnover in the bar' },
    { name: 'vol', type: 'f64', offset: 64, doc: 'volume in the bar' },
    { name: 'hold', type: 'f64', offset: 72, doc: 'open interest at the bar close' },
    { name: 'add', type: 'f64', offset: 80, doc: 'open-interest change over the bar' },
  ],
});

export interface Bar {
  date: number;
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  settle?: number;
  money?: number;
  vol?: number;
  hold?: number;
  add?: number;
}

// The day bar of an instrument-day, built from the day's last tick as datakit builds it at the end of the day.
//
// datakit's history writer (WtDataWriter, end-of-day dump to his/day): open = tick.open,
// high = tick.high, low = tick.low, close = tick.price, settle = tick.settle_price,
// vol = tick.total_volume, money = tick.total_turnover, hold = tick.open_interest,
// add = tick.open_interest - tick.pre_interest (the day's change of open interest, NOT
// the last tick's diff_interest, which is only the change since the tick before it);
// date = the trading date, time = 0.

import { BAR, MIN1_KIND, Mem, TICK, TICK_KIND } from '../format/index.js';

const read = (name: string) => TICK_KIND.codec.fieldReader(name) as (m: Mem, o: number) => number;
const F = {
  open: read('open'),
  high: read('high'),
  low: read('low'),
  price: read('price'),
  settle: read('settle_price'),
  totalVolume: read('total_volume'),
  totalTurnover: read('total_turnover'),
  openInterest: read('open_interest'),
  preInterest: read('pre_interest'),
};

/** The 88-byte day bar of trading date `date` from the last tick in `ticks` (raw tick records). */
export function dayBarFromTicks(ticks: Uint8Array, date: number): Uint8Array {
  const n = ticks.length / TICK.size;
  const m = new Mem(ticks.byteOffset % 8 === 0 ? ticks : ticks.slice());
  const o = (n - 1) * TICK.size;
  const out = Mem.alloc(BAR.size);
  MIN1_KIND.codec.encode(
    {
      date,
      time: 0,
      open: F.open(m, o),
      high: F.high(m, o),
      low: F.low(m, o),
      close: F.price(m, o),
      settle: F.settle(m, o),
      money: F.totalTurnover(m, o),
      vol: F.totalVolume(m, o),
      hold: F.openInterest(m, o),
      add: F.openInterest(m, o) - F.preInterest(m, o),
    },
    out,
    0,
  );
  return out.u8;
}

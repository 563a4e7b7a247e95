// The simulator's deterministic instrument universe: China futures and crypto, with tick sizes, price levels, multipliers and trading sections.
//
// buildUniverse(n) cycles through the products (interleaved so that even a small n
// covers every exchange) and, round after round, through each product's contract
// months: rb2505, cu2505, au2506, ... then rb2510, cu2506, ... The same n always gives
// the same list, independent of the seed and the clock.

import { SHANGHAI_OFFSET_MIN, type Section } from './calendar.js';

export interface Instrument {
  exchg: string;
  code: string;
  /** 'EXCHG.CODE', the name clients subscribe with. */
  id: string;
  product: string;
  kind: 'future' | 'crypto';
  /** Minimum price move. */
  tickSize: number;
  /** Contract multiplier (turnover = price × volume × multiplier). */
  multiplier: number;
  /** Starting price level (the generator jitters it by seed). */
  basePrice: number;
  /** Daily limit as a fraction of pre_settle; 0 = no limits (upper/lower_limit 0). */
  limitPct: number;
  /** Book depth: 5 for futures, 10 for crypto. */
  levels: number;
  /** Local time of the exchange: minutes east of UTC. */
  utcOffsetMin: number;
  /** Local-time trading sections; [{open: 0, close: 0}] = 24 h. */
  sections: readonly Section[];
  /** SHFE/INE: action_time millis are 0 or 500 (CTP sends two snapshots a second). */
  halfSecond: boolean;
  /** Volume granularity: 1 contract for futures, 0.001 for crypto. */
  lot: number;
  /** Mean volume of one tick, in lots. */
  meanLots: number;
  /** Starting open interest (0 for spot crypto). */
  baseOpenInterest: number;
}

interface Product {
  exchg: string;
  product: string;
  tick: number;
  mult: number;
  price: number;
  limitPct: number;
  sections: readonly Section[];
  meanLots: number;
  oi: number;
  /** Listed months (1..12); empty = a perpetual symbol (crypto). */
  months: readonly number[];
}

const DAY_COMMODITY: Section[] = [
  { open: 900, close: 1015 },
  { open: 1030, close: 1130 },
  { open: 1330, close: 1500 },
];
const DAY_CFFEX: Section[] = [
  { open: 930, close: 1130 },
  { open: 1300, close: 1500 },
];
const NIGHT_2300: Section = { open: 2100, close: 2300 };
const NIGHT_0100: Section = { open: 2100, close: 100 };
const NIGHT_0230: Section = { open: 2100, close: 230 };
const ALL_DAY: Section[] = [{ open: 0, close: 0 }];

export const SESSIONS = {
  /** Commodities without night trading would use this; kept for reference. */
  commodityDay: DAY_COMMODITY,
  cffex: DAY_CFFEX,
  night2300: [NIGHT_2300, ...DAY_COMMODITY],
  night0100: [NIGHT_0100, ...DAY_COMMODITY],
  night0230: [NIGHT_0230, ...DAY_COMMODITY],
  crypto: ALL_DAY,
} as const;

const ALL = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const EVEN = [2, 4, 6, 8, 10, 12];
const M159 = [1, 5, 9];
const M1510 = [1, 5, 10];

const p = (
  exchg: string,
  product: string,
  tick: number,
  mult: number,
  price: number,
  limitPct: number,
  sections: readonly Section[],
  meanLots: number,
  oi: number,
  months: readonly number[],
): Product => ({
  exchg,
  product,
  tick,
  mult,
  price,
  limitPct,
  sections,
  meanLots,
  oi,
  months,
});

/** Every product, interleaved by exchange so that the first 8 already cover all six venues. */
export const PRODUCTS: readonly Product[] = [
  p('SHFE', 'rb', 1, 10, 3300, 0.05, SESSIONS.night2300, 40, 1_800_000, M1510),
  p('SHFE', 'cu', 10, 5, 78000, 0.05, SESSIONS.night0100, 6, 200_000, ALL),
  p('SHFE', 'au', 0.02, 1000, 760, 0.05, SESSIONS.night0230, 8, 180_000, EVEN),
  p('INE', 'sc', 0.1, 1000, 520, 0.05, SESSIONS.night0230, 6, 40_000, ALL),
  p('DCE', 'm', 1, 10, 2950, 0.05, SESSIONS.night2300, 30, 1_500_000, M159),
  p('CZCE', 'SR', 1, 10, 5900, 0.05, SESSIONS.night2300, 12, 400_000, M159),
  p('CFFEX', 'IF', 0.2, 300, 3900, 0.1, SESSIONS.cffex, 3, 150_000, ALL),
  p('BINANCE', 'BTCUSDT', 0.01, 1, 95000, 0, SESSIONS.crypto, 300, 0, []),
  p('SHFE', 'hc', 1, 10, 3450, 0.05, SESSIONS.night2300, 25, 1_200_000, M1510),
  p('SHFE', 'al', 5, 5, 20500, 0.05, SESSIONS.night0100, 8, 300_000, ALL),
  p('SHFE', 'ag', 1, 15, 8200, 0.05, SESSIONS.night0230, 20, 600_000, EVEN),
  p('DCE', 'i', 0.5, 100, 780, 0.05, SESSIONS.night2300, 15, 700_000, M159),
  p('CZCE', 'MA', 1, 10, 2450, 0.05, SESSIONS.night2300, 30, 900_000, M159),
  p('CFFEX', 'IC', 0.2, 200, 5800, 0.1, SESSIONS.cffex, 2, 120_000, ALL),
  p('BINANCE', 'ETHUSDT', 0.01, 1, 3300, 0, SESSIONS.crypto, 4000, 0, []),
  p('SHFE', 'zn', 5, 5, 23500, 0.05, SESSIONS.night0100, 6, 200_000, ALL),
  p('DCE', 'p', 2, 10, 8500, 0.05, SESSIONS.night2300, 15, 500_000, M159),
  p('CZCE', 'TA', 2, 5, 4800, 0.05, SESSIONS.night2300, 25, 1_000_000, M159),
  p('CFFEX', 'IH', 0.2, 300, 2700, 0.1, SESSIONS.cffex, 2, 60_000, ALL),
  p('DCE', 'y', 2, 10, 7900, 0.05, SESSIONS.night2300, 12, 450_000, M159),
  p('CZCE', 'CF', 5, 5, 13500, 0.05, SESSIONS.night2300, 10, 500_000, M159),
];

/** The most instruments buildUniverse gives (codes stay unique up to here). */
export const MAX_INSTRUMENTS = 5000;

export interface UniverseOptions {
  /** First contract month, YYMM (default 2505): each product lists its months from here. */
  firstMonth?: number;
}

/** The k-th listed month (YYMM) of a product at or after `first`. */
function contractMonth(months: readonly number[], first: number, k: number): number {
  let yy = Math.floor(first / 100);
  let mm = first % 100;
  let found = -1;
  for (;;) {
    if (months.includes(mm) && ++found === k) return yy * 100 + mm;
    if (++mm > 12) {
      mm = 1;
      yy = (yy + 1) % 100;
    }
  }
}

function instrumentOf(prod: Product, round: number, firstMonth: number): Instrument {
  const crypto = prod.months.length === 0;
  let code = prod.product;
  if (!crypto) {
    const yymm = contractMonth(prod.months, firstMonth, round);
    // CZCE writes the year with one digit (SR505) for its first ten years; further out,
    // where one digit would repeat a code, the simulator uses two.
    const yearsAhead = (Math.floor(yymm / 100) - Math.floor(firstMonth / 100) + 100) % 100;
    const czce3 = prod.exchg === 'CZCE' && yearsAhead < 10;
    code += czce3 ? String(yymm % 1000).padStart(3, '0') : String(yymm).padStart(4, '0');
  }
  const decimals = (String(prod.tick).split('.')[1] ?? '').length;
  // Later months trade at a small premium (contango), rounded to the tick.
  const scale = 10 ** decimals;
  const premium = Math.round((prod.price * 0.004 * round) / prod.tick) * prod.tick;
  const basePrice = Math.round((prod.price + premium) * scale) / scale;
  return {
    exchg: prod.exchg,
    code,
    id: `${prod.exchg}.${code}`,
    product: prod.product,
    kind: crypto ? 'crypto' : 'future',
    tickSize: prod.tick,
    multiplier: prod.mult,
    basePrice,
    limitPct: prod.limitPct,
    levels: crypto ? 10 : 5,
    utcOffsetMin: crypto ? 0 : SHANGHAI_OFFSET_MIN,
    sections: prod.sections,
    halfSecond: prod.exchg === 'SHFE' || prod.exchg === 'INE',
    lot: crypto ? 0.001 : 1,
    meanLots: prod.meanLots,
    baseOpenInterest: Math.round(prod.oi / (1 + round)),
  };
}

/**
 * The first `count` instruments of the universe: round 0 is every product's front
 * month (and the crypto symbols), round 1 the next listed month of every futures
 * product, and so on. Deterministic: depends only on `count` and `firstMonth`.
 */
export function buildUniverse(count: number, options: UniverseOptions = {}): Instrument[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_INSTRUMENTS) {
    throw new RangeError(`instrument count ${count}: a whole number from 0 to ${MAX_INSTRUMENTS}`);
  }
  const firstMonth = options.firstMonth ?? 2505;
  if (!Number.isInteger(firstMonth) || firstMonth % 100 < 1 || firstMonth % 100 > 12 || firstMonth < 0 || firstMonth > 9912) {
    throw new RangeError(`firstMonth ${firstMonth}: YYMM, e.g. 2505`);
  }
  const out: Instrument[] = [];
  for (let round = 0; out.length < count; round++) {
    for (const prod of PRODUCTS) {
      if (out.length >= count) break;
      if (prod.months.length === 0 && round > 0) continue;
      out.push(instrumentOf(prod, round, firstMonth));
    }
  }
  return out;
}

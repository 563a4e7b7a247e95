// Binance's own instrument data as a metadata source: an exchangeInfo document (GET /api/v3/exchangeInfo, saved to a file) gives each symbol's price tick (PRICE_FILTER tickSize) and lot step (LOT_SIZE stepSize).

import fs from 'node:fs';
import { TickrecError } from '../errors.js';
import { CODE_MAX_CHARS } from '../layout/index.js';
import { decimalField, type MetaFields, type MetaSource } from './instruments.js';

type Json = Record<string, unknown>;
/** A symbol that can be a code: exchangeInfo's upper-case letters and digits, no longer than a code may be. */
const SYMBOL = new RegExp(`^[A-Z0-9]{1,${CODE_MAX_CHARS}}$`);
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads an exchangeInfo file; symbols become BINANCE.<SYMBOL> entries. Filters with a 0 value (none) are skipped. */
export function loadBinanceExchangeInfo(file: string, exchg = 'BINANCE'): MetaSource {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TickrecError('E_CONFIG', `${file}: cannot read the Binance exchangeInfo file (${(err as Error).message}).`, { file });
  }
  if (!isObj(json) || !Array.isArray(json.symbols)) {
    throw new TickrecError('E_CONFIG', `${file}: not a Binance exchangeInfo document (no "symbols" array).`, { file });
  }
  const instruments = new Map<string, MetaFields>();
  json.symbols.forEach((s: unknown, i: number) => {
    if (!isObj(s) || typeof s.symbol !== 'string' || !SYMBOL.test(s.symbol)) return;
    const f: MetaFields = { multiplier: 1 };
    const filters = Array.isArray(s.filters) ? s.filters.filter(isObj) : [];
    const val = (type: string, key: string): number | undefined => {
      const x = filters.find((y) => y.filterType === type)?.[key];
      if (typeof x !== 'string' && typeof x !== 'number') return undefined;
      if (Number(x) === 0) return undefined;
      try {
        return decimalField(x, `symbols[${i}] ${s.symbol as string} ${type}.${key}`);
      } catch (err) {
        throw new TickrecError('E_CONFIG', `${file}: ${(err as Error).message}`, { file });
      }
    };
    const tick = val('PRICE_FILTER', 'tickSize');
    const step = val('LOT_SIZE', 'stepSize');
    if (tick !== undefined) f.price_tick = tick;
    if (step !== undefined) f.lot_step = step;
    instruments.set(`${exchg}.${s.symbol}`, f);
  });
  return { name: `${file} (Binance exchangeInfo)`, products: new Map(), instruments };
}

// Instrument metadata, one place: price tick and precision, lot step (the volume unit of stored trades), contract multiplier, session and time zone of every instrument, merged from the feed's exchange data, tickrec's instruments file and a WonderTrader common/ folder.
//
// PRECEDENCE, per field (docs/instruments.md): the feed's own data (a Binance
// exchangeInfo file) > tickrec's instruments file (the instrument's entry, then its
// product's `EXCHG.product`, then `EXCHG.*`) > WonderTrader's contracts.json `rules`, then
// commodities.json > defaults (lot step 1, no tick, no multiplier). Session and time zone
// come from the sessions book (sessions.json, or WonderTrader's) by the product rule of
// src/calendar/sessions.ts.

import fs from 'node:fs';
import { z } from 'zod';
import { productOf, type SessionBook } from '../calendar/index.js';
import { TickrecError } from '../errors.js';
import { MAX_DECIMALS, decimalsOf } from '../format/decimal.js';

/** What one source says about an instrument or a product (every field optional). */
export interface MetaFields {
  price_tick?: number;
  /** Price decimals; default: those of price_tick. */
  price_decimals?: number;
  lot_step?: number;
  multiplier?: number;
}

/** Everything tickrec knows about an instrument. */
export interface InstrumentMeta {
  exchg: string;
  code: string;
  product: string;
  /** Smallest price move, or null when no source gives it. */
  price_tick: number | null;
  /** Decimals of prices (from price_tick unless a source says otherwise), or null. */
  price_decimals: number | null;
  /** Smallest quantity (1 for China futures, 0.00001 for BTCUSDT on Binance). */
  lot_step: number;
  /** Decimals of lot_step: a stored trade volume counts units of 10^-volume_decimals. */
  volume_decimals: number;
  /** Contract multiplier (turnover = price × volume × multiplier), or null. */
  multiplier: number | null;
  /** Session name in the sessions book, or null (no session: no bars, trading date = calendar date). */
  session: string | null;
  /** IANA zone of the exchange timestamps (action_date, action_time), or null when unknown. */
  timezone: string | null;
  /** The local end of the trading day "HH:MM" (the session's last section end), or null. */
  session_close: string | null;
  /** Where each field came from, for `tickrec calendar` / logs: "lot_step: instruments.json BINANCE.*". */
  sources: Record<string, string>;
}

/** A source of fields by key: "EXCHG.CODE" (instrument) or "EXCHG.product" / "EXCHG.*". */
export interface MetaSource {
  readonly name: string;
  /** Fields for an instrument key ("EXCHG.CODE"). */
  readonly instruments: ReadonlyMap<string, MetaFields>;
  /** Fields for a product key ("EXCHG.product") or an exchange ("EXCHG.*"). */
  readonly products: ReadonlyMap<string, MetaFields>;
}

const decimalish = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/, 'a positive decimal such as "0.00001"')]);
const FieldsSchema = z.strictObject({
  price_tick: decimalish.optional(),
  price_decimals: z.number().int().min(0).max(MAX_DECIMALS).optional(),
  lot_step: decimalish.optional(),
  multiplier: decimalish.optional(),
  description: z.string().optional(),
});
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*\.([A-Za-z0-9][A-Za-z0-9._-]*|\*)$/;
export const InstrumentsFileSchema = z.strictObject({
  description: z.string().optional(),
  /** "EXCHG.product" or "EXCHG.*" → fields. */
  products: z.record(z.string().regex(KEY, 'EXCHG.product or EXCHG.*'), FieldsSchema).default({}),
  /** "EXCHG.CODE" → fields. */
  instruments: z.record(z.string().regex(KEY, 'EXCHG.CODE'), FieldsSchema).default({}),
});

/** A positive decimal with at most MAX_DECIMALS fractional digits, or an error naming `where`. */
export function decimalField(v: number | string, where: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!(n > 0) || decimalsOf(n) < 0) {
    throw new TickrecError('E_CONFIG', `${where}: ${String(v)} is not a positive decimal with at most ${MAX_DECIMALS} fractional digits.`);
  }
  return n;
}

function fieldsOf(raw: z.infer<typeof FieldsSchema>, where: string): MetaFields {
  const f: MetaFields = {};
  if (raw.price_tick !== undefined) f.price_tick = decimalField(raw.price_tick, `${where}.price_tick`);
  if (raw.price_decimals !== undefined) f.price_decimals = raw.price_decimals;
  if (raw.lot_step !== undefined) f.lot_step = decimalField(raw.lot_step, `${where}.lot_step`);
  if (raw.multiplier !== undefined) f.multiplier = decimalField(raw.multiplier, `${where}.multiplier`);
  return f;
}

/** A tickrec instruments file (config/instruments.json) as a source; every problem names the file and key. */
export function loadInstrumentsFile(file: string): MetaSource {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TickrecError('E_CONFIG', `${file}: cannot read the instruments file (${(err as Error).message}).`, { file });
  }
  const r = InstrumentsFileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new TickrecError('E_CONFIG', `${file}: ${i.path.join('.') || '(top level)'}: ${i.message} (docs/instruments.md).`, { file });
  }
  const wrap = (where: string, fn: () => MetaFields): MetaFields => {
    try {
      return fn();
    } catch (err) {
      throw new TickrecError('E_CONFIG', `${file}: ${(err as Error).message}`, { file });
    }
  };
  return {
    name: file,
    products: new Map(Object.entries(r.data.products).map(([k, v]) => [k, wrap(k, () => fieldsOf(v, `products.${k}`))])),
    instruments: new Map(Object.entries(r.data.instruments).map(([k, v]) => [k, wrap(k, () => fieldsOf(v, `instruments.${k}`))])),
  };
}

function hhmm(minute: number): string {
  const m = minute % 1440 === 0 && minute > 0 ? 1440 : minute % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

const FIELD_NAMES = ['price_tick', 'price_decimals', 'lot_step', 'multiplier'] as const;

/** Instrument metadata resolved from sources in precedence order (first source first) and the sessions book. */
export class InstrumentBook {
  private readonly cache = new Map<string, InstrumentMeta>();

  constructor(
    readonly sources: readonly MetaSource[],
    private readonly sessions: SessionBook | undefined,
  ) {}

  /** The metadata of EXCHG.CODE (cached; a book is immutable). */
  metaOf(exchg: string, code: string): InstrumentMeta {
    const key = `${exchg}.${code}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const product = productOf(code);
    const found: MetaFields = {};
    const sources: Record<string, string> = {};
    for (const src of this.sources) {
      for (const [k, fields] of [
        [key, src.instruments.get(key)],
        [`${exchg}.${product}`, src.products.get(`${exchg}.${product}`)],
        [`${exchg}.*`, src.products.get(`${exchg}.*`)],
      ] as const) {
        if (!fields) continue;
        for (const f of FIELD_NAMES) {
          if (found[f] === undefined && fields[f] !== undefined) {
            found[f] = fields[f];
            sources[f] = `${src.name} ${k}`;
          }
        }
      }
    }
    const session = this.sessions?.sessionOf(exchg, code);
    const lot = found.lot_step ?? 1;
    const last = session?.sections[session.sections.length - 1];
    const meta: InstrumentMeta = {
      exchg,
      code,
      product,
      price_tick: found.price_tick ?? null,
      price_decimals: found.price_decimals ?? (found.price_tick !== undefined ? decimalsOf(found.price_tick) : null),
      lot_step: lot,
      volume_decimals: decimalsOf(lot),
      multiplier: found.multiplier ?? null,
      session: session?.name ?? null,
      timezone: this.sessions?.timezoneOf(exchg, code) ?? null,
      session_close: last ? hhmm(last.to) : null,
      sources,
    };
    if (this.cache.size > 200_000) this.cache.clear();
    this.cache.set(key, meta);
    return meta;
  }
}

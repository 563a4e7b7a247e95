// The reader API over rt + his: readTicks / readTrades / readBars / readRecords for one instrument (views, objects, columns), readMarket / readBarsMarket for every instrument of an exchange, scanRecords for streaming.

import { TickrecError } from '../errors.js';
import type { Bar, Codec, Mem, Rec, Tick, Trade, View, ViewClass } from '../format/index.js';
import { extractorOf, growColumns, trimColumns, type BarColumns, type Columns, type TickColumns, type TradeColumns } from './columns.js';
import { barKind, readKind, type BarPeriodName, type ReadKind, type ReadKindName } from './kinds.js';
import { keyRange, type InstantInput, type KeyRange } from './range.js';
import type { ColumnSink } from '../his/index.js';
import { decodeRun, instrumentParts, instrumentSegments, type Segment } from './segments.js';
import { checkCode, checkExchange, checkRoot, listExchanges, listKind, listingCodes } from './sources.js';
import { pow10 } from '../format/decimal.js';
import { RootMetaReader } from '../meta/index.js';

/** A trade View class whose `volume` (and toObject/toJSON) is the real quantity (stored units ÷ 10^decimals), one per decimals. */
const tradeViews = new Map<number, ViewClass>();
function tradeViewClass(codec: Codec, decimals: number): ViewClass {
  let V = tradeViews.get(decimals);
  if (!V) {
    const p = pow10(decimals);
    const units = codec.fieldReader('volume') as (m: Mem, o: number) => number;
    const decode = (m: Mem, o: number): Rec => codec.decode(m, o);
    V = class TradeQuantityView {
      constructor(
        readonly m: Mem,
        readonly offset: number,
      ) {}
      get volume(): number {
        return units(this.m, this.offset) / p;
      }
      toObject(): Rec {
        const o = decode(this.m, this.offset);
        o.volume = (o.volume as number) / p;
        return o;
      }
      toJSON(): Rec {
        return this.toObject();
      }
    } as unknown as ViewClass;
    // Every other field: the codec's own getters.
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(codec.View.prototype))) {
      if (name !== 'constructor' && name !== 'volume' && name !== 'toObject' && name !== 'toJSON')
        Object.defineProperty(V.prototype, name, d);
    }
    tradeViews.set(decimals, V);
  }
  return V;
}

/** One instrument over [from, to) (both optional: from the first record, through the last). */
export interface InstrumentQuery {
  /** Data root: the folder holding rt/ and his/. */
  root: string;
  exchange: string;
  code: string;
  from?: InstantInput;
  to?: InstantInput;
}

export interface RecordsQuery extends InstrumentQuery {
  kind: ReadKindName;
}

export interface BarsQuery extends InstrumentQuery {
  period: BarPeriodName;
}

/** A columnar result: `count` rows, one typed array per numeric field. */
export interface Columnar<C> {
  count: number;
  columns: C;
}

/** A zero-copy view of one record (fields read from the bytes on access), typed by the record. */
export type ReadView<O> = View & Readonly<O>;

export type TickRecord = Required<Tick>;
export type TradeRecord = Required<Trade>;
export type BarRecord = Required<Bar>;

/**
 * The records of one instrument in time order, held as raw bytes (segments: one per
 * trading day, or per run of days of a bar history). Iterate for zero-copy views,
 * `objects()` for plain objects, `columns()` for typed arrays.
 */
export class RecordSet<C = Columns, O = Rec> implements Iterable<ReadView<O>> {
  readonly kind: ReadKindName;
  readonly exchange: string;
  readonly code: string;
  /** Records in the set. */
  readonly count: number;
  readonly segments: readonly Segment[];
  /**
   * Trades: decimals of the instrument's volume unit (from the data root); `volume` of every
   * view, object and column is the real quantity, stored units ÷ 10^volumeDecimals. 0 otherwise.
   */
  readonly volumeDecimals: number;
  private readonly rk: ReadKind;
  private readonly starts: number[];
  private readonly View: ViewClass;

  constructor(kind: ReadKind, exchange: string, code: string, segments: readonly Segment[], volumeDecimals = 0) {
    this.rk = kind;
    this.volumeDecimals = kind.name === 'trade' ? volumeDecimals : 0;
    this.View = this.volumeDecimals > 0 ? tradeViewClass(kind.codec, this.volumeDecimals) : kind.codec.View;
    this.kind = kind.name;
    this.exchange = exchange;
    this.code = code;
    this.segments = segments;
    this.starts = [];
    let n = 0;
    for (const s of segments) {
      this.starts.push(n);
      n += s.count;
    }
    this.count = n;
  }

  /** Zero-copy views in time order (valid as long as the set is referenced). */
  *[Symbol.iterator](): IterableIterator<ReadView<O>> {
    const View = this.View;
    const rs = this.rk.recordBytes;
    for (const s of this.segments) for (let i = 0; i < s.count; i++) yield new View(s.mem, i * rs) as unknown as ReadView<O>;
  }

  /** Records copied into plain objects, in time order. */
  *objects(): IterableIterator<O> {
    const { decode } = this.rk.codec;
    const rs = this.rk.recordBytes;
    const p = pow10(this.volumeDecimals);
    for (const s of this.segments)
      for (let i = 0; i < s.count; i++) {
        const o = decode(s.mem, i * rs);
        if (p !== 1) o.volume = (o.volume as number) / p;
        yield o as O;
      }
  }

  /** Every record as a plain object. */
  toArray(): O[] {
    return [...this.objects()];
  }

  /** A view of record i (0 <= i < count). */
  at(i: number): ReadView<O> {
    if (!(Number.isInteger(i) && i >= 0 && i < this.count)) throw new RangeError(`record ${i} of ${this.count}`);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    const s = this.segments[lo]!;
    return new this.View(s.mem, (i - this.starts[lo]!) * this.rk.recordBytes) as unknown as ReadView<O>;
  }

  /** One typed array per numeric field (or only `fields`), filled straight from the record bytes. */
  columns(fields?: readonly (keyof C & string)[]): Columnar<C> {
    const ex = extractorOf<C>(this.rk.struct);
    const cols = ex.allocate(this.count, fields);
    let at = 0;
    for (const s of this.segments) {
      ex.extract(s.mem, 0, s.count, cols, at);
      at += s.count;
    }
    if (this.rk.name === 'trade') realVolumes(cols as Record<string, unknown>, 0, this.count, this.volumeDecimals);
    return { count: this.count, columns: cols };
  }
}

function instrumentQuery(q: InstrumentQuery, kind: ReadKind): { root: string; exchange: string; code: string; range: KeyRange } {
  if (q === null || typeof q !== 'object') throw new TickrecError('E_USAGE', 'give a query object { root, exchange, code, from?, to? }.');
  const root = checkRoot(q.root);
  const exchange = checkExchange(q.exchange);
  const code = checkCode(exchange, q.code);
  return { root, exchange, code, range: keyRange(kind, q.from, q.to) };
}

/**
 * Trades: the `volume` column (stored u32 units) as real quantities in a Float64Array, rows
 * [start, start + count) divided by 10^decimals; the column is replaced by a Float64Array
 * (rows outside the range copied as they are).
 */
function realVolumes(cols: Record<string, unknown>, start: number, count: number, decimals: number): void {
  const v = cols.volume as Uint32Array | Float64Array | undefined;
  if (v === undefined) return;
  const out = v instanceof Float64Array ? v : Float64Array.from(v);
  if (decimals > 0) {
    const p = pow10(decimals);
    for (let i = start; i < start + count; i++) out[i] = out[i]! / p;
  }
  cols.volume = out;
}

function readSet<C, O>(kind: ReadKind, q: InstrumentQuery): RecordSet<C, O> {
  const { root, exchange, code, range } = instrumentQuery(q, kind);
  const listing = listKind(root, kind, exchange, code, range);
  const decimals = kind.name === 'trade' ? new RootMetaReader(root).of(exchange, code).volumeDecimals : 0;
  return new RecordSet<C, O>(kind, exchange, code, [...instrumentSegments(listing, code, range)], decimals);
}

/** Ticks of one instrument over [from, to), across his day blocks, finished rt days and the live file, in time order. */
export function readTicks(q: InstrumentQuery): RecordSet<TickColumns, TickRecord> {
  return readSet(readKind('tick'), q);
}

/** Trades (transactions) of one instrument over [from, to), in time order. */
export function readTrades(q: InstrumentQuery): RecordSet<TradeColumns, TradeRecord> {
  return readSet(readKind('trade'), q);
}

/** Bars of one period of one instrument: bar history + finished and live rt bar files (day bars: his/day + today's from the ticks). Minute bars are selected by their end in (from, to]. */
export function readBars(q: BarsQuery): RecordSet<BarColumns, BarRecord> {
  return readSet(barKind(q?.period), q);
}

/** Records of any kind (tick, trade, min1 … min60, day). */
export function readRecords(q: RecordsQuery): RecordSet<Columns, Rec> {
  return readSet(readKind(q?.kind), q);
}

// ---------------------------------------------------------------------------------------
// Whole market

export interface MarketQuery {
  root: string;
  exchange: string;
  kind: ReadKindName;
  from?: InstantInput;
  to?: InstantInput;
  /** Only these instruments (default: every instrument of the exchange that has files of the kind). */
  codes?: readonly string[];
  /** Only these columns (default: every numeric field). */
  fields?: readonly string[];
  /**
   * Also check the CRC-32 of the raw records of tickrec bar histories (default false).
   * Bar histories are decoded straight into the columns, which checks the CRC of every
   * stored byte (header, index, day tables, payloads) but never rebuilds the rows the raw
   * CRC was computed over; `checkRaw: true` rebuilds and hashes them (slower), as `tickrec
   * verify --deep` does. Day blocks and rt files are read as before either way.
   */
  checkRaw?: boolean;
}

export interface MarketBarsQuery extends Omit<MarketQuery, 'kind'> {
  period: BarPeriodName;
}

/** The rows of one instrument in a market result: rows [start, start + count). */
export interface InstrumentRows {
  exchange: string;
  code: string;
  start: number;
  count: number;
}

/**
 * Every instrument of an exchange in one columnar table: instrument by instrument (in
 * code order), each in time order; `columns.instrument[i]` is the index in `instruments`
 * of row i's instrument. Instruments with no record in range are not listed.
 */
export interface MarketColumnar<C> {
  kind: ReadKindName;
  exchange: string;
  count: number;
  instruments: InstrumentRows[];
  columns: C & { instrument: Uint32Array };
}

/** The columns of one instrument of a market result (subarray views, no copy); undefined when it has no row. */
export function instrumentColumns<C>(m: MarketColumnar<C>, code: string): Columnar<C> | undefined {
  const r = m.instruments.find((x) => x.code === code);
  if (!r) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.columns as Record<string, Uint8Array>))
    if (k !== 'instrument') out[k] = v.subarray(r.start, r.start + r.count);
  return { count: r.count, columns: out as C };
}

/** Every instrument of an exchange over [from, to) as one columnar table (see MarketColumnar). */
export function readMarket(q: MarketQuery): MarketColumnar<Columns> {
  return readMarketOf<Columns>(readKind(q?.kind), q);
}

/** Bars of one period for every instrument of an exchange, columnar: what a cross-sectional study reads. */
export function readBarsMarket(q: MarketBarsQuery): MarketColumnar<BarColumns> {
  return readMarketOf<BarColumns>(barKind(q?.period), q);
}

function readMarketOf<C>(kind: ReadKind, q: Omit<MarketQuery, 'kind'>): MarketColumnar<C> {
  if (q === null || typeof q !== 'object') throw new TickrecError('E_USAGE', 'give a query object { root, exchange, from?, to? }.');
  const root = checkRoot(q.root);
  const exchange = checkExchange(q.exchange);
  const range = keyRange(kind, q.from, q.to);
  const ex = extractorOf<C>(kind.struct);
  const only = q.codes?.map((c) => checkCode(exchange, c));
  const listing = listKind(root, kind, exchange, only?.length === 1 ? only[0] : undefined, range);
  const codes = only ? [...new Set(only)].sort() : listingCodes(listing);
  const checkRaw = q.checkRaw === true;
  const meta = kind.name === 'trade' ? new RootMetaReader(root) : undefined;
  const decimalsOf: number[] = [];
  let cap = 0;
  let cols = ex.allocate(0, q.fields) as C & Columns;
  let sinks: ColumnSink[] = [];
  let inst = new Uint32Array(0);
  let n = 0;
  const instruments: InstrumentRows[] = [];
  /** Room for `more` rows after the n taken, while instrument k (0-based) of the codes is read. */
  const reserve = (more: number, k: number): void => {
    if (n + more <= cap) return;
    // Projected from the rows per instrument so far (the first instrument: from its own
    // rows), so a market of similar instruments allocates once and never copies; the
    // arrays are fresh (zeroed lazily by the kernel), and the pages past the last row
    // are never touched.
    const need = n + more;
    cap = Math.max(need, Math.ceil((need / (k + 1)) * codes.length * 1.05), cap === 0 ? 0 : Math.ceil(cap * 1.25));
    cols = growColumns(cols, n, cap);
    sinks = ex.columns.flatMap((c) => {
      const out = (cols as Columns)[c.name];
      return out ? [{ offset: c.offset, type: c.type, out }] : [];
    });
    const b = new Uint32Array(cap);
    b.set(inst.subarray(0, n));
    inst = b;
  };
  codes.forEach((code, k) => {
    const start = n;
    for (const part of instrumentParts(listing, code, range, kind.isBar)) {
      if ('history' in part) {
        // A run of days of a bar history: decoded straight into the columns (no rows).
        reserve(part.history.rowCount(part.firstDate, part.lastDate), k);
        n += decodeRun(part, range, sinks, n, checkRaw);
        continue;
      }
      reserve(part.count, k);
      ex.extract(part.mem, 0, part.count, cols, n);
      n += part.count;
    }
    if (n > start) {
      inst.fill(instruments.length, start, n);
      instruments.push({ exchange, code, start, count: n - start });
      if (meta) decimalsOf.push(meta.of(exchange, code).volumeDecimals);
    }
  });
  if (meta) {
    const c = cols as Record<string, unknown>;
    realVolumes(c, 0, 0, 0); // to a Float64Array (the whole column)
    instruments.forEach((r, i) => realVolumes(c, r.start, r.count, decimalsOf[i]!));
  }
  const columns = { ...trimColumns(cols, n), instrument: inst.length === n ? inst : inst.subarray(0, n) } as C & {
    instrument: Uint32Array;
  };
  return { kind: kind.name, exchange, count: n, instruments, columns };
}

// ---------------------------------------------------------------------------------------
// Streaming

export interface ScanQuery {
  root: string;
  kind: ReadKindName;
  /** One exchange, or every exchange with files of the kind. */
  exchange?: string;
  /** One instrument (of `exchange`, or of every exchange), or all. */
  code?: string;
  from?: InstantInput;
  to?: InstantInput;
}

/**
 * Segments of every selected instrument (exchanges and codes in name order, each
 * instrument in time order), read one at a time: memory stays bounded by one segment
 * (one trading day, or a run of days of one bar history).
 */
export function* scanRecords(q: ScanQuery): Generator<Segment> {
  if (q === null || typeof q !== 'object')
    throw new TickrecError('E_USAGE', 'give a query object { root, kind, exchange?, code?, from?, to? }.');
  const kind = readKind(q.kind);
  const root = checkRoot(q.root);
  const range = keyRange(kind, q.from, q.to);
  const exchanges = q.exchange !== undefined ? [checkExchange(q.exchange)] : listExchanges(root, kind);
  for (const exchange of exchanges) {
    const code = q.code !== undefined ? checkCode(exchange, q.code) : undefined;
    const listing = listKind(root, kind, exchange, code, range);
    for (const c of code !== undefined ? [code] : listingCodes(listing)) yield* instrumentSegments(listing, c, range);
  }
}

/** Instruments that have files of `kind` (every exchange, or one), as { exchange, code }, sorted. */
export function listInstruments(root: string, kind: ReadKindName, exchange?: string): { exchange: string; code: string }[] {
  const k = readKind(kind);
  checkRoot(root);
  const exchanges = exchange !== undefined ? [checkExchange(exchange)] : listExchanges(root, k);
  return exchanges.flatMap((e) => listingCodes(listKind(root, k, e, undefined)).map((code) => ({ exchange: e, code })));
}

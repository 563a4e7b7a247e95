// Columnar extraction: one typed array per numeric field, filled straight from raw record bytes by code compiled from the field tables (src/format/struct.ts), as the codecs are.
//
// Columns: every numeric field of the struct in table order; a numeric array field of n
// elements becomes n columns name_0 .. name_{n-1} (bid_prices_0 .. bid_prices_9), the
// names of `tickrec cat --format csv` and of the export. Types: f64 → Float64Array,
// u32 → Uint32Array, u16 → Uint16Array, u64/i64 → Float64Array (exact below 2^53, as
// everywhere in tickrec's JavaScript API). Character fields (exchg, code) and padding
// are not columns: the instrument is told beside the columns.
//
// Why compiled, and how: a column is every R-th word of the records (R = record bytes /
// word size: a bar is 88 bytes = 11 f64 slots, so `close` is every 11th f64), copied by a
// tight loop with constant stride and offset. The generated function runs one such loop
// per column over a block of records small enough to stay in the L2 cache
// (EXTRACT_BLOCK_BYTES), so each column pass reads cached bytes and the records are
// brought from memory once; no object is made per record.

import { TickrecError } from '../errors.js';
import type { FieldType, Mem, StructDef } from '../format/index.js';
import { BAR, TICK, TRADE } from '../format/index.js';
import { compileFunction } from '../format/compile.js';

export type ColumnArray = Float64Array | Uint32Array | Uint16Array;
export type ColumnArrayName = 'Float64Array' | 'Uint32Array' | 'Uint16Array';
export type Columns = Record<string, ColumnArray>;

/** One column: which field (and element) it comes from, and its array type. */
export interface ColumnInfo {
  /** Column name: the field's, or field_<i> for element i of an array field. */
  readonly name: string;
  readonly field: string;
  /** Element of an array field, else undefined. */
  readonly element: number | undefined;
  /** Type of the field on disk. */
  readonly type: Exclude<FieldType, 'char' | 'pad'>;
  readonly array: ColumnArrayName;
  /** Byte offset of the value in the record. */
  readonly offset: number;
}

/** Records of this many bytes are handled per block: one pass per column over a block that stays in L2. */
export const EXTRACT_BLOCK_BYTES = 64 * 1024;

type D = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
type Levels<N extends string> = { [K in `${N}_${D}`]: Float64Array };

/** Columns of ticks (TICK field table). */
export type TickColumns = {
  price: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  settle_price: Float64Array;
  upper_limit: Float64Array;
  lower_limit: Float64Array;
  total_volume: Float64Array;
  volume: Float64Array;
  total_turnover: Float64Array;
  turn_over: Float64Array;
  open_interest: Float64Array;
  diff_interest: Float64Array;
  trading_date: Uint32Array;
  action_date: Uint32Array;
  action_time: Uint32Array;
  pre_close: Float64Array;
  pre_settle: Float64Array;
  pre_interest: Float64Array;
} & Levels<'bid_prices'> &
  Levels<'ask_prices'> &
  Levels<'bid_qty'> &
  Levels<'ask_qty'>;

/** Columns of trades (TRADE field table). */
export interface TradeColumns {
  trading_date: Uint32Array;
  action_date: Uint32Array;
  action_time: Uint32Array;
  index: Float64Array;
  ttype: Uint32Array;
  side: Uint32Array;
  price: Float64Array;
  /** The real quantity (stored units ÷ 10^volume_decimals of the instrument; docs/format.md). */
  volume: Float64Array;
  askorder: Float64Array;
  bidorder: Float64Array;
}

/** Columns of bars (BAR field table), every period. */
export interface BarColumns {
  date: Uint32Array;
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  settle: Float64Array;
  money: Float64Array;
  vol: Float64Array;
  hold: Float64Array;
  add: Float64Array;
}

function arrayOf(t: FieldType): ColumnArrayName {
  return t === 'u32' ? 'Uint32Array' : t === 'u16' ? 'Uint16Array' : 'Float64Array';
}

/** The columns of a struct, in table order. */
export function columnInfos(struct: StructDef): readonly ColumnInfo[] {
  const out: ColumnInfo[] = [];
  for (const f of struct.fields) {
    if (f.type === 'char' || f.type === 'pad') continue;
    const type = f.type;
    const elem = f.size / f.count;
    if (!f.isArray) out.push({ name: f.name, field: f.name, element: undefined, type, array: arrayOf(type), offset: f.offset });
    else
      for (let e = 0; e < f.count; e++)
        out.push({ name: `${f.name}_${e}`, field: f.name, element: e, type, array: arrayOf(type), offset: f.offset + e * elem });
  }
  return out;
}

const CTORS = { Float64Array, Uint32Array, Uint16Array } as const;

export interface Extractor<C = Columns> {
  readonly struct: StructDef;
  readonly columns: readonly ColumnInfo[];
  /** Column names, in table order. */
  readonly names: readonly string[];
  /**
   * Copies the columns of `count` records that start at byte `offset` of `m` (a multiple
   * of 8) into rows `at ..` of `cols`. A column missing from `cols` is skipped.
   */
  extract(m: Mem, offset: number, count: number, cols: Partial<C>, at: number): void;
  /** Fresh zeroed columns for `count` rows: every column, or the `fields` named (unknown names refused). */
  allocate(count: number, fields?: readonly string[]): C;
}

/** Generates the body of one column's loop over rows [b, e) of the block. */
function columnLoop(c: ColumnInfo, v: string, rs: number): string {
  const w = c.type === 'u16' ? 2 : c.type === 'u32' ? 4 : c.type === 'f64' ? 8 : 4;
  const stride = rs / w;
  const first = c.offset / w;
  const base = w === 8 ? '(o >>> 3)' : w === 4 ? '(o >>> 2)' : '(o >>> 1)';
  const load =
    c.type === 'f64'
      ? 'f64[s]'
      : c.type === 'u32'
        ? 'u32[s]'
        : c.type === 'u16'
          ? 'u16[s]'
          : c.type === 'u64'
            ? 'u32[s + 1] * 4294967296 + u32[s]'
            : 'i32[s + 1] * 4294967296 + u32[s]';
  return `if (${v} !== undefined) { let s = ${base} + ${first} + b * ${stride}; for (let i = at + b, end = at + e; i < end; i++, s += ${stride}) ${v}[i] = ${load}; }`;
}

function compile<C>(struct: StructDef, blockRecords: number): Extractor<C> {
  const cols = columnInfos(struct);
  const rs = struct.size;
  for (const c of cols) {
    const w = c.type === 'u16' ? 2 : c.type === 'f64' ? 8 : 4;
    if (c.offset % w !== 0 || rs % 8 !== 0)
      throw new Error(`${struct.name}.${c.name}: offset ${c.offset} cannot be extracted (needs ${w}-alignment)`);
  }
  const vars = cols.map((_, i) => `c${i}`);
  const src = `return function extract_${struct.name}(m, o, n, cols, at) {
  const f64 = m.f64, u32 = m.u32, i32 = m.i32, u16 = m.u16;
  ${cols.map((c, i) => `const ${vars[i]} = cols[${JSON.stringify(c.name)}];`).join('\n  ')}
  for (let b = 0; b < n; b += ${blockRecords}) {
    const e = b + ${blockRecords} < n ? b + ${blockRecords} : n;
    ${cols.map((c, i) => columnLoop(c, vars[i]!, rs)).join('\n    ')}
  }
};`;
  const extract = compileFunction<Extractor<C>['extract']>([], src);
  const byName = new Map(cols.map((c) => [c.name, c]));
  return {
    struct,
    columns: cols,
    names: cols.map((c) => c.name),
    extract,
    allocate(count: number, fields?: readonly string[]): C {
      const out: Record<string, ColumnArray> = {};
      for (const name of fields ?? byName.keys()) {
        const c = byName.get(name);
        if (!c) throw unknownField(struct, name, cols);
        out[name] = new CTORS[c.array](count);
      }
      return out as C;
    },
  };
}

function unknownField(struct: StructDef, name: string, cols: readonly ColumnInfo[]): TickrecError {
  return new TickrecError(
    'E_USAGE',
    `field '${String(name).slice(0, 40)}': ${struct.name} records have no such column; use some of ${cols.map((c) => c.name).join(', ')}.`,
  );
}

const cache = new Map<StructDef, Extractor<unknown>>();

/** The compiled extractor of a struct (compiled once). */
export function extractorOf<C = Columns>(struct: StructDef): Extractor<C> {
  let e = cache.get(struct);
  if (!e) {
    e = compile<unknown>(struct, Math.max(1, Math.floor(EXTRACT_BLOCK_BYTES / struct.size)));
    cache.set(struct, e);
  }
  return e as Extractor<C>;
}

/** For the benchmark: an extractor compiled with another block size (records per block; Infinity = one pass per column over everything). */
export function extractorWithBlock<C = Columns>(struct: StructDef, blockRecords: number): Extractor<C> {
  return compile<C>(struct, Number.isFinite(blockRecords) ? blockRecords : 2 ** 31 - 1);
}

export const TICK_EXTRACTOR = extractorOf<TickColumns>(TICK);
export const TRADE_EXTRACTOR = extractorOf<TradeColumns>(TRADE);
export const BAR_EXTRACTOR = extractorOf<BarColumns>(BAR);

/** Grows columns to at least `need` rows, keeping rows [0, used). */
export function growColumns<C>(cols: C, used: number, need: number): C {
  const out: Record<string, ColumnArray> = {};
  for (const [name, a] of Object.entries(cols as Record<string, ColumnArray>)) {
    if (a.length >= need) {
      out[name] = a;
      continue;
    }
    const b = new (a.constructor as new (n: number) => ColumnArray)(Math.max(need, Math.ceil(a.length * 1.5)));
    b.set(a.subarray(0, used));
    out[name] = b;
  }
  return out as C;
}

/** Columns cut to `count` rows (views, no copy). */
export function trimColumns<C>(cols: C, count: number): C {
  const out: Record<string, ColumnArray> = {};
  for (const [name, a] of Object.entries(cols as Record<string, ColumnArray>)) out[name] = a.length === count ? a : a.subarray(0, count);
  return out as C;
}

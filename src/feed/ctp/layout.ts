// The two binary layouts of CThostFtdcDepthMarketDataField (6.3.x: 408 bytes; 6.5.1 on, 6.7.x: 584 bytes) as field tables, with decode and encode. Pure.
//
// The tables list CTP's fields in declaration order with their C types; offsets follow
// the C rules of the SDK's x86-64 Linux build (doubles aligned to 8, ints to 4, char
// arrays to 1, the struct padded to 8) and are asserted at load time against what the
// real headers give (issue 13): 6.7.x InstrumentID@401, ExchangeInstID@482, 584 bytes;
// 6.3.x InstrumentID@9, ExchangeInstID@49, 408 bytes. From 6.5.1 the codes grew to 81
// characters: the old 31-character fields stay in place as reserve1/reserve2 and the new
// ones are appended after ActionDay, with the two banding prices.
// Used to read capture files (capture.ts) and to write golden ones in the tests.

import { CTP_DBL_MAX, type CtpDepthMarketData } from './fields.js';

type FieldType = 'f64' | 'i32' | { text: number };
export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}
export interface CtpLayout {
  /** "6.3" (408 bytes) or "6.5+" (584 bytes, 6.5.1 to 6.7.x). */
  readonly line: '6.3' | '6.5+';
  readonly bytes: number;
  readonly fields: readonly FieldSpec[];
  readonly byName: ReadonlyMap<string, FieldSpec>;
}

const T = (n: number): FieldType => ({ text: n });
const MIDDLE: [string, FieldType][] = [
  ['LastPrice', 'f64'],
  ['PreSettlementPrice', 'f64'],
  ['PreClosePrice', 'f64'],
  ['PreOpenInterest', 'f64'],
  ['OpenPrice', 'f64'],
  ['HighestPrice', 'f64'],
  ['LowestPrice', 'f64'],
  ['Volume', 'i32'],
  ['Turnover', 'f64'],
  ['OpenInterest', 'f64'],
  ['ClosePrice', 'f64'],
  ['SettlementPrice', 'f64'],
  ['UpperLimitPrice', 'f64'],
  ['LowerLimitPrice', 'f64'],
  ['PreDelta', 'f64'],
  ['CurrDelta', 'f64'],
  ['UpdateTime', T(9)],
  ['UpdateMillisec', 'i32'],
  ...[1, 2, 3, 4, 5].flatMap((i): [string, FieldType][] => [
    [`BidPrice${i}`, 'f64'],
    [`BidVolume${i}`, 'i32'],
    [`AskPrice${i}`, 'f64'],
    [`AskVolume${i}`, 'i32'],
  ]),
  ['AveragePrice', 'f64'],
  ['ActionDay', T(9)],
];

const V63: [string, FieldType][] = [
  ['TradingDay', T(9)],
  ['InstrumentID', T(31)],
  ['ExchangeID', T(9)],
  ['ExchangeInstID', T(31)],
  ...MIDDLE,
];
const V65: [string, FieldType][] = [
  ['TradingDay', T(9)],
  ['reserve1', T(31)],
  ['ExchangeID', T(9)],
  ['reserve2', T(31)],
  ...MIDDLE,
  ['InstrumentID', T(81)],
  ['ExchangeInstID', T(81)],
  ['BandingUpperPrice', 'f64'],
  ['BandingLowerPrice', 'f64'],
];

function build(line: CtpLayout['line'], list: [string, FieldType][]): CtpLayout {
  let off = 0;
  const fields: FieldSpec[] = [];
  for (const [name, type] of list) {
    const size = type === 'f64' ? 8 : type === 'i32' ? 4 : type.text;
    const align = type === 'f64' ? 8 : type === 'i32' ? 4 : 1;
    off = Math.ceil(off / align) * align;
    fields.push({ name, type, offset: off, size });
    off += size;
  }
  const bytes = Math.ceil(off / 8) * 8;
  return { line, bytes, fields, byName: new Map(fields.map((f) => [f.name, f])) };
}

export const LAYOUT_63 = build('6.3', V63);
export const LAYOUT_65 = build('6.5+', V65);

function assertAt(l: CtpLayout, field: string, offset: number): void {
  const f = l.byName.get(field);
  if (f?.offset !== offset) throw new Error(`CTP layout ${l.line}: ${field} at ${f?.offset}, expected ${offset}`);
}
// What the real headers give (measured with 6.3.6, 6.3.11, 6.7.7 and 6.7.11, issue 13).
if (LAYOUT_63.bytes !== 408 || LAYOUT_65.bytes !== 584) throw new Error('CTP layouts: struct sizes are not 408 / 584');
assertAt(LAYOUT_63, 'InstrumentID', 9);
assertAt(LAYOUT_63, 'ExchangeInstID', 49);
assertAt(LAYOUT_65, 'InstrumentID', 401);
assertAt(LAYOUT_65, 'ExchangeInstID', 482);

/** The layout of a struct size, or undefined. */
export function layoutOfSize(bytes: number): CtpLayout | undefined {
  return bytes === LAYOUT_63.bytes ? LAYOUT_63 : bytes === LAYOUT_65.bytes ? LAYOUT_65 : undefined;
}

/** A text field up to its first NUL, bytes as Latin-1 (codes, dates and times are ASCII). */
function text(b: Uint8Array, off: number, size: number): string {
  let end = off;
  while (end < off + size && b[end] !== 0) end++;
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** The struct's bytes (at `offset` of `b`) as the object the addon hands to JavaScript. */
export function decodeDepthMarketData(l: CtpLayout, b: Uint8Array, offset = 0): CtpDepthMarketData {
  const dv = new DataView(b.buffer, b.byteOffset + offset, l.bytes);
  const o: Record<string, string | number> = {};
  for (const f of l.fields) {
    if (f.name.startsWith('reserve')) continue;
    if (f.type === 'f64') o[f.name] = dv.getFloat64(f.offset, true);
    else if (f.type === 'i32') o[f.name] = dv.getInt32(f.offset, true);
    else o[f.name] = text(b, offset + f.offset, f.size);
  }
  return o as unknown as CtpDepthMarketData;
}

/**
 * The struct's bytes for the given fields, as a front fills it: prices not given are
 * DBL_MAX, volumes 0, texts empty. Texts must be ASCII; a text too long is an error.
 */
export function encodeDepthMarketData(l: CtpLayout, fields: Readonly<Record<string, string | number>>): Uint8Array {
  const b = new Uint8Array(l.bytes);
  const dv = new DataView(b.buffer);
  for (const f of l.fields) if (f.type === 'f64') dv.setFloat64(f.offset, CTP_DBL_MAX, true);
  for (const [k, v] of Object.entries(fields)) {
    const f = l.byName.get(k);
    if (f === undefined || k.startsWith('reserve')) throw new Error(`CTP layout ${l.line}: no field ${k}`);
    if (f.type === 'f64') dv.setFloat64(f.offset, Number(v), true);
    else if (f.type === 'i32') dv.setInt32(f.offset, Number(v), true);
    else {
      const s = String(v);
      if (s.length >= f.size || !/^[\x20-\x7e]*$/.test(s))
        throw new Error(`CTP layout ${l.line}: ${k} "${s}" is not ASCII of at most ${f.size - 1} characters`);
      for (let i = 0; i < s.length; i++) b[f.offset + i] = s.charCodeAt(i);
    }
  }
  return b;
}

// datakit's old record layouts (block versions 1 and 2) and their conversion to the current Tick and Bar, as datakit converts them on read.
//
// Before 2022 WonderTrader stored packed (1-byte aligned) structs with 32-bit volumes
// and open interest: WTSTickStructOld (402 bytes) and WTSBarStructOld (68 bytes). A
// historical block of version 1 holds them raw after the 12-byte BlockHeader, version 2
// holds one zstd frame of them after BlockHeaderV2. datakit's reader turns each into the
// current struct field by field (the assignment operators of WTSStruct.h); the rules,
// written here in our words:
//
// - every field keeps its name and value; an integer becomes the double of the same
//   value: u32 total_volume, volume, open_interest, bid_qty[10], ask_qty[10] and bar
//   vol, hold; SIGNED i32 diff_interest, pre_interest and bar add (a negative change
//   stays negative);
// - the bar's u32 time becomes the u64 time (the same minute-bar number);
// - exchg (10 bytes) and code (32 bytes) are copied up to their first NUL into the
//   current 16- and 32-byte fields, the rest NUL. datakit's strncpy would run on into
//   the code when all 10 exchg bytes are characters; tickrec refuses such a record
//   instead (no exchange code has 10 characters).
// - the current struct's reserved bytes are zero; nothing else is invented.
//
// Trades, order queues and order details never had an old layout: a trade block of
// version 1 or 2 is not something datakit wrote, and tickrec refuses it.

import { BAR } from './bar.js';
import { Mem } from './mem.js';
import type { Field, StructDef } from './struct.js';
import { TICK } from './tick.js';

export type OldFieldType = 'f64' | 'u32' | 'i32' | 'char';

export interface OldField {
  readonly name: string;
  readonly type: OldFieldType;
  readonly offset: number;
  readonly count: number;
}

const OLD_TYPE_BYTES: Readonly<Record<OldFieldType, number>> = { f64: 8, u32: 4, i32: 4, char: 1 };

function table(name: string, size: number, spec: readonly [string, OldFieldType, number?][]): readonly OldField[] {
  const out: OldField[] = [];
  let at = 0;
  for (const [n, type, count = 1] of spec) {
    out.push({ name: n, type, offset: at, count });
    at += OLD_TYPE_BYTES[type] * count;
  }
  if (at !== size) throw new Error(`${name}: fields add up to ${at} bytes, expected ${size}`);
  return out;
}

/** WTSTickStructOld, packed: 402 bytes. */
export const OLD_TICK_BYTES = 402;
export const OLD_TICK_FIELDS = table('WTSTickStructOld', OLD_TICK_BYTES, [
  ['exchg', 'char', 10],
  ['code', 'char', 32],
  ['price', 'f64'],
  ['open', 'f64'],
  ['high', 'f64'],
  ['low', 'f64'],
  ['settle_price', 'f64'],
  ['upper_limit', 'f64'],
  ['lower_limit', 'f64'],
  ['total_volume', 'u32'],
  ['volume', 'u32'],
  ['total_turnover', 'f64'],
  ['turn_over', 'f64'],
  ['open_interest', 'u32'],
  ['diff_interest', 'i32'],
  ['trading_date', 'u32'],
  ['action_date', 'u32'],
  ['action_time', 'u32'],
  ['pre_close', 'f64'],
  ['pre_settle', 'f64'],
  ['pre_interest', 'i32'],
  ['bid_prices', 'f64', 10],
  ['ask_prices', 'f64', 10],
  ['bid_qty', 'u32', 10],
  ['ask_qty', 'u32', 10],
]);

/** WTSBarStructOld, packed: 68 bytes. */
export const OLD_BAR_BYTES = 68;
export const OLD_BAR_FIELDS = table('WTSBarStructOld', OLD_BAR_BYTES, [
  ['date', 'u32'],
  ['time', 'u32'],
  ['open', 'f64'],
  ['high', 'f64'],
  ['low', 'f64'],
  ['close', 'f64'],
  ['settle', 'f64'],
  ['money', 'f64'],
  ['vol', 'u32'],
  ['hold', 'u32'],
  ['add', 'i32'],
]);

function readOld(dv: DataView, at: number, f: OldField, i: number): number {
  const o = at + f.offset + i * OLD_TYPE_BYTES[f.type];
  return f.type === 'f64' ? dv.getFloat64(o, true) : f.type === 'u32' ? dv.getUint32(o, true) : dv.getInt32(o, true);
}

/** Element i of current field `to` of the record at `at`: f64 as the double of v, u64 and u32 as the integer v. */
function writeNew(dv: DataView, at: number, to: Field, i: number, v: number): void {
  const o = at + to.offset + (i * to.size) / to.count;
  if (to.type === 'f64') dv.setFloat64(o, v, true);
  else if (to.type === 'u64') dv.setBigUint64(o, BigInt(v), true);
  else if (to.type === 'u32') dv.setUint32(o, v, true);
  else throw new Error(`old-struct conversion: no rule for a ${to.type} field (${to.name})`);
}

/** Why old records cannot be converted (a bad length, an exchange code without its NUL), or undefined. */
export type OldProblem = { record: number; what: string } | { record: -1; what: string };

/**
 * Converts `bytes` of old records (OLD_TICK_BYTES each) into current 512-byte ticks.
 * Returns the records, or a problem naming the first record that cannot be converted.
 */
export function convertOldTicks(bytes: Uint8Array): Uint8Array | OldProblem {
  return convertOld(bytes, 'ticks', OLD_TICK_BYTES, OLD_TICK_FIELDS, TICK);
}

/** Converts `bytes` of old bars (OLD_BAR_BYTES each) into current 88-byte bars. */
export function convertOldBars(bytes: Uint8Array): Uint8Array | OldProblem {
  return convertOld(bytes, 'bars', OLD_BAR_BYTES, OLD_BAR_FIELDS, BAR);
}

/** Old records of `oldBytes` each, field by field (by name) into records of `to`. */
function convertOld(
  bytes: Uint8Array,
  what: string,
  oldBytes: number,
  fields: readonly OldField[],
  to: StructDef,
): Uint8Array | OldProblem {
  if (bytes.length % oldBytes !== 0) return { record: -1, what: `${bytes.length} bytes are not whole old ${what} of ${oldBytes} bytes` };
  const n = bytes.length / oldBytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = Mem.alloc(n * to.size);
  const odv = new DataView(out.u8.buffer, out.u8.byteOffset, out.u8.length);
  for (let r = 0; r < n; r++) {
    const src = r * oldBytes;
    const dst = r * to.size;
    for (const f of fields) {
      const t = to.field(f.name);
      if (f.type === 'char') {
        const field = bytes.subarray(src + f.offset, src + f.offset + f.count);
        const len = field.indexOf(0);
        if (len < 0) return { record: r, what: `${f.name} has no NUL within its ${f.count} bytes` };
        out.u8.set(field.subarray(0, len), dst + t.offset);
        continue;
      }
      for (let i = 0; i < f.count; i++) writeNew(odv, dst, t, i, readOld(dv, src, f, i));
    }
  }
  return out.u8;
}

// Reading and writing the numeric fields of a packed header struct (src/his/layout.ts) by name, with a DataView.

import { assert } from '../assert.js';
import { BLOCK_FLAG, type StructDef } from '../format/index.js';

const TWO32 = 4294967296;

export type HeaderValues = Record<string, number>;

/** Writes the flag, every named numeric field of `values` (missing = 0) and zero padding into `bytes` at `at`. */
export function putHeader(s: StructDef, bytes: Uint8Array, values: HeaderValues, at = 0): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, s.size);
  bytes.fill(0, at, at + s.size);
  for (const f of s.fields) {
    const o = f.offset;
    const v = values[f.name] ?? 0;
    switch (f.type) {
      case 'char':
        assert(f.name === 'flag', `${s.name}.${f.name}: only the flag is a char field`);
        bytes.set(BLOCK_FLAG, at + o);
        break;
      case 'u16':
        assert(Number.isInteger(v) && v >= 0 && v <= 0xffff, `${s.name}.${f.name} = ${v} does not fit u16`);
        dv.setUint16(o, v, true);
        break;
      case 'u32':
        assert(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `${s.name}.${f.name} = ${v} does not fit u32`);
        dv.setUint32(o, v, true);
        break;
      case 'u64':
        assert(Number.isSafeInteger(v) && v >= 0, `${s.name}.${f.name} = ${v} is not a safe u64`);
        dv.setUint32(o, v % TWO32, true);
        dv.setUint32(o + 4, Math.floor(v / TWO32), true);
        break;
      case 'pad':
        break;
      default:
        throw new Error(`${s.name}.${f.name}: type ${f.type} is not used in headers`);
    }
  }
}

/** Reads every numeric field of `s` from `bytes` at `at` (u64 above 2^53 reads as a number > MAX_SAFE_INTEGER). */
export function getHeader(s: StructDef, bytes: Uint8Array, at = 0): HeaderValues {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, s.size);
  const out: HeaderValues = {};
  for (const f of s.fields) {
    const o = f.offset;
    if (f.type === 'u16') out[f.name] = dv.getUint16(o, true);
    else if (f.type === 'u32') out[f.name] = dv.getUint32(o, true);
    else if (f.type === 'u64') out[f.name] = dv.getUint32(o + 4, true) * TWO32 + dv.getUint32(o, true);
  }
  return out;
}

/** Offset of a field in its struct (for the CRC ranges). */
export function offsetOf(s: StructDef, name: string): number {
  return s.field(name).offset;
}

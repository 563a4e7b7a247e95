// A table-walking encoder (loop over the field table, switch on type, DataView writes): the baseline that the compiled codec is measured against.

import type { StructDef } from '../../src/index.js';

/** Writes every byte of `struct` for `rec` at byte `o` of `dv`, the way one would without code generation. */
export function naiveEncode(struct: StructDef, rec: Readonly<Record<string, unknown>>, dv: DataView, o: number): void {
  for (const f of struct.fields) {
    const at = o + f.offset;
    const v = rec[f.name];
    switch (f.type) {
      case 'char': {
        const s = typeof v === 'string' ? v : '';
        for (let k = 0; k < f.count; k++) dv.setUint8(at + k, k < s.length ? s.charCodeAt(k) : 0);
        break;
      }
      case 'pad':
        for (let k = 0; k < f.count; k++) dv.setUint8(at + k, 0);
        break;
      case 'f64':
        if (f.isArray) {
          const a = (v ?? []) as ArrayLike<number>;
          for (let e = 0; e < f.count; e++) dv.setFloat64(at + e * 8, e < a.length ? a[e]! : 0, true);
        } else dv.setFloat64(at, (v as number | undefined) ?? 0, true);
        break;
      case 'u32':
        dv.setUint32(at, (v as number | undefined) ?? 0, true);
        break;
      case 'u16':
        dv.setUint16(at, (v as number | undefined) ?? 0, true);
        break;
      case 'u64':
      case 'i64':
        dv.setBigInt64(at, BigInt((v as number | undefined) ?? 0), true);
        break;
    }
  }
}

// Field tables: the one definition of every on-disk struct. A table drives the
// encoder, the decoder, zero-copy field reads, the docs and the layout test.
//
// Rules a table must obey (asserted by defineStruct, so a typo fails at load time):
// - fields are listed in offset order and tile the struct exactly: no hole, no overlap,
//   padding is an explicit `pad` field (the encoder writes zeros there);
// - unless the struct is `packed`, every numeric field sits at its natural alignment
//   (f64/u64/i64 on 8, u32 on 4, u16 on 2), as the C compiler lays it out;
// - char fields are NUL-padded ASCII and keep one byte for the terminating NUL.

export type FieldType = 'f64' | 'u64' | 'i64' | 'u32' | 'u16' | 'char' | 'pad';

/** Bytes of one element of each type (char and pad: one byte per element). */
export const TYPE_BYTES: Readonly<Record<FieldType, number>> = {
  f64: 8,
  u64: 8,
  i64: 8,
  u32: 4,
  u16: 2,
  char: 1,
  pad: 1,
};

export interface FieldInput {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  /** Elements: the length of a char or pad field, or of a numeric array. Default 1. */
  readonly count?: number;
  /** The rule of the field, as documented in docs/format.md. */
  readonly doc: string;
}

export interface Field extends FieldInput {
  readonly count: number;
  readonly size: number;
  /** True for numeric arrays (count > 1 of a numeric type). */
  readonly isArray: boolean;
}

export interface StructDef {
  readonly name: string;
  readonly size: number;
  readonly packed: boolean;
  readonly fields: readonly Field[];
  field(name: string): Field;
}

export function defineStruct(spec: { name: string; size: number; packed?: boolean; fields: readonly FieldInput[] }): StructDef {
  const packed = spec.packed ?? false;
  const fields: Field[] = [];
  let end = 0;
  for (const f of spec.fields) {
    const count = f.count ?? 1;
    const size = TYPE_BYTES[f.type] * count;
    const where = `${spec.name}.${f.name}`;
    if (!Number.isInteger(count) || count < 1) throw new Error(`${where}: count must be a positive integer`);
    if (f.offset !== end) throw new Error(`${where}: offset ${f.offset}, expected ${end} (fields must tile the struct)`);
    const align = TYPE_BYTES[f.type];
    if (!packed && f.offset % align !== 0) throw new Error(`${where}: offset ${f.offset} is not ${align}-aligned`);
    if (f.type === 'char' && count < 2) throw new Error(`${where}: a char field needs room for its NUL`);
    fields.push({ ...f, count, size, isArray: count > 1 && f.type !== 'char' && f.type !== 'pad' });
    end += size;
  }
  if (end !== spec.size) throw new Error(`${spec.name}: fields end at ${end}, struct size is ${spec.size}`);
  if (!packed) {
    // C pads a struct to a multiple of its strictest member alignment (arrays of it).
    const maxAlign = Math.max(...fields.map((f) => TYPE_BYTES[f.type]));
    if (spec.size % maxAlign !== 0) throw new Error(`${spec.name}: size ${spec.size} is not a multiple of its alignment ${maxAlign}`);
  }
  const names = new Map(fields.map((f) => [f.name, f]));
  if (names.size !== fields.length) throw new Error(`${spec.name}: duplicate field name`);
  return {
    name: spec.name,
    size: spec.size,
    packed,
    fields,
    field(name: string): Field {
      const f = names.get(name);
      if (!f) throw new Error(`${spec.name} has no field '${name}'`);
      return f;
    },
  };
}

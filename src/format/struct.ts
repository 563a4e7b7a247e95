// Field tables: the one definition of every on-disk struct. A table drives the
// encoder, the decoder, zero-copy field reads, the docs and the layout test.
//
// Rules a table must obey (asserted by defineStruct, so a typo fails at load time):
// - fields are listed in offset order and tile the struct exactly: no hole, no overlap,
//   padding is an explicit `pad` field (the encoder writes zeros there);
// - unless the struct is `packed`, every numeric field sits at its natural alignment
//   (f64/u64/i64 on 8, u32 on 4, u16 on 2), as the C compiler lays it out;
// - char fields are NUL-padded ASCII and keep one byte for the terminating NUL.

import { compileFunction } from './compile.js';

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

/**
 * A checked field table. `I` is the type of its entries as written (literal names, types
 * and counts), kept so that the record types below are derived from the table itself.
 */
export interface StructDef<I extends FieldInput = FieldInput> {
  readonly name: string;
  readonly size: number;
  readonly packed: boolean;
  readonly fields: readonly Field[];
  /** The table's entries as written (literal names, types and counts for the types below). */
  readonly entries: readonly I[];
  field(name: string): Field;
}

/** The JavaScript value of one field entry: a string for char, a number or `Arr` for a numeric array. */
type ValueOf<F, Arr> = F extends { readonly type: 'char' }
  ? string
  : F extends { readonly count: infer C extends number }
    ? C extends 1
      ? number
      : Arr
    : number;

/** The entries of a struct's table as written. */
type EntriesOf<S> = S extends StructDef<infer I> ? I : never;

/**
 * A record of struct S as a plain object: every field but padding, with its table name,
 * in table order (char → string, numeric array → `Arr`, other → number). Derived from the
 * table: adding a field to a table adds it here.
 */
export type StructValues<S extends StructDef, Arr = number[]> = {
  -readonly [F in EntriesOf<S> as F['type'] extends 'pad' ? never : F['name']]: ValueOf<F, Arr>;
};

/** A record of S with the fields `Req` present and the others optional. */
export type StructInput<S extends StructDef, Req extends keyof StructValues<S, Arr>, Arr = number[]> = Partial<StructValues<S, Arr>> &
  Pick<StructValues<S, Arr>, Req>;

/** The fields of a table that hold values (every field but padding), in table order. */
export function valueFields(s: StructDef): readonly Field[] {
  return s.fields.filter((f) => f.type !== 'pad');
}

/**
 * A new record of S with every value at zero: '' for a char field, an array of `count`
 * zeros for a numeric array, 0 for a number; keys in table order. For reused output
 * records: build one, refill it per record. The record comes from an object literal
 * compiled once per table (zeroFactory), so it has V8's fast in-object shape: an object
 * filled key by key would turn into a slow dictionary past about 16 keys.
 */
export function zeroRecord<S extends StructDef>(s: S): StructValues<S> {
  let make = zeroFactories.get(s);
  if (make === undefined) zeroFactories.set(s, (make = zeroFactory(s)));
  return make() as StructValues<S>;
}

const zeroFactories = new WeakMap<StructDef, () => unknown>();

function zeroFactory(s: StructDef): () => unknown {
  const props = valueFields(s).map((f) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw new Error(`${s.name}.${f.name}: not a plain identifier`);
    return `${f.name}: ${f.type === 'char' ? "''" : f.isArray ? `new Array(${f.count}).fill(0)` : '0'}`;
  });
  return compileFunction<() => unknown>([], `return function zero${s.name}() { return { ${props.join(', ')} }; };`);
}

export function defineStruct<const I extends FieldInput>(spec: {
  name: string;
  size: number;
  packed?: boolean;
  fields: readonly I[];
}): StructDef<I> {
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
    entries: spec.fields,
    field(name: string): Field {
      const f = names.get(name);
      if (!f) throw new Error(`${spec.name} has no field '${name}'`);
      return f;
    },
  };
}

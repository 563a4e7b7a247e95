// Encoders, decoders, zero-copy views and single-field readers compiled from a field
// table. The table stays the only definition; the compiled code is what runs per tick.
//
// Why compile: straight-line code with constant indexes is what V8 optimizes best; the
// measured figures (generated vs. a table-walking encoder) are in docs/benchmarks.md,
// from scripts/bench/append.ts. The generated code writes every byte of the struct,
// padding included, so a slot never keeps old bytes.
//
// Offsets: `offset` is the byte offset of the record in the Mem region and must be a
// multiple of 8 (records start at 24 + i * size with sizes that are multiples of 8;
// the writer and reader assert this once per mapping). Files are capped at 2 GiB
// (Node's Buffer limit), so `offset >>> 3` is exact.

import { TickrecError } from '../errors.js';
import { compileFunction } from './compile.js';
import type { Mem } from './mem.js';
import type { Field, StructDef } from './struct.js';

export type FieldValue = number | string | Float64Array | number[];

/** A record as a plain object: field name → number, string or number[]. */
export type Rec = Record<string, FieldValue>;

export interface View {
  /** Byte offset of the record in its region. */
  readonly offset: number;
  toObject(): Rec;
}

export type ViewClass = new (m: Mem, offset: number) => View & Record<string, FieldValue>;

export interface Codec {
  readonly struct: StructDef;
  /** Writes every byte of the record at `offset`; missing fields are written as zero. */
  encode: (rec: object, m: Mem, offset: number) => void;
  /** Copies the record at `offset` into a plain object (arrays as number[]). */
  decode: (m: Mem, offset: number) => Rec;
  /** A view reads fields from the mapped bytes on access; nothing is copied. */
  readonly View: ViewClass;
  /** A reader of one field: (m, offset) → value, without decoding the rest. */
  fieldReader(name: string): (m: Mem, offset: number) => FieldValue;
}

const TWO32 = 4294967296;

function indexExpr(f: Field, elem = 0): string {
  const byte = f.offset + elem * (f.type === 'char' || f.type === 'pad' ? 1 : elemBytes(f));
  switch (f.type) {
    case 'f64':
      return `(o >>> 3) + ${byte / 8}`;
    case 'u64':
    case 'i64':
    case 'u32':
      return `(o >>> 2) + ${byte / 4}`;
    case 'u16':
      return `(o >>> 1) + ${byte / 2}`;
    default:
      return `o + ${byte}`;
  }
}

function elemBytes(f: Field): number {
  return f.size / f.count;
}

function checkAlignment(struct: StructDef, f: Field): void {
  const need = f.type === 'f64' ? 8 : f.type === 'u16' ? 2 : f.type === 'char' || f.type === 'pad' ? 1 : 4;
  if (f.offset % need !== 0) throw new Error(`${struct.name}.${f.name}: offset ${f.offset} cannot be compiled (needs ${need}-alignment)`);
}

function encodeScalar(f: Field, elem: number, src: string, fi: number): string {
  const at = indexExpr(f, elem);
  // Integer fields are range-checked: a value that would wrap or truncate is refused
  // (E_FIELD, naming the field) instead of being stored as another number.
  switch (f.type) {
    case 'f64':
      return `m.f64[${at}] = ${src} === undefined ? 0 : ${src};`;
    case 'u32':
      return `v = ${src} === undefined ? 0 : ${src}; if (!(v >= 0 && v <= 4294967295 && v % 1 === 0)) badInt(${fi}, v); m.u32[${at}] = v;`;
    case 'u16':
      return `v = ${src} === undefined ? 0 : ${src}; if (!(v >= 0 && v <= 65535 && v % 1 === 0)) badInt(${fi}, v); m.u16[${at}] = v;`;
    case 'u64':
    case 'i64':
      // Two 32-bit halves: exact for every safe integer, negative ones included.
      return (
        `v = ${src} === undefined ? 0 : ${src}; if (!Number.isSafeInteger(v)${f.type === 'u64' ? ' || v < 0' : ''}) badInt(${fi}, v); ` +
        `h = Math.floor(v / ${TWO32}); m.u32[${at}] = v - h * ${TWO32}; m.i32[${at} + 1] = h;`
      );
    default:
      throw new Error(`no scalar encoder for ${f.type}`);
  }
}

function decodeScalar(f: Field, elem: number): string {
  const at = indexExpr(f, elem);
  switch (f.type) {
    case 'f64':
      return `m.f64[${at}]`;
    case 'u32':
      return `m.u32[${at}]`;
    case 'u16':
      return `m.u16[${at}]`;
    case 'u64':
      return `(m.u32[${at} + 1] * ${TWO32} + m.u32[${at}])`;
    case 'i64':
      return `(m.i32[${at} + 1] * ${TWO32} + m.u32[${at}])`;
    default:
      throw new Error(`no scalar decoder for ${f.type}`);
  }
}

function encodeField(f: Field, i: number, fi: number): string {
  const src = `r[${JSON.stringify(f.name)}]`;
  // Word stores where the field is 4-aligned and a whole number of words (all record
  // structs): measured in scripts/bench (codec A/B), u8.set/u8.fill per field cost
  // more than the rest of the encoder; plain u32 stores are inlined by V8.
  const words = f.offset % 4 === 0 && f.size % 4 === 0;
  if (f.type === 'pad') {
    if (!words) return `m.u8.fill(0, o + ${f.offset}, o + ${f.offset + f.size});`;
    return Array.from({ length: f.size / 4 }, (_, k) => `m.u32[(o >>> 2) + ${f.offset / 4 + k}] = 0;`).join(' ');
  }
  if (f.type === 'char') {
    if (!words) return `writeChar(m.u8, o + ${f.offset}, ${src}, ${i});`;
    return `w = charWords(${src}, ${i}); ${Array.from({ length: f.size / 4 }, (_, k) => `m.u32[(o >>> 2) + ${f.offset / 4 + k}] = w[${k}];`).join(' ')}`;
  }
  if (!f.isArray) return encodeScalar(f, 0, src, fi);
  return [
    `a = ${src}; n = a === undefined || a === null ? 0 : a.length;`,
    ...Array.from({ length: f.count }, (_, e) => {
      const at = indexExpr(f, e);
      if (f.type === 'f64') return `m.f64[${at}] = ${e} < n ? a[${e}] : 0;`;
      if (f.type === 'u32') return `m.u32[${at}] = ${e} < n ? a[${e}] : 0;`;
      if (f.type === 'u16') return `m.u16[${at}] = ${e} < n ? a[${e}] : 0;`;
      throw new Error(`${f.name}: arrays of ${f.type} are not supported`);
    }),
  ].join('\n');
}

function decodeExpr(f: Field): string {
  if (f.type === 'char') return `readChar(m.u8, o + ${f.offset}, ${f.count})`;
  if (!f.isArray) return decodeScalar(f, 0);
  return `[${Array.from({ length: f.count }, (_, e) => decodeScalar(f, e)).join(', ')}]`;
}

function viewGetter(f: Field): string {
  if (f.isArray) {
    // Zero-copy: a typed-array window on the mapped bytes.
    const start = indexExpr(f, 0).replace(/\bo\b/g, 'this.offset');
    const arr = f.type === 'f64' ? 'f64' : f.type === 'u32' ? 'u32' : 'u16';
    return `get ${f.name}() { const s = ${start}; return this.m.${arr}.subarray(s, s + ${f.count}); }`;
  }
  return `get ${f.name}() { const o = this.offset, m = this.m; return ${decodeExpr(f)}; }`;
}

function readChar(u8: Uint8Array, at: number, max: number): string {
  let s = '';
  for (let k = 0; k < max; k++) {
    const c = u8[at + k]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Compiles the codec of `struct`. Call once per struct, at module load. */
export function compileCodec(struct: StructDef): Codec {
  const fields = struct.fields;
  for (const f of fields) checkAlignment(struct, f);
  const charFields = fields.filter((f) => f.type === 'char');

  // Char fields keep the bytes (and, for 4-aligned fields, the words) of strings already
  // seen: exchg/code repeat on every append and cost one 16/32-byte copy, with no
  // allocation after the first sight of a name. The map is bounded (cleared when full).
  const CHAR_CACHE_MAX = 65536;
  interface Encoded {
    bytes: Uint8Array;
    words: Uint32Array;
  }
  const last: (Encoded | undefined)[] = charFields.map(() => undefined);
  const lastStr: unknown[] = charFields.map(() => undefined);
  const seen: Map<string, Encoded>[] = charFields.map(() => new Map<string, Encoded>());
  const charIndex = new Map(charFields.map((f, i) => [f, i]));

  function encodeChars(value: unknown, i: number): Encoded {
    const f = charFields[i]!;
    const s = value === undefined || value === null ? '' : value;
    if (typeof s !== 'string') {
      throw new TickrecError('E_FIELD', `${struct.name}.${f.name}: expected a string, got ${typeof s}; fix the producer of this record.`);
    }
    const known = seen[i]!.get(s);
    if (known) return known;
    if (s.length >= f.count) {
      throw new TickrecError(
        'E_FIELD',
        `${struct.name}.${f.name}: '${s.slice(0, 64)}' has ${s.length} characters, at most ${f.count - 1} fit; shorten it.`,
      );
    }
    const bytes = new Uint8Array(f.count);
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x20 || c > 0x7e) {
        throw new TickrecError(
          'E_FIELD',
          `${struct.name}.${f.name}: '${s.slice(0, 64)}' has a character (code ${c}) outside printable ASCII; use ASCII names.`,
        );
      }
      bytes[k] = c;
    }
    const e = { bytes, words: new Uint32Array(bytes.buffer, 0, f.count >>> 2) };
    if (seen[i]!.size >= CHAR_CACHE_MAX) seen[i]!.clear();
    seen[i]!.set(s, e);
    return e;
  }

  function lookup(value: unknown, i: number): Encoded {
    if (value !== lastStr[i] || last[i] === undefined) {
      last[i] = encodeChars(value, i);
      lastStr[i] = value;
    }
    return last[i];
  }

  function writeChar(u8: Uint8Array, at: number, value: unknown, i: number): void {
    u8.set(lookup(value, i).bytes, at);
  }

  /** The value of a 4-aligned char field as little-endian words, for word stores. */
  function charWords(value: unknown, i: number): Uint32Array {
    return lookup(value, i).words;
  }

  function badInt(fi: number, v: unknown): never {
    const f = fields[fi]!;
    throw new TickrecError(
      'E_FIELD',
      `${struct.name}.${f.name}: ${String(v).slice(0, 32)} is not an integer that fits ${f.type}; fix the producer of this record.`,
    );
  }

  const encBody = ['let v, h, a, n, w;', ...fields.map((f, fi) => encodeField(f, charIndex.get(f) ?? -1, fi))].join('\n');
  const encode = compileFunction<Codec['encode']>(
    ['writeChar', 'charWords', 'badInt'],
    `return function encode_${struct.name}(r, m, o) {\n${encBody}\n};`,
    writeChar,
    charWords,
    badInt,
  );

  const named = fields.filter((f) => f.type !== 'pad');
  const decBody = `return {\n${named.map((f) => `${JSON.stringify(f.name)}: ${decodeExpr(f)}`).join(',\n')}\n};`;
  const decode = compileFunction<Codec['decode']>(['readChar'], `return function decode_${struct.name}(m, o) {\n${decBody}\n};`, readChar);

  const viewSrc = `return class ${struct.name}View {
    constructor(m, offset) { this.m = m; this.offset = offset; }
    ${named.map((f) => viewGetter(f)).join('\n    ')}
    toObject() { return decode(this.m, this.offset); }
    toJSON() { return decode(this.m, this.offset); }
  };`;
  const View = compileFunction<ViewClass>(['readChar', 'decode'], viewSrc, readChar, decode);

  const readers = new Map<string, (m: Mem, o: number) => FieldValue>();
  for (const f of named) {
    const body = `return ${decodeExpr(f)};`;
    readers.set(
      f.name,
      compileFunction<(m: Mem, o: number) => FieldValue>(['readChar'], `return function read_${f.name}(m, o) { ${body} };`, readChar),
    );
  }

  return {
    struct,
    encode,
    decode,
    View,
    fieldReader(name: string) {
      const r = readers.get(name);
      if (!r) throw new Error(`${struct.name} has no field '${name}'`);
      return r;
    },
  };
}

// The reversible layout transform applied to records before LZ4: 8-byte words as columns, delta + zigzag, byte planes.
//
// TRANSFORM COLS8 (id 1). Records of R bytes (R a multiple of 8) are cut into groups of
// G = groupRecords(R) records (GROUP_BYTES / R: 512 ticks, 2340 trades, 2978 bars); the
// last group may be shorter. Each group is written as:
//
//   directory  W = R/8 entries of 16 bytes, one per 8-byte word ("column") of the record:
//     +0  u8   mode    1 INT64: the word is a little-endian 64-bit integer
//                      2 DECIMAL: the word is an f64 v with v = x / 10^scale for an
//                        integer x, |x| <= 2^51 (checked bit for bit: v === x / 10^scale,
//                        and v is not -0), so x is what is stored
//     +1  u8   scale   DECIMAL: the power of ten (0..9); INT64: 0
//     +2  u8   width   bytes of each stored delta, 0..8 (0: the column is constant)
//     +3  u8   0
//     +4  u32  0
//     +8  u32  base lo   x of the group's first record, as a 64-bit two's complement
//     +12 i32  base hi   integer (lo, hi)
//   planes     for each column in order, `width` planes of m bytes (m = records in the
//              group): plane b holds byte b of zigzag(x[i] - x[i-1]) for i = 0..m-1,
//              with x[-1] = base (so the first delta is 0). zigzag(d) = 2d for d >= 0,
//              -2d - 1 for d < 0, computed on 64 bits.
//
// Why (measured on a simulated day of 20 instruments, docs/history.md): prices, volumes
// and turnovers are decimals that move by a few ticks, so as scaled integers their deltas
// fit in 1-3 bytes, and each byte plane is long runs of equal bytes that LZ4 compresses
// well; the same records as rows compress ~4.5x with LZ4, ~7.5x with zstd -1, and ~14x
// with this transform + LZ4. The directory and the mode choice are per group, so the
// data of one group (R x G bytes, 256 KiB) stays in the L2 cache over the W column passes.
//
// Bit-exactness: INT64 columns are copied as integers (NaN payloads, -0 and any bit
// pattern survive); a DECIMAL column is chosen only when every value of the group passes
// the exact round-trip test, else the group's column falls back to INT64.

import { assert } from '../assert.js';

export const TRANSFORM_NONE = 0;
export const TRANSFORM_COLS8 = 1;

/** Bytes of records per transform group (the unit of the directory and of the cache-friendly passes). */
export const GROUP_BYTES = 256 * 1024;

const MODE_INT = 1;
const MODE_DEC = 2;
const DIR_ENTRY_BYTES = 16;
const MAX_SCALE = 9;
const P10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const X_LIMIT = 2 ** 51;
const TWO32 = 4294967296;

/** Records per group for records of `recordBytes`. */
export function groupRecords(recordBytes: number): number {
  return Math.max(1, Math.floor(GROUP_BYTES / recordBytes));
}

function bytesOf(x: number): number {
  return x === 0 ? 0 : x < 0x100 ? 1 : x < 0x10000 ? 2 : x < 0x1000000 ? 3 : 4;
}

function widthOf(orLo: number, orHi: number): number {
  return orHi !== 0 ? 4 + bytesOf(orHi >>> 0) : bytesOf(orLo >>> 0);
}

/** Scratch space of the encoder: zigzag deltas of one column of one group (two candidates). */
class Scratch {
  zl: Uint32Array;
  zh: Uint32Array;
  zl2: Uint32Array;
  zh2: Uint32Array;
  constructor(n: number) {
    this.zl = new Uint32Array(n);
    this.zh = new Uint32Array(n);
    this.zl2 = new Uint32Array(n);
    this.zh2 = new Uint32Array(n);
  }
  swap(): void {
    [this.zl, this.zl2] = [this.zl2, this.zl];
    [this.zh, this.zh2] = [this.zh2, this.zh];
  }
}

let scratch = new Scratch(0);
function scratchFor(n: number): Scratch {
  if (scratch.zl.length < n) scratch = new Scratch(n);
  return scratch;
}

/** Result of one pass over a column: width and base, or failure (DECIMAL only). */
interface Pass {
  w: number;
  baseLo: number;
  baseHi: number;
}

/** INT64 pass over column j of records [i0, i0+m): zigzag deltas into zl/zh. */
function intPass(u32: Uint32Array, W2: number, j: number, i0: number, m: number, zl: Uint32Array, zh: Uint32Array, out: Pass): void {
  let at = i0 * W2 + 2 * j;
  let pl = u32[at]!;
  let ph = u32[at + 1]! | 0;
  out.baseLo = pl;
  out.baseHi = ph;
  let orLo = 0;
  let orHi = 0;
  for (let i = 0; i < m; i++, at += W2) {
    const cl = u32[at]!;
    const ch = u32[at + 1]! | 0;
    const dl = (cl - pl) >>> 0;
    const dh = (ch - ph - (cl < pl ? 1 : 0)) | 0;
    const sg = dh >> 31;
    const a = (dl << 1) ^ sg;
    const b = ((dh << 1) | (dl >>> 31)) ^ sg;
    zl[i] = a;
    zh[i] = b;
    orLo |= a;
    orHi |= b;
    pl = cl;
    ph = ch;
  }
  out.w = widthOf(orLo, orHi);
}

/** DECIMAL pass with scale k; false when a value does not pass the exact round trip. */
function decPass(
  f64: Float64Array,
  W: number,
  j: number,
  i0: number,
  m: number,
  k: number,
  zl: Uint32Array,
  zh: Uint32Array,
  out: Pass,
): boolean {
  const p = P10[k]!;
  let at = i0 * W + j;
  let prev = Math.round(f64[at]! * p);
  const bh = Math.floor(prev / TWO32);
  out.baseHi = bh;
  out.baseLo = prev - bh * TWO32;
  let orLo = 0;
  let orHi = 0;
  for (let i = 0; i < m; i++, at += W) {
    const v = f64[at]!;
    const x = Math.round(v * p);
    if (!(x / p === v && x <= X_LIMIT && x >= -X_LIMIT && (v !== 0 || 1 / v > 0))) return false;
    const d = x - prev;
    prev = x;
    const z = d >= 0 ? 2 * d : -2 * d - 1;
    const lo = z >>> 0;
    const hi = (z - lo) / TWO32;
    zl[i] = lo;
    zh[i] = hi;
    orLo |= lo;
    orHi |= hi;
  }
  out.w = widthOf(orLo, orHi);
  return true;
}

/** The smallest scale at which every value of the column passes the round trip, or -1. */
function decimalScale(f64: Float64Array, W: number, j: number, i0: number, m: number): number {
  let k = 0;
  let p = 1;
  for (let i = 0, at = i0 * W + j; i < m; i++, at += W) {
    const v = f64[at]!;
    for (;;) {
      const x = Math.round(v * p);
      if (x / p === v && x <= X_LIMIT && x >= -X_LIMIT && (v !== 0 || 1 / v > 0)) break;
      if (++k > MAX_SCALE) return -1;
      p = P10[k]!;
    }
  }
  return k;
}

function writePlanes(out: Uint8Array, o: number, w: number, m: number, zl: Uint32Array, zh: Uint32Array): number {
  for (let b = 0; b < w; b++) {
    const src = b < 4 ? zl : zh;
    const sh = (b & 3) * 8;
    for (let i = 0; i < m; i++) out[o + i] = src[i]! >>> sh;
    o += m;
  }
  return o;
}

/** Bytes the transform of `count` records takes at most (every column at width 8). */
export function cols8MaxBytes(recordBytes: number, count: number): number {
  const W = recordBytes / 8;
  const groups = Math.ceil(count / groupRecords(recordBytes));
  return groups * W * DIR_ENTRY_BYTES + count * recordBytes;
}

/**
 * Applies COLS8 to `records` (count x recordBytes bytes). Returns the transformed bytes
 * (a view of a fresh buffer). Deterministic: the same records give the same bytes.
 */
export function cols8Encode(records: Uint8Array, recordBytes: number): Uint8Array {
  assert(recordBytes % 8 === 0 && recordBytes > 0, `COLS8 needs a record size that is a multiple of 8, got ${recordBytes}`);
  assert(records.length % recordBytes === 0, `COLS8: ${records.length} bytes are not whole records of ${recordBytes}`);
  const src = records.byteOffset % 8 === 0 ? records : records.slice();
  const n = src.length / recordBytes;
  const W = recordBytes / 8;
  const W2 = 2 * W;
  const G = groupRecords(recordBytes);
  const u32 = new Uint32Array(src.buffer, src.byteOffset, src.length / 4);
  const f64 = new Float64Array(src.buffer, src.byteOffset, src.length / 8);
  const out = new Uint8Array(cols8MaxBytes(recordBytes, n));
  const dv = new DataView(out.buffer);
  const s = scratchFor(Math.min(G, n));
  const prevMode = new Uint8Array(W);
  const prevScale = new Uint8Array(W);
  const prevW = new Uint8Array(W);
  const a: Pass = { w: 0, baseLo: 0, baseHi: 0 };
  const b: Pass = { w: 0, baseLo: 0, baseHi: 0 };
  let o = 0;
  for (let i0 = 0; i0 < n; i0 += G) {
    const m = Math.min(G, n - i0);
    const dir = o;
    o += W * DIR_ENTRY_BYTES;
    for (let j = 0; j < W; j++) {
      let mode = prevMode[j]!;
      let k = prevScale[j]!;
      let chosen: Pass | undefined;
      // Reuse the previous group's choice when it still holds; otherwise evaluate both.
      if (mode === MODE_DEC && decPass(f64, W, j, i0, m, k, s.zl, s.zh, a)) chosen = a;
      else if (mode === MODE_INT) {
        intPass(u32, W2, j, i0, m, s.zl, s.zh, a);
        if (a.w <= prevW[j]!) chosen = a;
      }
      if (!chosen) {
        intPass(u32, W2, j, i0, m, s.zl, s.zh, a);
        mode = MODE_INT;
        k = 0;
        chosen = a;
        const kk = decimalScale(f64, W, j, i0, m);
        if (kk >= 0 && a.w > 0 && decPass(f64, W, j, i0, m, kk, s.zl2, s.zh2, b) && b.w < a.w) {
          s.swap();
          mode = MODE_DEC;
          k = kk;
          chosen = b;
        }
      }
      prevMode[j] = mode;
      prevScale[j] = k;
      prevW[j] = chosen.w;
      const e = dir + j * DIR_ENTRY_BYTES;
      out[e] = mode;
      out[e + 1] = k;
      out[e + 2] = chosen.w;
      dv.setUint32(e + 8, chosen.baseLo >>> 0, true);
      dv.setInt32(e + 12, chosen.baseHi | 0, true);
      o = writePlanes(out, o, chosen.w, m, s.zl, s.zh);
    }
  }
  return out.subarray(0, o);
}

function decodeDecNarrow(
  e: Uint8Array,
  q: number,
  f64: Float64Array,
  W: number,
  j: number,
  i0: number,
  m: number,
  k: number,
  w: number,
  x: number,
): void {
  const p = P10[k]!;
  let at = i0 * W + j;
  if (w === 0) {
    const v = x / p;
    for (let i = 0; i < m; i++, at += W) f64[at] = v;
  } else if (w === 1) {
    if (k === 0) {
      for (let i = 0; i < m; i++, at += W) {
        const z = e[q + i]!;
        x += (z >>> 1) ^ -(z & 1);
        f64[at] = x;
      }
    } else {
      for (let i = 0; i < m; i++, at += W) {
        const z = e[q + i]!;
        x += (z >>> 1) ^ -(z & 1);
        f64[at] = x / p;
      }
    }
  } else {
    const q2 = q + m;
    if (k === 0) {
      for (let i = 0; i < m; i++, at += W) {
        const z = e[q + i]! | (e[q2 + i]! << 8);
        x += (z >>> 1) ^ -(z & 1);
        f64[at] = x;
      }
    } else {
      for (let i = 0; i < m; i++, at += W) {
        const z = e[q + i]! | (e[q2 + i]! << 8);
        x += (z >>> 1) ^ -(z & 1);
        f64[at] = x / p;
      }
    }
  }
}

function decodeIntNarrow(
  e: Uint8Array,
  q: number,
  u32: Uint32Array,
  W2: number,
  j: number,
  i0: number,
  m: number,
  w: number,
  pl: number,
  ph: number,
): void {
  let at = i0 * W2 + 2 * j;
  if (w === 0) {
    for (let i = 0; i < m; i++, at += W2) {
      u32[at] = pl;
      u32[at + 1] = ph;
    }
    return;
  }
  const q2 = q + m;
  for (let i = 0; i < m; i++, at += W2) {
    const z = w === 1 ? e[q + i]! : e[q + i]! | (e[q2 + i]! << 8);
    const dl = (z >>> 1) ^ -(z & 1);
    const nl = pl + (dl >>> 0);
    ph = (ph + (dl >> 31) + (nl >= TWO32 ? 1 : 0)) | 0;
    pl = nl >>> 0;
    u32[at] = pl;
    u32[at + 1] = ph;
  }
}

/**
 * Decodes column j of one group (m records, planes at enc[q..]) into the words of rows
 * i0 .. i0+m-1 of an array of W-word rows: row r's word j is f64[r * W + j] (u32[2(r * W + j)],
 * u32[2(r * W + j) + 1] as integers). f64 and u32 view the same memory. With W = 1 and
 * j = 0 the rows are one contiguous column (the columnar decode writes a Float64Array
 * field of the result this way).
 */
function decodeColumn(
  enc: Uint8Array,
  q: number,
  mode: number,
  k: number,
  w: number,
  lo: number,
  hi: number,
  m: number,
  f64: Float64Array,
  u32: Uint32Array,
  W: number,
  j: number,
  i0: number,
): void {
  // Fused loops: the planes are read and the values written in one pass (measured against
  // gathering the deltas of a column into scratch arrays first: ~1.4x for narrow columns,
  // ~1.15x for the wide ones, e.g. the 8-byte INT64 column that doubles which are not
  // decimals, or that hold a -0, become).
  if (mode === MODE_DEC) {
    if (w <= 2) decodeDecNarrow(enc, q, f64, W, j, i0, m, k, w, hi * TWO32 + lo);
    else decodeDecWide(enc, q, f64, W, j, i0, m, k, w, hi * TWO32 + lo);
  } else if (w <= 2) decodeIntNarrow(enc, q, u32, 2 * W, j, i0, m, w, lo, hi);
  else decodeIntWide(enc, q, u32, 2 * W, j, i0, m, w, lo, hi);
}

/** DECIMAL column of width 3..8, planes read and values written in one pass. */
function decodeDecWide(
  e: Uint8Array,
  q: number,
  f64: Float64Array,
  W: number,
  j: number,
  i0: number,
  m: number,
  k: number,
  w: number,
  x: number,
): void {
  const p = P10[k]!;
  let at = i0 * W + j;
  const q1 = q + m;
  const q2 = q + 2 * m;
  const q3 = q + 3 * m;
  if (w <= 4) {
    for (let i = 0; i < m; i++, at += W) {
      let z = e[q + i]! | (e[q1 + i]! << 8) | (e[q2 + i]! << 16);
      if (w === 4) z |= e[q3 + i]! << 24;
      x += (z >>> 1) ^ -(z & 1);
      f64[at] = x / p;
    }
    return;
  }
  const q4 = q + 4 * m;
  const q5 = q + 5 * m;
  const q6 = q + 6 * m;
  const q7 = q + 7 * m;
  for (let i = 0; i < m; i++, at += W) {
    const zl = (e[q + i]! | (e[q1 + i]! << 8) | (e[q2 + i]! << 16) | (e[q3 + i]! << 24)) >>> 0;
    let zh = e[q4 + i]!;
    if (w >= 6) zh |= e[q5 + i]! << 8;
    if (w >= 7) zh |= e[q6 + i]! << 16;
    if (w === 8) zh = (zh | (e[q7 + i]! << 24)) >>> 0;
    const z = zh * TWO32 + zl;
    x += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    f64[at] = x / p;
  }
}

/** INT64 column of width 3..8, planes read and values written in one pass. */
function decodeIntWide(
  e: Uint8Array,
  q: number,
  u32: Uint32Array,
  W2: number,
  j: number,
  i0: number,
  m: number,
  w: number,
  pl: number,
  ph: number,
): void {
  let at = i0 * W2 + 2 * j;
  const q1 = q + m;
  const q2 = q + 2 * m;
  const q3 = q + 3 * m;
  const q4 = q + 4 * m;
  const q5 = q + 5 * m;
  const q6 = q + 6 * m;
  const q7 = q + 7 * m;
  if (w === 8) {
    // Every plane: what a column of doubles that are not decimals (or hold a -0) becomes.
    for (let i = 0; i < m; i++, at += W2) {
      const z = e[q + i]! | (e[q1 + i]! << 8) | (e[q2 + i]! << 16) | (e[q3 + i]! << 24);
      const hz = e[q4 + i]! | (e[q5 + i]! << 8) | (e[q6 + i]! << 16) | (e[q7 + i]! << 24);
      const sg = -(z & 1);
      const dl = ((z >>> 1) | (hz << 31)) ^ sg;
      const dh = (hz >>> 1) ^ sg;
      const nl = pl + (dl >>> 0);
      pl = nl >>> 0;
      ph = (ph + dh + (nl >= TWO32 ? 1 : 0)) | 0;
      u32[at] = pl;
      u32[at + 1] = ph;
    }
    return;
  }
  for (let i = 0; i < m; i++, at += W2) {
    let z = e[q + i]! | (e[q1 + i]! << 8) | (e[q2 + i]! << 16);
    let hz = 0;
    if (w >= 4) {
      z |= e[q3 + i]! << 24;
      if (w >= 5) {
        hz = e[q4 + i]!;
        if (w >= 6) hz |= e[q5 + i]! << 8;
        if (w >= 7) hz |= e[q6 + i]! << 16;
        if (w === 8) hz |= e[q7 + i]! << 24;
      }
    }
    const sg = -(z & 1);
    const dl = ((z >>> 1) | (hz << 31)) ^ sg;
    const dh = (hz >>> 1) ^ sg;
    const nl = pl + (dl >>> 0);
    pl = nl >>> 0;
    ph = (ph + dh + (nl >= TWO32 ? 1 : 0)) | 0;
    u32[at] = pl;
    u32[at + 1] = ph;
  }
}

/** Refuses a directory entry that no encoder writes (mode, scale, width) or whose planes run past the end. */
function checkEntry(encBytes: number, mode: number, k: number, w: number, j: number, i0: number, o: number, m: number): void {
  if (w > 8 || k > MAX_SCALE || (mode !== MODE_INT && mode !== MODE_DEC)) {
    throw new RangeError(`COLS8: column ${j} of group at record ${i0} has mode ${mode}, scale ${k}, width ${w}`);
  }
  if (o + w * m > encBytes) throw new RangeError(`COLS8: planes of column ${j} of group at record ${i0} past the end`);
}

/**
 * Reverses COLS8: `count` records of `recordBytes` from `enc`, into `out` (8-aligned, at
 * least count x recordBytes bytes) or a fresh buffer. Throws on a malformed encoding
 * (the caller has checked the checksum of the stored bytes; this guards the lengths).
 */
export function cols8Decode(enc: Uint8Array, recordBytes: number, count: number, out?: Uint8Array): Uint8Array {
  assert(recordBytes % 8 === 0 && recordBytes > 0, `COLS8 needs a record size that is a multiple of 8, got ${recordBytes}`);
  const bytes = count * recordBytes;
  const dst = out ?? new Uint8Array(bytes);
  assert(dst.byteOffset % 8 === 0 && dst.length >= bytes, 'COLS8 decode: output must be 8-aligned and large enough');
  const W = recordBytes / 8;
  const G = groupRecords(recordBytes);
  const u32 = new Uint32Array(dst.buffer, dst.byteOffset, bytes / 4);
  const f64 = new Float64Array(dst.buffer, dst.byteOffset, bytes / 8);
  const dv = new DataView(enc.buffer, enc.byteOffset, enc.length);
  let o = 0;
  for (let i0 = 0; i0 < count; i0 += G) {
    const m = Math.min(G, count - i0);
    const dir = o;
    o += W * DIR_ENTRY_BYTES;
    if (o > enc.length) throw new RangeError(`COLS8: directory of group at record ${i0} past the end (${enc.length} bytes)`);
    for (let j = 0; j < W; j++) {
      const e = dir + j * DIR_ENTRY_BYTES;
      const mode = enc[e]!;
      const k = enc[e + 1]!;
      const w = enc[e + 2]!;
      checkEntry(enc.length, mode, k, w, j, i0, o, m);
      decodeColumn(enc, o, mode, k, w, dv.getUint32(e + 8, true), dv.getInt32(e + 12, true), m, f64, u32, W, j, i0);
      o += w * m;
    }
  }
  if (o !== enc.length) throw new RangeError(`COLS8: ${enc.length - o} bytes left after ${count} records`);
  return dst.subarray(0, bytes);
}

// ---------------------------------------------------------------------------------------
// Columnar decode: COLS8 groups straight into one typed array per field.
//
// The transform already stores each 8-byte word of the record as a column, so a reader
// that wants columns (readBarsMarket) undoes delta, zigzag and decimal scale of a word
// directly into the result's array for that field, instead of rebuilding 88-byte rows and
// then copying every 11th double out of them again. Rows are never materialized, so the
// CRC of the raw records cannot be computed on this path: see BarHistory.readColumns for
// what it checks (the payload CRC covers every stored byte) and how to ask for the raw CRC.
//
// BIT-EXACTNESS (test/his/columns.test.ts checks it against row decode + extraction for
// random records, NaN payloads and -0 included): an f64 field whose word is INT64 in a
// group is written through a Uint32Array view of its Float64Array (the bits are copied,
// never read as a double); a DECIMAL word is x / 10^scale, exactly what the row decoder
// stores. Integer fields (u64, i64, u32, u16) are read from the word's bits, as the row
// extractor does: u64 hi * 2^32 + lo, i64 (hi | 0) * 2^32 + lo. From rows (fromRows, and
// the scratch words of a partial group), an f64 field is copied from one Float64Array to
// another, as src/read/columns.ts does: V8 moves the 8 bytes without touching a NaN's
// payload (the fast-check test holds signalling NaNs with payloads).

/** How a field's word is turned into its column's element. */
export type SinkType = 'f64' | 'u64' | 'i64' | 'u32' | 'u16';

/** One output column of a columnar decode: the field at `offset` of the record goes to `out[row]`. */
export interface ColumnSink {
  /** Byte offset of the field in the record: a multiple of 8 for f64/u64/i64, of 4 for u32, of 2 for u16. */
  readonly offset: number;
  readonly type: SinkType;
  /** Float64Array for f64, u64, i64; Uint32Array for u32; Uint16Array for u16. */
  readonly out: Float64Array | Uint32Array | Uint16Array;
  /** The row `out[0]` holds (default 0): row r goes to out[r - firstRow]. A window over a run's rows (the reader's scratch key columns). */
  readonly firstRow?: number;
}

/** Records [src, src + count) of the decoded block go to output rows [dst, dst + count). */
export interface DecodeRun {
  readonly src: number;
  readonly count: number;
  readonly dst: number;
}

interface PlannedSink {
  readonly type: SinkType;
  readonly f64: Float64Array | undefined;
  /** f64 sinks: a Uint32Array over the same memory (INT64 words are copied as bits). */
  readonly u32: Uint32Array | undefined;
  readonly out: Float64Array | Uint32Array | Uint16Array;
  readonly firstRow: number;
  /** u32/u16: which u32 of the word (0 low, 1 high); u16: shift within it. */
  readonly half: number;
  readonly shift: number;
}

/** Scratch words of one group (decode of one column before it is spread over its sinks). */
let wordScratch = { f64: new Float64Array(0), u32: new Uint32Array(0) };
function wordsFor(n: number): { f64: Float64Array; u32: Uint32Array } {
  if (wordScratch.f64.length < n) {
    const b = new ArrayBuffer(n * 8);
    wordScratch = { f64: new Float64Array(b), u32: new Uint32Array(b) };
  }
  return wordScratch;
}

/**
 * The columns a columnar decode writes, checked once and reused for every block decoded
 * into the same arrays (a market read decodes thousands of chunks into one set).
 */
export class ColumnPlan {
  readonly recordBytes: number;
  /** Rows [firstRow, endRow) are the rows every sink can hold (a decode run must stay inside). */
  readonly firstRow: number;
  readonly endRow: number;
  /** Sinks of each word of the record (undefined: the word is not read). */
  private readonly byWord: (PlannedSink[] | undefined)[];

  constructor(recordBytes: number, sinks: readonly ColumnSink[]) {
    assert(recordBytes % 8 === 0 && recordBytes > 0, `columnar decode needs a record size that is a multiple of 8, got ${recordBytes}`);
    const W = recordBytes / 8;
    this.recordBytes = recordBytes;
    this.byWord = new Array<PlannedSink[] | undefined>(W).fill(undefined);
    let first = 0;
    let end = Infinity;
    for (const s of sinks) {
      const firstRow = s.firstRow ?? 0;
      assert(Number.isInteger(firstRow) && firstRow >= 0, `column sink at offset ${s.offset}: firstRow ${firstRow} is not a row`);
      const size = s.type === 'u16' ? 2 : s.type === 'u32' ? 4 : 8;
      assert(
        Number.isInteger(s.offset) && s.offset >= 0 && s.offset + size <= recordBytes && s.offset % size === 0,
        `column sink at offset ${s.offset} (${s.type}) does not fit an aligned field of a ${recordBytes}-byte record`,
      );
      const want = s.type === 'u16' ? Uint16Array : s.type === 'u32' ? Uint32Array : Float64Array;
      assert(s.out instanceof want, `column sink at offset ${s.offset} (${s.type}) needs a ${want.name}`);
      const isF64 = s.type === 'f64';
      const f64 = isF64 ? (s.out as Float64Array) : undefined;
      const p: PlannedSink = {
        type: s.type,
        f64,
        u32: f64 ? new Uint32Array(f64.buffer, f64.byteOffset, f64.length * 2) : undefined,
        out: s.out,
        firstRow,
        half: (s.offset & 7) >>> 2,
        shift: (s.offset & 2) * 8,
      };
      const j = s.offset >>> 3;
      (this.byWord[j] ??= []).push(p);
      first = Math.max(first, firstRow);
      end = Math.min(end, firstRow + s.out.length);
    }
    this.firstRow = first;
    this.endRow = end; // Infinity without sinks: nothing is written
  }

  /** Checks runs against the block (count records) and the sinks: sorted by src, disjoint, inside both. */
  checkRuns(count: number, runs: readonly DecodeRun[]): void {
    let end = 0;
    for (const r of runs) {
      assert(Number.isInteger(r.src) && Number.isInteger(r.count) && Number.isInteger(r.dst), 'decode run: integers');
      assert(
        r.src >= end && r.count >= 0 && r.src + r.count <= count,
        `decode run [${r.src}, +${r.count}) is out of order or past the ${count} records`,
      );
      assert(
        r.count === 0 || (r.dst >= this.firstRow && r.dst + r.count <= this.endRow),
        `decode run to rows [${r.dst}, +${r.count}) does not fit columns of rows [${this.firstRow}, ${this.endRow})`,
      );
      end = r.src + r.count;
    }
  }

  /**
   * Copies fields of rows (whole records, 8-aligned) into the sinks: records
   * [run.src, run.src + run.count) of `records` to rows [run.dst, ...). The row path:
   * datakit's histories (decoded whole by zstd) and reads that check the raw CRC.
   */
  fromRows(records: Uint8Array, runs: readonly DecodeRun[]): void {
    assert(
      records.byteOffset % 8 === 0 && records.length % this.recordBytes === 0,
      'columnar extraction: records must be whole and 8-aligned',
    );
    const n = records.length / this.recordBytes;
    this.checkRuns(n, runs);
    const W = this.recordBytes / 8;
    const f64 = new Float64Array(records.buffer, records.byteOffset, records.length / 8);
    const u32 = new Uint32Array(records.buffer, records.byteOffset, records.length / 4);
    // Blocks of ~64 KiB of records, one pass per word over each: the block stays in L2.
    const B = Math.max(1, Math.floor(65536 / this.recordBytes));
    for (const r of runs) {
      for (let b = 0; b < r.count; b += B) {
        const m = Math.min(B, r.count - b);
        for (let j = 0; j < W; j++) {
          const sinks = this.byWord[j];
          if (!sinks) continue;
          for (const s of sinks) spreadStrided(s, f64, u32, W, (r.src + b) * W + j, m, r.dst + b - s.firstRow);
        }
      }
    }
  }

  /** @internal For cols8DecodeColumns: the sinks of word j. */
  sinksOf(j: number): readonly PlannedSink[] | undefined {
    return this.byWord[j];
  }
}

/** Field of word j of m rows (word index `at`, then every W words) into the sink's out[d ...]. */
function spreadStrided(s: PlannedSink, f64: Float64Array, u32: Uint32Array, W: number, at: number, m: number, d: number): void {
  switch (s.type) {
    case 'f64': {
      const o = s.f64!;
      for (let i = 0, w = at; i < m; i++, w += W) o[d + i] = f64[w]!;
      return;
    }
    case 'u64': {
      const o = s.out as Float64Array;
      for (let i = 0, w = 2 * at; i < m; i++, w += 2 * W) o[d + i] = u32[w + 1]! * TWO32 + u32[w]!;
      return;
    }
    case 'i64': {
      const o = s.out as Float64Array;
      for (let i = 0, w = 2 * at; i < m; i++, w += 2 * W) o[d + i] = (u32[w + 1]! | 0) * TWO32 + u32[w]!;
      return;
    }
    case 'u32': {
      const o = s.out as Uint32Array;
      for (let i = 0, w = 2 * at + s.half; i < m; i++, w += 2 * W) o[d + i] = u32[w]!;
      return;
    }
    case 'u16': {
      const o = s.out as Uint16Array;
      for (let i = 0, w = 2 * at + s.half; i < m; i++, w += 2 * W) o[d + i] = (u32[w]! >>> s.shift) & 0xffff;
      return;
    }
  }
}

/** An INT64 column of width 0..2 into a u32 sink at out[d ...]: the low (or high) half of each word (what spreadStrided does after decodeIntNarrow, fused). */
function decodeIntNarrowU32(
  e: Uint8Array,
  q: number,
  out: Uint32Array,
  high: boolean,
  d: number,
  m: number,
  w: number,
  pl: number,
  ph: number,
): void {
  if (w === 0) {
    out.fill(high ? ph : pl, d, d + m);
    return;
  }
  const q2 = w === 2 ? q + m : q; // width 1: the second plane is not read
  const hiMask = w === 2 ? 0xff : 0;
  for (let i = 0; i < m; i++) {
    const z = e[q + i]! | ((e[q2 + i]! & hiMask) << 8);
    const dl = (z >>> 1) ^ -(z & 1);
    const nl = pl + (dl >>> 0);
    ph = (ph + (dl >> 31) + (nl >= TWO32 ? 1 : 0)) | 0;
    pl = nl >>> 0;
    out[d + i] = high ? ph : pl;
  }
}

/** An INT64 column of width 0..2 into a u64 or i64 sink (a Float64Array of numbers) at out[d ...]. */
function decodeIntNarrowNum(
  e: Uint8Array,
  q: number,
  out: Float64Array,
  signed: boolean,
  d: number,
  m: number,
  w: number,
  pl: number,
  ph: number,
): void {
  if (w === 0) {
    out.fill((signed ? ph : ph >>> 0) * TWO32 + pl, d, d + m);
    return;
  }
  const q2 = w === 2 ? q + m : q;
  const hiMask = w === 2 ? 0xff : 0;
  for (let i = 0; i < m; i++) {
    const z = e[q + i]! | ((e[q2 + i]! & hiMask) << 8);
    const dl = (z >>> 1) ^ -(z & 1);
    const nl = pl + (dl >>> 0);
    ph = (ph + (dl >> 31) + (nl >= TWO32 ? 1 : 0)) | 0;
    pl = nl >>> 0;
    out[d + i] = (signed ? ph : ph >>> 0) * TWO32 + pl;
  }
}

/**
 * Reverses COLS8 into columns: `count` records of `plan.recordBytes` encoded in `enc`;
 * records [run.src, run.src + run.count) of each run go to rows [run.dst, ...) of every
 * sink of the plan. Words without a sink are not decoded; groups without a record in a
 * run are skipped, but every directory entry is checked and the encoding must end exactly
 * where the last group does, as in cols8Decode (RangeError otherwise).
 */
export function cols8DecodeColumns(enc: Uint8Array, count: number, plan: ColumnPlan, runs: readonly DecodeRun[]): void {
  plan.checkRuns(count, runs);
  const recordBytes = plan.recordBytes;
  const W = recordBytes / 8;
  const G = groupRecords(recordBytes);
  const dv = new DataView(enc.buffer, enc.byteOffset, enc.length);
  const words = wordsFor(Math.min(G, count));
  // Pieces of the current group: [ps[p], pe[p]) of the group's records to rows pd[p].
  const ps: number[] = [];
  const pe: number[] = [];
  const pd: number[] = [];
  let r = 0;
  let o = 0;
  for (let i0 = 0; i0 < count; i0 += G) {
    const m = Math.min(G, count - i0);
    const dir = o;
    o += W * DIR_ENTRY_BYTES;
    if (o > enc.length) throw new RangeError(`COLS8: directory of group at record ${i0} past the end (${enc.length} bytes)`);
    while (r < runs.length && runs[r]!.src + runs[r]!.count <= i0) r++;
    ps.length = pe.length = pd.length = 0;
    for (let q = r; q < runs.length && runs[q]!.src < i0 + m; q++) {
      const run = runs[q]!;
      const a = Math.max(run.src, i0);
      const b = Math.min(run.src + run.count, i0 + m);
      if (b <= a) continue;
      ps.push(a - i0);
      pe.push(b - i0);
      pd.push(run.dst + (a - run.src));
    }
    const whole = ps.length === 1 && ps[0] === 0 && pe[0] === m;
    for (let j = 0; j < W; j++) {
      const e = dir + j * DIR_ENTRY_BYTES;
      const mode = enc[e]!;
      const k = enc[e + 1]!;
      const w = enc[e + 2]!;
      checkEntry(enc.length, mode, k, w, j, i0, o, m);
      const sinks = plan.sinksOf(j);
      if (sinks && ps.length > 0) {
        const lo = dv.getUint32(e + 8, true);
        const hi = dv.getInt32(e + 12, true);
        const only = sinks.length === 1 ? sinks[0]! : undefined;
        if (whole && only?.type === 'f64') {
          // The common case: the whole group to consecutive rows of one f64 column, decoded in place.
          decodeColumn(enc, o, mode, k, w, lo, hi, m, only.f64!, only.u32!, 1, 0, pd[0]! - only.firstRow);
        } else if (whole && only !== undefined && mode === MODE_INT && w <= 2 && only.type !== 'u16') {
          // Integer fields (a bar's date and time): narrow deltas, converted as they are decoded.
          if (only.type === 'u32')
            decodeIntNarrowU32(enc, o, only.out as Uint32Array, only.half === 1, pd[0]! - only.firstRow, m, w, lo, hi);
          else decodeIntNarrowNum(enc, o, only.out as Float64Array, only.type === 'i64', pd[0]! - only.firstRow, m, w, lo, hi);
        } else {
          decodeColumn(enc, o, mode, k, w, lo, hi, m, words.f64, words.u32, 1, 0, 0);
          for (let p = 0; p < ps.length; p++)
            for (const sk of sinks) spreadStrided(sk, words.f64, words.u32, 1, ps[p]!, pe[p]! - ps[p]!, pd[p]! - sk.firstRow);
        }
      }
      o += w * m;
    }
  }
  if (o !== enc.length) throw new RangeError(`COLS8: ${enc.length - o} bytes left after ${count} records`);
}

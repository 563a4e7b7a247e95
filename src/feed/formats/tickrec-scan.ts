// A byte-level scanner for the common tickrec frame: ticks straight from the frame's
// bytes into TickInput objects, without JSON.parse.
//
// WHY: in the recorder benchmark profile JSON.parse was 30% of the recorder's CPU and the
// garbage of its result (an object, four arrays and two strings per tick, then copied into
// the mapper's own object) another 18%. This scanner reads the UTF-8 bytes once, converts
// numbers from digits, reuses interned exchange/code strings, stages the frame's values in
// typed arrays, and hands the sink one reused object per tick (getters over the staging):
// no allocation per tick (a fresh object per tick, with its boxed number fields, still
// cost 18% of the recorder's CPU in garbage collection).
//
// CONTRACT (what keeps the two paths one protocol):
// - The scanner ACCEPTS a frame only if JSON.parse accepts it and the JSON path
//   (fastTick in tickrec.ts) would turn it into exactly the same ticks, in the same
//   order, field for field (same keys, same numbers bit for bit, -0 included).
// - Anything else — a trade or heartbeat, a string with an escape in exchg/code, a
//   duplicate key, a required field missing, an invalid date, a number it cannot convert
//   exactly, any syntax it does not know — makes it BAIL for the whole frame (returns -1,
//   nothing delivered), and the JSON path decides. So a bail costs one wasted scan, never
//   a different result. test/feed/tickrec-scan.test.ts holds this with fast-check:
//   random and mutated frames, scanner result === JSON path result whenever it accepts.
// - Unknown keys are skipped as JSON.parse would read them (strictly validated: a
//   skipped value that is not valid JSON makes the scanner bail).
//
// Numbers: JSON's grammar exactly (-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?). With at most
// 15 significant digits m and a decimal exponent e in -22..22, m and 10^|e| are exact
// doubles, so m * 10^e or m / 10^-e is one correctly rounded operation: the same double
// JSON.parse produces (Clinger's fast path). Other numbers are converted with Number()
// of their text, which is what JSON.parse does.

import { assert } from '../../assert.js';
import { MAX_BATCH, isValidDate, isValidTime } from './common.js';
import { TICK, valueFields } from '../../format/index.js';
import { compileFunction } from '../../format/compile.js';
import { TICK_INPUT_LEVELS, TICK_INPUT_NUMBERS, TICK_MAX_LEVELS } from '../types.js';
import type { TickInput, TickNumberField } from '../types.js';

/** Failure of the fast path: the frame goes to the JSON path. Never escapes scan(). */
const BAIL = -1;
const MAX_LEVELS = TICK_MAX_LEVELS;
const MAX_DEPTH = 64;
const P10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

// Field ids, from the tick's field table (src/format/tick.ts): 0 the message type, then
// the names, the book-level arrays and the numbers, each in record order. A field added
// to TICK gets an id here, a key the scanner knows and a property of the scanned tick (pointTick).
const F_TYPE = 0;
const F_EXCHG = 1;
const F_CODE = 2;
/** Ids F_LEVEL0.. are the level arrays (TICK_INPUT_LEVELS); a level slot is `id - F_LEVEL0`. */
const F_LEVEL0 = 3;
const F_LEVEL_ARRAYS = TICK_INPUT_LEVELS.length;
/** Ids F_NUM0.. are the numbers, required and optional (NUMBER_FIELDS). */
const F_NUM0 = F_LEVEL0 + F_LEVEL_ARRAYS;
const NUMBER_FIELDS = valueFields(TICK)
  .filter((f) => f.type !== 'char' && !f.isArray)
  .map((f) => f.name as TickNumberField);
const KEY_NAMES: readonly string[] = ['type', 'exchg', 'code', ...TICK_INPUT_LEVELS, ...NUMBER_FIELDS];
const F_COUNT = KEY_NAMES.length;
const numberId = (name: TickNumberField): number => F_NUM0 + NUMBER_FIELDS.indexOf(name);
const F_PRICE = numberId('price');
const F_TRADING_DATE = numberId('trading_date');
const F_ACTION_DATE = numberId('action_date');
const F_ACTION_TIME = numberId('action_time');
assert(F_COUNT <= 31, 'a bit per field id in an int32 (seen, nulls, has)');
assert(
  valueFields(TICK).length === F_COUNT - 1 && NUMBER_FIELDS.length + F_LEVEL_ARRAYS + 2 === F_COUNT - 1,
  'every tick field has an id: names, levels, numbers',
);
assert(
  TICK_INPUT_NUMBERS.every((n) => NUMBER_FIELDS.includes(n)) && NUMBER_FIELDS.length === TICK_INPUT_NUMBERS.length + 4,
  'the numbers are the optional ones plus price, trading_date, action_date, action_time',
);

const KEY_BYTES = KEY_NAMES.map((k) => Uint8Array.from(k, (c) => c.charCodeAt(0)));
/**
 * Each key with its closing quote, as little-endian u32 words (the last one masked):
 * a predicted key is checked 4 bytes at a time (KEY_WORDS[id * 4 + j], KEY_MASK[id]).
 * Keys are at most 15 bytes, so 4 words hold key + quote.
 */
const KEY_WORDS = new Uint32Array(KEY_NAMES.length * 4);
const KEY_NWORDS = new Uint8Array(KEY_NAMES.length);
const KEY_LASTMASK = new Uint32Array(KEY_NAMES.length);
KEY_NAMES.forEach((k, id) => {
  const bytes = [...k].map((c) => c.charCodeAt(0)).concat(0x22);
  assert(bytes.length <= 16, `key ${k}: at most 15 bytes for the word compare`);
  const nw = Math.ceil(bytes.length / 4);
  KEY_NWORDS[id] = nw;
  for (let j = 0; j < nw; j++) {
    let w = 0;
    for (let i = 0; i < 4 && j * 4 + i < bytes.length; i++) w |= bytes[j * 4 + i]! << (8 * i);
    KEY_WORDS[id * 4 + j] = w >>> 0;
  }
  const tail = bytes.length - (nw - 1) * 4; // bytes in the last word, 1..4
  KEY_LASTMASK[id] = tail === 4 ? 0xffffffff : ((1 << (8 * tail)) - 1) >>> 0;
});
/** Key lookup: hash → id + 1 (0 = none), open addressing. */
const KEY_SLOTS = 128;
const keyTable = new Int32Array(KEY_SLOTS);
function keyHash(h: number): number {
  return (Math.imul(h, 0x9e3779b1) >>> 25) & (KEY_SLOTS - 1);
}
function hashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + b[i]!) | 0;
  return h;
}
for (let id = 0; id < F_COUNT; id++) {
  const kb = KEY_BYTES[id]!;
  let s = keyHash(hashBytes(kb, 0, kb.length));
  while (keyTable[s] !== 0) s = (s + 1) & (KEY_SLOTS - 1);
  keyTable[s] = id + 1;
}

/** Interned exchange/code strings (ASCII 0x20-0x7e, no escapes), by their bytes. */
const INTERN_SLOTS = 8192;
const REQUIRED = (1 << F_TYPE) | (1 << F_EXCHG) | (1 << F_CODE) | (1 << F_PRICE) | (1 << F_ACTION_DATE) | (1 << F_ACTION_TIME);
const NOT_NULL = (1 << F_PRICE) | (1 << F_ACTION_DATE) | (1 << F_ACTION_TIME);

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Scans tickrec frames. Style: every step takes the position and returns the next one,
 * or BAIL; values go to fields. The frame is held as a plain Uint8Array (never a Buffer)
 * so that every byte load sees one map.
 */
export class TickrecScanner {
  /** Ticks of the last accepted frame. */
  private count = 0;
  // Staging of the frame's ticks (all-or-nothing: nothing is delivered before the whole
  // frame is read): numbers by field id, presence bits, names, book levels.
  private vals = new Float64Array(64 * F_COUNT);
  private has = new Int32Array(64);
  private exchgs: string[] = [];
  private codes: string[] = [];
  private lvVals = new Float64Array(64 * F_LEVEL_ARRAYS * MAX_LEVELS);
  /** Levels per tick and side: -1 = absent or null (undefined), else 0..10. */
  private lvLen = new Int8Array(64 * F_LEVEL_ARRAYS);
  /** The one tick object handed out (tickAt): re-pointed per tick. */
  private readonly view: TickInput = newScannedTick();
  /** The book-level arrays of the tick being pointed at, by level slot (TICK_INPUT_LEVELS order); undefined when absent. */
  private readonly levels: (number[] | undefined)[] = new Array<number[] | undefined>(F_LEVEL_ARRAYS).fill(undefined);
  /** levelArrays[side][len]: a number[] of that length, refilled per tick. */
  private readonly levelArrays: number[][][] = Array.from({ length: F_LEVEL_ARRAYS }, () =>
    Array.from({ length: MAX_LEVELS + 1 }, (_, n) => new Array<number>(n).fill(0)),
  );
  private b: Uint8Array = EMPTY;
  private dv: DataView = new DataView(EMPTY.buffer);
  private end = 0;
  private readonly internBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INTERN_SLOTS).fill(undefined);
  private readonly internStr: string[] = new Array<string>(INTERN_SLOTS).fill('');
  private readonly latin1 = new TextDecoder('latin1');
  // The values of the object being scanned.
  private seen = 0; // bit per field id (F_COUNT <= 31)
  private nulls = 0; // fields that were JSON null
  private quotedHash = 0; // hash of the last string read by quoted()
  /** Where tick `count`'s numbers go in `vals` (count * F_COUNT). */
  private base = 0;
  private exchg = '';
  private code = '';
  /** The number number() read last. */
  private num = 0;
  /** Key order of the last object: predicted[k] = id of its k-th member (-1: none). */
  private readonly predicted = new Int8Array(64).fill(-1);

  /**
   * Scans one frame. Returns the number of ticks (then read them with tickAt), or -1:
   * not a frame the fast path takes (give it to the JSON path).
   */
  scan(bytes: Uint8Array): number {
    this.count = 0;
    this.b = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
    let n: number;
    try {
      n = this.frame();
    } finally {
      this.b = EMPTY; // do not keep the frame alive
      this.dv = EMPTY_DV;
    }
    if (n === BAIL) this.count = 0;
    return n;
  }

  /**
   * Tick i of the last frame, as ONE reused object re-pointed at each call (no allocation
   * per tick): valid until the next tickAt or scan; copy what you keep (tickObject).
   * Absent fields read as undefined, as in fastTick's objects.
   */
  tickAt(i: number): TickInput {
    if (!(i >= 0 && i < this.count)) assert(false, `tickAt(${i}): the frame has ${this.count} ticks`); // no message built per tick
    const v = this.view;
    const lv = this.levels;
    for (let li = 0; li < F_LEVEL_ARRAYS; li++) {
      const len = this.lvLen[i * F_LEVEL_ARRAYS + li]!;
      let arr: number[] | undefined;
      if (len >= 0) {
        arr = this.levelArrays[li]![len]!; // one array per side and length: refilled, never resized
        const at = (i * F_LEVEL_ARRAYS + li) * MAX_LEVELS;
        for (let k = 0; k < len; k++) arr[k] = this.lvVals[at + k]!;
      }
      lv[li] = arr;
    }
    pointTick(v, this.vals, i * F_COUNT, this.has[i]!, this.exchgs[i]!, this.codes[i]!, lv);
    return v;
  }

  /** Tick i as a fresh plain object, keys and values as fastTick() gives them (tests, callers that keep ticks). */
  tickObject(i: number): TickInput {
    const v = this.tickAt(i) as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const f of valueFields(TICK)) {
      const x = v[f.name];
      out[f.name] = Array.isArray(x) ? [...(x as number[])] : x;
    }
    return out as unknown as TickInput;
  }

  /** Room in the staging for tick index i. */
  private stage(i: number): void {
    if (i < this.has.length) return;
    const cap = Math.min(Math.max(i + 1, this.has.length * 2), MAX_BATCH + 1);
    const grow = <T extends Float64Array | Int32Array | Int8Array>(a: T, per: number): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * per);
      b.set(a);
      return b;
    };
    this.vals = grow(this.vals, F_COUNT);
    this.has = grow(this.has, 1);
    this.lvVals = grow(this.lvVals, F_LEVEL_ARRAYS * MAX_LEVELS);
    this.lvLen = grow(this.lvLen, F_LEVEL_ARRAYS);
  }

  private frame(): number {
    const b = this.b;
    let p = this.ws(0);
    if (b[p] === 0x7b) {
      p = this.object(p);
    } else if (b[p] === 0x5b) {
      p = this.ws(p + 1);
      if (b[p] === 0x5d) return BAIL; // empty array: the JSON path rejects it
      for (;;) {
        if (b[p] !== 0x7b) return BAIL;
        p = this.object(p);
        if (p === BAIL || this.count > MAX_BATCH) return BAIL;
        p = this.ws(p);
        const d = b[p];
        p = this.ws(p + 1);
        if (d === 0x2c) continue;
        if (d === 0x5d) break;
        return BAIL;
      }
    } else return BAIL;
    if (p === BAIL) return BAIL;
    p = this.ws(p);
    return p === this.end ? this.count : BAIL;
  }

  /** The first non-whitespace position from p. Callers test isWs first: JSON from feeds rarely has any. */
  private skipWs(p: number): number {
    const b = this.b;
    while (isWs(b[p]!)) p++;
    return p;
  }

  private ws(p: number): number {
    return isWs(this.b[p]!) ? this.skipWs(p) : p;
  }

  /** One message object at p ('{'): a tick staged as tick `count`; anything else bails. */
  private object(p: number): number {
    const b = this.b;
    this.seen = 0;
    this.nulls = 0;
    if (this.count > MAX_BATCH) return BAIL;
    this.stage(this.count);
    this.base = this.count * F_COUNT;
    const lv = this.count * F_LEVEL_ARRAYS;
    for (let k = 0; k < F_LEVEL_ARRAYS; k++) this.lvLen[lv + k] = -1;
    p = this.ws(p + 1);
    if (b[p] === 0x7d) return BAIL; // {}: no type
    for (let k = 0; ; k++) {
      p = this.member(p, k);
      if (p === BAIL) return BAIL;
      let d = b[p];
      if (isWs(d!)) {
        p = this.skipWs(p);
        d = b[p];
      }
      if (d === 0x2c) {
        p++;
        if (isWs(b[p]!)) p = this.skipWs(p);
        continue;
      }
      if (d === 0x7d) return this.emit() === BAIL ? BAIL : p + 1;
      return BAIL;
    }
  }

  /** Member k of an object at p ('"key" : value'); returns the position after the value. */
  private member(p: number, k: number): number {
    const b = this.b;
    if (b[p] !== 0x22) return BAIL;
    const k0 = p + 1;
    // The key: first the one at this place in the last object (feeds repeat their order).
    let id = k < 64 ? this.predicted[k]! : -1;
    if (id >= 0) {
      const nw = KEY_NWORDS[id]!;
      const last = k0 + 4 * nw; // the word reads stay inside the frame
      if (last <= this.end) {
        const dv = this.dv;
        const w0 = id * 4;
        let j = 0;
        while (j < nw - 1 && dv.getUint32(k0 + 4 * j, true) === KEY_WORDS[w0 + j]) j++;
        if (j === nw - 1 && (dv.getUint32(k0 + 4 * j, true) & KEY_LASTMASK[id]!) >>> 0 === KEY_WORDS[w0 + j]) {
          p = k0 + KEY_BYTES[id]!.length + 1;
        } else id = -1;
      } else id = -1;
    }
    if (id < 0) {
      const q = this.quoted(k0, 0xff);
      if (q === BAIL) return BAIL;
      id = this.keyId(k0, q, this.quotedHash);
      p = q + 1;
      if (k < 64) this.predicted[k] = id;
    }
    if (b[p] !== 0x3a) {
      p = this.ws(p);
      if (b[p] !== 0x3a) return BAIL;
    }
    p++;
    if (isWs(b[p]!)) p = this.skipWs(p);
    if (id < 0) {
      p = this.skipValue(p, 0); // a key the tick does not have: read past it
      return p === BAIL ? BAIL : this.ws(p);
    }
    const bit = 1 << id;
    if ((this.seen & bit) !== 0) return BAIL; // duplicate key: JSON.parse keeps the last; let it
    this.seen |= bit;
    if (id >= F_NUM0) {
      if (b[p] === 0x6e) {
        if (!this.isNull(p)) return BAIL;
        this.nulls |= bit;
        return p + 4;
      }
      p = this.number(p);
      if (p === BAIL) return BAIL;
      this.vals[this.base + id] = this.num; // straight into the staging of tick `count`
      return p;
    }
    switch (id) {
      case F_TYPE:
        // Only "tick" is fast; "trade", "heartbeat" and anything else go to the JSON path.
        return b[p] === 0x22 && b[p + 1] === 0x74 && b[p + 2] === 0x69 && b[p + 3] === 0x63 && b[p + 4] === 0x6b && b[p + 5] === 0x22
          ? p + 6
          : BAIL;
      case F_EXCHG:
      case F_CODE:
        return this.nameValue(p, id);
      default:
        return this.levelValue(p, id);
    }
  }

  /**
   * The closing quote of the string whose bytes start at q (after its opening quote),
   * with their hash in `quotedHash`; BAIL at an escape, a control byte, a byte above
   * `max` or the frame's end (the JSON path decides those).
   */
  private quoted(q: number, max: number): number {
    const b = this.b;
    let h = 0;
    for (;;) {
      if (q >= this.end) return BAIL;
      const c = b[q]!;
      if (c === 0x22) break;
      if (c === 0x5c || c < 0x20 || c > max) return BAIL;
      h = (Math.imul(h, 31) + c) | 0;
      q++;
    }
    this.quotedHash = h;
    return q;
  }

  /** Field id of the key bytes [k0, k1) with hash h, or -1. */
  private keyId(k0: number, k1: number, h: number): number {
    const b = this.b;
    let s = keyHash(h);
    for (;;) {
      const e = keyTable[s]!;
      if (e === 0) return -1;
      const kb = KEY_BYTES[e - 1]!;
      if (kb.length === k1 - k0) {
        let i = 0;
        while (i < kb.length && kb[i] === b[k0 + i]) i++;
        if (i === kb.length) return e - 1;
      }
      s = (s + 1) & (KEY_SLOTS - 1);
    }
  }

  private nameValue(p: number, id: number): number {
    const b = this.b;
    if (b[p] !== 0x22) return BAIL; // not a string (null included): the JSON path names it
    const s0 = p + 1;
    const q = this.quoted(s0, 0x7e); // names: printable ASCII only
    if (q === BAIL) return BAIL;
    const s = this.intern(s0, q, this.quotedHash);
    if (id === F_EXCHG) this.exchg = s;
    else this.code = s;
    return q + 1;
  }

  private intern(s0: number, s1: number, h: number): string {
    const b = this.b;
    const slot = (Math.imul(h ^ (s1 - s0), 0x9e3779b1) >>> 0) & (INTERN_SLOTS - 1);
    const kb = this.internBytes[slot];
    if (kb !== undefined && kb.length === s1 - s0) {
      let i = 0;
      while (i < kb.length && kb[i] === b[s0 + i]) i++;
      if (i === kb.length) return this.internStr[slot]!;
    }
    const str = this.latin1.decode(b.subarray(s0, s1)); // ASCII only here: latin1 === UTF-8
    this.internBytes[slot] = b.slice(s0, s1);
    this.internStr[slot] = str;
    return str;
  }

  private isNull(p: number): boolean {
    const b = this.b;
    return b[p] === 0x6e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c;
  }

  /** A level array at p, or null; into the staging of tick `count`. */
  private levelValue(p: number, id: number): number {
    const b = this.b;
    const slot = this.count * F_LEVEL_ARRAYS + (id - F_LEVEL0);
    if (b[p] === 0x6e) {
      if (!this.isNull(p)) return BAIL;
      this.lvLen[slot] = -1; // null: no levels
      return p + 4;
    }
    if (b[p] !== 0x5b) return BAIL;
    const at = slot * MAX_LEVELS;
    let len = 0;
    p = this.ws(p + 1);
    if (b[p] === 0x5d) p++;
    else {
      for (;;) {
        p = this.number(p);
        if (p === BAIL) return BAIL;
        if (len === MAX_LEVELS) return BAIL; // too many: the JSON path rejects with the count
        this.lvVals[at + len++] = this.num;
        let d = b[p];
        if (isWs(d!)) {
          p = this.ws(p);
          d = b[p];
        }
        if (d === 0x2c) {
          p = this.ws(p + 1);
          continue;
        }
        if (d === 0x5d) {
          p++;
          break;
        }
        return BAIL;
      }
    }
    this.lvLen[slot] = len;
    return p;
  }

  /** A JSON number at p (strict grammar) into `num`; the position after it, or BAIL. */
  private number(p: number): number {
    const b = this.b;
    const start = p;
    let neg = false;
    let c = b[p]!;
    if (c === 0x2d) {
      neg = true;
      c = b[++p]!;
    }
    let m = 0;
    let nd = 0; // digits accumulated in m (leading zeros of a fraction included)
    if (c === 0x30) {
      c = b[++p]!;
    } else if (c >= 0x31 && c <= 0x39) {
      do {
        m = m * 10 + (c - 0x30);
        nd++;
        c = b[++p]!;
      } while (c >= 0x30 && c <= 0x39);
    } else return BAIL;
    let frac = 0;
    if (c === 0x2e) {
      c = b[++p]!;
      if (!(c >= 0x30 && c <= 0x39)) return BAIL;
      do {
        m = m * 10 + (c - 0x30);
        nd++;
        frac++;
        c = b[++p]!;
      } while (c >= 0x30 && c <= 0x39);
    }
    let exp = 0;
    if (c === 0x65 || c === 0x45) {
      c = b[++p]!;
      let eneg = false;
      if (c === 0x2b || c === 0x2d) {
        eneg = c === 0x2d;
        c = b[++p]!;
      }
      if (!(c >= 0x30 && c <= 0x39)) return BAIL;
      do {
        if (exp < 100_000) exp = exp * 10 + (c - 0x30);
        c = b[++p]!;
      } while (c >= 0x30 && c <= 0x39);
      if (eneg) exp = -exp;
    }
    // A digit right after the number ("01") is caught by the caller: it expects , ] or }.
    const e10 = exp - frac;
    if (nd <= 15 && e10 >= -22 && e10 <= 22) {
      // Exact m (< 10^15 < 2^53) and exact 10^|e10|: one correctly rounded operation.
      const v = e10 === 0 ? m : e10 > 0 ? m * P10[e10]! : m / P10[-e10]!;
      this.num = neg ? -v : v;
    } else {
      this.num = Number(this.latin1.decode(b.subarray(start, p))); // what JSON.parse does
    }
    return p;
  }

  /** Reads past any valid JSON value at p (unknown keys); bails on anything JSON.parse would refuse. */
  private skipValue(p: number, depth: number): number {
    if (depth > MAX_DEPTH) return BAIL;
    const b = this.b;
    const c = b[p];
    if (c === 0x22) return this.skipString(p);
    if (c === 0x2d || (c! >= 0x30 && c! <= 0x39)) return this.number(p);
    if (this.isNull(p)) return p + 4;
    if (c === 0x74) return b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65 ? p + 4 : BAIL;
    if (c === 0x66) return b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65 ? p + 5 : BAIL;
    if (c !== 0x5b && c !== 0x7b) return BAIL;
    const obj = c === 0x7b;
    const close = obj ? 0x7d : 0x5d;
    p = this.ws(p + 1);
    if (b[p] === close) return p + 1;
    for (;;) {
      if (obj) {
        if (b[p] !== 0x22) return BAIL;
        p = this.skipString(p);
        if (p === BAIL) return BAIL;
        p = this.ws(p);
        if (b[p] !== 0x3a) return BAIL;
        p = this.ws(p + 1);
      }
      p = this.skipValue(p, depth + 1);
      if (p === BAIL) return BAIL;
      p = this.ws(p);
      const d = b[p];
      p = this.ws(p + 1);
      if (d === 0x2c) continue;
      if (d === close) return p;
      return BAIL;
    }
  }

  /** A JSON string at p with valid escapes; any UTF-8 byte (the frame is text) is a character. */
  private skipString(p: number): number {
    const b = this.b;
    p++;
    for (;;) {
      if (p >= this.end) return BAIL;
      const c = b[p]!;
      if (c === 0x22) return p + 1;
      if (c < 0x20) return BAIL;
      if (c === 0x5c) {
        const e = b[p + 1];
        if (e === 0x75) {
          for (let i = 2; i < 6; i++) if (!isHex(b[p + i])) return BAIL;
          p += 6;
          continue;
        }
        if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          p += 2;
          continue;
        }
        return BAIL;
      }
      p++;
    }
  }

  /** Checks the object just read as fastTick does and appends the tick; bails where fastTick would give up. */
  private emit(): number {
    const seen = this.seen;
    const nulls = this.nulls;
    if ((seen & REQUIRED) !== REQUIRED || (nulls & NOT_NULL) !== 0) return BAIL;
    const vals = this.vals;
    const base = this.base;
    const ad = vals[base + F_ACTION_DATE]!;
    const at = vals[base + F_ACTION_TIME]!;
    if (!isValidDate(ad) || !isValidTime(at)) return BAIL;
    let has = seen & ~nulls;
    if ((has & (1 << F_TRADING_DATE)) !== 0) {
      const td = vals[base + F_TRADING_DATE]!;
      if (td === 0)
        has &= ~(1 << F_TRADING_DATE); // 0 (or -0): the recorder decides, as in fastTick
      else if (!isValidDate(td)) return BAIL;
    }
    const i = this.count++;
    this.has[i] = has;
    this.exchgs[i] = this.exchg;
    this.codes[i] = this.code;
    return 0;
  }
}

/**
 * The TickInput the scanner hands out: ONE plain object with a data property per tick
 * field (names and order as TickInput, compiled from the field table), re-pointed per
 * tick by pointTick. Data properties, not getters over the staging: the normalizer reads
 * each field several times, and a getter returning `number | undefined` boxed a double
 * at every read (most of the garbage per tick); a field store boxes at most once, and not
 * at all while a field never holds undefined (V8 keeps such a field's double in place).
 * Numbers start as NaN (a double) so that a field that always has a value stays unboxed.
 */
const newScannedTick = compileFunction<() => TickInput>(
  [],
  `return function newScannedTick() {
  return { exchg: '', code: '', ${valueFields(TICK)
    .filter((f) => f.type !== 'char')
    .map((f) => `${plainName(f.name)}: ${f.isArray ? 'undefined' : 'NaN'}`)
    .join(', ')} };
};`,
);

/**
 * Points the tick object `t` at tick `o / F_COUNT` of the staging `v` with presence bits
 * `h`: a required number is copied, an optional one too when the tick has it (else
 * undefined, as in fastTick's objects); the level arrays come in `lv` by level slot.
 * Straight-line code compiled from the field ids.
 */
const pointTick = compileFunction<
  (t: TickInput, v: Float64Array, o: number, h: number, exchg: string, code: string, lv: readonly (number[] | undefined)[]) => void
>(
  [],
  `return function pointTick(t, v, o, h, exchg, code, lv) {
  t.exchg = exchg;
  t.code = code;
${NUMBER_FIELDS.map((name) => {
  const id = numberId(name);
  return [F_PRICE, F_ACTION_DATE, F_ACTION_TIME].includes(id)
    ? `  t.${plainName(name)} = v[o + ${id}];`
    : `  t.${plainName(name)} = (h & ${1 << id}) !== 0 ? v[o + ${id}] : undefined;`;
}).join('\n')}
${TICK_INPUT_LEVELS.map((name, slot) => `  t.${plainName(name)} = lv[${slot}];`).join('\n')}
};`,
);

/** A tick field's name, checked to be a plain identifier (it is written into compiled code). */
function plainName(name: string): string {
  assert(/^[a-z_][a-z0-9_]*$/.test(name), `tick field ${name}: a plain identifier`);
  return name;
}

const EMPTY = new Uint8Array(0);
const EMPTY_DV = new DataView(EMPTY.buffer);

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

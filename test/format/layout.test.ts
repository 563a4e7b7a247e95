// Holds the TS field tables against a table transcribed by hand from FORMAT.md, and checks that defineStruct refuses broken tables.

import { describe, expect, it } from 'vitest';
import {
  BAR,
  BLOCK_FLAG,
  BLOCK_FLAG_TEXT,
  BLOCK_HEADER,
  BLOCK_HEADER_V2,
  BLOCK_VERSION_COMPRESSED,
  BLOCK_VERSION_RAW,
  BlockType,
  RT_BLOCK_HEADER,
  RT_CAPACITY_U32,
  RT_DATE_U32,
  RT_DAY_BLOCK_HEADER,
  RT_HEADER_BYTES,
  RT_SIZE_U32,
  TICK,
  TRADE,
  defineStruct,
  type FieldInput,
  type StructDef,
} from '../../src/format/index.js';

// [name, offset, size, type] in offset order, copied from the tables of FORMAT.md
// (measured upstream with sizeof/offsetof). 'pad' marks reserved or padding bytes.
type Row = readonly [name: string, offset: number, size: number, type: string];

const f64s = (names: string[], from: number): Row[] => names.map((n, k) => [n, from + 8 * k, 8, 'f64'] as const);

const EXPECTED: { struct: StructDef; size: number; packed: boolean; rows: Row[] }[] = [
  {
    struct: BLOCK_HEADER,
    size: 12,
    packed: true,
    rows: [
      ['flag', 0, 8, 'char'],
      ['type', 8, 2, 'u16'],
      ['version', 10, 2, 'u16'],
    ],
  },
  {
    struct: RT_BLOCK_HEADER,
    size: 20,
    packed: true,
    rows: [
      ['flag', 0, 8, 'char'],
      ['type', 8, 2, 'u16'],
      ['version', 10, 2, 'u16'],
      ['size', 12, 4, 'u32'],
      ['capacity', 16, 4, 'u32'],
    ],
  },
  {
    struct: RT_DAY_BLOCK_HEADER,
    size: 24,
    packed: true,
    rows: [
      ['flag', 0, 8, 'char'],
      ['type', 8, 2, 'u16'],
      ['version', 10, 2, 'u16'],
      ['size', 12, 4, 'u32'],
      ['capacity', 16, 4, 'u32'],
      ['date', 20, 4, 'u32'],
    ],
  },
  {
    struct: BLOCK_HEADER_V2,
    size: 20,
    packed: true,
    rows: [
      ['flag', 0, 8, 'char'],
      ['type', 8, 2, 'u16'],
      ['version', 10, 2, 'u16'],
      ['size', 12, 8, 'u64'],
    ],
  },
  {
    struct: TICK,
    size: 512,
    packed: false,
    rows: [
      ['exchg', 0, 16, 'char'],
      ['code', 16, 32, 'char'],
      ...f64s(['price', 'open', 'high', 'low', 'settle_price', 'upper_limit', 'lower_limit'], 48),
      ...f64s(['total_volume', 'volume', 'total_turnover', 'turn_over', 'open_interest', 'diff_interest'], 104),
      ['trading_date', 152, 4, 'u32'],
      ['action_date', 156, 4, 'u32'],
      ['action_time', 160, 4, 'u32'],
      ['reserved', 164, 4, 'pad'],
      ...f64s(['pre_close', 'pre_settle', 'pre_interest'], 168),
      ['bid_prices', 192, 80, 'f64'],
      ['ask_prices', 272, 80, 'f64'],
      ['bid_qty', 352, 80, 'f64'],
      ['ask_qty', 432, 80, 'f64'],
    ],
  },
  {
    struct: BAR,
    size: 88,
    packed: false,
    rows: [
      ['date', 0, 4, 'u32'],
      ['reserved', 4, 4, 'pad'],
      ['time', 8, 8, 'u64'],
      ...f64s(['open', 'high', 'low', 'close', 'settle', 'money', 'vol', 'hold', 'add'], 16),
    ],
  },
  {
    struct: TRADE,
    size: 112,
    packed: false,
    rows: [
      ['exchg', 0, 16, 'char'],
      ['code', 16, 32, 'char'],
      ['trading_date', 48, 4, 'u32'],
      ['action_date', 52, 4, 'u32'],
      ['action_time', 56, 4, 'u32'],
      ['pad0', 60, 4, 'pad'],
      ['index', 64, 8, 'i64'],
      ['ttype', 72, 4, 'u32'],
      ['side', 76, 4, 'u32'],
      ['price', 80, 8, 'f64'],
      ['volume', 88, 4, 'u32'],
      ['pad1', 92, 4, 'pad'],
      ['askorder', 96, 8, 'i64'],
      ['bidorder', 104, 8, 'i64'],
    ],
  },
];

describe('field tables match FORMAT.md', () => {
  it('the transcription itself tiles each struct (a typo here would hide one in the code)', () => {
    for (const e of EXPECTED) {
      let end = 0;
      for (const [name, offset, size] of e.rows) {
        expect(offset, `FORMAT.md transcription ${e.struct.name}.${name}`).toBe(end);
        end = offset + size;
      }
      expect(end, `FORMAT.md transcription ${e.struct.name}: total`).toBe(e.size);
    }
  });

  for (const e of EXPECTED) {
    it(`${e.struct.name}: ${e.size} bytes, ${e.packed ? 'packed' : 'natural alignment'}, every field at its FORMAT.md offset`, () => {
      expect(e.struct.size, `${e.struct.name}.size`).toBe(e.size);
      expect(e.struct.packed, `${e.struct.name}.packed`).toBe(e.packed);
      expect(
        e.struct.fields.map((f) => f.name),
        `${e.struct.name}: field names in order`,
      ).toEqual(e.rows.map((r) => r[0]));
      for (const [name, offset, size, type] of e.rows) {
        const f = e.struct.field(name);
        expect(f.offset, `${e.struct.name}.${name}.offset`).toBe(offset);
        expect(f.size, `${e.struct.name}.${name}.size`).toBe(size);
        expect(f.type, `${e.struct.name}.${name}.type`).toBe(type);
        expect(f.doc.length, `${e.struct.name}.${name}: every field documents its rule`).toBeGreaterThan(0);
      }
    });
  }

  it('the tick depth arrays have 10 levels and the char fields keep their C lengths', () => {
    for (const n of ['bid_prices', 'ask_prices', 'bid_qty', 'ask_qty']) {
      expect(TICK.field(n).count, `Tick.${n}.count`).toBe(10);
      expect(TICK.field(n).isArray, `Tick.${n}.isArray`).toBe(true);
    }
    for (const s of [TICK, TRADE]) {
      expect(s.field('exchg').count, `${s.name}.exchg`).toBe(16);
      expect(s.field('code').count, `${s.name}.code`).toBe(32);
      expect(s.field('exchg').isArray, `${s.name}.exchg is a string, not an array`).toBe(false);
    }
  });

  it('block flag bytes are 26 5E 25 24 23 40 21 00 ("&^%$#@!" + NUL)', () => {
    expect(Array.from(BLOCK_FLAG)).toEqual([0x26, 0x5e, 0x25, 0x24, 0x23, 0x40, 0x21, 0x00]);
    expect(Buffer.from(`${BLOCK_FLAG_TEXT}\0`, 'ascii').equals(Buffer.from(BLOCK_FLAG))).toBe(true);
  });

  it('block type and version numbers', () => {
    expect(BlockType).toEqual({
      RT_MIN1: 1,
      RT_MIN5: 2,
      RT_TICKS: 3,
      RT_CACHE: 4,
      RT_TRANS: 5,
      RT_ORDER_DETAIL: 6,
      RT_ORDER_QUEUE: 7,
      HIS_MIN1: 21,
      HIS_MIN5: 22,
      HIS_DAY: 23,
      HIS_TICKS: 24,
      HIS_TRANS: 25,
      HIS_ORDER_DETAIL: 26,
      HIS_ORDER_QUEUE: 27,
    });
    expect(BLOCK_VERSION_RAW).toBe(3);
    expect(BLOCK_VERSION_COMPRESSED).toBe(4);
  });

  it('RT header: 24 bytes, size @12, capacity @16, date @20 (as u32 indexes 3, 4, 5)', () => {
    expect(RT_HEADER_BYTES).toBe(24);
    expect(RT_SIZE_U32 * 4).toBe(12);
    expect(RT_CAPACITY_U32 * 4).toBe(16);
    expect(RT_DATE_U32 * 4).toBe(20);
  });
});

// ---- defineStruct refuses what the C compiler would lay out differently ----------

const ok: FieldInput[] = [
  { name: 'a', type: 'u32', offset: 0, doc: 'a' },
  { name: 'p', type: 'pad', offset: 4, count: 4, doc: 'pad' },
  { name: 'b', type: 'f64', offset: 8, doc: 'b' },
  { name: 's', type: 'char', offset: 16, count: 8, doc: 's' },
];

describe('defineStruct rejects bad tables (invalid cases first)', () => {
  it('a hole between fields', () => {
    const fields = ok.filter((f) => f.name !== 'p');
    expect(() => defineStruct({ name: 'Holey', size: 24, fields })).toThrow(/Holey\.b: offset 8, expected 4/);
  });

  it('an overlap', () => {
    const fields = [...ok.slice(0, 2), { ...ok[2]!, offset: 6 }, ok[3]!];
    expect(() => defineStruct({ name: 'Overlap', size: 24, fields })).toThrow(/Overlap\.b: offset 6, expected 8/);
  });

  it('a misaligned f64 in a naturally aligned struct', () => {
    const fields: FieldInput[] = [
      { name: 'a', type: 'u32', offset: 0, doc: 'a' },
      { name: 'b', type: 'f64', offset: 4, doc: 'b' },
    ];
    expect(() => defineStruct({ name: 'Misaligned', size: 12, fields })).toThrow(/Misaligned\.b: offset 4 is not 8-aligned/);
    // the same bytes are legal when the struct is packed
    expect(defineStruct({ name: 'Packed', size: 12, packed: true, fields }).field('b').offset).toBe(4);
  });

  it('a misaligned u16 and u32', () => {
    expect(() =>
      defineStruct({
        name: 'U16',
        size: 3,
        fields: [
          { name: 'c', type: 'pad', offset: 0, doc: '' },
          { name: 'x', type: 'u16', offset: 1, doc: '' },
        ],
      }),
    ).toThrow(/U16\.x: offset 1 is not 2-aligned/);
    expect(() =>
      defineStruct({
        name: 'U32',
        size: 6,
        fields: [
          { name: 'c', type: 'pad', offset: 0, count: 2, doc: '' },
          { name: 'x', type: 'u32', offset: 2, doc: '' },
        ],
      }),
    ).toThrow(/U32\.x: offset 2 is not 4-aligned/);
  });

  it('a char field without room for its NUL', () => {
    const fields: FieldInput[] = [{ name: 'c', type: 'char', offset: 0, count: 1, doc: 'c' }];
    expect(() => defineStruct({ name: 'NoNul', size: 1, fields })).toThrow(/NoNul\.c: a char field needs room for its NUL/);
  });

  it('a wrong total size (too big or too small)', () => {
    expect(() => defineStruct({ name: 'Short', size: 32, fields: ok })).toThrow(/Short: fields end at 24, struct size is 32/);
    expect(() => defineStruct({ name: 'Long', size: 16, fields: ok })).toThrow(/Long: fields end at 24, struct size is 16/);
  });

  it('a non-positive or fractional count', () => {
    const zero = [{ ...ok[0]!, count: 0 }];
    expect(() => defineStruct({ name: 'Zero', size: 0, fields: zero })).toThrow(/Zero\.a: count must be a positive integer/);
    const half = [{ ...ok[0]!, count: 1.5 }];
    expect(() => defineStruct({ name: 'Half', size: 6, fields: half })).toThrow(/Half\.a: count must be a positive integer/);
  });

  it('a duplicate field name', () => {
    const fields = [ok[0]!, { ...ok[0]!, offset: 4 }];
    expect(() => defineStruct({ name: 'Dup', size: 8, fields })).toThrow(/Dup: duplicate field name/);
  });

  it('accepts a correct table and finds its fields; an unknown field name is an error', () => {
    const s = defineStruct({ name: 'Good', size: 24, fields: ok });
    expect(s.fields.map((f) => [f.name, f.offset, f.size])).toEqual([
      ['a', 0, 4],
      ['p', 4, 4],
      ['b', 8, 8],
      ['s', 16, 8],
    ]);
    expect(() => s.field('nope')).toThrow(/Good has no field 'nope'/);
  });
});

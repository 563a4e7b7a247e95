// Tests the compiled codecs: refused field values, round trips of every field, zeroed padding, exact 64-bit integers, zero-copy views, field readers and time keys.

import { describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import {
  BAR,
  MIN1_KIND,
  MIN5_KIND,
  Mem,
  TICK,
  TICK_KIND,
  TRADE,
  TRADE_KIND,
  minuteBarStamp,
  minuteBarTime,
  type Codec,
  type StructDef,
} from '../../src/format/index.js';

const tickCodec = TICK_KIND.codec;
const tradeCodec = TRADE_KIND.codec;
const barCodec = MIN1_KIND.codec;

/** A region of `records` slots, every byte set to `fill` (garbage a slot may hold). */
function region(struct: StructDef, records = 1, fill = 0xab): Mem {
  const m = Mem.alloc(struct.size * records);
  m.u8.fill(fill);
  return m;
}

function dv(m: Mem): DataView {
  return new DataView(m.u8.buffer, m.u8.byteOffset, m.u8.byteLength);
}

const levels = (from: number, step: number) => Array.from({ length: 10 }, (_, k) => from + k * step);

/** A tick with every field set (arrays of 10). */
const FULL_TICK = {
  exchg: 'SHFE',
  code: 'rb2505',
  price: 3501.5,
  open: 3490,
  high: 3520.5,
  low: 3480,
  settle_price: 3500.25,
  upper_limit: 3780,
  lower_limit: 3220,
  total_volume: 123456,
  volume: 12,
  total_turnover: 4321987654.5,
  turn_over: 420180,
  open_interest: 1234567,
  diff_interest: -3,
  trading_date: 20240102,
  action_date: 20240101,
  action_time: 210000500,
  pre_close: 3495,
  pre_settle: 3496,
  pre_interest: 1234570,
  bid_prices: levels(3501, -1),
  ask_prices: levels(3502, 1),
  bid_qty: levels(10, 1),
  ask_qty: levels(20, 2),
};

const FULL_BAR = {
  date: 20240102,
  time: minuteBarTime(20240102, 931),
  open: 3500,
  high: 3510,
  low: 3495,
  close: 3505.5,
  settle: 0,
  money: 123456789.5,
  vol: 3521,
  hold: 1234567,
  add: -12,
};

const FULL_TRADE = {
  exchg: 'BINANCE',
  code: 'BTCUSDT',
  trading_date: 20240102,
  action_date: 20240102,
  action_time: 93000250,
  index: 987654321012,
  ttype: 0x4d,
  side: 0x53,
  price: 42123.45,
  volume: 7,
  askorder: 11111111111,
  bidorder: 22222222222,
};

function expectFieldError(fn: () => unknown, where: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a TickrecError for ${where}`).toBeInstanceOf(TickrecError);
  expect((err as TickrecError).code).toBe('E_FIELD');
  expect((err as TickrecError).message).toContain(where);
}

describe('char fields: invalid values are refused with E_FIELD naming struct and field', () => {
  const cases: [string, Codec, Record<string, unknown>, string][] = [
    ['too long exchg (16 > 15)', tickCodec, { ...FULL_TICK, exchg: 'E'.repeat(16) }, 'Tick.exchg'],
    ['too long code (32 > 31)', tickCodec, { ...FULL_TICK, code: 'c'.repeat(32) }, 'Tick.code'],
    ['too long trade code', tradeCodec, { ...FULL_TRADE, code: 'X'.repeat(40) }, 'Trade.code'],
    ['non-ASCII (é)', tickCodec, { ...FULL_TICK, code: 'rb2505é' }, 'Tick.code'],
    ['non-ASCII (CJK)', tradeCodec, { ...FULL_TRADE, exchg: '上期所' }, 'Trade.exchg'],
    ['control character (newline)', tickCodec, { ...FULL_TICK, code: 'rb\n2505' }, 'Tick.code'],
    ['control character (NUL)', tickCodec, { ...FULL_TICK, exchg: 'SH\0FE' }, 'Tick.exchg'],
    ['DEL (0x7f)', tradeCodec, { ...FULL_TRADE, code: 'a\x7f' }, 'Trade.code'],
    ['a number', tickCodec, { ...FULL_TICK, code: 2505 }, 'Tick.code'],
    ['an object', tradeCodec, { ...FULL_TRADE, exchg: { name: 'SHFE' } }, 'Trade.exchg'],
    ['a boolean', tickCodec, { ...FULL_TICK, exchg: true }, 'Tick.exchg'],
  ];
  for (const [what, codec, rec, where] of cases) {
    it(what, () => {
      const m = region(codec.struct);
      expectFieldError(() => codec.encode(rec, m, 0), where);
    });
  }

  it('the message says what to do and shows the value (too long)', () => {
    const m = region(TICK);
    expect(() => tickCodec.encode({ ...FULL_TICK, code: 'c'.repeat(32) }, m, 0)).toThrow(/has 32 characters, at most 31 fit; shorten it/);
  });

  it('a refused name stays refused after a good one, and the good one still encodes (the name cache)', () => {
    const m = region(TICK);
    const bad = { ...FULL_TICK, code: 'bad\tname' };
    expectFieldError(() => tickCodec.encode(bad, m, 0), 'Tick.code');
    tickCodec.encode(FULL_TICK, m, 0);
    expectFieldError(() => tickCodec.encode(bad, m, 0), 'Tick.code');
    tickCodec.encode({ ...FULL_TICK, code: 'ag2506' }, m, 0);
    expect(tickCodec.decode(m, 0).code).toBe('ag2506');
    tickCodec.encode(FULL_TICK, m, 0);
    expect(tickCodec.decode(m, 0).code).toBe('rb2505');
  });

  it('the longest names that fit (15 and 31), printable ASCII edges, and null/undefined as empty', () => {
    const m = region(TICK);
    const rec = { ...FULL_TICK, exchg: ' '.repeat(14) + '~', code: '!'.repeat(31) };
    tickCodec.encode(rec, m, 0);
    expect(tickCodec.decode(m, 0)).toMatchObject({ exchg: rec.exchg, code: rec.code });
    expect(m.u8[15], 'the byte after a 15-char exchg is its NUL').toBe(0);
    expect(m.u8[47], 'the byte after a 31-char code is its NUL').toBe(0);
    tickCodec.encode({ ...FULL_TICK, exchg: null, code: undefined }, m, 0);
    expect(tickCodec.decode(m, 0)).toMatchObject({ exchg: '', code: '' });
    expect(Array.from(m.u8.subarray(0, 48)).every((b) => b === 0)).toBe(true);
  });
});

describe('round trips of every field', () => {
  const cases: [string, Codec, Record<string, unknown>][] = [
    ['tick', tickCodec, FULL_TICK],
    ['bar', barCodec, FULL_BAR],
    ['trade', tradeCodec, FULL_TRADE],
  ];
  for (const [name, codec, rec] of cases) {
    it(`${name}: decode(encode(r)) equals r, field for field`, () => {
      const m = region(codec.struct, 3);
      const at = codec.struct.size; // the middle slot
      codec.encode(rec, m, at);
      const back = codec.decode(m, at);
      const named = codec.struct.fields.filter((f) => f.type !== 'pad').map((f) => f.name);
      expect(Object.keys(back).sort(), `${name}: decoded keys are the named fields`).toEqual([...named].sort());
      for (const n of named) expect(back[n], `${codec.struct.name}.${n}`).toEqual(rec[n]);
      expect(back).toEqual(rec);
    });
  }

  it('tricky doubles are stored bit for bit (-0, NaN, ±Infinity, subnormals, DBL_MAX)', () => {
    const m = region(TICK);
    const values = [-0, Number.NaN, Infinity, -Infinity, 5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, 0.1 + 0.2, -1e-310, 1 / 3];
    tickCodec.encode({ ...FULL_TICK, price: -0, open: Number.NaN, high: Infinity, bid_prices: values }, m, 0);
    const back = tickCodec.decode(m, 0);
    expect(Object.is(back.price, -0)).toBe(true);
    expect(Number.isNaN(back.open)).toBe(true);
    expect(back.high).toBe(Infinity);
    (back.bid_prices as number[]).forEach((v, k) => expect(Object.is(v, values[k]), `bid_prices[${k}]`).toBe(true));
  });

  it('arrays shorter than 10 (5 levels) are padded with 0; typed arrays are accepted', () => {
    const m = region(TICK);
    tickCodec.encode({ ...FULL_TICK, bid_prices: [5, 4, 3, 2, 1], ask_qty: new Float64Array([7, 8]) }, m, 0);
    const back = tickCodec.decode(m, 0);
    expect(back.bid_prices).toEqual([5, 4, 3, 2, 1, 0, 0, 0, 0, 0]);
    expect(back.ask_qty).toEqual([7, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('bytes land at the FORMAT.md offsets, little-endian (spot check against DataView)', () => {
    const m = region(TICK);
    tickCodec.encode(FULL_TICK, m, 0);
    const d = dv(m);
    expect(d.getFloat64(48, true)).toBe(FULL_TICK.price);
    expect(d.getFloat64(144, true)).toBe(FULL_TICK.diff_interest);
    expect(d.getUint32(152, true)).toBe(FULL_TICK.trading_date);
    expect(d.getUint32(160, true)).toBe(FULL_TICK.action_time);
    expect(d.getFloat64(184, true)).toBe(FULL_TICK.pre_interest);
    expect(d.getFloat64(192 + 9 * 8, true)).toBe(FULL_TICK.bid_prices[9]);
    expect(d.getFloat64(432 + 9 * 8, true)).toBe(FULL_TICK.ask_qty[9]);
    const t = region(TRADE);
    tradeCodec.encode(FULL_TRADE, t, 0);
    const e = dv(t);
    expect(e.getUint32(76, true)).toBe(0x53);
    expect(e.getFloat64(80, true)).toBe(FULL_TRADE.price);
    expect(e.getUint32(88, true)).toBe(FULL_TRADE.volume);
    expect(e.getBigInt64(104, true)).toBe(BigInt(FULL_TRADE.bidorder));
  });
});

describe('missing fields and padding are written as zero, whatever the slot held', () => {
  for (const codec of [tickCodec, barCodec, tradeCodec]) {
    const s = codec.struct;
    it(`${s.name}: an empty record over 0xAB garbage decodes to zeros, and every byte of the slot is 0`, () => {
      const m = region(s);
      codec.encode({}, m, 0);
      expect(
        Array.from(m.u8).findIndex((b) => b !== 0),
        `${s.name}: first non-zero byte`,
      ).toBe(-1);
      for (const [k, v] of Object.entries(codec.decode(m, 0))) {
        const f = s.field(k);
        const zero = f.type === 'char' ? '' : f.isArray ? new Array(f.count).fill(0) : 0;
        expect(v, `${s.name}.${k}`).toEqual(zero);
      }
    });

    it(`${s.name}: a full record over garbage leaves pad fields and char tails zero, and no byte outside its slot changes`, () => {
      const m = region(s, 3, 0xcd);
      const rec = codec === tickCodec ? FULL_TICK : codec === barCodec ? FULL_BAR : FULL_TRADE;
      codec.encode(rec, m, s.size);
      for (const f of s.fields) {
        const bytes = m.u8.subarray(s.size + f.offset, s.size + f.offset + f.size);
        if (f.type === 'pad') expect(Array.from(bytes), `${s.name}.${f.name} (padding)`).toEqual(new Array(f.size).fill(0));
        if (f.type === 'char') {
          const len = String(rec[f.name as keyof typeof rec]).length;
          expect(Array.from(bytes.subarray(len)), `${s.name}.${f.name}: NUL padding after the string`).toEqual(
            new Array(f.size - len).fill(0),
          );
        }
      }
      expect(
        Array.from(m.u8.subarray(0, s.size)).every((b) => b === 0xcd),
        'slot before untouched',
      ).toBe(true);
      expect(
        Array.from(m.u8.subarray(2 * s.size)).every((b) => b === 0xcd),
        'slot after untouched',
      ).toBe(true);
    });
  }

  it('a shorter string over a longer one leaves no trace of the longer one', () => {
    const m = region(TICK);
    tickCodec.encode({ ...FULL_TICK, code: 'abcdefghijklmnopqrstuvwxyz' }, m, 0);
    tickCodec.encode({ ...FULL_TICK, code: 'ab' }, m, 0);
    expect(Array.from(m.u8.subarray(16 + 2, 48)).every((b) => b === 0)).toBe(true);
    expect(tickCodec.decode(m, 0).code).toBe('ab');
  });
});

describe('64-bit integers are exact', () => {
  it('u64 bar time above 2^32 (2040) and up to 2^53 - 1, checked against DataView.getBigUint64', () => {
    const times = [minuteBarTime(20240102, 931), 4294967295, 4294967296, minuteBarTime(20400101, 931), 2 ** 53 - 1];
    expect(times[0]).toBe(3401020931);
    expect(times[3]).toBe(5001010931);
    const m = region(BAR);
    for (const time of times) {
      barCodec.encode({ ...FULL_BAR, time }, m, 0);
      expect(dv(m).getBigUint64(8, true), `bytes of time ${time}`).toBe(BigInt(time));
      expect(barCodec.decode(m, 0).time, `decode of time ${time}`).toBe(time);
    }
    expect(minuteBarStamp(3401020931)).toBe(202401020931);
  });

  it('i64 negative values (trade index and order ids), checked against DataView.getBigInt64', () => {
    const ids = [-1, -2, -4294967295, -4294967296, -4294967297, -(2 ** 53 - 1), 2 ** 53 - 1, 0, 4294967296];
    const m = region(TRADE);
    for (const id of ids) {
      tradeCodec.encode({ ...FULL_TRADE, index: id, askorder: id, bidorder: -id }, m, 0);
      const d = dv(m);
      expect(d.getBigInt64(64, true), `bytes of index ${id}`).toBe(BigInt(id));
      expect(d.getBigInt64(96, true), `bytes of askorder ${id}`).toBe(BigInt(id));
      expect(d.getBigInt64(104, true), `bytes of bidorder ${-id}`).toBe(BigInt(-id));
      const back = tradeCodec.decode(m, 0);
      expect(back.index).toBe(id);
      expect(back.askorder).toBe(id);
      expect(back.bidorder).toBe(-id || 0); // -0 is stored as the integer 0
    }
  });

  it('u64 bytes written by someone else decode exactly (high word set)', () => {
    const m = region(BAR);
    barCodec.encode(FULL_BAR, m, 0);
    dv(m).setBigUint64(8, 0x1f_ffff_ffff_ffffn, true);
    expect(barCodec.decode(m, 0).time).toBe(2 ** 53 - 1);
    dv(m).setBigUint64(8, 0xffff_ffffn, true);
    expect(barCodec.decode(m, 0).time).toBe(4294967295);
  });
});

describe('views are zero-copy', () => {
  it('a scalar getter reads the bytes on access: change the bytes, the view sees it', () => {
    const m = region(TICK, 2);
    tickCodec.encode(FULL_TICK, m, TICK.size);
    const v = new tickCodec.View(m, TICK.size);
    expect(v.offset).toBe(TICK.size);
    expect(v.price).toBe(FULL_TICK.price);
    dv(m).setFloat64(TICK.size + 48, 1234.5, true);
    expect(v.price).toBe(1234.5);
    m.u8[TICK.size + 16] = 'R'.charCodeAt(0);
    expect(v.code).toBe('Rb2505');
    dv(m).setUint32(TICK.size + 160, 93000000, true);
    expect(v.action_time).toBe(93000000);
  });

  it('array getters are Float64Array windows on the same memory', () => {
    const m = region(TICK);
    tickCodec.encode(FULL_TICK, m, 0);
    const v = new tickCodec.View(m, 0);
    const bids = v.bid_prices as Float64Array;
    expect(bids).toBeInstanceOf(Float64Array);
    expect(bids.length).toBe(10);
    expect(bids.buffer).toBe(m.u8.buffer);
    expect(bids.byteOffset).toBe(m.u8.byteOffset + 192);
    dv(m).setFloat64(192 + 3 * 8, -7.5, true);
    expect(bids[3]).toBe(-7.5);
    expect(Array.from(v.ask_qty as Float64Array)).toEqual(FULL_TICK.ask_qty);
  });

  it('u64/i64 getters and toObject/toJSON equal decode', () => {
    const b = region(BAR);
    barCodec.encode({ ...FULL_BAR, time: 5001010931 }, b, 0);
    const bv = new barCodec.View(b, 0);
    expect(bv.time).toBe(5001010931);
    expect(bv.toObject()).toEqual(barCodec.decode(b, 0));
    const t = region(TRADE);
    tradeCodec.encode({ ...FULL_TRADE, index: -5 }, t, 0);
    const tv = new tradeCodec.View(t, 0);
    expect(tv.index).toBe(-5);
    expect(JSON.parse(JSON.stringify(tv))).toEqual(tradeCodec.decode(t, 0));
  });
});

describe('fieldReader reads one field', () => {
  it('unknown and padding fields have no reader', () => {
    expect(() => tickCodec.fieldReader('nope')).toThrow(/Tick has no field 'nope'/);
    expect(() => tickCodec.fieldReader('reserved')).toThrow(/Tick has no field 'reserved'/);
    expect(() => tradeCodec.fieldReader('pad0')).toThrow(/Trade has no field 'pad0'/);
  });

  it('reads scalars, strings, 64-bit integers and arrays of the record at an offset', () => {
    const m = region(TICK, 2);
    tickCodec.encode(FULL_TICK, m, 0);
    tickCodec.encode({ ...FULL_TICK, price: 1, code: 'ag2506' }, m, TICK.size);
    expect(tickCodec.fieldReader('price')(m, 0)).toBe(FULL_TICK.price);
    expect(tickCodec.fieldReader('price')(m, TICK.size)).toBe(1);
    expect(tickCodec.fieldReader('code')(m, TICK.size)).toBe('ag2506');
    expect(tickCodec.fieldReader('action_date')(m, 0)).toBe(FULL_TICK.action_date);
    expect(tickCodec.fieldReader('ask_prices')(m, 0)).toEqual(FULL_TICK.ask_prices);
    const b = region(BAR);
    barCodec.encode({ ...FULL_BAR, time: 5001010931 }, b, 0);
    expect(barCodec.fieldReader('time')(b, 0)).toBe(5001010931);
    const t = region(TRADE);
    tradeCodec.encode({ ...FULL_TRADE, askorder: -9 }, t, 0);
    expect(tradeCodec.fieldReader('askorder')(t, 0)).toBe(-9);
  });

  it('every named field reader agrees with decode', () => {
    for (const [codec, rec] of [
      [tickCodec, FULL_TICK],
      [barCodec, FULL_BAR],
      [tradeCodec, FULL_TRADE],
    ] as const) {
      const m = region(codec.struct);
      codec.encode(rec, m, 0);
      const all = codec.decode(m, 0);
      for (const f of codec.struct.fields) {
        if (f.type !== 'pad') expect(codec.fieldReader(f.name)(m, 0), `${codec.struct.name}.${f.name}`).toEqual(all[f.name]);
      }
    }
  });
});

describe('time keys (kinds.ts)', () => {
  it('ticks: keyAt equals keyOf(action_date, action_time) and orders across midnight and months', () => {
    const instants: [number, number][] = [
      [20231231, 235959999],
      [20240101, 0],
      [20240101, 90000000],
      [20240101, 90000500],
      [20240102, 210000000],
      [20240201, 1],
      [20401231, 235959999],
    ];
    const m = region(TICK, instants.length);
    instants.forEach(([d, t], i) => tickCodec.encode({ ...FULL_TICK, action_date: d, action_time: t }, m, i * TICK.size));
    const keys = instants.map((_, i) => TICK_KIND.keyAt(m, i * TICK.size));
    instants.forEach(([d, t], i) => expect(keys[i], `key of ${d} ${t}`).toBe(TICK_KIND.keyOf(d, t)));
    for (let i = 1; i < keys.length; i++) expect(keys[i]!, `key ${i} > key ${i - 1}`).toBeGreaterThan(keys[i - 1]!);
    expect(Number.isSafeInteger(keys[keys.length - 1])).toBe(true);
  });

  it('ticks: the key uses action_date, not trading_date (a night session sorts before the day session)', () => {
    const m = region(TICK, 2);
    tickCodec.encode({ ...FULL_TICK, trading_date: 20240102, action_date: 20240101, action_time: 210000000 }, m, 0);
    tickCodec.encode({ ...FULL_TICK, trading_date: 20240102, action_date: 20240102, action_time: 90000000 }, m, TICK.size);
    expect(TICK_KIND.keyAt(m, 0)).toBeLessThan(TICK_KIND.keyAt(m, TICK.size));
  });

  it('trades: same key rule as ticks', () => {
    const m = region(TRADE);
    tradeCodec.encode(FULL_TRADE, m, 0);
    expect(TRADE_KIND.keyAt(m, 0)).toBe(TRADE_KIND.keyOf(FULL_TRADE.action_date, FULL_TRADE.action_time));
  });

  it('bars: a minute bar keys on its time; a day bar (time 0) on its date; keyOf gives the minute bar time of an instant', () => {
    const m = region(BAR, 4);
    const bars = [
      { ...FULL_BAR, date: 20240102, time: 0 }, // day bar
      { ...FULL_BAR, date: 20240102, time: minuteBarTime(20240102, 931) },
      { ...FULL_BAR, date: 20240103, time: minuteBarTime(20240102, 2101) }, // night session: next trading date
      { ...FULL_BAR, date: 20400102, time: minuteBarTime(20400102, 1500) },
    ];
    bars.forEach((b, i) => barCodec.encode(b, m, i * BAR.size));
    const keys = bars.map((_, i) => MIN1_KIND.keyAt(m, i * BAR.size));
    expect(keys).toEqual([(20240102 - 19900000) * 10000, 3401020931, 3401022101, 5001021500]);
    for (let i = 1; i < keys.length; i++) expect(keys[i]!).toBeGreaterThan(keys[i - 1]!);
    expect(MIN1_KIND.keyOf(20240102, 93100000)).toBe(3401020931);
    expect(MIN1_KIND.keyOf(20240102, 93059999)).toBe(3401020930);
    expect(MIN5_KIND.keyOf(20400102, 150000000)).toBe(5001021500);
    expect(MIN5_KIND.codec).toBe(MIN1_KIND.codec);
  });
});

describe('integer fields: values that would wrap or truncate are refused with E_FIELD', () => {
  const base = {
    exchg: 'BINANCE',
    code: 'BTCUSDT',
    trading_date: 20240102,
    action_date: 20240102,
    action_time: 93000000,
    price: 1,
    volume: 1,
  };
  const cases: [string, object, Codec, string][] = [
    ['u32 above 2^32-1', { ...base, volume: 4294967296 }, tradeCodec, 'Trade.volume'],
    ['u32 negative', { ...base, volume: -1 }, tradeCodec, 'Trade.volume'],
    ['u32 fractional', { ...base, volume: 1.5 }, tradeCodec, 'Trade.volume'],
    ['u32 NaN', { ...base, action_time: Number.NaN }, tradeCodec, 'Trade.action_time'],
    ['i64 beyond 2^53', { ...base, index: 2 ** 53 + 2 }, tradeCodec, 'Trade.index'],
    ['i64 fractional', { ...base, bidorder: 0.5 }, tradeCodec, 'Trade.bidorder'],
    ['u64 negative', { date: 20240102, time: -1, open: 1, high: 1, low: 1, close: 1 }, barCodec, 'Bar.time'],
  ];
  for (const [name, rec, codec, field] of cases) {
    it(name, () => {
      const m = Mem.alloc(512);
      let err: unknown;
      try {
        codec.encode(rec, m, 0);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TickrecError);
      expect((err as TickrecError).code).toBe('E_FIELD');
      expect((err as TickrecError).message).toContain(field);
    });
  }
  it('the largest values that fit are stored exactly', () => {
    const m = Mem.alloc(512);
    tradeCodec.encode({ ...base, volume: 4294967295, index: -(2 ** 53 - 1) }, m, 0);
    const back = tradeCodec.decode(m, 0);
    expect(back.volume).toBe(4294967295);
    expect(back.index).toBe(-(2 ** 53 - 1));
  });
});

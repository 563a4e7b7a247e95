// Tests of the Binance spot-streams mapper: every reject reason with its detail, golden ticks/trades through the per-symbol state, subscribe frames, and fuzzing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BINANCE_MAX_SYMBOLS, createBinanceMapper } from '../../../src/feed/formats/binance.js';
import type { MapperOptions } from '../../../src/feed/formats/common.js';
import type { TickInput } from '../../../src/feed/types.js';
import {
  Recorder,
  anyFrame,
  expectNoLongEcho,
  expectNoPollution,
  expectSane,
  frameDamage,
  isObj,
  mutatedText,
  mutation,
  oneReject,
  ownProp,
  run,
  total,
  tryParse,
} from './helpers.js';

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678); // 20250102 03:04:05.678 UTC
const NOW_DATE = 20250102;
const NOW_TIME = 30405678;

function setup(options: MapperOptions = {}) {
  const rec = new Recorder();
  let clock = NOW;
  const mapper = createBinanceMapper({ nowMs: () => clock, ...options, onIgnored: rec.onIgnored });
  return {
    rec,
    mapper,
    setClock: (ms: number) => {
      clock = ms;
    },
    parse: (frame: unknown) => run(mapper, rec, typeof frame === 'string' ? frame : JSON.stringify(frame)),
  };
}

const bookTicker = (data: Record<string, unknown> = {}) => ({
  stream: 'btcusdt@bookTicker',
  data: { u: 400900217, s: 'BTCUSDT', b: '97000.01000000', B: '1.50000000', a: '97000.02000000', A: '0.25000000', ...data },
});
const AGG_T = Date.UTC(2025, 0, 2, 3, 4, 5, 699);
const aggTrade = (data: Record<string, unknown> = {}) => ({
  stream: 'btcusdt@aggTrade',
  data: {
    e: 'aggTrade',
    E: AGG_T + 1,
    s: 'BTCUSDT',
    a: 3360000001,
    p: '97000.02000000',
    q: '0.01200000',
    f: 4400000001,
    l: 4400000003,
    T: AGG_T,
    m: false,
    M: true,
    ...data,
  },
});
const depth = (data: Record<string, unknown> = {}, stream = 'btcusdt@depth5@100ms') => ({
  stream,
  data: {
    lastUpdateId: 400900220,
    bids: [
      ['97000.01000000', '1.40000000'],
      ['97000.00000000', '2.00000000'],
      ['96999.99000000', '0.50000000'],
      ['96999.50000000', '3.10000000'],
      ['96999.00000000', '0.01000000'],
    ],
    asks: [
      ['97000.02000000', '0.30000000'],
      ['97000.03000000', '1.00000000'],
      ['97000.10000000', '0.70000000'],
      ['97000.50000000', '2.20000000'],
      ['97001.00000000', '5.00000000'],
    ],
    ...data,
  },
});

describe('binance mapper: rejects', () => {
  it('malformed_json: not JSON, not an object, not a stream payload', () => {
    const { parse } = setup();
    expect(oneReject(parse('{"stream":'), 'malformed_json')).toMatch(/^binance frame: not JSON/);
    expect(oneReject(parse('[1,2]'), 'malformed_json')).toBe('binance frame: expected an object, got array');
    expect(oneReject(parse('"x"'), 'malformed_json')).toBe('binance frame: expected an object, got string');
    expect(oneReject(parse({ foo: 1 }), 'malformed_json')).toBe(
      'binance frame: not a stream payload (no stream, e, result or error field)',
    );
  });

  it('unknown_type: an error frame, with its message', () => {
    const { parse } = setup();
    expect(oneReject(parse({ error: { code: 2, msg: 'Invalid request: unknown variable' }, id: 1 }), 'unknown_type')).toBe(
      'binance frame: error from server (code 2): Invalid request: unknown variable',
    );
    expect(oneReject(parse({ error: 'x'.repeat(500) }), 'unknown_type')).toMatch(/^binance frame: error from server: x{64}\.\.\.$/);
  });

  it('missing_field: price, qty, time, side flag, data, symbol; a raw partial book has no symbol', () => {
    const { parse } = setup();
    for (const f of ['a', 'p', 'q', 'T', 'm']) {
      const msg = aggTrade();
      delete (msg.data as Record<string, unknown>)[f];
      expect(oneReject(parse(msg), 'missing_field')).toBe(`trade BINANCE.BTCUSDT: field ${f}: missing`);
    }
    for (const f of ['b', 'B', 'a', 'A']) {
      const msg = bookTicker();
      delete (msg.data as Record<string, unknown>)[f];
      expect(oneReject(parse(msg), 'missing_field')).toBe(`bookTicker BINANCE.BTCUSDT: field ${f}: missing`);
    }
    expect(oneReject(parse({ ...depth(), data: { lastUpdateId: 1, asks: [] } }), 'missing_field')).toBe(
      'depth BINANCE.BTCUSDT: field bids: missing',
    );
    expect(oneReject(parse({ stream: 'btcusdt@aggTrade' }), 'missing_field')).toBe('trade BINANCE.BTCUSDT: field data: missing');
    expect(oneReject(parse({ e: 'aggTrade', a: 1, p: '1', q: '1', T: AGG_T, m: true }), 'missing_field')).toBe(
      'trade BINANCE.?: field s: missing: no symbol',
    );
    expect(oneReject(parse(depth().data), 'missing_field')).toMatch(
      /^depth BINANCE\.\?: field stream: a raw partial book carries no symbol/,
    );
  });

  it('bad_type: numbers that are not finite decimals, wrong JSON types', () => {
    const { parse } = setup();
    const cases: [Record<string, unknown>, string][] = [
      [{ p: 'abc' }, 'field p: expected a decimal number, got "abc"'],
      [{ p: 'NaN' }, 'field p: expected a decimal number, got "NaN"'],
      [{ p: 'Infinity' }, 'field p: expected a decimal number, got "Infinity"'],
      [{ p: '0x10' }, 'field p: expected a decimal number, got "0x10"'],
      [{ p: '' }, 'field p: expected a decimal number, got ""'],
      [{ p: '1e400' }, 'field p: not a finite number: "1e400"'],
      [{ q: true }, 'field q: expected a decimal string, got boolean'],
      [{ q: '9'.repeat(70) }, 'field q: expected a decimal number, got "' + '9'.repeat(32) + '..."'],
      [{ m: 'true' }, 'field m: expected a boolean, got string'],
      [{ a: '12' }, 'field a: expected a number, got string'],
      [{ s: 5 }, 'field s: expected a string, got number'],
    ];
    for (const [patch, msg] of cases) {
      const d = oneReject(parse(aggTrade(patch)), 'bad_type');
      expect(d.endsWith(msg), d).toBe(true);
      expect(d).toMatch(/^trade BINANCE\./);
    }
    expect(oneReject(parse(bookTicker({ b: null, B: [] })), 'missing_field')).toMatch(/field b: missing/);
    expect(oneReject(parse(bookTicker({ B: [] })), 'bad_type')).toBe(
      'bookTicker BINANCE.BTCUSDT: field B: expected a decimal string, got array',
    );
    expect(oneReject(parse(bookTicker({ u: '1' })), 'bad_type')).toBe('bookTicker BINANCE.BTCUSDT: field u: expected a number, got string');
    expect(oneReject(parse(depth({ bids: 'x' })), 'bad_type')).toBe(
      'depth BINANCE.BTCUSDT: field bids: expected an array of [price, qty], got string',
    );
    expect(oneReject(parse(depth({ asks: [['1']] })), 'bad_type')).toBe(
      'depth BINANCE.BTCUSDT: field asks[0]: expected [price, qty], got array(1)',
    );
    expect(
      oneReject(
        parse(
          depth({
            asks: [
              ['1', '2'],
              ['x', '1'],
            ],
          }),
        ),
        'bad_type',
      ),
    ).toMatch(/field asks\[1\]\[0\]: expected a decimal number, got "x"$/);
    expect(oneReject(parse({ stream: 5, data: {} }), 'bad_type')).toBe('binance frame: field stream: expected a string, got number');
    expect(oneReject(parse({ stream: 'btcusdt@aggTrade', data: [] }), 'bad_type')).toBe(
      'trade BINANCE.BTCUSDT: field data: expected an object, got array',
    );
    expect(oneReject(parse({ e: 5 }), 'bad_type')).toBe('binance frame: field e: expected a string, got number');
  });

  it('bad_name: a symbol that cannot be a Binance symbol', () => {
    const { parse } = setup();
    expect(oneReject(parse(aggTrade({ s: 'BTC/USDT' })), 'bad_name')).toBe(
      'trade BINANCE.BTC/USDT: field s: not a Binance symbol (1-31 letters and digits): "BTC/USDT"',
    );
    expect(oneReject(parse(bookTicker({ s: '../../x' })), 'bad_name')).toMatch(/field s: not a Binance symbol/);
    expect(oneReject(parse(aggTrade({ s: 'A'.repeat(32) })), 'bad_name')).toMatch(/field s/);
  });

  it('bad_date: trade time outside 1990-2099, a broken clock', () => {
    const { parse } = setup();
    expect(oneReject(parse(aggTrade({ T: 0 })), 'bad_date')).toBe(
      'trade BINANCE.BTCUSDT: field T: expected a Unix time in ms within 1990-2099, got 0',
    );
    expect(oneReject(parse(aggTrade({ T: 1e16 })), 'bad_date')).toMatch(/field T/);
    const broken = setup({ nowMs: () => NaN });
    expect(oneReject(broken.parse(bookTicker()), 'bad_date')).toBe(
      'bookTicker BINANCE.BTCUSDT: field clock: nowMs() gave NaN, not a time in 1990-2099',
    );
  });

  it('out_of_range: a negative quantity, bad ids, too many symbols', () => {
    const { parse } = setup();
    expect(parse(aggTrade({ q: '5000000' })).trades[0]!.volume).toBe(5000000); // fitting it is the recorder's job
    expect(oneReject(parse(aggTrade({ q: '-1' })), 'out_of_range')).toMatch(/^trade BINANCE\.BTCUSDT: field q: -1 is not a trade quantity/);
    expect(oneReject(parse(aggTrade({ a: -1 })), 'out_of_range')).toMatch(/field a: expected a trade id/);
    expect(oneReject(parse(depth({ lastUpdateId: 1.5 })), 'out_of_range')).toMatch(/field lastUpdateId: expected an update id/);
    const many = setup();
    for (let i = 0; i < BINANCE_MAX_SYMBOLS; i++) {
      many.mapper.parse(`{"stream":"s${i}@bookTicker","data":{"u":1,"b":"1","B":"1","a":"2","A":"1"}}`, many.rec);
    }
    const filled = many.rec.take();
    expect([filled.ticks.length, filled.rejects.length]).toEqual([BINANCE_MAX_SYMBOLS, 0]);
    expect(oneReject(many.parse({ stream: 'onemore@bookTicker', data: { u: 1, b: '1', B: '1', a: '2', A: '1' } }), 'out_of_range')).toBe(
      'bookTicker BINANCE.ONEMORE: field s: more than 10000 symbols tracked',
    );
    // Known symbols keep working.
    expect(many.parse({ stream: 's1@bookTicker', data: { u: 2, b: '1', B: '1', a: '2', A: '1' } }).ticks).toHaveLength(1);
  });

  it('out_of_order: a book update older than one already applied leaves the book alone', () => {
    const { parse } = setup();
    parse(bookTicker({ u: 500 }));
    expect(oneReject(parse(depth({ lastUpdateId: 499 })), 'out_of_order')).toBe(
      'depth BINANCE.BTCUSDT: field lastUpdateId: book update 499 is older than 500 already seen',
    );
    expect(parse(bookTicker({ u: 500 })).ticks[0]!.bid_prices).toEqual([97000.01]); // same id: fine
  });

  it('hostile input: short printable details, no prototype pollution', () => {
    const { parse } = setup();
    const long = 'Z'.repeat(10_000);
    for (const o of [
      parse(aggTrade({ s: long })),
      parse(aggTrade({ p: long })),
      parse({ error: { msg: long } }),
      parse(`{"stream":"${long}@aggTrade","data":5}`),
    ]) {
      expect(o.rejects).toHaveLength(1);
      expectNoLongEcho(o.rejects[0]!.detail, 'Z');
      expectSane(o);
    }
    const o = parse(
      '{"stream":"btcusdt@aggTrade","data":{"__proto__":{"polluted":1,"m":true},"constructor":{"prototype":{"polluted":1}},"e":"aggTrade","s":"BTCUSDT","a":1,"p":"1","q":"1","T":' +
        AGG_T +
        '}}',
    );
    expect(oneReject(o, 'missing_field')).toBe('trade BINANCE.BTCUSDT: field m: missing');
    expect(parse('{"__proto__":{"stream":"btcusdt@aggTrade"}}').rejects[0]!.reason).toBe('malformed_json');
    expectNoPollution();
  });
});

describe('binance mapper: golden cases', () => {
  it('bookTicker → aggTrade → depth5 → bookTicker through one symbol state', () => {
    const { parse } = setup();
    const t1 = parse(bookTicker());
    expect(t1.ticks).toEqual([
      {
        exchg: 'BINANCE',
        code: 'BTCUSDT',
        price: (97000.01 + 97000.02) / 2,
        total_volume: 0,
        total_turnover: 0,
        trading_date: NOW_DATE,
        action_date: NOW_DATE,
        action_time: NOW_TIME,
        bid_prices: [97000.01],
        ask_prices: [97000.02],
        bid_qty: [1.5],
        ask_qty: [0.25],
      },
    ]);

    const tr = parse(aggTrade());
    expect(tr.trades).toEqual([
      {
        exchg: 'BINANCE',
        code: 'BTCUSDT',
        trading_date: 20250102,
        action_date: 20250102,
        action_time: 30405699,
        index: 3360000001,
        ttype: 77, // an aggregate trade is a match (datakit TT_Match)
        side: 66, // m=false: the buyer took the offer
        price: 97000.02,
        volume: 0.012, // the quantity as sent; the recorder stores it in lot-step units
      },
    ]);
    expect(parse(aggTrade({ a: 3360000002, m: true, q: '0.00100000' })).trades[0]).toMatchObject({
      side: 83,
      volume: 0.001,
      index: 3360000002,
    });

    const d = parse(depth());
    // Decimal sums (src/format/decimal.ts): no float noise in the day totals.
    const turnover = 1261.00026;
    expect(d.ticks).toEqual([
      {
        exchg: 'BINANCE',
        code: 'BTCUSDT',
        price: 97000.02,
        total_volume: 0.013,
        total_turnover: turnover,
        trading_date: NOW_DATE,
        action_date: NOW_DATE,
        action_time: NOW_TIME,
        bid_prices: [97000.01, 97000, 96999.99, 96999.5, 96999],
        ask_prices: [97000.02, 97000.03, 97000.1, 97000.5, 97001],
        bid_qty: [1.4, 2, 0.5, 3.1, 0.01],
        ask_qty: [0.3, 1, 0.7, 2.2, 5],
      },
    ]);

    // A new best bid below two old levels and an unchanged best ask: deeper levels behind the new best survive.
    const t2 = parse(bookTicker({ u: 400900221, b: '97000.00000000', B: '2.5', a: '97000.02000000', A: '0.1' }));
    expect(t2.ticks[0]).toMatchObject({
      price: 97000.02,
      bid_prices: [97000, 96999.99, 96999.5, 96999],
      bid_qty: [2.5, 0.5, 3.1, 0.01],
      ask_prices: [97000.02, 97000.03, 97000.1, 97000.5, 97001],
      ask_qty: [0.1, 1, 0.7, 2.2, 5],
    });
    // A better ask replaces level 1 and keeps all worse levels.
    const t3 = parse(bookTicker({ u: 400900222, a: '97000.015', A: '9' }));
    expect(t3.ticks[0]!.ask_prices).toEqual([97000.015, 97000.03, 97000.1, 97000.5, 97001]);
  });

  it('depth20 keeps 10 levels; depth with empty sides and no trade has a NaN price for the recorder to reject', () => {
    const { parse } = setup();
    const levels = Array.from({ length: 20 }, (_, i) => [String(100 - i), '1']);
    const o = parse(depth({ bids: levels, asks: [] }, 'ethusdt@depth20@100ms'));
    expect(o.ticks[0]!.code).toBe('ETHUSDT');
    expect(o.ticks[0]!.bid_prices).toEqual([100, 99, 98, 97, 96, 95, 94, 93, 92, 91]);
    expect(o.ticks[0]!.price).toBe(100); // only one side: its best price
    const empty = parse(depth({ bids: [], asks: [] }, 'solusdt@depth5'));
    expect(empty.ticks).toHaveLength(1);
    expect(empty.ticks[0]!.price).toBeNaN();
  });

  it('raw (non-combined) payloads: aggTrade and bookTicker', () => {
    const { parse } = setup();
    const raw = parse({ u: 400900217, s: 'BNBUSDT', b: '25.35190000', B: '31.21000000', a: '25.36520000', A: '40.66000000' });
    expect(raw.ticks).toHaveLength(1);
    expect(raw.ticks[0]).toMatchObject({ code: 'BNBUSDT', bid_prices: [25.3519], ask_qty: [40.66] });
    const t = parse(aggTrade({ s: 'BNBBTC' }).data);
    expect(t.trades).toHaveLength(1);
    expect(t.trades[0]!.code).toBe('BNBBTC');
  });

  it('acks, unknown streams and unknown events are ignored without a reject', () => {
    const { parse } = setup();
    for (const [frame, what] of [
      [{ result: null, id: 1 }, 'binance result ack'],
      [{ result: ['btcusdt@aggTrade'], id: 3 }, 'binance result ack'],
      [{ stream: 'btcusdt@kline_1m', data: { e: 'kline' } }, 'binance stream btcusdt@kline_1m'],
      [{ stream: '!ticker@arr', data: [] }, 'binance stream !ticker@arr'],
      [{ e: '24hrTicker', s: 'BTCUSDT' }, 'binance event 24hrTicker'],
    ] as const) {
      const o = parse(frame);
      expect(o.ignored).toEqual([what]);
      expect(total(o)).toBe(1);
    }
  });

  it('day totals reset at UTC midnight; a late trade of the closed day is emitted but not counted', () => {
    const { parse, setClock } = setup();
    const day1 = Date.UTC(2025, 0, 2, 23, 59, 59, 900);
    const day2 = Date.UTC(2025, 0, 3, 0, 0, 0, 100);
    parse(aggTrade({ T: day1, q: '2' }));
    setClock(day1 + 50);
    expect(parse(bookTicker()).ticks[0]).toMatchObject({ total_volume: 2, trading_date: 20250102, action_time: 235959950 });
    const t = parse(aggTrade({ T: day2, q: '0.5', p: '97001' }));
    expect(t.trades[0]).toMatchObject({ trading_date: 20250103, action_date: 20250103, action_time: 100 });
    parse(aggTrade({ T: day1 + 10, q: '1' })); // late
    setClock(day2 + 10);
    expect(parse(bookTicker()).ticks[0]).toMatchObject({
      total_volume: 0.5,
      total_turnover: 97001 * 0.5,
      trading_date: 20250103,
      price: 97001,
    });
  });

  it('a tick on a new UTC day before any trade of that day starts from zero', () => {
    const { parse, setClock } = setup();
    parse(aggTrade({ q: '3' }));
    setClock(Date.UTC(2025, 0, 3, 0, 0, 1));
    expect(parse(bookTicker()).ticks[0]).toMatchObject({ total_volume: 0, total_turnover: 0, price: 97000.02, trading_date: 20250103 });
  });

  it('aggTrade quantities pass through exactly as sent', () => {
    const { parse } = setup();
    for (const q of ['0.00012', '0.5', '123.456789', '0.00012345']) expect(parse(aggTrade({ q })).trades[0]!.volume).toBe(Number(q));
  });

  it('subscribe frames: three streams per BINANCE instrument, others ignored, 200 params per frame, ids count up', () => {
    const { mapper } = setup();
    expect(
      mapper.subscribeFrames([
        'BINANCE.BTCUSDT',
        'BINANCE.ethusdt',
        'OKX.BTC-USDT',
        'SHFE.rb2505',
        '*',
        'BINANCE.BTC/USDT',
        'BINANCE.BTCUSDT',
      ]),
    ).toEqual([
      JSON.stringify({
        method: 'SUBSCRIBE',
        params: [
          'btcusdt@bookTicker',
          'btcusdt@aggTrade',
          'btcusdt@depth5@100ms',
          'ethusdt@bookTicker',
          'ethusdt@aggTrade',
          'ethusdt@depth5@100ms',
        ],
        id: 1,
      }),
    ]);
    expect(mapper.subscribeFrames(['*'])).toEqual([]);
    const frames = mapper.subscribeFrames(Array.from({ length: 70 }, (_, i) => `BINANCE.SYM${i}USDT`));
    expect(frames).toHaveLength(2);
    const parsed = frames.map((f) => JSON.parse(f) as { params: string[]; id: number });
    expect(parsed.map((p) => p.params.length)).toEqual([200, 10]);
    expect(parsed.map((p) => p.id)).toEqual([2, 3]);
  });
});

// ---- fuzzing ----

const KNOWN = /^(?:bookTicker|aggTrade|depth(?:5|10|20)(?:@(?:100|1000)ms)?)$/;

/** Whether the mapper may ignore this frame (acks, unknown streams, unknown events). */
function ignorable(frame: string): boolean {
  const v = tryParse(frame);
  if (!isObj(v)) return false;
  const stream = ownProp(v, 'stream');
  if (stream !== undefined) {
    if (typeof stream !== 'string') return false;
    const at = stream.indexOf('@');
    return !(at > 0 && KNOWN.test(stream.slice(at + 1)));
  }
  if (ownProp(v, 'error') !== undefined) return false;
  if (Object.prototype.hasOwnProperty.call(v, 'result')) return true;
  const e = ownProp(v, 'e');
  return typeof e === 'string' && e !== 'aggTrade' && e !== 'bookTicker';
}

function checkFrame(parse: (f: string) => ReturnType<typeof run>, frame: string): ReturnType<typeof run> {
  const o = parse(frame);
  expectSane(o);
  const ok = total(o) === 1 && (o.ignored.length === 0 || ignorable(frame));
  if (!ok) expect({ frame: frame.slice(0, 300), outcome: o }).toBe('exactly one outcome; ignored only for acks and unknown streams');
  return o;
}

const sym = fc.constantFrom('btcusdt', 'ethusdt', 'BNBBTC', 'solusdt');
const dec = fc.oneof(
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((d) => d.toFixed(8)),
  fc.constantFrom('0.00000000', '1', '97000.01'),
);
const level = fc.tuple(dec, dec);
const msgArb = fc.oneof(
  fc.record({
    stream: sym.map((s) => `${s}@bookTicker`),
    data: fc.record(
      { u: fc.nat(), s: sym.map((s) => s.toUpperCase()), b: dec, B: dec, a: dec, A: dec },
      { requiredKeys: ['b', 'B', 'a', 'A'] },
    ),
  }),
  fc.record({
    stream: sym.map((s) => `${s}@aggTrade`),
    data: fc.record({
      e: fc.constant('aggTrade'),
      E: fc.nat(),
      s: sym.map((s) => s.toUpperCase()),
      a: fc.nat(),
      p: dec,
      q: fc.double({ min: 0, max: 1000, noNaN: true }).map((d) => d.toFixed(8)),
      f: fc.nat(),
      l: fc.nat(),
      T: fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2099, 11, 31) }),
      m: fc.boolean(),
      M: fc.boolean(),
    }),
  }),
  fc.record({
    stream: fc.tuple(sym, fc.constantFrom('depth5', 'depth5@100ms', 'depth10@1000ms', 'depth20')).map(([s, k]) => `${s}@${k}`),
    data: fc.record({ lastUpdateId: fc.nat(), bids: fc.array(level, { maxLength: 20 }), asks: fc.array(level, { maxLength: 20 }) }),
  }),
  fc.constantFrom({ result: null, id: 1 }, { stream: 'btcusdt@trade', data: {} }),
);
const FIELDS = [
  'stream',
  'data',
  'e',
  's',
  'u',
  'b',
  'B',
  'a',
  'A',
  'p',
  'q',
  'T',
  'm',
  'lastUpdateId',
  'bids',
  'asks',
  'result',
  'error',
  '0',
  '1',
];

describe('binance mapper: properties', () => {
  it('random text and JSON never throw and always produce exactly one outcome', () => {
    const { parse } = setup();
    fc.assert(
      fc.property(anyFrame, (frame) => {
        checkFrame(parse, frame);
      }),
      { numRuns: 1500 },
    );
    expectNoPollution();
  });

  it('valid-looking stream messages with random mutations, one stateful mapper, random clock', () => {
    let clock = NOW;
    const rec = new Recorder();
    const mapper = createBinanceMapper({ nowMs: () => clock, onIgnored: rec.onIgnored });
    const parse = (f: string) => run(mapper, rec, f);
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        msgArb,
        fc.array(mutation(FIELDS), { maxLength: 3 }),
        frameDamage,
        fc.oneof(fc.constant(NOW), fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2099, 11, 31) }), fc.constantFrom(NaN, -1, 1e20)),
        (msg, muts, damage, now) => {
          clock = now;
          const o = checkFrame(parse, damage(mutatedText(msg, muts)));
          for (const r of o.rejects) seen.add(r.reason);
          if (o.ticks.length) seen.add('tick');
          if (o.trades.length) seen.add('trade');
        },
      ),
      { numRuns: 2500 },
    );
    for (const k of ['tick', 'trade', 'malformed_json', 'missing_field', 'bad_type', 'bad_date', 'out_of_range']) expect(seen).toContain(k);
    expectNoPollution();
  });

  it('unmutated messages always map (ticks carry finite dates, trades fit u32)', () => {
    const { parse } = setup();
    fc.assert(
      fc.property(msgArb, (msg) => {
        const o = parse(JSON.stringify(msg));
        expect(o.rejects.filter((r) => r.reason !== 'out_of_order')).toEqual([]);
        const t: TickInput | undefined = o.ticks[0];
        if (t) expect(t.trading_date).toBe(NOW_DATE);
      }),
      { numRuns: 300 },
    );
  });
});

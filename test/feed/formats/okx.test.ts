// Tests of the OKX tickers mapper: every reject reason with its detail, golden ticks from real-looking pushes, events and pong, subscribe frames, and fuzzing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOkxMapper } from '../../../src/feed/formats/okx.js';
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

function setup() {
  const rec = new Recorder();
  const mapper = createOkxMapper({ onIgnored: rec.onIgnored });
  return { rec, mapper, parse: (frame: unknown) => run(mapper, rec, typeof frame === 'string' ? frame : JSON.stringify(frame)) };
}

const SWAP = {
  instType: 'SWAP',
  instId: 'BTC-USDT-SWAP',
  last: '103700',
  lastSz: '0.01',
  askPx: '103700',
  askSz: '1004.09',
  bidPx: '103699.9',
  bidSz: '299.02',
  open24h: '103897.5',
  high24h: '104628.1',
  low24h: '100700',
  sodUtc0: '102740.1',
  sodUtc8: '102480.1',
  volCcy24h: '109187.9625',
  vol24h: '10918796.25',
  ts: '1747141319306',
};
const push = (d: Record<string, unknown> = {}, instId = 'BTC-USDT-SWAP') => ({
  arg: { channel: 'tickers', instId },
  data: [{ ...SWAP, instId, ...d }],
});

describe('okx mapper: rejects', () => {
  it('malformed_json: not JSON (including a stray "ping"), not an object, not a push', () => {
    const { parse } = setup();
    expect(oneReject(parse('ping'), 'malformed_json')).toMatch(/^okx frame: not JSON/);
    expect(oneReject(parse('{"arg":'), 'malformed_json')).toMatch(/^okx frame: not JSON/);
    expect(oneReject(parse('[]'), 'malformed_json')).toBe('okx frame: expected an object, got array');
    expect(oneReject(parse({}), 'malformed_json')).toBe('okx frame: not a push (no arg or event field)');
  });

  it('unknown_type: an error event, with its code and message', () => {
    const { parse } = setup();
    expect(
      oneReject(
        parse({
          event: 'error',
          code: '60012',
          msg: 'Invalid request: {"op": "subscribe", "argss":[{ "channel" : "tickers"}]}',
          connId: 'a4d3ae55',
        }),
        'unknown_type',
      ),
    ).toBe('okx frame: error event (code 60012): Invalid request: {"op": "subscribe", "argss":[{ "channel" : "tic...');
    expect(oneReject(parse({ event: 'error' }), 'unknown_type')).toBe('okx frame: error event: undefined');
  });

  it('missing_field: last, ts, instId, data, arg.channel', () => {
    const { parse } = setup();
    expect(oneReject(parse(push({ last: undefined })), 'missing_field')).toBe('ticker OKX.BTC-USDT-SWAP: field last: missing');
    expect(oneReject(parse(push({ last: '' })), 'missing_field')).toBe('ticker OKX.BTC-USDT-SWAP: field last: missing');
    expect(oneReject(parse(push({ ts: null })), 'missing_field')).toBe('ticker OKX.BTC-USDT-SWAP: field ts: missing');
    expect(oneReject(parse({ arg: { channel: 'tickers' }, data: [{ ...SWAP, instId: undefined }] }), 'missing_field')).toBe(
      'ticker OKX.?: field instId: missing',
    );
    expect(oneReject(parse({ arg: { channel: 'tickers', instId: 'ETH-USDT' } }), 'missing_field')).toBe(
      'ticker OKX.ETH-USDT: field data: missing',
    );
    expect(oneReject(parse({ arg: { channel: 'tickers', instId: 'ETH-USDT' }, data: [] }), 'missing_field')).toBe(
      'ticker OKX.ETH-USDT: field data: empty',
    );
    expect(oneReject(parse({ arg: { instId: 'ETH-USDT' }, data: [] }), 'missing_field')).toBe('okx frame: field arg.channel: missing');
  });

  it('bad_type: decimals that are not finite numbers, wrong JSON types', () => {
    const { parse } = setup();
    const cases: [Record<string, unknown>, string][] = [
      [{ last: 'abc' }, 'field last: expected a decimal number, got "abc"'],
      [{ last: 'NaN' }, 'field last: expected a decimal number, got "NaN"'],
      [{ last: '1e400' }, 'field last: not a finite number: "1e400"'],
      [{ bidPx: 'Infinity' }, 'field bidPx: expected a decimal number, got "Infinity"'],
      [{ vol24h: true }, 'field vol24h: expected a decimal string, got boolean'],
      [{ ts: 'soon' }, 'field ts: expected a decimal number, got "soon"'],
      [{ instId: 42 }, 'field instId: expected a string, got number'],
    ];
    for (const [patch, msg] of cases) {
      const d = oneReject(parse(push(patch)), 'bad_type');
      expect(d.endsWith(msg), d).toBe(true);
      expect(d).toMatch(/^ticker OKX\./);
    }
    expect(oneReject(parse({ arg: { channel: 'tickers', instId: 'BTC-USDT' }, data: { last: '1' } }), 'bad_type')).toBe(
      'ticker OKX.BTC-USDT: field data: expected an array, got object',
    );
    const o = parse({ arg: { channel: 'tickers', instId: 'BTC-USDT' }, data: [5, { ...SWAP, instId: 'BTC-USDT' }] });
    expect(o.rejects).toEqual([{ reason: 'bad_type', detail: 'ticker OKX.BTC-USDT: field data[0]: expected an object, got number' }]);
    expect(o.ticks).toHaveLength(1);
    expect(oneReject(parse({ arg: 'tickers', data: [] }), 'bad_type')).toBe('okx frame: field arg: expected an object, got string');
    expect(oneReject(parse({ arg: { channel: 7 }, data: [] }), 'bad_type')).toBe(
      'okx frame: field arg.channel: expected a string, got number',
    );
    expect(oneReject(parse({ event: 1 }), 'bad_type')).toBe('okx frame: field event: expected a string, got number');
  });

  it('bad_date: ts outside 1990-2099', () => {
    const { parse } = setup();
    expect(oneReject(parse(push({ ts: '0' })), 'bad_date')).toBe(
      'ticker OKX.BTC-USDT-SWAP: field ts: expected a Unix time in ms within 1990-2099, got 0',
    );
    expect(oneReject(parse(push({ ts: '99999999999999' })), 'bad_date')).toMatch(/field ts/);
  });

  it('oversized: a data array above 10,000 entries', () => {
    const { parse } = setup();
    const frame = `{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[${Array(10_001).fill('{}').join(',')}]}`;
    expect(oneReject(parse(frame), 'oversized')).toBe('ticker OKX.BTC-USDT: field data: 10001 entries, at most 10000');
  });

  it('hostile input: short printable details, no prototype pollution', () => {
    const { parse } = setup();
    const long = 'Z'.repeat(10_000);
    for (const o of [parse(push({ last: long }, long)), parse({ event: 'error', msg: long, code: long }), parse(push({ ts: long }))]) {
      expect(o.rejects).toHaveLength(1);
      expectNoLongEcho(o.rejects[0]!.detail, 'Z');
      expectSane(o);
    }
    const o = parse(
      '{"arg":{"channel":"tickers","instId":"BTC-USDT","__proto__":{"polluted":1}},"data":[{"__proto__":{"last":"1","polluted":1},"instId":"BTC-USDT","ts":"1747141319306"}]}',
    );
    expect(oneReject(o, 'missing_field')).toBe('ticker OKX.BTC-USDT: field last: missing');
    expectNoPollution();
  });
});

describe('okx mapper: golden cases', () => {
  it('a SWAP ticker push maps to one tick', () => {
    const { parse } = setup();
    const o = parse(push());
    expect(o.rejects).toEqual([]);
    expect(o.ticks).toEqual([
      {
        exchg: 'OKX',
        code: 'BTC-USDT-SWAP',
        price: 103700,
        open: 102740.1,
        high: 104628.1,
        low: 100700,
        total_volume: 10918796.25,
        total_turnover: 109187.9625,
        trading_date: 20250513,
        action_date: 20250513,
        action_time: 130159306,
        bid_prices: [103699.9],
        bid_qty: [299.02],
        ask_prices: [103700],
        ask_qty: [1004.09],
      },
    ]);
  });

  it('a SPOT push with two entries, empty strings as absent, instId from arg when the entry lacks it', () => {
    const { parse } = setup();
    const spot = {
      instType: 'SPOT',
      last: '9999.99',
      lastSz: '0.1',
      askPx: '',
      askSz: '',
      bidPx: '9999.98',
      bidSz: '',
      open24h: '9000',
      high24h: '10000',
      low24h: '8888.88',
      volCcy24h: '2222',
      vol24h: '2222',
      sodUtc0: '',
      sodUtc8: '2222',
      ts: String(Date.UTC(2024, 11, 31, 23, 59, 59, 999)),
    };
    const o = parse({ arg: { channel: 'tickers', instId: 'BTC-USDT' }, data: [spot, { ...spot, instId: 'BTC-USDT', last: '10000' }] });
    expect(o.rejects).toEqual([]);
    expect(o.ticks).toEqual([
      {
        exchg: 'OKX',
        code: 'BTC-USDT',
        price: 9999.99,
        high: 10000,
        low: 8888.88,
        total_volume: 2222,
        total_turnover: 2222,
        trading_date: 20241231,
        action_date: 20241231,
        action_time: 235959999,
        bid_prices: [9999.98],
        bid_qty: [0],
      },
      expect.objectContaining({ code: 'BTC-USDT', price: 10000 }),
    ]);
  });

  it('pong, subscribe acks, notices and other channels are ignored', () => {
    const { parse } = setup();
    for (const [frame, what] of [
      ['pong', 'okx pong'],
      [{ event: 'subscribe', arg: { channel: 'tickers', instId: 'BTC-USDT' }, connId: 'a4d3ae55' }, 'okx event subscribe'],
      [{ event: 'unsubscribe', arg: { channel: 'tickers', instId: 'BTC-USDT' }, connId: 'a4d3ae55' }, 'okx event unsubscribe'],
      [{ event: 'notice', code: '64008', msg: 'The connection will soon be closed for a service upgrade.' }, 'okx event notice'],
      [{ event: 'channel-conn-count', channel: 'tickers', connCount: '2', connId: 'abcd1234' }, 'okx event channel-conn-count'],
      [{ arg: { channel: 'trades', instId: 'BTC-USDT' }, data: [{}] }, 'okx channel trades'],
    ] as const) {
      const o = parse(frame);
      expect(o.ignored).toEqual([what]);
      expect(total(o)).toBe(1);
    }
  });

  it('subscribe frames: one tickers arg per OKX instrument, others ignored, 100 args per frame', () => {
    const { mapper } = setup();
    expect(
      mapper.subscribeFrames(['OKX.BTC-USDT', 'OKX.BTC-USDT-SWAP', 'BINANCE.BTCUSDT', '*', 'OKX.', 'OKX.BTC-USDT', 'OKX.../x']),
    ).toEqual(['{"op":"subscribe","args":[{"channel":"tickers","instId":"BTC-USDT"},{"channel":"tickers","instId":"BTC-USDT-SWAP"}]}']);
    expect(mapper.subscribeFrames(['*'])).toEqual([]);
    const frames = mapper.subscribeFrames(Array.from({ length: 150 }, (_, i) => `OKX.C${i}-USDT`));
    expect(frames.map((f) => (JSON.parse(f) as { args: unknown[] }).args.length)).toEqual([100, 50]);
  });
});

// ---- fuzzing ----

/** Whether the mapper may ignore this frame: pong, non-error events, other channels. */
function ignorable(frame: string): boolean {
  if (frame === 'pong') return true;
  const v = tryParse(frame);
  if (!isObj(v)) return false;
  const event = ownProp(v, 'event');
  if (event !== undefined) return typeof event === 'string' && event !== 'error';
  const arg = ownProp(v, 'arg');
  if (!isObj(arg)) return false;
  const channel = ownProp(arg, 'channel');
  return typeof channel === 'string' && channel !== 'tickers';
}

/** Entries a tickers push carries, when it reaches per-entry mapping. */
function entries(frame: string): number {
  const v = tryParse(frame);
  if (!isObj(v) || ownProp(v, 'event') !== undefined) return 1;
  const arg = ownProp(v, 'arg');
  const data = ownProp(v, 'data');
  if (!isObj(arg) || ownProp(arg, 'channel') !== 'tickers' || !Array.isArray(data) || data.length === 0 || data.length > 10_000) return 1;
  return data.length;
}

function checkFrame(parse: (f: string) => ReturnType<typeof run>, frame: string): ReturnType<typeof run> {
  const o = parse(frame);
  expectSane(o);
  const ok = total(o) >= 1 && total(o) === entries(frame) && (o.ignored.length === 0 || ignorable(frame));
  if (!ok) expect({ frame: frame.slice(0, 300), outcome: o }).toBe('one outcome per entry; ignored only for pong, events, other channels');
  return o;
}

const dec = fc.oneof(
  fc.double({ min: 0, max: 1e7, noNaN: true }).map((d) => String(d)),
  fc.constantFrom('', '0', '103700.1'),
);
const entryArb = fc.record(
  {
    instType: fc.constantFrom('SPOT', 'SWAP', 'FUTURES'),
    instId: fc.constantFrom('BTC-USDT', 'ETH-USDT-SWAP', 'BTC-USD-250328'),
    last: dec,
    lastSz: dec,
    askPx: dec,
    askSz: dec,
    bidPx: dec,
    bidSz: dec,
    open24h: dec,
    high24h: dec,
    low24h: dec,
    sodUtc0: dec,
    sodUtc8: dec,
    volCcy24h: dec,
    vol24h: dec,
    ts: fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2099, 11, 31) }).map(String),
  },
  { requiredKeys: ['instId', 'last', 'ts'] },
);
const msgArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      arg: fc.record({ channel: fc.constant('tickers'), instId: fc.constantFrom('BTC-USDT', 'ETH-USDT-SWAP') }),
      data: fc.array(entryArb, { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { event: 'subscribe', arg: { channel: 'tickers', instId: 'BTC-USDT' }, connId: 'x' },
      { event: 'error', code: '60018', msg: 'no' },
    ),
  },
);
const FIELDS = [
  'arg',
  'data',
  'event',
  'channel',
  'instId',
  'last',
  'ts',
  'bidPx',
  'askSz',
  'vol24h',
  'volCcy24h',
  'sodUtc0',
  'high24h',
  'msg',
  'code',
];

describe('okx mapper: properties', () => {
  it('random text and JSON never throw and always produce an outcome', () => {
    const { parse } = setup();
    fc.assert(
      fc.property(anyFrame, (frame) => {
        checkFrame(parse, frame);
      }),
      { numRuns: 1500 },
    );
    expectNoPollution();
  });

  it('valid-looking pushes and events with random mutations', () => {
    const { parse } = setup();
    const seen = new Set<string>();
    fc.assert(
      fc.property(msgArb, fc.array(mutation(FIELDS), { maxLength: 3 }), frameDamage, (msg, muts, damage) => {
        const o = checkFrame(parse, damage(mutatedText(msg, muts)));
        for (const r of o.rejects) seen.add(r.reason);
        if (o.ticks.length) seen.add('tick');
      }),
      { numRuns: 2000 },
    );
    for (const k of ['tick', 'malformed_json', 'missing_field', 'bad_type', 'unknown_type']) expect(seen).toContain(k);
    expectNoPollution();
  });

  it('unmutated pushes always map', () => {
    const { parse } = setup();
    fc.assert(
      fc.property(msgArb, (msg) => {
        const o = parse(JSON.stringify(msg));
        if ('data' in msg) {
          const ok = msg.data.filter((d) => d.last !== '').length;
          expect(o.ticks).toHaveLength(ok);
        }
      }),
      { numRuns: 300 },
    );
  });
});

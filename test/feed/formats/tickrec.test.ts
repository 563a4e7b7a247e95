// Tests of the tickrec JSON mapper: every reject reason with its detail, golden ticks/trades, subscribe frames, and fuzzing with hostile input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTickrecMapper } from '../../../src/feed/formats/tickrec.js';
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

const TICK = {
  type: 'tick',
  exchg: 'SHFE',
  code: 'rb2505',
  price: 3521,
  action_date: 20250102,
  action_time: 105932500,
};

const TRADE = {
  type: 'trade',
  exchg: 'SZSE',
  code: '000001',
  price: 11.52,
  volume: 300,
  action_date: 20250102,
  action_time: 93000120,
};

function setup(options = {}) {
  const rec = new Recorder();
  const mapper = createTickrecMapper({ ...options, onIgnored: rec.onIgnored });
  return { rec, mapper, parse: (frame: unknown) => run(mapper, rec, typeof frame === 'string' ? frame : JSON.stringify(frame)) };
}

describe('tickrec mapper: rejects', () => {
  it('malformed_json: not JSON, not an object, an empty array, a non-object element', () => {
    const { parse } = setup();
    expect(oneReject(parse('{"type":"tick",'), 'malformed_json')).toMatch(/^tickrec frame: not JSON/);
    expect(oneReject(parse('42'), 'malformed_json')).toBe('tickrec frame: expected an object or an array of objects, got number');
    expect(oneReject(parse('null'), 'malformed_json')).toMatch(/got null$/);
    expect(oneReject(parse('"tick"'), 'malformed_json')).toMatch(/got string$/);
    expect(oneReject(parse('[]'), 'malformed_json')).toBe('tickrec frame: empty array');
    const o = parse([TICK, 7, null]);
    expect(o.ticks).toHaveLength(1);
    expect(o.rejects).toEqual([
      { reason: 'malformed_json', detail: 'tickrec message #1: expected an object, got number' },
      { reason: 'malformed_json', detail: 'tickrec message #2: expected an object, got null' },
    ]);
  });

  it('oversized: an array above 10,000 messages is rejected whole', () => {
    const { parse } = setup();
    const frame = `[${Array(10_001).fill('{"type":"heartbeat"}').join(',')}]`;
    expect(oneReject(parse(frame), 'oversized')).toBe('tickrec frame: array of 10001 messages, at most 10000');
    const ok = parse(`[${Array(10_000).fill('{"type":"heartbeat"}').join(',')}]`);
    expect(ok.rejects).toEqual([]);
    expect(ok.ignored).toHaveLength(10_000);
  });

  it('unknown_type, missing type, non-string type', () => {
    const { parse } = setup();
    expect(oneReject(parse({ ...TICK, type: 'quote' }), 'unknown_type')).toBe(
      'message SHFE.rb2505: field type: unknown message type "quote" (expected "tick", "trade" or "heartbeat")',
    );
    expect(oneReject(parse({ ...TICK, type: 'subscribe' }), 'unknown_type')).toMatch(/"subscribe"/);
    expect(oneReject(parse({ ...TICK, type: 'constructor' }), 'unknown_type')).toMatch(/"constructor"/);
    const { type: _t, ...noType } = TICK;
    expect(oneReject(parse(noType), 'missing_field')).toBe('message SHFE.rb2505: field type: missing');
    expect(oneReject(parse({ ...TICK, type: 1 }), 'bad_type')).toBe('message SHFE.rb2505: field type: expected a string, got number');
  });

  it('missing_field names the field and the instrument', () => {
    const { parse } = setup();
    for (const f of ['exchg', 'code', 'price', 'action_date', 'action_time'] as const) {
      const { [f]: _drop, ...rest } = TICK;
      const d = oneReject(parse(rest), 'missing_field');
      expect(d).toMatch(new RegExp(`^tick (SHFE|\\?)\\.(rb2505|\\?): field ${f}: missing$`));
    }
    expect(oneReject(parse({ ...TICK, price: null }), 'missing_field')).toBe('tick SHFE.rb2505: field price: missing');
    for (const f of ['exchg', 'code', 'price', 'volume', 'action_date', 'action_time'] as const) {
      const { [f]: _drop, ...rest } = TRADE;
      expect(oneReject(parse(rest), 'missing_field')).toMatch(new RegExp(`^trade .*: field ${f}: missing$`));
    }
  });

  it('bad_type: strings for numbers, numbers for names, wrong array shapes, bad side', () => {
    const { parse } = setup();
    expect(oneReject(parse({ ...TICK, price: '3521' }), 'bad_type')).toBe('tick SHFE.rb2505: field price: expected a number, got string');
    expect(oneReject(parse({ ...TICK, exchg: 5 }), 'bad_type')).toBe('tick ?.rb2505: field exchg: expected a string, got number');
    expect(oneReject(parse({ ...TICK, code: ['rb'] }), 'bad_type')).toBe('tick SHFE.?: field code: expected a string, got array');
    expect(oneReject(parse({ ...TICK, open: true }), 'bad_type')).toBe('tick SHFE.rb2505: field open: expected a number, got boolean');
    expect(oneReject(parse({ ...TICK, action_date: '20250102' }), 'bad_type')).toBe(
      'tick SHFE.rb2505: field action_date: expected a number, got string',
    );
    expect(oneReject(parse({ ...TICK, bid_prices: 'x' }), 'bad_type')).toBe(
      'tick SHFE.rb2505: field bid_prices: expected an array of numbers, got string',
    );
    expect(oneReject(parse({ ...TICK, ask_qty: [1, 2, '3'] }), 'bad_type')).toBe(
      'tick SHFE.rb2505: field ask_qty[2]: expected a number, got string',
    );
    expect(oneReject(parse({ ...TICK, bid_qty: [1, null] }), 'bad_type')).toMatch(/field bid_qty\[1\]: expected a number, got null$/);
    expect(oneReject(parse({ ...TRADE, volume: '300' }), 'bad_type')).toBe(
      'trade SZSE.000001: field volume: expected a number, got string',
    );
    expect(oneReject(parse({ ...TRADE, side: true }), 'bad_type')).toBe(
      'trade SZSE.000001: field side: expected a string or a char code, got boolean',
    );
    expect(oneReject(parse({ ...TRADE, index: '12' }), 'bad_type')).toMatch(/field index: expected a number, got string$/);
  });

  it('bad_date: month, day, year range, time fields, non-integers', () => {
    const { parse } = setup();
    const cases: [string, number][] = [
      ['action_date', 20251301],
      ['action_date', 20250100],
      ['action_date', 20250132],
      ['action_date', 19891231],
      ['action_date', 21000101],
      ['action_date', 2025010],
      ['action_date', 20250102.5],
      ['action_date', -20250102],
      ['trading_date', 20250230 + 2],
      ['action_time', 240000000],
      ['action_time', 106000000],
      ['action_time', 105960000],
      ['action_time', 105932500.5],
      ['action_time', -1],
    ];
    for (const [f, v] of cases) {
      const d = oneReject(parse({ ...TICK, [f]: v }), 'bad_date');
      expect(d).toMatch(new RegExp(`^tick SHFE\\.rb2505: field ${f}: expected `));
      expect(d).toContain(String(v));
    }
    expect(oneReject(parse({ ...TRADE, action_time: 999999999 }), 'bad_date')).toMatch(/^trade SZSE\.000001: field action_time/);
  });

  it('out_of_range: long level arrays, trade volume beyond u32, bad integers and sides', () => {
    const { parse } = setup();
    expect(oneReject(parse({ ...TICK, bid_prices: Array(11).fill(1) }), 'out_of_range')).toBe(
      'tick SHFE.rb2505: field bid_prices: 11 levels, at most 10',
    );
    // A quantity is the recorder's to fit (src/meta/units.ts): the mapper passes a large one through.
    expect(parse({ ...TRADE, volume: 4294967296 }).trades[0]!.volume).toBe(4294967296);
    expect(oneReject(parse({ ...TRADE, volume: -1 }), 'out_of_range')).toMatch(/^trade SZSE\.000001: field volume:/);
    const inf = JSON.stringify(TRADE).replace('"volume":300', '"volume":1e400'); // JSON.parse gives Infinity
    expect(oneReject(parse(inf), 'out_of_range')).toMatch(/field volume: Infinity/);
    expect(oneReject(parse({ ...TRADE, ttype: -1 }), 'out_of_range')).toMatch(/field ttype: expected char code 77, 67 or 85/);
    expect(oneReject(parse({ ...TRADE, ttype: 2 }), 'out_of_range')).toMatch(/field ttype: expected char code 77, 67 or 85/);
    expect(oneReject(parse({ ...TRADE, ttype: 'X' }), 'out_of_range')).toMatch(/field ttype: expected "M", "C" or "U"/);
    expect(oneReject(parse({ ...TRADE, ttype: true }), 'bad_type')).toMatch(/field ttype/);
    expect(oneReject(parse({ ...TRADE, index: 1.5 }), 'out_of_range')).toMatch(/field index/);
    expect(oneReject(parse({ ...TRADE, askorder: 2 ** 60 }), 'out_of_range')).toMatch(/field askorder/);
    expect(oneReject(parse({ ...TRADE, side: 'X' }), 'out_of_range')).toBe(
      'trade SZSE.000001: field side: expected "B", "S" or " ", got "X"',
    );
    expect(oneReject(parse({ ...TRADE, side: 65 }), 'out_of_range')).toMatch(/field side: expected char code/);
    expect(oneReject(parse({ ...TRADE, side: 'toString' }), 'out_of_range')).toMatch(/field side/);
  });

  it('hostile names: details stay short, printable and echo at most 64 characters', () => {
    const { parse } = setup();
    const long = 'Z'.repeat(10_000);
    for (const o of [
      parse({ ...TICK, code: long, price: 'x' }),
      parse({ ...TICK, exchg: long, type: long }),
      parse({ ...TICK, type: long }),
      parse({ ...TRADE, side: long }),
      parse(`${long}`),
    ]) {
      expect(o.rejects).toHaveLength(1);
      expectNoLongEcho(o.rejects[0]!.detail, 'Z');
      expectSane(o);
    }
    const o = parse({ ...TICK, code: '\u0000\u202e../../etc\n', price: 's' });
    expect(o.rejects[0]!.detail).toBe('tick SHFE.??../../etc?: field price: expected a number, got string');
  });

  it('prototype-pollution keys are plain data, never reach Object.prototype', () => {
    const { parse } = setup();
    const frame = `{"type":"tick","__proto__":{"polluted":"yes","price":1},"constructor":{"prototype":{"polluted":"yes"}},"exchg":"SHFE","code":"rb2505","price":3521,"action_date":20250102,"action_time":105932500}`;
    const o = parse(frame);
    expect(o.ticks).toEqual([{ exchg: 'SHFE', code: 'rb2505', price: 3521, action_date: 20250102, action_time: 105932500 }]);
    expect(Object.getPrototypeOf(o.ticks[0])).toBe(Object.prototype);
    // A required field that only a prototype could supply is still missing.
    expect(
      oneReject(
        parse('{"type":"tick","__proto__":{"exchg":"SHFE"},"code":"rb2505","price":1,"action_date":20250102,"action_time":0}'),
        'missing_field',
      ),
    ).toMatch(/field exchg: missing/);
    expectNoPollution();
  });
});

describe('tickrec mapper: golden cases', () => {
  it('a full tick maps field by field; unknown fields are ignored; null means absent', () => {
    const { parse } = setup();
    const full = {
      ...TICK,
      trading_date: 20250103,
      open: 3500,
      high: 3530,
      low: 3490,
      settle_price: null,
      upper_limit: 3800,
      lower_limit: 3200,
      total_volume: 123456,
      volume: 12,
      total_turnover: 4.3e9,
      turn_over: 422520,
      open_interest: 1800000,
      diff_interest: -4,
      pre_close: 3498,
      pre_settle: 3501,
      pre_interest: 1799990,
      bid_prices: [3520, 3519],
      ask_prices: [3521],
      bid_qty: [10, 20],
      ask_qty: [5],
      extra: 'ignored',
      nested: { deep: [1, 2, 3] },
    };
    const o = parse(full);
    expect(o.rejects).toEqual([]);
    expect(o.ticks).toEqual([
      {
        exchg: 'SHFE',
        code: 'rb2505',
        price: 3521,
        open: 3500,
        high: 3530,
        low: 3490,
        upper_limit: 3800,
        lower_limit: 3200,
        total_volume: 123456,
        volume: 12,
        total_turnover: 4.3e9,
        turn_over: 422520,
        open_interest: 1800000,
        diff_interest: -4,
        trading_date: 20250103,
        action_date: 20250102,
        action_time: 105932500,
        pre_close: 3498,
        pre_settle: 3501,
        pre_interest: 1799990,
        bid_prices: [3520, 3519],
        ask_prices: [3521],
        bid_qty: [10, 20],
        ask_qty: [5],
      },
    ]);
    expect(o.ticks[0]!.settle_price).toBeUndefined(); // absent (the fast path keeps a fixed shape: the key may exist with undefined)
  });

  it('a minimal tick; trading_date 0 means "recorder decides"; midnight and the last millisecond are valid', () => {
    const { parse } = setup();
    expect(parse({ ...TICK, trading_date: 0 }).ticks).toEqual([
      { exchg: 'SHFE', code: 'rb2505', price: 3521, action_date: 20250102, action_time: 105932500 },
    ]);
    expect(parse({ ...TICK, action_time: 0 }).ticks[0]!.action_time).toBe(0);
    expect(parse({ ...TICK, action_time: 235959999 }).ticks[0]!.action_time).toBe(235959999);
    // Names and prices are the recorder's business: passed through as given.
    expect(parse({ ...TICK, code: '../../x', price: -1 }).ticks[0]).toMatchObject({ code: '../../x', price: -1 });
    expect(parse({ ...TICK, price: 1.7976931348623157e308 }).ticks[0]!.price).toBe(Number.MAX_VALUE);
  });

  it('trades: side as a letter or a char code, the quantity as sent', () => {
    const { parse } = setup();
    const o = parse({ ...TRADE, trading_date: 20250102, index: 1001, ttype: 'C', side: 'B', askorder: 7, bidorder: 8, volume: 300.4 });
    expect(o.trades).toEqual([
      {
        exchg: 'SZSE',
        code: '000001',
        trading_date: 20250102,
        action_date: 20250102,
        action_time: 93000120,
        index: 1001,
        ttype: 67,
        side: 66,
        price: 11.52,
        volume: 300.4, // as sent: the recorder stores it in lot-step units or refuses it
        askorder: 7,
        bidorder: 8,
      },
    ]);
    expect(parse({ ...TRADE, side: 'S' }).trades[0]!.side).toBe(83);
    // ttype: datakit's letters or their codes; tickrec's former 0 (normal) and 1 (cancel) map to M and C.
    expect(
      [{ ttype: 'M' }, { ttype: 'U' }, { ttype: 77 }, { ttype: 85 }, { ttype: 0 }, { ttype: 1 }, {}].map(
        (x) => parse({ ...TRADE, ...x }).trades[0]!.ttype,
      ),
    ).toEqual([77, 85, 77, 85, 77, 67, undefined]);
    expect(parse({ ...TRADE, side: ' ' }).trades[0]!.side).toBe(32);
    expect(parse({ ...TRADE, side: 83 }).trades[0]!.side).toBe(83);
    expect(parse({ ...TRADE, side: null }).trades[0]).not.toHaveProperty('side');
    expect(parse({ ...TRADE, volume: 4294967295 }).trades[0]!.volume).toBe(4294967295);
    expect(parse({ ...TRADE, volume: 0.00012 }).trades[0]!.volume).toBe(0.00012);
    expect(parse({ ...TRADE, volume: 123.456789 }).trades[0]!.volume).toBe(123.456789);
    expect(Object.is(parse({ ...TRADE, volume: -0 }).trades[0]!.volume, -0)).toBe(false);
  });

  it('arrays mix ticks, trades and heartbeats; a bad element does not stop the others', () => {
    const { parse } = setup();
    const o = parse([TICK, { type: 'heartbeat', time: 1 }, TRADE, { ...TICK, price: 'x' }, { ...TICK, code: 'rb2510' }]);
    expect(o.ticks.map((t) => t.code)).toEqual(['rb2505', 'rb2510']);
    expect(o.trades).toHaveLength(1);
    expect(o.ignored).toEqual(['tickrec heartbeat']);
    expect(o.rejects).toHaveLength(1);
    expect(o.rejects[0]!.detail).toBe('tick SHFE.rb2505: field price: expected a number, got string');
  });

  it('a heartbeat yields nothing but the ignored hook', () => {
    const { parse } = setup();
    const o = parse({ type: 'heartbeat' });
    expect(total(o)).toBe(1);
    expect(o.ignored).toEqual(['tickrec heartbeat']);
  });

  it('subscribe frames: deduplicated, "*" wins, none for an empty list', () => {
    const { mapper } = setup();
    expect(mapper.subscribeFrames(['SHFE.rb2505', 'SHFE.rb2505', 'DCE.m2505'])).toEqual([
      '{"type":"subscribe","instruments":["SHFE.rb2505","DCE.m2505"]}',
    ]);
    expect(mapper.subscribeFrames(['SHFE.rb2505', '*'])).toEqual(['{"type":"subscribe","instruments":["*"]}']);
    expect(mapper.subscribeFrames([])).toEqual([]);
  });

  it('exceptions from the sink propagate (a disk-full error is not a reject)', () => {
    const mapper = createTickrecMapper();
    const boom = new Error('ENOSPC');
    const sink = {
      tick: () => {
        throw boom;
      },
      trade: () => {},
      reject: () => {},
    };
    expect(() => mapper.parse(JSON.stringify(TICK), sink)).toThrow(boom);
  });
});

// ---- fuzzing ----

/** Heartbeat objects a frame carries (the only thing this format may ignore). */
function heartbeats(frame: string): { messages: number; heartbeats: number } | undefined {
  const v = tryParse(frame);
  const hb = (m: unknown) => (isObj(m) && ownProp(m, 'type') === 'heartbeat' ? 1 : 0);
  if (Array.isArray(v)) {
    if (v.length === 0 || v.length > 10_000) return undefined;
    return { messages: v.length, heartbeats: v.reduce((n: number, m) => n + hb(m), 0) };
  }
  return { messages: 1, heartbeats: hb(v) };
}

function checkFrame(parse: (f: string) => ReturnType<typeof run>, frame: string): ReturnType<typeof run> {
  const o = parse(frame);
  expectSane(o);
  const shape = heartbeats(frame);
  // At least one outcome per frame; exactly one per message; ignored only for heartbeats.
  const ok = total(o) >= 1 && (shape ? total(o) === shape.messages && o.ignored.length === shape.heartbeats : o.ignored.length === 0);
  if (!ok) expect({ frame: frame.slice(0, 300), outcome: o }).toBe('one outcome per message, ignored only for heartbeats');
  return o;
}

/** Calendar dates of 1990-2099 (a record's dates: isRecordDate). */
const dateArb = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate());
const timeArb = fc
  .tuple(
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(([h, m, s, ms]) => h * 10000000 + m * 100000 + s * 1000 + ms);
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const levelsArb = fc.array(num, { maxLength: 10 });

const tickArb = fc.record(
  {
    type: fc.constant('tick'),
    exchg: fc.constantFrom('SHFE', 'DCE', 'CZCE', 'CFFEX', 'INE'),
    code: fc.constantFrom('rb2505', 'm2505', 'SR505', 'IF2501'),
    price: num,
    action_date: dateArb,
    action_time: timeArb,
    trading_date: fc.oneof(fc.constant(0), dateArb),
    open: num,
    high: num,
    total_volume: num,
    open_interest: num,
    bid_prices: levelsArb,
    ask_prices: levelsArb,
    bid_qty: levelsArb,
    ask_qty: levelsArb,
  },
  { requiredKeys: ['type', 'exchg', 'code', 'price', 'action_date', 'action_time'] },
);
const tradeArb = fc.record(
  {
    type: fc.constant('trade'),
    exchg: fc.constantFrom('SSE', 'SZSE'),
    code: fc.constantFrom('600000', '000001'),
    price: num,
    volume: fc.integer({ min: 0, max: 1_000_000 }),
    action_date: dateArb,
    action_time: timeArb,
    index: fc.nat(),
    side: fc.constantFrom('B', 'S', ' ', 66, 83, 32),
    ttype: fc.constantFrom('M', 'C', 'U', 77, 67, 85, 0, 1),
  },
  { requiredKeys: ['type', 'exchg', 'code', 'price', 'volume', 'action_date', 'action_time'] },
);
const FIELDS = [
  'type',
  'exchg',
  'code',
  'price',
  'volume',
  'action_date',
  'action_time',
  'trading_date',
  'open',
  'total_volume',
  'bid_prices',
  'ask_qty',
  'side',
  'index',
  'ttype',
  'askorder',
];
const messageArb = fc.oneof(tickArb, tradeArb, fc.constant({ type: 'heartbeat' }));

describe('tickrec mapper: properties', () => {
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

  it('valid-looking messages with random mutations (single and batched)', () => {
    const { parse } = setup();
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(messageArb, fc.array(mutation(FIELDS), { maxLength: 3 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        frameDamage,
        (msgs, batch, damage) => {
          const texts = msgs.map(([m, muts]) => mutatedText(m, muts));
          const frame = damage(batch ? `[${texts.join(',')}]` : (texts[0] as string));
          const o = checkFrame(parse, frame);
          for (const r of o.rejects) seen.add(r.reason);
          if (o.ticks.length) seen.add('tick');
          if (o.trades.length) seen.add('trade');
        },
      ),
      { numRuns: 2500 },
    );
    // The fuzzing reached both the mapping and every rejecting branch kind.
    for (const k of ['tick', 'trade', 'malformed_json', 'unknown_type', 'missing_field', 'bad_type', 'bad_date', 'out_of_range'])
      expect(seen).toContain(k);
    expectNoPollution();
  });

  it('unmutated valid messages always map', () => {
    const { parse } = setup();
    fc.assert(
      fc.property(fc.oneof(tickArb, tradeArb), (m) => {
        const o = parse(JSON.stringify(m));
        expect(o.rejects).toEqual([]);
        expect(o.ticks.length + o.trades.length).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});

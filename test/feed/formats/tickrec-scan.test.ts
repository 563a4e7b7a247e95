// The byte scanner (src/feed/formats/tickrec-scan.ts) against the JSON path of the same
// mapper: whenever the scanner accepts a frame, it yields exactly what JSON.parse +
// fastTick yield — same ticks, same keys in the same order, same numbers bit for bit.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTickrecMapper } from '../../../src/feed/formats/tickrec.js';
import { TICK, valueFields } from '../../../src/format/index.js';
import { TickrecScanner } from '../../../src/feed/formats/tickrec-scan.js';
import { createGenerator } from '../../../src/sim/generator.js';
import type { RejectReason, TickInput, TradeInput } from '../../../src/feed/types.js';
import { Recorder, anyFrame, frameDamage, run, type Outcome } from './helpers.js';
import { tickJson } from '../../../src/sim/json.js';
import { buildUniverse } from '../../../src/sim/universe.js';

const enc = new TextEncoder();

/** A plain copy of a tick in TickInput key order (what a sink that keeps ticks must make). */
function copyTick(x: TickInput): TickInput {
  const t = x as unknown as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  for (const { name } of valueFields(TICK)) {
    const v = t[name];
    o[name] = Array.isArray(v) ? [...(v as number[])] : v;
  }
  return o as unknown as TickInput;
}

/** Deep equality with Object.is on numbers (-0 !== 0) and the same key order. */
function same(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return `${path}: arrays differ`;
    for (let i = 0; i < a.length; i++) {
      const d = same(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.join() !== kb.join()) return `${path}: keys ${ka.join()} vs ${kb.join()}`;
    for (const k of ka) {
      const d = same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === b ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
}

const mapper = createTickrecMapper();
const rec = new Recorder();

/** Scanner result (undefined: it bailed) and the JSON path's outcome for one frame. */
function both(text: string): { scanned: unknown[] | undefined; json: Outcome } {
  const s = new TickrecScanner();
  const n = s.scan(enc.encode(text));
  return { scanned: n < 0 ? undefined : Array.from({ length: n }, (_, i) => s.tickObject(i)), json: run(mapper, rec, text) };
}

function expectAgree(text: string): boolean {
  const { scanned, json } = both(text);
  if (scanned === undefined) return false;
  expect(json.rejects).toEqual([]);
  expect(json.trades).toEqual([]);
  expect(same(scanned, json.ticks)).toBeUndefined();
  return true;
}

/** Mostly `usual`, sometimes `odd` (so that most frames are ones the fast path takes). */
function rare<T, U>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ arbitrary: usual, weight: 12 }, { arbitrary: odd, weight: 1 });
}

const awkwardNumber = fc.oneof(
  fc.double(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(
    0,
    -0,
    1e21,
    1e22,
    1e23,
    5e-324,
    1.7976931348623157e308,
    2 ** 53,
    2 ** 53 + 2,
    0.1,
    3521.4,
    123456789012345.6,
    1e-7,
    123e-20,
  ),
  fc.integer({ min: -1e9, max: 1e9 }).map((x) => x / 100),
);
const tickFields = fc.record(
  {
    open: awkwardNumber,
    high: awkwardNumber,
    low: awkwardNumber,
    settle_price: awkwardNumber,
    total_volume: awkwardNumber,
    volume: fc.oneof(awkwardNumber, fc.constant(null)),
    total_turnover: awkwardNumber,
    open_interest: awkwardNumber,
    pre_close: awkwardNumber,
    trading_date: rare(fc.constantFrom(20250106, 0, null, -0), fc.constant(20251301)),
    bid_prices: rare(
      fc.oneof(fc.array(awkwardNumber, { maxLength: 10 }), fc.constant(null)),
      fc.array(awkwardNumber, { minLength: 11, maxLength: 11 }),
    ),
    ask_qty: fc.array(fc.integer({ min: 0, max: 1e6 }), { maxLength: 10 }),
    extra: fc.oneof(fc.jsonValue(), fc.string()),
    'na\\u006de': fc.string(),
    pre_settle: rare(awkwardNumber, fc.constantFrom('1', true, {})),
  },
  { requiredKeys: [] },
);
const tickObject = fc
  .tuple(
    tickFields,
    rare(fc.constantFrom('SHFE', 'DCE', 'BINANCE'), fc.constantFrom('S\\u0048FE', '../x', 'é')),
    fc.constantFrom('rb2505', 'BTCUSDT', 'a b'),
    awkwardNumber,
    rare(fc.constant(20250106), fc.constantFrom(20250199, 1e8, 20250106.5)),
    rare(fc.constantFrom(93000500, 235959999), fc.constantFrom(246000000, 93000500.5, -1)),
    rare(fc.constant('tick'), fc.constantFrom('trade', 'heartbeat')),
  )
  .map(([f, exchg, code, price, ad, at, type]) => ({ type, exchg, code, price, action_date: ad, action_time: at, ...f }));

/** JSON text with random whitespace between tokens (JSON.stringify never emits any). */
function spaced(v: unknown, ws: string): string {
  return JSON.stringify(v)
    .replace(/([,:[\]{}])/g, `${ws}$1${ws}`)
    .replace(/\\\\u/g, '\\u'); // keys/values written with \u escapes stay escapes
}

describe('TickrecScanner', () => {
  it('accepts the simulator frames and agrees with the JSON path on every tick', () => {
    const start = Date.UTC(2025, 0, 6, 13, 5); // 21:05 in Shanghai: the night session
    const gen = createGenerator({ instruments: buildUniverse(20), seed: 7, startMs: start });
    let accepted = 0;
    let t = start;
    for (let f = 0; f < 50; f++) {
      const frame: string[] = [];
      while (frame.length < 100) {
        const tick = gen.next((t += 5));
        if (tick) frame.push(tickJson(tick));
      }
      if (expectAgree(`[${frame.join(',')}]`)) accepted++;
    }
    expect(accepted).toBe(50); // the simulator's frames all take the fast path
  });

  it('whenever it accepts a generated frame, its ticks are the JSON path ticks (fast-check)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(tickObject, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', ' ', '\n\t', '\r\n  '),
        fc.boolean(),
        (msgs, ws, single) => {
          const text = spaced(single ? msgs[0] : msgs, ws);
          if (expectAgree(text)) accepted++;
        },
      ),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100); // the property is not vacuous
  });

  it('never accepts what JSON.parse refuses, nor anything the JSON path would reject (damaged and hostile frames)', () => {
    fc.assert(
      fc.property(fc.array(tickObject, { minLength: 1, maxLength: 3 }), frameDamage, (msgs, damage) => {
        expectAgree(damage(JSON.stringify(msgs)));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(anyFrame, (text) => {
        expectAgree(text);
      }),
      { numRuns: 3000 },
    );
  });

  it("hands out one re-pointed object per tick, with each tick's own values (levels of every length, absent fields)", () => {
    const base = { type: 'tick', exchg: 'SHFE', code: 'rb2505', action_date: 20250106, action_time: 93000000 };
    const msgs = [
      { ...base, price: 1, volume: 5, bid_prices: [1, 2, 3] },
      { ...base, code: 'rb2510', price: 2, bid_prices: [], ask_qty: [7] },
      { ...base, price: 3, bid_prices: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], trading_date: 20250107 },
    ];
    const s = new TickrecScanner();
    expect(s.scan(enc.encode(JSON.stringify(msgs)))).toBe(3);
    const seen = [0, 1, 2].map((i) => {
      const t = s.tickAt(i);
      return { t, v: copyTick(t) };
    });
    expect(seen[0]!.t).toBe(seen[2]!.t); // the same object
    expect(seen.map((x) => x.v.price)).toEqual([1, 2, 3]);
    expect(seen.map((x) => x.v.code)).toEqual(['rb2505', 'rb2510', 'rb2505']);
    expect(seen.map((x) => x.v.volume)).toEqual([5, undefined, undefined]);
    expect(seen.map((x) => x.v.trading_date)).toEqual([undefined, undefined, 20250107]);
    expect(seen.map((x) => x.v.bid_prices)).toEqual([[1, 2, 3], [], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]);
    expect(seen.map((x) => x.v.ask_qty)).toEqual([undefined, [7], undefined]);
  });

  it('bails on the frames the JSON path must decide', () => {
    const t = { type: 'tick', exchg: 'SHFE', code: 'rb2505', price: 1, action_date: 20250106, action_time: 93000000 };
    const bail = (text: string) => expect(new TickrecScanner().scan(enc.encode(text))).toBe(-1);
    bail('[]');
    bail('{}');
    bail(JSON.stringify(t).replace('"price":1', '"price":1,"price":2')); // duplicate key
    bail(JSON.stringify(t).replace('"price":1', '"price":01')); // leading zero
    bail(JSON.stringify(t).replace('"price":1', '"price":1.')); // no fraction digits
    bail(JSON.stringify(t).replace('"price":1', '"price":NaN'));
    bail(JSON.stringify(t).replace('"price":1', '"price":null'));
    bail(JSON.stringify([t]).replace(']', ',]')); // trailing comma
    bail(JSON.stringify({ ...t, type: 'trade', volume: 1 }));
    bail(JSON.stringify({ ...t, bid_prices: new Array(11).fill(1) }));
    bail(`\ufeff${JSON.stringify(t)}`);
    bail(JSON.stringify(t).slice(0, -1));
    expect(new TickrecScanner().scan(enc.encode(JSON.stringify([t, t])))).toBe(2);
    expect(new TickrecScanner().scan(enc.encode(JSON.stringify({ ...t, note: { deep: [1, 'x\\"', null, true, false] } })))).toBe(1);
  });

  it('mapper.parseBytes gives what mapper.parse gives, on frames the scanner takes and on those it does not', () => {
    const t = {
      type: 'tick',
      exchg: 'SHFE',
      code: 'rb2505',
      price: 3521.4,
      action_date: 20250106,
      action_time: 93000000,
      bid_prices: [1.5, -0],
    };
    for (const text of [
      JSON.stringify([t, { ...t, price: 1, bid_prices: null }]),
      JSON.stringify([t, { ...t, price: 'x' }]),
      '[{"type":"heartbeat"}]',
      'not json',
    ]) {
      const a = new Recorder();
      // The scanner's tick object is reused per tick (FeedSink contract): copy each.
      const copying = {
        ...a,
        tick: (x: TickInput) => a.tick(copyTick(x)),
        trade: (x: TradeInput) => a.trade(x),
        reject: (r: RejectReason, d: string) => a.reject(r, d),
      };
      mapper.parseBytes!(enc.encode(text), copying);
      const b = run(mapper, rec, text);
      expect(same(a.take(), b)).toBeUndefined();
    }
  });
});

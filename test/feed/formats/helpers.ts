// Test helpers for the wire-format mappers: a recording sink, hostile-value generators for fuzzing, and the invariants every parse must keep.

import fc from 'fast-check';
import { expect } from 'vitest';
import {
  REJECT_REASONS,
  type FeedSink,
  type MessageMapper,
  type RejectReason,
  type TickInput,
  type TradeInput,
} from '../../../src/feed/types.js';

export interface Outcome {
  ticks: TickInput[];
  trades: TradeInput[];
  rejects: { reason: RejectReason; detail: string }[];
  ignored: string[];
}

/** A sink plus an onIgnored hook that record everything; `take()` returns and clears. */
export class Recorder implements FeedSink {
  ticks: TickInput[] = [];
  trades: TradeInput[] = [];
  rejects: { reason: RejectReason; detail: string }[] = [];
  ignored: string[] = [];
  readonly onIgnored = (what: string): void => {
    this.ignored.push(what);
  };
  tick(t: TickInput): void {
    this.ticks.push(t);
  }
  trade(t: TradeInput): void {
    this.trades.push(t);
  }
  reject(reason: RejectReason, detail: string): void {
    this.rejects.push({ reason, detail });
  }
  take(): Outcome {
    const o = { ticks: this.ticks, trades: this.trades, rejects: this.rejects, ignored: this.ignored };
    this.ticks = [];
    this.trades = [];
    this.rejects = [];
    this.ignored = [];
    return o;
  }
}

/** Parses one frame and returns what came out. */
export function run(mapper: MessageMapper, rec: Recorder, frame: string): Outcome {
  rec.take();
  mapper.parse(frame, rec);
  return rec.take();
}

export function total(o: Outcome): number {
  return o.ticks.length + o.trades.length + o.rejects.length + o.ignored.length;
}

/** Expects exactly one reject with `reason` and returns its detail. */
export function oneReject(o: Outcome, reason: RejectReason): string {
  expect(o.rejects.map((r) => r.reason)).toEqual([reason]);
  expect(o.ticks).toEqual([]);
  expect(o.trades).toEqual([]);
  return o.rejects[0]!.detail;
}

// ---- invariants ----

const protoSnapshot = () =>
  [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype]
    .map((p) => Object.getOwnPropertyNames(p).sort().join(','))
    .join('|');
export const PROTO_BEFORE = protoSnapshot();

export function expectNoPollution(): void {
  expect(protoSnapshot()).toBe(PROTO_BEFORE);
  const probe = {} as Record<string, unknown>;
  expect(probe['polluted']).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>)['polluted']).toBeUndefined();
}

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new Error(`${what}: ${JSON.stringify(value)?.slice(0, 300)}`);
}

/** What every outcome must satisfy, whatever the input (plain checks: this runs thousands of times). */
export function expectSane(o: Outcome): void {
  for (const t of o.ticks) {
    check(typeof t.exchg === 'string' && typeof t.code === 'string', 'tick exchg/code not strings', t);
    check(Number.isInteger(t.action_date) && Number.isInteger(t.action_time), 'tick date/time not finite integers', t);
    check(typeof t.price === 'number', 'tick price not a number', t);
    for (const k of ['bid_prices', 'ask_prices', 'bid_qty', 'ask_qty'] as const) {
      const a = t[k];
      if (a === undefined) continue;
      check(Array.isArray(a) && a.length <= 10 && a.every((x) => typeof x === 'number'), `tick ${k} not <= 10 numbers`, t);
    }
  }
  for (const t of o.trades) {
    check(typeof t.exchg === 'string' && typeof t.code === 'string', 'trade exchg/code not strings', t);
    check(Number.isInteger(t.action_date) && Number.isInteger(t.action_time), 'trade date/time not finite integers', t);
    check(Number.isFinite(t.volume) && t.volume >= 0 && !Object.is(t.volume, -0), 'trade volume not a finite quantity >= 0', t);
  }
  for (const r of o.rejects) {
    check((REJECT_REASONS as readonly string[]).includes(r.reason), 'unknown reject reason', r);
    check(r.detail.length > 0 && r.detail.length < 200, 'reject detail empty or 200+ characters', r);
    check(/^[\x20-\x7e]*$/.test(r.detail), 'reject detail not printable ASCII', r);
  }
}

/** A detail echoes at most 64 characters of a hostile run of `ch`. */
export function expectNoLongEcho(detail: string, ch: string): void {
  expect(detail.includes(ch.repeat(65))).toBe(false);
  expect(detail.length).toBeLessThan(200);
}

// ---- hostile values, as raw JSON text to splice into a frame ----

const HUGE_ARRAY = `[${'1,'.repeat(12_000)}1]`;
const HUGE_STRING_ARRAY = `[${'"9",'.repeat(12_000)}"9"]`;
const DEEP_ARRAY = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`;
const LONG_STRING = JSON.stringify('Z'.repeat(20_000));
const LONG_DIGITS = JSON.stringify('9'.repeat(5_000));

const FIXED_HOSTILE = [
  '"abc"',
  '"1.5"',
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"1e400"',
  '""',
  '" "',
  '"0x10"',
  '" 12 "',
  '"__proto__"',
  '"constructor"',
  'null',
  'true',
  'false',
  '[]',
  '{}',
  '[[]]',
  '[["1"]]',
  '[["1","2","3"]]',
  '1e400',
  '-1e400',
  '-1',
  '0',
  '-0',
  '1.5',
  '0.5',
  '9007199254740993',
  '4294967296',
  '4294967295',
  '1e300',
  '-1e300',
  '20251301',
  '240000000',
  HUGE_ARRAY,
  HUGE_STRING_ARRAY,
  DEEP_ARRAY,
  DEEP_OBJECT,
  LONG_STRING,
  LONG_DIGITS,
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '[{"__proto__":{"polluted":"yes"}}]',
];

/** Raw JSON text of a hostile value. */
export const hostileJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FIXED_HOSTILE) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.double().map((d) => JSON.stringify(d)) },
  { weight: 1, arbitrary: fc.integer().map((d) => JSON.stringify(String(d))) },
  { weight: 1, arbitrary: fc.double().map((d) => JSON.stringify(String(d))) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
);

/** Keys that attack prototypes or shadow Object.prototype members. */
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A mutation: in the `target`-th object of the message, set `key` to raw `value` (or delete it). */
export interface Mutation {
  target: number;
  key: string;
  value: string | undefined;
}

export function mutation(fields: readonly string[]): fc.Arbitrary<Mutation> {
  return fc.record({
    target: fc.nat(3),
    key: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...fields) },
      { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    ),
    value: fc.option(hostileJson, { freq: 8, nil: undefined }),
  });
}

/**
 * Serializes `msg` after applying `mutations` to its objects (depth-first order). Raw
 * values are spliced in as text, so deep nesting and own `__proto__` keys reach the
 * mapper exactly as a hostile peer would send them.
 */
export function mutatedText(msg: unknown, mutations: readonly Mutation[]): string {
  const copy = JSON.parse(JSON.stringify(msg)) as Json;
  const objects: Record<string, Json>[] = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      objects.push(v);
      Object.values(v).forEach(walk);
    }
  };
  walk(copy);
  const raws: string[] = [];
  for (const m of mutations) {
    const o = objects[m.target % objects.length];
    if (!o) continue;
    if (m.value === undefined) {
      delete o[m.key];
    } else {
      const marker = `\u0001RAW${raws.length}\u0001`;
      raws.push(m.value);
      Object.defineProperty(o, m.key, { value: marker, enumerable: true, writable: true, configurable: true });
    }
  }
  let text = JSON.stringify(copy);
  raws.forEach((raw, i) => {
    text = text.split(JSON.stringify(`\u0001RAW${i}\u0001`)).join(raw);
  });
  return text;
}

/** Frame-level damage: none, truncation, a garbage byte, or a prefix of garbage. */
export const frameDamage: fc.Arbitrary<(s: string) => string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant((s: string) => s) },
  { weight: 1, arbitrary: fc.nat().map((n) => (s: string) => s.slice(0, n % (s.length + 1))) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([n, g]) => (s: string) => {
      const i = n % (s.length + 1);
      return s.slice(0, i) + g + s.slice(i + 1);
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((g) => (s: string) => g + s) },
);

/** Any text at all: random JSON, random unicode, binary garbage. */
export const anyFrame: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.anything().map((v) => {
    try {
      return JSON.stringify(v) ?? 'undefined';
    } catch {
      return '{}';
    }
  }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  hostileJson,
);

/** JSON.parse or undefined. */
export function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function ownProp(o: Record<string, unknown>, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

// The hostile feed's messages, seeded (fast-check): valid ticks and trades mixed with duplicates, out-of-order ticks, path-like and control-character names, NaN/Infinity/DBL_MAX values, wrong types and dates, malformed JSON, binary frames, arrays over the element limit, frames over max_payload_bytes and invalid UTF-8 that close the connection; and the model of what each must do (rejects by reason, counters, the valid records of each instrument). Used by test/e2e/fuzz-live.test.ts and the soak's hostile scenario (hostile.ts).

import path from 'node:path';
import fc from 'fast-check';
import { CODE_MAX_CHARS, EXCHG_MAX_CHARS } from '../../src/layout/index.js';

export interface Frame {
  data: string | Buffer;
  binary: boolean;
  /** Closes the connection (over max_payload_bytes, invalid UTF-8): not counted as a received message. */
  killer: boolean;
}

export interface HostileStreamOptions {
  /** fast-check seed: the same seed and sizes give the same frames. */
  seed: number;
  /** Ordinary frames (single messages, arrays of up to 50, raw text, binary). */
  frames: number;
  specials: SpecialCounts;
  /** The data root the recorder writes: the hostile names' paths are resolved in it. */
  root: string;
  /** The recorder's max_payload_bytes: no frame but the oversized ones is above it. */
  maxPayloadBytes: number;
}

/** The frames of a seeded stream in sending order, in the model that knows what each must do. */
export function hostileStream(o: HostileStreamOptions): Model {
  const stream = fc.sample(streamArb(o.frames, o.specials), { seed: o.seed, numRuns: 1 })[0]!;
  const model = new Model(o.root, o.maxPayloadBytes);
  const at = new Map<number, SpecialSpec[]>();
  stream.positions.forEach((p, j) => at.set(p, [...(at.get(p) ?? []), stream.specials[j]!]));
  stream.frames.forEach((f, i) => {
    for (const s of at.get(i) ?? []) model.frame(s);
    model.frame(f);
  });
  for (const s of at.get(stream.frames.length) ?? []) model.frame(s);
  return model;
}

const DATE = 20250106;

// ---- what is sent ----------------------------------------------------------------------

/** Instruments of the valid ticks: ordinary names and the odd or longest legal ones. */
export const INSTS = [
  { exchg: 'SHFE', code: 'rb2505' },
  { exchg: 'DCE', code: 'm2505' },
  { exchg: 'BINANCE', code: 'BTCUSDT' },
  { exchg: 'X-1.b_c', code: 'Z9.a-b_c' },
  { exchg: 'E'.repeat(EXCHG_MAX_CHARS), code: 'c'.repeat(CODE_MAX_CHARS) },
] as const;
/** Only inside frames that are rejected whole: must never get a file. */
export const NEVER = { exchg: 'NEVER', code: 'never1' };

const HOSTILE_NAMES = [
  '../../x',
  '..',
  '.',
  'a/b',
  '/etc/passwd',
  '../../../../../../../../../../../tmp/x',
  'x/../../y',
  '..\\..\\x',
  'x\u0000y',
  '\u0000',
  'rb\u00002505',
  'ру2505',
  '铜2505',
  '😀',
  '\u202ex',
  'a\u0301',
  'x y',
  ' x',
  'x ',
  '-x',
  '_x',
  '.x',
  '',
  'x\\y',
  'C:\\x',
  'x\n{"level":60,"msg":"forged"}',
  '%2e%2e',
  'x:y',
  'x*',
  'c'.repeat(CODE_MAX_CHARS + 1),
  'E'.repeat(300),
];

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const legalName = (s: string, max: number) => s.length > 0 && s.length <= max && NAME_RULE.test(s) && s !== '.' && s !== '..';

const DBL_MAX = 1.7976931348623157e308;
/** Placeholders replaced by number literals JSON.stringify cannot write. */
const RAW: Record<string, string> = { '"@@INF@@"': '1e400', '"@@-INF@@"': '-1e400' };
const HUGE_VALUES: unknown[] = [DBL_MAX, -DBL_MAX, 1e300, -1e300, 1e308, '@@INF@@', '@@-INF@@'];
const REPAIRABLE = [
  'open',
  'high',
  'low',
  'settle_price',
  'upper_limit',
  'lower_limit',
  'pre_close',
  'pre_settle',
  'pre_interest',
] as const;
/** Dates with a day 1..31 that are not calendar dates: the feed parser's bad_date (src/format/time.ts isRecordDate). */
const NON_DATES = [20250230, 20250231, 20250431, 20250631, 20250931, 20251131, 20230229, 20240230];

/** One field broken so that the mapper rejects the message, with the reason it gives. */
const MUTATIONS: { apply: (o: Record<string, unknown>) => void; reason: string }[] = [
  { apply: (o) => (o.price = '3500'), reason: 'bad_type' },
  { apply: (o) => delete o.price, reason: 'missing_field' },
  { apply: (o) => (o.price = null), reason: 'missing_field' },
  { apply: (o) => (o.price = [3500]), reason: 'bad_type' },
  { apply: (o) => (o.exchg = 5), reason: 'bad_type' },
  { apply: (o) => (o.exchg = null), reason: 'missing_field' },
  { apply: (o) => delete o.code, reason: 'missing_field' },
  { apply: (o) => (o.code = ['x']), reason: 'bad_type' },
  { apply: (o) => (o.code = {}), reason: 'bad_type' },
  { apply: (o) => (o.action_date = 19891231), reason: 'bad_date' },
  { apply: (o) => (o.action_date = 21000101), reason: 'bad_date' },
  { apply: (o) => (o.action_date = 20251301), reason: 'bad_date' },
  { apply: (o) => (o.action_date = 20250100), reason: 'bad_date' },
  { apply: (o) => (o.action_date = 20250132), reason: 'bad_date' },
  { apply: (o) => (o.action_date = 20250106.5), reason: 'bad_date' },
  { apply: (o) => (o.action_date = -20250106), reason: 'bad_date' },
  { apply: (o) => (o.action_date = '20250106'), reason: 'bad_type' },
  { apply: (o) => delete o.action_date, reason: 'missing_field' },
  { apply: (o) => (o.action_time = 240000000), reason: 'bad_date' },
  { apply: (o) => (o.action_time = 96000000), reason: 'bad_date' },
  { apply: (o) => (o.action_time = 90060000), reason: 'bad_date' },
  { apply: (o) => (o.action_time = 90000000.5), reason: 'bad_date' },
  { apply: (o) => (o.action_time = -1), reason: 'bad_date' },
  { apply: (o) => (o.action_time = 1e20), reason: 'bad_date' },
  { apply: (o) => (o.action_time = true), reason: 'bad_type' },
  { apply: (o) => (o.trading_date = 1), reason: 'bad_date' },
  { apply: (o) => (o.trading_date = 'x'), reason: 'bad_type' },
  { apply: (o) => (o.bid_prices = Array.from({ length: 11 }, (_, i) => 100 - i)), reason: 'out_of_range' },
  { apply: (o) => (o.bid_prices = [1, '2']), reason: 'bad_type' },
  { apply: (o) => (o.ask_qty = 'x'), reason: 'bad_type' },
  { apply: (o) => (o.bid_qty = {}), reason: 'bad_type' },
  { apply: (o) => (o.open = '1'), reason: 'bad_type' },
  { apply: (o) => (o.total_volume = []), reason: 'bad_type' },
  { apply: (o) => (o.volume = true), reason: 'bad_type' },
  { apply: (o) => (o.type = 7), reason: 'bad_type' },
  { apply: (o) => (o.type = 'tock'), reason: 'unknown_type' },
  { apply: (o) => (o.type = 'TICK'), reason: 'unknown_type' },
  { apply: (o) => (o.type = 'subscribe'), reason: 'unknown_type' },
  { apply: (o) => delete o.type, reason: 'missing_field' },
  { apply: (o) => (o.type = null), reason: 'missing_field' },
];

/** Frames of raw text, with the rejects they give. */
const RAW_TEXTS: { text: string; rejects: Record<string, number> }[] = [
  { text: 'NaN', rejects: { malformed_json: 1 } },
  { text: '[NaN]', rejects: { malformed_json: 1 } },
  {
    text: `{"type":"tick","exchg":"SHFE","code":"rb2505","price":NaN,"action_date":${DATE},"action_time":90000000}`,
    rejects: { malformed_json: 1 },
  },
  { text: 'Infinity', rejects: { malformed_json: 1 } },
  { text: '[1e400]', rejects: { malformed_json: 1 } },
  { text: '{', rejects: { malformed_json: 1 } },
  { text: '[', rejects: { malformed_json: 1 } },
  { text: '[{"type":"tick"', rejects: { malformed_json: 1 } },
  { text: '{"type":"tick",}', rejects: { malformed_json: 1 } },
  { text: "{'type':'tick'}", rejects: { malformed_json: 1 } },
  { text: '[]', rejects: { malformed_json: 1 } },
  { text: '', rejects: { malformed_json: 1 } },
  { text: 'null', rejects: { malformed_json: 1 } },
  { text: 'true', rejects: { malformed_json: 1 } },
  { text: '"tick"', rejects: { malformed_json: 1 } },
  { text: '{"type":"tick"}{"type":"tick"}', rejects: { malformed_json: 1 } },
  { text: '\ufeff{"type":"heartbeat"}', rejects: { malformed_json: 1 } },
  { text: '\u0000', rejects: { malformed_json: 1 } },
  { text: '{"type":"tick"}', rejects: { missing_field: 1 } },
  { text: '[{"type":"heartbeat"},7,"x",null,[],{}]', rejects: { malformed_json: 4, missing_field: 1 } },
  { text: '{"__proto__":{"type":"tick"},"constructor":{"type":"tick"}}', rejects: { missing_field: 1 } },
  {
    text: '{"type":"tick","__proto__":{"exchg":"SHFE","code":"rb2505","price":1,"action_date":20250106,"action_time":90000000}}',
    rejects: { missing_field: 1 },
  },
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type UnitSpec =
  | { k: 'valid'; inst: number; step: number; vol: number; px: number; levels: number; repair: number[]; huge: number }
  | { k: 'dup'; inst: number }
  | { k: 'ooo'; inst: number; back: number; earlierDay: boolean }
  | { k: 'badName'; inst: number; which: number; a: string; b: string; trade: boolean }
  | { k: 'badPrice'; inst: number; v: number }
  | { k: 'badDate'; inst: number; v: number }
  | { k: 'mapperBad'; inst: number; m: number }
  | { k: 'garbage'; v: Json }
  | { k: 'heartbeat'; extra: Json }
  | { k: 'trade'; vol: number; px: number; step: number }
  | { k: 'tradeDup' };

type FrameSpec =
  | { k: 'single'; u: UnitSpec }
  | { k: 'array'; us: UnitSpec[] }
  | { k: 'raw'; i: number }
  | { k: 'text'; s: string }
  | { k: 'binary'; bytes: number[] };

type SpecialSpec =
  { k: 'big'; us: UnitSpec[] } | { k: 'tooMany'; n: number } | { k: 'oversized'; extra: number } | { k: 'badUtf8'; variant: number };

/** Top-level and array elements typed tick/trade would be parsed as records: random values must not be. */
function looksLikeRecord(v: unknown): boolean {
  const rec = (x: unknown) =>
    x !== null &&
    typeof x === 'object' &&
    !Array.isArray(x) &&
    Object.prototype.hasOwnProperty.call(x, 'type') &&
    ['tick', 'trade'].includes((x as { type: unknown }).type as string);
  return rec(v) || (Array.isArray(v) && v.some(rec));
}

const hostileName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !legalName(s, EXCHG_MAX_CHARS)) },
);

const jsonGarbage = (fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>).filter((v) => !looksLikeRecord(v));

function unitArb(validWeight: number): fc.Arbitrary<UnitSpec> {
  const inst = fc.integer({ min: 0, max: INSTS.length - 1 });
  return fc.oneof(
    {
      weight: validWeight,
      arbitrary: fc.record({
        k: fc.constant('valid' as const),
        inst,
        step: fc.integer({ min: 1, max: 1000 }),
        vol: fc.integer({ min: 1, max: 500 }),
        px: fc.integer({ min: 4, max: 400_000 }),
        levels: fc.integer({ min: 0, max: 10 }),
        repair: fc.subarray([0, 1, 2, 3, 4, 5, 6, 7, 8], { maxLength: 3 }),
        huge: fc.nat(HUGE_VALUES.length - 1),
      }),
    },
    { weight: 4, arbitrary: fc.record({ k: fc.constant('dup' as const), inst }) },
    {
      weight: 4,
      arbitrary: fc.record({ k: fc.constant('ooo' as const), inst, back: fc.integer({ min: 1, max: 5000 }), earlierDay: fc.boolean() }),
    },
    {
      weight: 8,
      arbitrary: fc.record({
        k: fc.constant('badName' as const),
        inst,
        which: fc.integer({ min: 0, max: 2 }),
        a: hostileName,
        b: hostileName,
        trade: fc.boolean(),
      }),
    },
    { weight: 4, arbitrary: fc.record({ k: fc.constant('badPrice' as const), inst, v: fc.nat(5) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('badDate' as const), inst, v: fc.nat(NON_DATES.length - 1) }) },
    { weight: 10, arbitrary: fc.record({ k: fc.constant('mapperBad' as const), inst, m: fc.nat(MUTATIONS.length - 1) }) },
    { weight: 6, arbitrary: fc.record({ k: fc.constant('garbage' as const), v: jsonGarbage }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('heartbeat' as const), extra: jsonGarbage }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('trade' as const),
        vol: fc.integer({ min: 0, max: 100_000 }),
        px: fc.integer({ min: 4, max: 400_000 }),
        step: fc.integer({ min: 1, max: 2000 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('tradeDup' as const) }) },
  );
}

const frameArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ k: fc.constant('single' as const), u: unitArb(8) }) },
  {
    weight: 60,
    arbitrary: fc.record({ k: fc.constant('array' as const), us: fc.array(unitArb(8), { minLength: 1, maxLength: 50, size: 'max' }) }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('raw' as const), i: fc.nat(RAW_TEXTS.length - 1) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('text' as const), s: fc.string({ unit: 'binary', maxLength: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('binary' as const), bytes: fc.array(fc.nat(255), { maxLength: 200 }) }) },
);

/** How many of each special frame a stream holds. */
export interface SpecialCounts {
  /** Arrays of 1,000 to 2,000 messages, most of them valid. */
  big: number;
  /** Arrays over the element limit (10,000): rejected whole. */
  tooMany: number;
  /** Frames over max_payload_bytes: each closes the connection. */
  oversized: number;
  /** Frames of invalid UTF-8: each closes the connection. */
  badUtf8: number;
}

const specialsArb = (n: SpecialCounts): fc.Arbitrary<SpecialSpec[]> =>
  fc
    .tuple(
      fc.array(
        fc.record({ k: fc.constant('big' as const), us: fc.array(unitArb(60), { minLength: 1000, maxLength: 2000, size: 'max' }) }),
        {
          minLength: n.big,
          maxLength: n.big,
        },
      ),
      fc.array(fc.record({ k: fc.constant('tooMany' as const), n: fc.integer({ min: 10_001, max: 10_100 }) }), {
        minLength: n.tooMany,
        maxLength: n.tooMany,
      }),
      fc.array(fc.record({ k: fc.constant('oversized' as const), extra: fc.integer({ min: 1, max: 5000 }) }), {
        minLength: n.oversized,
        maxLength: n.oversized,
      }),
      fc.array(fc.record({ k: fc.constant('badUtf8' as const), variant: fc.nat(3) }), { minLength: n.badUtf8, maxLength: n.badUtf8 }),
    )
    .map(([a, b, c, d]) => [...a, ...b, ...c, ...d]);

/** `frames` ordinary frames and the special ones, each at a random position among them. */
function streamArb(frames: number, specials: SpecialCounts) {
  const n = specials.big + specials.tooMany + specials.oversized + specials.badUtf8;
  return fc.record({
    frames: fc.array(frameArb, { minLength: frames, maxLength: frames }),
    specials: specialsArb(specials),
    positions: fc.array(fc.nat(frames), { minLength: n, maxLength: n }),
  });
}

// ---- the model: what each message must do -------------------------------------------------

const msToTime = (ms: number) => {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return h * 10_000_000 + m * 100_000 + s * 1000 + (ms % 1000);
};
const T0 = 9 * 3_600_000;

/** The frames of a stream and what each must do: the rejects by reason, the counters, the valid records of each instrument. */
export class Model {
  readonly frames: Frame[] = [];
  readonly rejects: Record<string, number> = {};
  ticksReceived = 0;
  tradesReceived = 0;
  /** Rejects decided by the recorder (after a record was received), by reason. */
  readonly recorderRejects: Record<string, number> = {};
  hostileUnits = 0;
  validTicks = 0;
  /** Paths the hostile names would have named. */
  readonly hostilePaths = new Set<string>();
  readonly st = INSTS.map(() => ({
    ms: 0,
    total: 0,
    lastMs: -1,
    lastObj: undefined as Record<string, unknown> | undefined,
    lastText: '',
    rows: [] as Record<string, unknown>[],
  }));
  readonly trade = { index: 0, ms: 0, lastText: '', rows: [] as Record<string, unknown>[] };

  constructor(
    readonly root: string,
    private readonly maxPayloadBytes: number,
  ) {}

  private reject(reason: string, recorder = false): void {
    this.rejects[reason] = (this.rejects[reason] ?? 0) + 1;
    if (recorder) this.recorderRejects[reason] = (this.recorderRejects[reason] ?? 0) + 1;
  }

  private text(o: unknown): string {
    let s = JSON.stringify(o);
    for (const [k, v] of Object.entries(RAW)) s = s.split(k).join(v);
    return s;
  }

  /** A well-formed tick of instrument i at `ms` (not recorded in the model). */
  private tickObj(i: number, ms: number, px: number, total: number, vol: number): Record<string, unknown> {
    const { exchg, code } = INSTS[i]!;
    const price = px / 4;
    return {
      type: 'tick',
      exchg,
      code,
      price,
      open: price,
      high: price + 1,
      low: price - 1,
      settle_price: 0,
      upper_limit: price * 2,
      lower_limit: price / 2,
      total_volume: total,
      volume: vol,
      open_interest: 1000 + (total % 977),
      pre_close: price,
      pre_settle: price,
      pre_interest: 1000,
      trading_date: DATE,
      action_date: DATE,
      action_time: msToTime(T0 + ms),
      bid_prices: [price - 0.25],
      ask_prices: [price + 0.25],
      bid_qty: [1 + (total % 50)],
      ask_qty: [2 + (total % 30)],
    };
  }

  private valid(u: Extract<UnitSpec, { k: 'valid' }>): string {
    const s = this.st[u.inst]!;
    s.ms += u.step;
    s.total += u.vol;
    const o = this.tickObj(u.inst, s.ms, u.px, s.total, u.vol);
    const price = o.price as number;
    const levels = Math.max(1, u.levels);
    o.bid_prices = Array.from({ length: levels }, (_, k) => price - 0.25 * (k + 1));
    o.ask_prices = Array.from({ length: levels }, (_, k) => price + 0.25 * (k + 1));
    o.bid_qty = Array.from({ length: levels }, (_, k) => 1 + ((s.total + k) % 50));
    o.ask_qty = Array.from({ length: levels }, (_, k) => 2 + ((s.total + k) % 30));
    const expected: Record<string, unknown> = { ...o };
    for (const r of u.repair) {
      const f = REPAIRABLE[r]!;
      o[f] = HUGE_VALUES[(u.huge + r) % HUGE_VALUES.length];
      expected[f] = 0; // N3: NaN, ±Infinity, |v| >= 1e300 become 0
    }
    if (levels >= 2 && u.repair.length > 0) {
      (o.bid_prices as unknown[])[1] = HUGE_VALUES[u.huge];
      (expected.bid_prices as number[]) = [...(expected.bid_prices as number[])];
      (expected.bid_prices as number[])[1] = 0;
    }
    const text = this.text(o);
    s.lastMs = s.ms;
    s.lastObj = o;
    s.lastText = text;
    s.rows.push(expected);
    this.ticksReceived++;
    this.validTicks++;
    return text;
  }

  private validTrade(u: Extract<UnitSpec, { k: 'trade' }>): string {
    const t = this.trade;
    t.ms += u.step;
    t.index++;
    const { exchg, code } = INSTS[0];
    const o = {
      type: 'trade',
      exchg,
      code,
      price: u.px / 4,
      volume: u.vol,
      side: t.index % 2 ? 'B' : 'S',
      index: t.index,
      action_date: DATE,
      action_time: msToTime(T0 + t.ms),
      trading_date: DATE,
    };
    const text = JSON.stringify(o);
    t.lastText = text;
    t.rows.push({ ...o, side: t.index % 2 ? 66 : 83 });
    this.tradesReceived++;
    return text;
  }

  /** The text of one message (an element of an array frame, or a whole frame). */
  unit(u: UnitSpec, inArray: boolean): string {
    switch (u.k) {
      case 'valid':
        return this.valid(u);
      case 'trade':
        return this.validTrade(u);
      case 'dup': {
        const s = this.st[u.inst]!;
        if (!s.lastText) return this.valid({ k: 'valid', inst: u.inst, step: 1, vol: 1, px: 4000, levels: 1, repair: [], huge: 0 });
        this.hostileUnits++;
        this.ticksReceived++;
        this.reject('duplicate', true);
        return s.lastText;
      }
      case 'tradeDup': {
        if (!this.trade.lastText) return this.validTrade({ k: 'trade', vol: 1, px: 4000, step: 1 });
        this.hostileUnits++;
        this.tradesReceived++;
        this.reject('duplicate', true);
        return this.trade.lastText;
      }
      case 'ooo': {
        const s = this.st[u.inst]!;
        if (!s.lastObj) return this.valid({ k: 'valid', inst: u.inst, step: 1, vol: 1, px: 4000, levels: 1, repair: [], huge: 0 });
        const o: Record<string, unknown> = { ...s.lastObj, total_volume: (s.lastObj.total_volume as number) + 1 };
        if (u.earlierDay || s.lastMs === 0) {
          o.trading_date = 20250103;
          o.action_date = 20250103;
        } else {
          o.action_time = msToTime(T0 + Math.max(0, s.lastMs - u.back));
        }
        this.hostileUnits++;
        this.ticksReceived++;
        this.reject('out_of_order', true);
        return this.text(o);
      }
      case 'badName': {
        const i = u.inst;
        const base: Record<string, unknown> = u.trade
          ? { type: 'trade', exchg: INSTS[i]!.exchg, code: INSTS[i]!.code, price: 1, volume: 1, action_date: DATE, action_time: 90000000 }
          : this.tickObj(i, 1, 4000, 1, 1);
        let exchg = INSTS[i]!.exchg;
        let code = INSTS[i]!.code;
        if (u.which !== 1) exchg = u.a;
        if (u.which !== 0) code = u.b;
        if (legalName(exchg, EXCHG_MAX_CHARS) && legalName(code, CODE_MAX_CHARS)) code = '../../x'; // random picks may both be legal... never both
        base.exchg = exchg;
        base.code = code;
        this.hostilePaths.add(path.resolve(this.root, 'rt', u.trade ? 'trans' : 'ticks', exchg, `${code}.dmb`));
        this.hostileUnits++;
        if (u.trade) this.tradesReceived++;
        else this.ticksReceived++;
        this.reject('bad_name', true);
        return this.text(base);
      }
      case 'badPrice': {
        const o = this.tickObj(u.inst, 1, 4000, 1, 1);
        o.price = [DBL_MAX, 1e300, -1e300, '@@INF@@', '@@-INF@@', -DBL_MAX][u.v];
        this.hostileUnits++;
        this.ticksReceived++;
        this.reject('bad_price', true);
        return this.text(o);
      }
      case 'badDate': {
        const o = this.tickObj(u.inst, 1, 4000, 1, 1);
        o.action_date = NON_DATES[u.v];
        this.hostileUnits++;
        this.reject('bad_date'); // the feed parser refuses a day that is not in the calendar (isRecordDate), as the normalizer does
        return this.text(o);
      }
      case 'mapperBad': {
        const o = this.tickObj(u.inst, 1, 4000, 1, 1);
        const m = MUTATIONS[u.m]!;
        m.apply(o);
        this.hostileUnits++;
        this.reject(m.reason);
        return this.text(o);
      }
      case 'heartbeat': {
        const extra = u.extra !== null && typeof u.extra === 'object' && !Array.isArray(u.extra) ? u.extra : { extra: u.extra };
        return JSON.stringify({ ...extra, type: 'heartbeat' });
      }
      case 'garbage': {
        this.hostileUnits++;
        const text = JSON.stringify(u.v);
        if (inArray) this.elementRejects(u.v);
        else this.frameRejects(u.v);
        return text;
      }
    }
  }

  private elementRejects(m: unknown): void {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return this.reject('malformed_json');
    const type = Object.prototype.hasOwnProperty.call(m, 'type') ? (m as { type: unknown }).type : undefined;
    if (type === 'heartbeat') return;
    if (type === undefined || type === null) return this.reject('missing_field');
    if (typeof type !== 'string') return this.reject('bad_type');
    this.reject('unknown_type');
  }

  private frameRejects(v: unknown): void {
    if (Array.isArray(v)) {
      if (v.length === 0) return this.reject('malformed_json');
      if (v.length > 10_000) return this.reject('oversized');
      for (const e of v) this.elementRejects(e);
      return;
    }
    if (v === null || typeof v !== 'object') return this.reject('malformed_json');
    this.elementRejects(v);
  }

  frame(f: FrameSpec | SpecialSpec): void {
    const push = (data: string | Buffer, binary = false, killer = false) => {
      if (!killer && Buffer.byteLength(data) > this.maxPayloadBytes)
        throw new Error(`a frame of ${Buffer.byteLength(data)} bytes: above max_payload_bytes`);
      this.frames.push({ data, binary, killer });
    };
    switch (f.k) {
      case 'single':
        return push(this.unit(f.u, false));
      case 'array':
      case 'big':
        return push('[' + f.us.map((u) => this.unit(u, true)).join(',') + ']');
      case 'raw': {
        const r = RAW_TEXTS[f.i]!;
        this.hostileUnits++;
        for (const [k, n] of Object.entries(r.rejects)) for (let j = 0; j < n; j++) this.reject(k);
        return push(r.text);
      }
      case 'text': {
        const text = Buffer.from(f.s, 'utf8').toString('utf8'); // what arrives (lone surrogates become U+FFFD)
        let v: unknown;
        let ok = true;
        try {
          v = JSON.parse(text);
        } catch {
          ok = false;
        }
        if (ok && looksLikeRecord(v)) return; // cannot happen in practice; never guess
        this.hostileUnits++;
        if (!ok) this.reject('malformed_json');
        else this.frameRejects(v);
        return push(text);
      }
      case 'binary': {
        this.hostileUnits++;
        this.reject('malformed_json'); // parsed as UTF-8 text: U+FFFD first, never JSON
        return push(Buffer.from([0xff, ...f.bytes]), true);
      }
      case 'tooMany': {
        const never = JSON.stringify({ ...this.tickObj(0, 1, 4000, 1, 1), ...NEVER });
        const items = Array.from({ length: f.n }, (_, j) => (j % 100 === 0 ? never : '{"type":"heartbeat"}'));
        this.hostileUnits++;
        this.reject('oversized');
        return push('[' + items.join(',') + ']');
      }
      case 'oversized': {
        const never = JSON.stringify({ ...this.tickObj(0, 1, 4000, 1, 1), ...NEVER });
        const head = '[' + never + ']';
        this.hostileUnits++;
        this.reject('oversized');
        return push(head + ' '.repeat(this.maxPayloadBytes + f.extra - head.length), false, true);
      }
      case 'badUtf8': {
        const bad = [[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]][f.variant]!;
        this.hostileUnits++;
        return push(Buffer.concat([Buffer.from('[{"type":"heartbeat","x":"'), Buffer.from(bad), Buffer.from('"}]')]), false, true);
      }
    }
  }
}

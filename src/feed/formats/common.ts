// Shared pieces of the wire-format mappers: options, safe previews of hostile input, field readers that reject instead of throwing, UTC dates.

import type { FeedSink, RejectReason, TickInput, TradeInput } from '../types.js';
import { isRecordDate } from '../../format/index.js';
import { CODE_MAX_CHARS, EXCHG_MAX_CHARS } from '../../layout/index.js';

/** Options every mapper factory accepts. */
export interface MapperOptions {
  /** Clock for messages without a timestamp (Binance bookTicker and depth). Default Date.now. */
  nowMs?: () => number;
  /**
   * Called for each message that is deliberately ignored (heartbeats, subscription acks,
   * streams or channels the mapper does not map, `pong`), with a short reason. For metrics
   * and tests; never receives more than 64 characters of input.
   */
  onIgnored?: (what: string) => void;
}

export const U32_MAX = 4294967295;
/** Longest reject detail, in characters. */
export const DETAIL_MAX = 199;
/** Longest run of input characters a detail may echo. */
export const ECHO_MAX = 64;
/** Most messages one frame may carry (tickrec arrays, OKX data arrays). */
export const MAX_BATCH = 10_000;

/** What a parse produced, in order; delivered to the sink after parsing ends. */
export type Output =
  | { kind: 'tick'; value: TickInput }
  | { kind: 'trade'; value: TradeInput }
  | { kind: 'reject'; reason: RejectReason; detail: string }
  | { kind: 'ignored'; what: string };

/** The message-level failure the field readers throw; caught by the mapper, never escapes parse. */
export class FieldProblem {
  constructor(
    readonly reason: RejectReason,
    readonly field: string,
    readonly message: string,
  ) {}
}

export function fail(reason: RejectReason, field: string, message: string): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- FieldProblem is thrown without a stack on purpose (per-message path)
  throw new FieldProblem(reason, field, message);
}

/**
 * Runs `map` and hands what it produced to the sink. The mapper's own code never throws
 * out of here: an unexpected exception (a bug) becomes a 'malformed_json' reject. An
 * exception thrown by the sink itself (e.g. the writer's disk-full error) propagates.
 */
export function runParse(format: string, map: (out: Output[]) => void, sink: FeedSink, options: MapperOptions): void {
  const out: Output[] = [];
  try {
    map(out);
  } catch (err) {
    const msg = err instanceof Error ? err.message : typeof err;
    out.push({ kind: 'reject', reason: 'malformed_json', detail: clip(`${format} frame: mapper error: ${clean(msg, 48)}`) });
  }
  for (const o of out) {
    switch (o.kind) {
      case 'tick':
        sink.tick(o.value);
        break;
      case 'trade':
        sink.trade(o.value);
        break;
      case 'reject':
        sink.reject(o.reason, o.detail);
        break;
      case 'ignored':
        options.onIgnored?.(o.what);
        break;
    }
  }
}

/**
 * Runs `build` for one message: its value, or a reject naming the message kind, the
 * instrument and the field.
 */
export function mapOne<T>(out: Output[], what: string, inst: () => string, build: () => T): T | undefined {
  try {
    return build();
  } catch (err) {
    if (!(err instanceof FieldProblem)) throw err;
    out.push({ kind: 'reject', reason: err.reason, detail: clip(`${what} ${inst()}: field ${err.field}: ${err.message}`) });
    return undefined;
  }
}

/** At most `max` characters of `s`, printable ASCII only (others become '?'), '...' when cut. */
export function clean(s: string, max: number): string {
  const cut = s.length > max;
  const head = cut ? s.slice(0, max) : s;
  return head.replace(/[^\x20-\x7e]/g, '?') + (cut ? '...' : '');
}

/** A detail cut to DETAIL_MAX characters. */
export function clip(detail: string): string {
  return detail.length > DETAIL_MAX ? `${detail.slice(0, DETAIL_MAX - 3)}...` : detail;
}

/** The JSON type of a value, for messages: 'null', 'array', 'object', 'string', 'number', 'boolean'. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** A short, safe rendering of a value (at most ~40 characters of input). */
export function preview(v: unknown): string {
  if (typeof v === 'string') return `"${clean(v, 32)}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  return typeof v;
}

/** `EXCHG.CODE` for details, from untrusted values. */
export function instLabel(exchg: unknown, code: unknown): string {
  const e = typeof exchg === 'string' && exchg.length > 0 ? clean(exchg, EXCHG_MAX_CHARS) : '?';
  const c = typeof code === 'string' && code.length > 0 ? clean(code, CODE_MAX_CHARS) : '?';
  return `${e}.${c}`;
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only: never reaches Object.prototype (`constructor`, `__proto__`, `toString`). */
export function own(o: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** JSON.parse, or undefined when the text is not JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : 'not JSON' };
  }
}

// ---- field readers (throw FieldProblem) ----

export function reqString(o: JsonObject, field: string): string {
  const v = own(o, field);
  if (v === undefined || v === null) fail('missing_field', field, 'missing');
  if (typeof v !== 'string') fail('bad_type', field, `expected a string, got ${typeName(v)}`);
  return v;
}

/** A JSON number; absent or null → undefined. */
export function optNumber(o: JsonObject, field: string): number | undefined {
  const v = own(o, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') fail('bad_type', field, `expected a number, got ${typeName(v)}`);
  return v;
}

/** A JSON number that must be present (null counts as absent). */
export function reqNumber(o: JsonObject, field: string): number {
  const v = optNumber(o, field);
  if (v === undefined) fail('missing_field', field, 'missing');
  return v;
}

// Plain decimal: no hex, no 'Infinity', no blanks. Linear (no nested quantifiers).
const DECIMAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * A number sent as a decimal string (or as a JSON number): finite or a 'bad_type' reject.
 * Returns undefined when absent/null, and for '' when `emptyIsAbsent`.
 */
export function optDecimal(o: JsonObject, field: string, emptyIsAbsent = false): number | undefined {
  const v = own(o, field);
  if (v === undefined || v === null) return undefined;
  if (emptyIsAbsent && v === '') return undefined;
  return decimalValue(v, field);
}

export function reqDecimal(o: JsonObject, field: string, emptyIsAbsent = false): number {
  const n = optDecimal(o, field, emptyIsAbsent);
  if (n === undefined) fail('missing_field', field, 'missing');
  return n;
}

export function decimalValue(v: unknown, field: string): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    if (v.length > 64 || !DECIMAL.test(v)) fail('bad_type', field, `expected a decimal number, got ${preview(v)}`);
    n = Number(v);
  } else fail('bad_type', field, `expected a decimal string, got ${typeName(v)}`);
  if (!Number.isFinite(n)) fail('bad_type', field, `not a finite number: ${preview(v)}`);
  return n;
}

/**
 * A trade quantity as the feed sent it (the real quantity, fractions kept), or an
 * 'out_of_range' reject when negative. The recorder stores it in integer units of the
 * instrument's lot step (src/meta/units.ts), refusing what does not fit: never rounded here.
 */
export function tradeQuantity(qty: number, field: string): number {
  if (!(qty >= 0) || !Number.isFinite(qty))
    fail('out_of_range', field, `${preview(qty)} is not a trade quantity (a finite number, 0 or more)`);
  return qty === 0 ? 0 : qty; // no -0
}

// ---- dates ----

/** A record's date: a calendar date YYYYMMDD in 1990-2099 (src/format/time.ts isRecordDate). */
export const isValidDate: (d: number) => boolean = isRecordDate;

/** HHMMSSmmm with HH < 24, MM < 60, SS < 60, mmm < 1000. */
export function isValidTime(t: number): boolean {
  if (!Number.isInteger(t) || t < 0) return false;
  const h = Math.floor(t / 10000000);
  const m = Math.floor(t / 100000) % 100;
  const s = Math.floor(t / 1000) % 100;
  return h < 24 && m < 60 && s < 60;
}

/** UTC date and time of a Unix millisecond timestamp, or undefined outside 1990-2099. */
export function utcInstant(ms: number): { date: number; time: number } | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(Math.floor(ms));
  const y = d.getUTCFullYear();
  if (!(y >= 1990 && y <= 2099)) return undefined;
  const date = y * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  const time = d.getUTCHours() * 10000000 + d.getUTCMinutes() * 100000 + d.getUTCSeconds() * 1000 + d.getUTCMilliseconds();
  return { date, time };
}

/** Splits `EXCHG.CODE` at the first dot; undefined when there is none or a side is empty. */
export function splitInstrument(s: string): { exchg: string; code: string } | undefined {
  const i = s.indexOf('.');
  if (i <= 0 || i === s.length - 1) return undefined;
  return { exchg: s.slice(0, i), code: s.slice(i + 1) };
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const res: T[][] = [];
  for (let i = 0; i < items.length; i += size) res.push(items.slice(i, i + size));
  return res;
}

// The OKX v5 public `tickers` channel mapper: ticker pushes → OKX ticks (level 1, rolling 24h totals); events, acks and pong handled.

import type { MessageMapper, TickInput } from '../types.js';
import {
  MAX_BATCH,
  type JsonObject,
  type MapperOptions,
  type Output,
  chunks,
  clean,
  clip,
  fail,
  instLabel,
  isObject,
  mapOne,
  optDecimal,
  own,
  parseJson,
  preview,
  reqDecimal,
  runParse,
  splitInstrument,
  typeName,
  utcInstant,
} from './common.js';

export const OKX_EXCHG = 'OKX';
export const OKX_CHANNEL = 'tickers';
/** Most channel args per subscribe frame (OKX caps one request at 64 KB). */
export const OKX_MAX_ARGS = 100;

/** An OKX instId as the subscription accepts it. */
const INST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function buildTick(d: JsonObject, instId: string): TickInput {
  const price = reqDecimal(d, 'last', true);
  const ts = reqDecimal(d, 'ts');
  const at = utcInstant(ts);
  if (!at) fail('bad_date', 'ts', `expected a Unix time in ms within 1990-2099, got ${preview(ts)}`);
  const t: TickInput = {
    exchg: OKX_EXCHG,
    code: instId,
    price,
    trading_date: at.date,
    action_date: at.date,
    action_time: at.time,
  };
  const open = optDecimal(d, 'sodUtc0', true);
  if (open !== undefined) t.open = open;
  const high = optDecimal(d, 'high24h', true);
  if (high !== undefined) t.high = high;
  const low = optDecimal(d, 'low24h', true);
  if (low !== undefined) t.low = low;
  const vol = optDecimal(d, 'vol24h', true);
  if (vol !== undefined) t.total_volume = vol;
  const turnover = optDecimal(d, 'volCcy24h', true);
  if (turnover !== undefined) t.total_turnover = turnover;
  const bidPx = optDecimal(d, 'bidPx', true);
  const bidSz = optDecimal(d, 'bidSz', true);
  if (bidPx !== undefined) {
    t.bid_prices = [bidPx];
    t.bid_qty = [bidSz ?? 0];
  }
  const askPx = optDecimal(d, 'askPx', true);
  const askSz = optDecimal(d, 'askSz', true);
  if (askPx !== undefined) {
    t.ask_prices = [askPx];
    t.ask_qty = [askSz ?? 0];
  }
  return t;
}

function instIdOf(d: JsonObject, arg: JsonObject): string {
  let v = own(d, 'instId');
  if (v === undefined || v === null || v === '') v = own(arg, 'instId');
  if (v === undefined || v === null || v === '') fail('missing_field', 'instId', 'missing');
  if (typeof v !== 'string') fail('bad_type', 'instId', `expected a string, got ${typeName(v)}`);
  return v;
}

function mapFrame(data: string, out: Output[]): void {
  if (data === 'pong') {
    out.push({ kind: 'ignored', what: 'okx pong' });
    return;
  }
  const parsed = parseJson(data);
  if (!parsed.ok) {
    out.push({ kind: 'reject', reason: 'malformed_json', detail: clip(`okx frame: not JSON (${clean(parsed.error, 64)})`) });
    return;
  }
  const v = parsed.value;
  if (!isObject(v)) {
    out.push({ kind: 'reject', reason: 'malformed_json', detail: `okx frame: expected an object, got ${typeName(v)}` });
    return;
  }
  const event = own(v, 'event');
  if (event !== undefined) {
    if (event === 'error') {
      const code = own(v, 'code');
      const msg = own(v, 'msg');
      out.push({
        kind: 'reject',
        reason: 'unknown_type',
        detail: clip(
          `okx frame: error event${typeof code === 'string' ? ` (code ${clean(code, 16)})` : ''}: ${typeof msg === 'string' ? clean(msg, 64) : preview(msg)}`,
        ),
      });
    } else if (typeof event === 'string') {
      out.push({ kind: 'ignored', what: `okx event ${clean(event, 32)}` });
    } else {
      out.push({ kind: 'reject', reason: 'bad_type', detail: `okx frame: field event: expected a string, got ${typeName(event)}` });
    }
    return;
  }
  const arg = own(v, 'arg');
  if (!isObject(arg)) {
    const detail =
      arg === undefined
        ? 'okx frame: not a push (no arg or event field)'
        : `okx frame: field arg: expected an object, got ${typeName(arg)}`;
    out.push({ kind: 'reject', reason: arg === undefined ? 'malformed_json' : 'bad_type', detail });
    return;
  }
  const channel = own(arg, 'channel');
  if (typeof channel !== 'string') {
    const reason = channel === undefined || channel === null ? 'missing_field' : 'bad_type';
    const msg = reason === 'missing_field' ? 'missing' : `expected a string, got ${typeName(channel)}`;
    out.push({ kind: 'reject', reason, detail: `okx frame: field arg.channel: ${msg}` });
    return;
  }
  if (channel !== OKX_CHANNEL) {
    out.push({ kind: 'ignored', what: `okx channel ${clean(channel, 32)}` });
    return;
  }
  const label = (d: unknown) =>
    instLabel(OKX_EXCHG, isObject(d) && typeof own(d, 'instId') === 'string' ? own(d, 'instId') : own(arg, 'instId'));
  const list = own(v, 'data');
  if (!Array.isArray(list)) {
    const reason = list === undefined || list === null ? 'missing_field' : 'bad_type';
    const msg = reason === 'missing_field' ? 'missing' : `expected an array, got ${typeName(list)}`;
    out.push({ kind: 'reject', reason, detail: clip(`ticker ${label(undefined)}: field data: ${msg}`) });
    return;
  }
  if (list.length > MAX_BATCH) {
    out.push({
      kind: 'reject',
      reason: 'oversized',
      detail: clip(`ticker ${label(undefined)}: field data: ${list.length} entries, at most ${MAX_BATCH}`),
    });
    return;
  }
  if (list.length === 0) {
    out.push({ kind: 'reject', reason: 'missing_field', detail: clip(`ticker ${label(undefined)}: field data: empty`) });
    return;
  }
  for (let i = 0; i < list.length; i++) {
    const d: unknown = list[i];
    if (!isObject(d)) {
      out.push({
        kind: 'reject',
        reason: 'bad_type',
        detail: clip(`ticker ${label(undefined)}: field data[${i}]: expected an object, got ${typeName(d)}`),
      });
      continue;
    }
    const t = mapOne(
      out,
      'ticker',
      () => label(d),
      () => buildTick(d, instIdOf(d, arg)),
    );
    if (t) out.push({ kind: 'tick', value: t });
  }
}

/**
 * OKX v5 public `tickers` channel mapper. Stateless. Options: onIgnored (the tickers
 * channel carries no trades).
 */
export function createOkxMapper(options: MapperOptions = {}): MessageMapper {
  return {
    parse(data: string, sink) {
      runParse('okx', (out) => mapFrame(typeof data === 'string' ? data : String(data), out), sink, options);
    },
    subscribeFrames(instruments: readonly string[]): string[] {
      const args: { channel: string; instId: string }[] = [];
      const seen = new Set<string>();
      for (const inst of instruments) {
        if (typeof inst !== 'string') continue;
        const p = splitInstrument(inst);
        if (!p || p.exchg !== OKX_EXCHG || !INST_ID.test(p.code) || seen.has(p.code)) continue;
        seen.add(p.code);
        args.push({ channel: OKX_CHANNEL, instId: p.code });
      }
      return chunks(args, OKX_MAX_ARGS).map((c) => JSON.stringify({ op: 'subscribe', args: c }));
    },
  };
}

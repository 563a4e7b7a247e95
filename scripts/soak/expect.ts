// What the recorder must have stored, from the simulator's deterministic stream: the scenario's universe, a replay of the good ticks, a per-record fingerprint shared with the reader processes, and a streaming match of stored records against the replay.
//
// The simulator's good ticks depend only on (seed, instruments, start, rate, speed) and
// the slot number (src/sim/pump.ts, Clock), so the stream can be regenerated after a run
// instead of being kept in memory. Within one instrument and trading day total_volume
// strictly increases (every tick trades at least one lot), so (trading_date,
// total_volume) orders the stored records and identifies the sent tick each must be.

import { TICK_KIND, Mem, type View, type FieldValue } from '../../src/format/index.js';
import { readHisBlock } from '../../src/his/index.js';
import { buildUniverse, createGenerator, slotTimeMs, type Instrument, type SimTick } from '../../src/sim/index.js';
import { RtReader } from '../../src/store/index.js';

/** UTC midnight 2025-01-07 (08:00 in Shanghai): the crypto trading day rolls here. */
export const UTC_MIDNIGHT_MS = Date.UTC(2025, 0, 7);
export const DAY_BEFORE = 20250106;
export const DAY_AFTER = 20250107;

/**
 * `n` crypto instruments (BINANCE, 24 h, trading date = UTC date), cloned from the
 * simulator's BTCUSDT and ETHUSDT: the only market whose trading day rolls while it
 * trades (the futures roll falls in the 15:00-21:00 pause), so a soak of minutes can
 * cross a day boundary at full flow, in real time (speed 1).
 */
export function cryptoUniverse(n: number): Instrument[] {
  const protos = buildUniverse(20).filter((i) => i.kind === 'crypto');
  return Array.from({ length: n }, (_, k) => {
    const p = protos[k % protos.length]!;
    const code = `X${String(k).padStart(4, '0')}USDT`;
    return { ...p, code, id: `${p.exchg}.${code}` };
  });
}

export interface SimSpec {
  seed: number;
  instruments: readonly Instrument[];
  startMs: number;
  rate: number;
  speed: number;
}

/** Calls fn for each of the first `count` good ticks of the stream, in order. */
export function replay(spec: SimSpec, count: number, fn: (t: SimTick) => void): void {
  const gen = createGenerator({ seed: spec.seed, instruments: spec.instruments, startMs: spec.startMs });
  let sent = 0;
  // bounded: every slot of a 24 h universe yields a tick; other universes may idle, so
  // allow many empty slots but not forever
  const maxSlots = count * 1000 + 1_000_000;
  for (let slot = 0; sent < count && slot < maxSlots; slot++) {
    const t = gen.next(slotTimeMs(spec.startMs, slot, spec.rate, spec.speed));
    if (!t) continue;
    sent++;
    fn(t);
  }
}

// ---- fingerprints -----------------------------------------------------------------------

/** Fields compared record by record (volume and turn_over are derived by the recorder after a gap: not compared). */
export const EXACT_FIELDS = [
  'price',
  'open',
  'high',
  'low',
  'upper_limit',
  'lower_limit',
  'total_volume',
  'total_turnover',
  'open_interest',
  'trading_date',
  'action_date',
  'action_time',
  'pre_close',
  'pre_settle',
  'pre_interest',
] as const;
const ARRAYS = ['bid_prices', 'ask_prices', 'bid_qty', 'ask_qty'] as const;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function mix(h: number, x: number): number {
  f64[0] = x;
  h = Math.imul(h ^ u32[0]!, 0x01000193) >>> 0;
  return Math.imul(h ^ u32[1]!, 0x01000193) >>> 0;
}

type Fields = Record<string, FieldValue> | SimTick;

/** A 32-bit fingerprint of every compared field of a tick (a stored view or a sent SimTick). */
export function fingerprint(t: Fields): number {
  const r = t as Record<string, unknown>;
  let h = 0x811c9dc5;
  for (const f of EXACT_FIELDS) h = mix(h, r[f] as number);
  for (const f of ARRAYS) {
    const a = r[f] as ArrayLike<number>;
    for (let i = 0; i < 10; i++) h = mix(h, i < a.length ? a[i]! : 0);
  }
  return h;
}

/** Order-sensitive combination of fingerprints (the readers' and the replay's). */
export function chain(h: number, fp: number): number {
  return (Math.imul((h ^ fp) >>> 0, 0x01000193) + 0x9e3779b9) >>> 0;
}

// ---- stored records ---------------------------------------------------------------------

/** Records of one instrument, oldest first: his day blocks and rt files (set aside or live). */
export interface Segment {
  label: string;
  length: number;
  at(i: number): View & Record<string, FieldValue>;
  close(): void;
}

export function rtSegment(file: string): Segment {
  const r = RtReader.open(file, { kind: TICK_KIND });
  const n = r.length;
  return { label: file, length: n, at: (i) => r.at(i), close: () => r.close() };
}

export function hisSegment(file: string): Segment {
  const b = readHisBlock(file);
  const mem = new Mem(b.records);
  const V = TICK_KIND.codec.View;
  return { label: file, length: b.count, at: (i) => new V(mem, i * TICK_KIND.recordBytes), close: () => undefined };
}

export interface InstrumentMatch {
  id: string;
  /** Stored records that are the sent tick of the same key, field for field. */
  matched: number;
  stored: number;
  sent: number;
  /** Sent ticks not stored: before the first stored one, between stored ones, after the last. */
  missingBefore: number;
  missingInside: number;
  missingAfter: number;
  /** Stored and sent counts by trading date. */
  /** By trading date: stored and sent counts, and the chain of the sent ticks' fingerprints. */
  byDate: Record<number, { stored: number; sent: number; sentChain: number }>;
  problems: string[];
}

export interface MatchReport {
  sent: number;
  stored: number;
  matched: number;
  missingBefore: number;
  missingInside: number;
  missingAfter: number;
  instruments: Map<string, InstrumentMatch>;
  problems: string[];
}

interface Cursor {
  m: InstrumentMatch;
  segs: Segment[];
  seg: number;
  i: number;
  v: (View & Record<string, FieldValue>) | undefined;
}

function advance(c: Cursor): void {
  c.v = undefined;
  while (c.seg < c.segs.length) {
    const s = c.segs[c.seg]!;
    if (c.i < s.length) {
      c.v = s.at(c.i);
      return;
    }
    c.seg++;
    c.i = 0;
  }
}

function cmpKey(d1: number, v1: number, d2: number, v2: number): number {
  return d1 !== d2 ? d1 - d2 : v1 - v2;
}

function problem(m: InstrumentMatch, p: string): void {
  if (m.problems.length < 5) m.problems.push(`${m.id}: ${p}`);
}

/**
 * Matches the stored records of every instrument against the replay of the first
 * `sentCount` ticks: each stored record must be the sent tick with its key, field for
 * field, in order (so no duplicate, no reordering, no garbage); sent ticks without a
 * stored record are counted as missing (before, inside, after the stored run).
 */
export function matchStored(spec: SimSpec, sentCount: number, stored: Map<string, Segment[]>): MatchReport {
  const cursors = new Map<string, Cursor>();
  for (const inst of spec.instruments) {
    const segs = stored.get(inst.id) ?? [];
    const m: InstrumentMatch = {
      id: inst.id,
      matched: 0,
      stored: segs.reduce((a, s) => a + s.length, 0),
      sent: 0,
      missingBefore: 0,
      missingInside: 0,
      missingAfter: 0,
      byDate: {},
      problems: [],
    };
    const c: Cursor = { m, segs, seg: 0, i: 0, v: undefined };
    advance(c);
    cursors.set(inst.id, c);
  }
  replay(spec, sentCount, (t) => {
    const c = cursors.get(`${t.exchg}.${t.code}`)!;
    const m = c.m;
    m.sent++;
    const bd = (m.byDate[t.trading_date] ??= { stored: 0, sent: 0, sentChain: 0 });
    const want = fingerprint(t);
    bd.sent++;
    bd.sentChain = chain(bd.sentChain, want);
    // stored records before this tick's key were never sent
    while (c.v && cmpKey(c.v.trading_date as number, c.v.total_volume as number, t.trading_date, t.total_volume) < 0) {
      problem(
        m,
        `stored record ${c.i} of ${c.segs[c.seg]!.label} (trading_date ${String(c.v.trading_date)}, total_volume ${String(c.v.total_volume)}) is not a sent tick (duplicate, out of order or garbage)`,
      );
      c.i++;
      advance(c);
    }
    if (c.v && cmpKey(c.v.trading_date as number, c.v.total_volume as number, t.trading_date, t.total_volume) === 0) {
      if (fingerprint(c.v) !== want)
        problem(
          m,
          `stored record ${c.i} of ${c.segs[c.seg]!.label} differs from the sent tick ${t.trading_date}/${t.total_volume} in some field`,
        );
      m.matched++;
      bd.stored++;
      c.i++;
      advance(c);
      return;
    }
    if (m.matched === 0) m.missingBefore++;
    else if (c.v) m.missingInside++;
    else m.missingAfter++;
  });
  const report: MatchReport = {
    sent: 0,
    stored: 0,
    matched: 0,
    missingBefore: 0,
    missingInside: 0,
    missingAfter: 0,
    instruments: new Map(),
    problems: [],
  };
  for (const c of cursors.values()) {
    const m = c.m;
    if (c.v)
      problem(
        m,
        `${m.stored - m.matched} stored records after the last sent tick matched (first: record ${c.i} of ${c.segs[c.seg]!.label}, total_volume ${String(c.v.total_volume)})`,
      );
    report.sent += m.sent;
    report.stored += m.stored;
    report.matched += m.matched;
    report.missingBefore += m.missingBefore;
    report.missingInside += m.missingInside;
    report.missingAfter += m.missingAfter;
    report.problems.push(...m.problems);
    report.instruments.set(m.id, m);
    for (const s of c.segs) s.close();
  }
  return report;
}

/** The sent count and chain of one instrument, by trading date (what each reader must have seen). */
export function expectedByDate(report: MatchReport, id: string): Record<number, { sent: number; chain: number }> {
  const m = report.instruments.get(id);
  const out: Record<number, { sent: number; chain: number }> = {};
  if (!m) return out;
  for (const [d, v] of Object.entries(m.byDate)) out[Number(d)] = { sent: v.sent, chain: v.sentChain };
  return out;
}

// The records of one instrument over a key range, as time-ordered segments of raw record bytes: historical days, finished real-time days and the live file, each record once.
//
// ORDER: trading dates ascending; records of a later trading date are later in time, and
// within a day records are in time-key order (format invariant 8), so the parts come in
// time order. Which source a date's records come from, and how the races with the
// recorder and compaction are met: src/read/instrument-days.ts (PRECEDENCE, RACES).
// A run of consecutive dates that one bar history alone holds is read at once (each of
// its chunks decoded once), as one Segment, or as a HistoryRun that decodeRun decodes
// straight into a columnar reader's columns.

import { assert } from '../assert.js';
import { BAR, Mem, minuteBarTime } from '../format/index.js';
import { ColumnPlan, type BarHistory, type ColumnSink } from '../his/index.js';
import { InstrumentDays } from './instrument-days.js';
import type { ReadKind } from './kinds.js';
import type { KeyRange } from './range.js';
import type { Listing } from './sources.js';

/** Time-ordered raw records of one instrument: one trading day, or a run of days of a bar history. */
export interface Segment {
  readonly exchange: string;
  readonly code: string;
  readonly kind: ReadKind;
  /** Whole records of the kind's layout, 8-aligned, in time order (a view: historical bytes decoded in memory, or the mapped rt file). */
  readonly records: Uint8Array;
  readonly count: number;
  /** Typed views over `records`: record i is at byte offset i * recordBytes. */
  readonly mem: Mem;
  /** Trading dates the segment covers. */
  readonly firstDate: number;
  readonly lastDate: number;
}

/**
 * Consecutive trading days that only a bar history holds, not decoded yet: a columnar
 * reader decodes them straight into its columns (BarHistory.readColumns) and keeps the
 * rows whose key is in range (decodeRun). `history` is open until the generator
 * that yielded the run moves on: use it before asking for the next part.
 */
export interface HistoryRun {
  readonly exchange: string;
  readonly code: string;
  readonly kind: ReadKind;
  readonly history: BarHistory;
  /** Trading dates of the run (every day of the history in [firstDate, lastDate]). */
  readonly firstDate: number;
  readonly lastDate: number;
}

/**
 * The records of instrument `code` of a listing whose keys are in [range.lo, range.hi),
 * as segments in time order. Files are opened as the generator runs and closed when it
 * ends (also when the consumer stops early).
 */
export function* instrumentSegments(listing: Listing, code: string, range: KeyRange): Generator<Segment> {
  yield* instrumentParts(listing, code, range, false) as Generator<Segment>;
}

/**
 * instrumentSegments, but with `lazyRuns` a run of days that only the bar history holds
 * comes as a HistoryRun (not decoded; its rows are NOT trimmed to the range yet) instead
 * of a Segment. Everything else (days of rt files, his day blocks, the live file) comes
 * as Segments, in the same time order.
 */
export function* instrumentParts(listing: Listing, code: string, range: KeyRange, lazyRuns: boolean): Generator<Segment | HistoryRun> {
  const days = new InstrumentDays(listing, code, range);
  try {
    const { dates, kind } = days;
    for (let i = 0; i < dates.length;) {
      const d = dates[i]!;
      const history = d <= range.lastDate ? days.historyOnly(d) : undefined;
      if (history) {
        const j = runEnd(days, history, i, range.lastDate);
        if (lazyRuns) yield { exchange: days.exchange, code, kind, history, firstDate: d, lastDate: dates[j]! };
        else {
          const s = segmentIn(days, range, history.read(d, dates[j]), d, dates[j]!);
          if (s) yield s;
        }
        i = j + 1;
        continue;
      }
      const bytes = days.read(d);
      // Past the last calendar date of the range, a trading day can still start before `to`
      // (a night session): read days until one starts at or after it.
      if (d > range.lastDate && bytes.length > 0 && kind.keyAt(new Mem(bytes), 0) >= range.hi) break;
      const s = segmentIn(days, range, bytes, d, d);
      if (s) yield s;
      i++;
    }
  } finally {
    days.close();
  }
}

/**
 * Index of the last date of the run that starts at days.dates[i]: the dates after it, up
 * to the range's last calendar date, that `history` alone holds too (a run never reaches
 * past the range's last date: the night-session look-ahead reads day by day).
 */
function runEnd(days: InstrumentDays, history: BarHistory, i: number, lastDate: number): number {
  const { dates } = days;
  let j = i;
  while (j + 1 < dates.length && dates[j + 1]! <= lastDate && days.historyOnly(dates[j + 1]!) === history) j++;
  return j;
}

/** The records of `bytes` (whole records in time-key order) whose key is in [range.lo, range.hi), as a Segment; undefined when none. */
function segmentIn(days: InstrumentDays, range: KeyRange, bytes: Uint8Array, firstDate: number, lastDate: number): Segment | undefined {
  const { kind } = days;
  const rs = kind.recordBytes;
  assert(bytes.length % rs === 0, 'a day or run of days holds whole records');
  let n = bytes.length / rs;
  if (n === 0) return undefined;
  let m = new Mem(bytes);
  const a = range.lo === -Infinity ? 0 : lowerBound(kind, m, n, range.lo);
  const b = range.hi === Infinity ? n : lowerBound(kind, m, n, range.hi);
  if (b <= a) return undefined;
  if (a > 0 || b < n) {
    bytes = bytes.subarray(a * rs, b * rs);
    m = new Mem(bytes);
    n = b - a;
  }
  return { exchange: days.exchange, code: days.code, kind, records: bytes, count: n, mem: m, firstDate, lastDate };
}

/** First index of `m`'s records (n of them) whose key is >= key. */
function lowerBound(kind: ReadKind, m: Mem, n: number, key: number): number {
  let lo = 0;
  let hi = n;
  const rs = kind.recordBytes;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (kind.keyAt(m, mid * rs) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------
// Columnar decode of a history run

const BAR_TIME = BAR.field('time').offset;
const BAR_DATE = BAR.field('date').offset;

/** Scratch key columns for a run whose reader does not ask for time or date (grow-only, reused up to SCRATCH_KEEP_ROWS rows; a longer run gets its own). */
let scratchTime = new Float64Array(0);
let scratchDate = new Uint32Array(0);
const SCRATCH_KEEP_ROWS = 1 << 20;

/**
 * Decodes the bars of `run` into the columns of `sinks` from row `dst` on, then keeps the
 * bars whose key is in [range.lo, range.hi), moved to rows [dst, dst + kept): returns
 * kept. The sinks must hold rows up to dst + run.history.rowCount(run.firstDate,
 * run.lastDate). The key is the one of ReadKind.keyAt for bars (time, or the date for a
 * day bar); when the sinks do not include time or date, they are decoded into scratch
 * windows of the run's rows. `checkRaw`: see BarHistory.readColumns.
 */
export function decodeRun(run: HistoryRun, range: KeyRange, sinks: readonly ColumnSink[], dst: number, checkRaw: boolean): number {
  assert(run.kind.isBar, `only bar histories come as runs, not ${run.kind.name}`);
  const h = run.history;
  const rows = h.rowCount(run.firstDate, run.lastDate);
  if (rows === 0) return 0;
  let time = sinks.find((x) => x.offset === BAR_TIME && x.type === 'u64');
  let date = sinks.find((x) => x.offset === BAR_DATE && x.type === 'u32');
  const all = [...sinks];
  if (!time) {
    if (scratchTime.length < rows && rows <= SCRATCH_KEEP_ROWS) scratchTime = new Float64Array(rows);
    const out = scratchTime.length >= rows ? scratchTime.subarray(0, rows) : new Float64Array(rows);
    all.push((time = { offset: BAR_TIME, type: 'u64', out, firstRow: dst }));
  }
  if (!date) {
    if (scratchDate.length < rows && rows <= SCRATCH_KEEP_ROWS) scratchDate = new Uint32Array(rows);
    const out = scratchDate.length >= rows ? scratchDate.subarray(0, rows) : new Uint32Array(rows);
    all.push((date = { offset: BAR_DATE, type: 'u32', out, firstRow: dst }));
  }
  const wrote = h.readColumns(run.firstDate, run.lastDate, new ColumnPlan(run.kind.recordBytes, all), dst, { checkRaw });
  assert(wrote === rows, `${h.path}: readColumns wrote ${wrote} bars, its day tables say ${rows}`);
  const T = time.out;
  const tf = time.firstRow ?? 0;
  const D = date.out;
  const df = date.firstRow ?? 0;
  // The key of ReadKind.keyAt for bars (src/format/kinds.ts), from the columns;
  // test/read/market.test.ts checks the rows kept against readBars, which uses keyAt.
  const keyAt = (r: number): number => {
    const t = T[r - tf]!;
    return t !== 0 ? t : minuteBarTime(D[r - df]!, 0);
  };
  const lowerBound = (key: number): number => {
    let lo = dst;
    let hi = dst + rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const a = range.lo === -Infinity ? dst : lowerBound(range.lo);
  const b = range.hi === Infinity ? dst + rows : lowerBound(range.hi);
  if (b <= a) return 0;
  if (a > dst) for (const x of sinks) x.out.copyWithin(dst - (x.firstRow ?? 0), a - (x.firstRow ?? 0), b - (x.firstRow ?? 0));
  return b - a;
}

// The records of one instrument over a key range, as time-ordered segments of raw record bytes: historical days, finished real-time days and the live file, each record once.
//
// ORDER AND PRECEDENCE, per trading date (ascending; records of a later trading date are
// later in time, and within a day records are in time-key order, format invariant 8):
// - his/ holds the day (a day block, or the day in the bar history): it is taken, and a
//   finished rt file of the same day (left by a compaction killed before it released
//   it; compaction checked that both hold the same records) is not read;
// - else the finished rt files of the day: <CODE>.dmb and <CODE>~<n>.dmb are merged in
//   time-key order, dropping a record byte-identical to one already taken with the same
//   key (compaction's rule, so a day reads the same before and after compaction);
// - the live file, for the trading date in its header, merged in the same way when
//   another source holds that date too (it does not in a root the recorder wrote).
// Day bars: his/day, else built from the day's last tick (finished or live tick files)
// as compaction builds them.
//
// RACES with the recorder and with compaction, which run meanwhile:
// - the live file is opened first; a roll (rename to the dated folder) after that leaves
//   the open file the same inode, whose size is loaded last, after the writer stopped
//   appending to it; a finished file with that inode is skipped;
// - a live file that rolled between the listing and its opening (another inode than the
//   listed one, or no file) makes the instrument be listed again;
// - a finished file removed by compaction after the listing is read from his/ instead
//   (compaction writes and checks his/ before it removes anything).

import fs from 'node:fs';
import path from 'node:path';
import { dayBarFromTicks } from '../his/index.js';
import { assert } from '../assert.js';
import { BAR, Mem, isCalendarDate, minuteBarTime, type RecordKind } from '../format/index.js';
import { BarHistory, ColumnPlan, hisDayFile, hisHistoryFile, readHisBlock, type ColumnSink } from '../his/index.js';
import { czceContractCode, isCzce3DigitCode, parseHisName, rtFilePath } from '../layout/index.js';
import { RtReader } from '../store/index.js';
import type { ReadKind } from './kinds.js';
import type { KeyRange } from './range.js';
import { listKind, type Listing } from './sources.js';

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

const EMPTY = new Uint8Array(new ArrayBuffer(0));

function isMissing(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === 'ENOENT' || e?.cause?.code === 'ENOENT';
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

/** Merges parts of one day in time-key order, stable by part, dropping byte-identical duplicates of a key (compaction's rule). */
export function mergeDay(kind: ReadKind, parts: readonly Uint8Array[]): Uint8Array {
  const full = parts.filter((p) => p.length > 0);
  if (full.length === 0) return EMPTY;
  if (full.length === 1) return full[0]!;
  const rs = kind.recordBytes;
  const items: { key: number; src: number; at: number }[] = [];
  full.forEach((p, src) => {
    const m = new Mem(p);
    for (let at = 0; at < p.length; at += rs) items.push({ key: kind.keyAt(m, at), src, at });
  });
  items.sort((a, b) => a.key - b.key || a.src - b.src || a.at - b.at);
  const out = new Uint8Array(new ArrayBuffer(items.length * rs));
  let n = 0;
  let lastKey = NaN;
  const sameKey: Buffer[] = [];
  for (const it of items) {
    const p = full[it.src]!;
    const rec = Buffer.from(p.buffer, p.byteOffset + it.at, rs);
    if (it.key !== lastKey) sameKey.length = 0;
    lastKey = it.key;
    if (sameKey.some((r) => r.equals(rec))) continue;
    sameKey.push(rec);
    out.set(rec, n * rs);
    n++;
  }
  return out.subarray(0, n * rs);
}

function openLive(file: string, kind: RecordKind): RtReader | undefined {
  if (!fs.existsSync(file)) return undefined; // the common case in a history-only root: no error object made
  try {
    return RtReader.open(file, { kind });
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** Published records of a finished rt file, or undefined when the file is gone (compacted meanwhile). */
function finishedRecords(file: string, kind: RecordKind, skipIno: number | undefined): Uint8Array | undefined {
  let r: RtReader;
  try {
    r = RtReader.open(file, { kind });
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  try {
    if (skipIno !== undefined && r.ino === skipIno) return EMPTY; // the live file, set aside meanwhile: read through the live reader
    return r.rawRecords(0, r.length);
  } finally {
    r.close();
  }
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
  const { kind, root, exchange } = listing;
  const rs = kind.recordBytes;
  const tickSide = kind.name === 'day';
  const rtKind = tickSide ? listing.ticks!.kind.rt! : kind.rt;
  // 1. The live file first: it pins the inode (see RACES above).
  const live = rtKind ? openLive(rtFilePath(root, rtKind, exchange, code), rtKind) : undefined;
  const histories: BarHistory[] = [];
  try {
    let src = tickSide ? listing.ticks! : listing;
    const listedIno = src.liveIno.get(code);
    if (listedIno !== undefined && live?.ino !== listedIno) {
      // Rolled since the listing (another file, or none yet): its day is in a dated folder the listing may not have seen.
      listing = listKind(root, kind, exchange, code, range);
      src = tickSide ? listing.ticks! : listing;
    }
    const conflict = listing.conflicts.get(code);
    if (conflict) throw conflict;
    const hisDays = listing.hisDays.get(code) ?? new Map<number, string>();
    const finished = src.finished.get(code) ?? new Map<number, string[]>();
    // The bar history of the code, and of a CZCE 3-digit code the older contracts' (one file
    // per real contract, src/compact/contract-history.ts): each trading date from the file
    // of the contract the code names on it.
    const historyFiles = [listing.histories.get(code), ...(listing.retired.get(code) ?? [])].filter((f) => f !== undefined);
    for (const f of historyFiles) histories.push(BarHistory.open(f, kind.his));
    const histOf = historyByDate(histories, root, exchange, code);
    const histDays = new Set(histOf.keys());
    const liveDate = live && live.length > 0 ? live.date : undefined;
    const all = new Set<number>([...hisDays.keys(), ...histDays, ...finished.keys()]);
    if (liveDate !== undefined) all.add(liveDate);
    const dates = [...all].filter((d) => d >= range.firstDate).sort((a, b) => a - b);
    const liveIno = live?.ino;

    const fromHistory = (d: number) => histDays.has(d) && (tickSide || d !== liveDate);

    /** Re-reads day d from his/ after its finished rt file vanished (compacted meanwhile). */
    const fromHisAgain = (d: number): Uint8Array => {
      if (kind.his.layout === 'daily') {
        const f = hisDayFile(root, kind.his, exchange, d, code);
        return f !== undefined ? readHisBlock(f, { expected: kind.his }).records : EMPTY;
      }
      const files = [hisHistoryFile(root, kind.his, exchange, code)];
      if (isCzce3DigitCode(exchange, code) && isCalendarDate(d))
        files.unshift(hisHistoryFile(root, kind.his, exchange, czceContractCode(code, d)));
      for (const f of files) {
        if (f === undefined) continue;
        const h = BarHistory.open(f, kind.his);
        try {
          const day = h.readDay(d);
          if (day) return day;
        } finally {
          h.close();
        }
      }
      return EMPTY;
    };

    /** Raw records of trading date d (not from the history run path). */
    const readDate = (d: number): Uint8Array => {
      if (tickSide) return dayBarOf(d);
      const parts: Uint8Array[] = [];
      const hd = hisDays.get(d);
      if (hd !== undefined) parts.push(readHisBlock(hd, { expected: kind.his }).records);
      else if (histDays.has(d)) parts.push(histOf.get(d)!.read(d, d));
      else {
        for (const f of finished.get(d) ?? []) {
          const recs = finishedRecords(f, rtKind!, liveIno);
          if (recs === undefined) {
            parts.length = 0;
            parts.push(fromHisAgain(d));
            break;
          }
          parts.push(recs);
        }
      }
      if (live && d === liveDate) parts.push(live.rawRecords(0, live.length));
      return mergeDay(kind, parts);
    };

    /** Day bar of trading date d: his/day, else from the last tick of the day's tick files. */
    const dayBarOf = (d: number): Uint8Array => {
      if (histDays.has(d)) return histOf.get(d)!.read(d, d);
      const tickKind = rtKind!;
      const tickRs = tickKind.recordBytes;
      let last: Uint8Array | undefined;
      let lastKey = -Infinity;
      const consider = (recs: Uint8Array) => {
        if (recs.length === 0) return;
        const m = new Mem(recs);
        const at = recs.length - tickRs;
        const k = tickKind.keyAt(m, at);
        if (k >= lastKey) {
          lastKey = k;
          last = recs.subarray(at);
        }
      };
      for (const f of finished.get(d) ?? []) {
        const recs = finishedRecords(f, tickKind, liveIno);
        if (recs === undefined) return fromHisAgain(d); // compacted meanwhile: its day bar is in his/day now
        consider(recs);
      }
      if (live && d === liveDate) consider(live.rawRecords(0, live.length));
      return last ? dayBarFromTicks(last, d) : EMPTY;
    };

    const segment = (bytes: Uint8Array, firstDate: number, lastDate: number): Segment | undefined => {
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
      return { exchange, code, kind, records: bytes, count: n, mem: m, firstDate, lastDate };
    };

    for (let i = 0; i < dates.length;) {
      const d = dates[i]!;
      if (d <= range.lastDate && fromHistory(d)) {
        // A run of days only the history holds: one read, which decodes each chunk once.
        let j = i;
        const history = histOf.get(d)!;
        while (
          j + 1 < dates.length &&
          dates[j + 1]! <= range.lastDate &&
          fromHistory(dates[j + 1]!) &&
          histOf.get(dates[j + 1]!) === history
        )
          j++;
        if (lazyRuns) yield { exchange, code, kind, history, firstDate: d, lastDate: dates[j]! };
        else {
          const s = segment(history.read(d, dates[j]), d, dates[j]!);
          if (s) yield s;
        }
        i = j + 1;
        continue;
      }
      const bytes = fromHistory(d) ? histOf.get(d)!.read(d, d) : readDate(d);
      // Past the last calendar date of the range, a trading day can still start before `to`
      // (a night session): read days until one starts at or after it.
      if (d > range.lastDate && bytes.length > 0 && kind.keyAt(new Mem(bytes), 0) >= range.hi) break;
      const s = segment(bytes, d, d);
      if (s) yield s;
      i++;
    }
  } finally {
    live?.close();
    for (const h of histories) h.close();
  }
}

/**
 * Trading date → the bar history that holds it. One history: each of its days. Several
 * (a CZCE 3-digit code and its retired contracts): a day held by more than one comes
 * from the file of the contract the code names on that date (src/layout/czce.ts), so
 * the datakit-named file never lends a day to another contract.
 */
function historyByDate(histories: readonly BarHistory[], root: string, exchange: string, code: string): Map<number, BarHistory> {
  const out = new Map<number, BarHistory>();
  const czce = histories.length > 1 && isCzce3DigitCode(exchange, code);
  for (const h of histories) {
    for (const { date } of h.days()) {
      const had = out.get(date);
      if (had === undefined) out.set(date, h);
      else if (czce && isCalendarDate(date) && parseHisName(path.basename(h.path)) === czceContractCode(code, date)) out.set(date, h);
    }
  }
  return out;
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

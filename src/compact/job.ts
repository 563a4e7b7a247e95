// The end-of-day job: every finished real-time day becomes historical blocks (ticks, trades) or a day of a bar history; checked, durable, then the real-time files are released.
//
// ORDER, per instrument-day (the promise that no published record is ever destroyed):
//   1. read the finished rt file(s) of the day (never a live file);
//   2. ticks/trades: write his/<folder>/<EXCHG>/<DATE>/<CODE>.tsb (temporary name, fsync,
//      rename, fsync folder); bars: append the day to his/<folder>/<EXCHG>/<CODE>.tsb;
//      ticks also append the day bar (from the last tick) to his/day/<EXCHG>/<CODE>.tsb
//      (.tsb: tickrec's LZ4 formats; --codec zstd writes datakit's, named .dsb; an
//      existing history keeps its format and name: src/his/names.ts);
//      a CZCE 3-digit code's history holds one real contract (contract-history.ts);
//   3. read what was written back from disk, decode it, and compare it byte for byte with
//      the records of step 1;
//   4. only then remove the rt file(s) (and the dated folder when empty), fsync the folder.
// A kill at any instant leaves either the rt file (the next run redoes the day, producing
// the same bytes: output depends only on the records, never on the clock) or the his
// data complete and checked (the next run finds the rt file gone). A his file that
// already holds the day with the same records counts as done; with other records the day
// is refused and its rt files kept.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { RT_HEADER_BYTES, TICK_KIND, mergeByKey, type RecordKind } from '../format/index.js';
import {
  DAY_HIS_KIND,
  BarHistory,
  appendBarDay,
  dayBlockBytes,
  hisDayFile,
  hisExtOfCodec,
  historyUndo,
  readAt,
  readHisBlock,
  removeDirIfEmpty,
  removeDurable,
  writeDayBlock,
  type HisCodec,
} from '../his/index.js';
import { czceContractCode, hisDayPath, isCzce3DigitCode } from '../layout/index.js';
import { historyFileFor } from './contract-history.js';
import { checkReadable, probeRtFile, publishedRecords } from '../store/index.js';
import { dayBarFromTicks } from '../his/index.js';
import { acquireCompactLock } from './lock.js';
import { scanRoot, type DayWork, type LiveFile } from './scan.js';

export interface CompactOptions {
  root: string;
  /** Only this trading date (refused when a live file holds it). */
  date?: number;
  codec?: HisCodec;
  dryRun?: boolean;
  /** Told after each instrument-day. */
  onProgress?: (p: CompactProgress) => void;
  /** Plain log lines (warnings, refusals). */
  onLog?: (line: string) => void;
  /** Test hook: told of each durable step; a crash test kills the process there. */
  onStep?: (step: string) => void;
}

export interface CompactProgress {
  done: number;
  total: number;
  bytesIn: number;
  totalBytesIn: number;
  current: string;
}

export interface CompactFailure {
  file: string;
  code: string;
  message: string;
}

export interface CompactSummary {
  /** Distinct trading dates compacted. */
  days: number;
  /** Instrument-days compacted (or found already compacted and released). */
  instrumentDays: number;
  /** Real-time files released (or, with dryRun, that would be). */
  files: number;
  /** Raw record bytes read from rt files. */
  bytesIn: number;
  /** Bytes written to his files (day blocks; chunk, index and meta bytes of histories). */
  bytesOut: number;
  /** Records compacted. */
  records: number;
  /** Instrument-days whose his data was already there (a resumed run). */
  alreadyDone: number;
  seconds: number;
  failures: CompactFailure[];
  dryRun: boolean;
  /** Work that a dry run would do: one line per instrument-day. */
  planned: string[];
}

function readRtRecords(file: string, kind: RecordKind, date: number): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw ioError(err, file, 'open for reading');
  }
  try {
    const p = probeRtFile(fd, file, kind);
    checkReadable(p);
    // Bars are dated by their records (rtTradingDate): datakit stamps a bar file's header
    // with its creation date, so only ticks and trades must agree with their folder.
    if (!kind.datedByRecords && p.header.date !== date) {
      throw new TickrecError(
        'E_CORRUPT',
        `${file}: header date ${p.header.date} but the file is in the folder of ${date}; move it to the folder of its date (or fix the header), then run compact again.`,
        { file },
      );
    }
    return readAt(fd, RT_HEADER_BYTES, p.header.size * kind.recordBytes, file);
  } finally {
    fs.closeSync(fd);
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0
  );
}

/**
 * The records of an instrument-day from its finished files. One file: as is. Several (a
 * replayed day): merged by the day-merge rule (src/format/merge.ts), the reader's too.
 */
function dayRecords(w: DayWork): { records: Uint8Array; dropped: number } {
  return mergeByKey(
    w.rt,
    w.files.map((f) => readRtRecords(f, w.rt, w.date)),
  );
}

function refuseLiveDate(live: readonly LiveFile[], date: number): void {
  const owned = live.filter((l) => l.date === date);
  if (owned.length === 0) return;
  const names = owned
    .slice(0, 5)
    .map((l) => l.path)
    .join(', ');
  throw new TickrecError(
    'E_USAGE',
    `trading day ${date} is still owned by the recorder: ${names}${owned.length > 5 ? ` and ${owned.length - 5} more` : ''} ` +
      `${owned.length === 1 ? 'is a live file' : 'are live files'} of that day. Compaction takes a day only after the recorder set it aside ` +
      `in rt/<kind>/<EXCHG>/${date}/ (it does so when the trading day ends); run compact again after that.`,
    { file: owned[0]!.path },
  );
}

interface ItemResult {
  bytesOut: number;
  already: boolean;
}

/** Ticks or trades: the day block, read back, and for ticks the day bar. */
function compactDaily(
  root: string,
  w: DayWork,
  records: Uint8Array,
  codec: HisCodec,
  onStep?: (s: string) => void,
  onLog?: (line: string) => void,
): ItemResult {
  // A day already compacted is found under either name (an older tickrec's .dsb too: it is only read here).
  const existing = hisDayFile(root, w.his, w.exchg, w.date, w.code);
  const target = existing ?? hisDayPath(root, w.his, w.exchg, w.date, w.code, hisExtOfCodec(codec));
  let bytesOut = 0;
  let already = false;
  if (existing !== undefined) {
    const have = readHisBlock(target, { expected: w.his });
    if (!bytesEqual(have.records, records)) {
      throw new TickrecError(
        'E_CORRUPT',
        `${target}: already holds ${have.count} ${w.his.name} records of ${w.date}, not the ${records.length / w.rt.recordBytes} of ${w.files.join(', ')}; ` +
          'nothing was changed and the real-time files are kept. Compare them (tickrec verify --deep, tickrec cat), then remove the wrong one.',
        { file: target },
      );
    }
    already = true;
  } else {
    bytesOut += writeDayBlock(target, dayBlockBytes(w.his, w.date, records, codec), onStep);
    // Records compared byte for byte: stronger than the raw CRC, which is therefore skipped here.
    const back = readHisBlock(target, { expected: w.his, checkRaw: false });
    if (!bytesEqual(back.records, records) || back.date !== w.date) {
      throw new TickrecError(
        'E_CORRUPT',
        `${target}: read back, it does not hold the records just written; the real-time files are kept. Check the disk.`,
        { file: target },
      );
    }
  }
  if (w.rt === TICK_KIND && records.length > 0)
    bytesOut += appendToHistories(root, w, DAY_HIS_KIND, [{ date: w.date, bars: dayBarFromTicks(records, w.date) }], codec, onStep, onLog);
  return { bytesOut, already };
}

/**
 * The bars of a finished bar file split by trading date (their `date` field), in order.
 * A date that comes back after another one is refused: the records are out of order.
 */
function barDays(w: DayWork, records: Uint8Array): { date: number; bars: Uint8Array }[] {
  const rb = w.rt.recordBytes;
  const dv = new DataView(records.buffer, records.byteOffset, records.length);
  const out: { date: number; bars: Uint8Array }[] = [];
  let from = 0;
  for (let at = 0; at <= records.length; at += rb) {
    const date = at < records.length ? dv.getUint32(at + w.rt.tradingDateOffset, true) : -1;
    const prev = from < at ? dv.getUint32(from + w.rt.tradingDateOffset, true) : date;
    if (date === prev && at < records.length) continue;
    if (from < at) {
      if (out.some((d) => d.date === prev)) {
        throw new TickrecError(
          'E_CORRUPT',
          `${w.files.join(', ')}: bars of trading day ${prev} come again after bars of another day; the records are out of order. ` +
            'Nothing was changed; check the file with tickrec cat, then fix or remove it.',
          { file: w.files[0]! },
        );
      }
      out.push({ date: prev, bars: records.subarray(from, at) });
    }
    from = at;
  }
  return out;
}

/**
 * Appends days to the bar histories they belong to (one file per real contract:
 * contract-history.ts), consecutive days of one file together.
 */
function appendToHistories(
  root: string,
  w: DayWork,
  his: typeof DAY_HIS_KIND,
  days: readonly { date: number; bars: Uint8Array }[],
  codec: HisCodec,
  onStep?: (s: string) => void,
  onLog?: (line: string) => void,
): number {
  let bytes = 0;
  const contract = (date: number) => (isCzce3DigitCode(w.exchg, w.code) ? czceContractCode(w.code, date) : w.code);
  for (let i = 0; i < days.length;) {
    let j = i + 1;
    while (j < days.length && contract(days[j]!.date) === contract(days[i]!.date)) j++;
    const file = historyFileFor(root, his, w.exchg, w.code, days[i]!.date, codec, onStep, onLog);
    bytes += appendDaysChecked(file, w, his, days.slice(i, j), codec, onStep);
    i = j;
  }
  return bytes;
}

/**
 * Appends days to a bar history, reading each back; when anything fails, the history is
 * put back exactly as it was before the first of them (historyUndo), so a rerun neither
 * misses nor doubles a day.
 */
function appendDaysChecked(
  file: string,
  w: DayWork,
  his: typeof DAY_HIS_KIND,
  days: readonly { date: number; bars: Uint8Array }[],
  codec: HisCodec,
  onStep?: (s: string) => void,
): number {
  const undo = historyUndo(file);
  let bytes = 0;
  try {
    for (const d of days) bytes += appendChecked(file, { ...w, date: d.date }, his, d.bars, codec, onStep);
  } catch (err) {
    undo.restore();
    onStep?.('history-restored');
    throw err;
  }
  undo.discard();
  return bytes;
}

/** Appends a day to a bar history and reads it back. */
function appendChecked(
  file: string,
  w: DayWork,
  his: typeof DAY_HIS_KIND,
  bars: Uint8Array,
  codec: HisCodec,
  onStep?: (s: string) => void,
): number {
  const r = appendBarDay(file, his, w.date, bars, { codec, ...(onStep ? { onStep } : {}) });
  onStep?.('history-appended');
  const h = BarHistory.open(file, his);
  try {
    const back = h.readDay(w.date);
    if (!back || !bytesEqual(back, bars)) {
      throw new TickrecError(
        'E_CORRUPT',
        `${file}: read back, day ${w.date} does not hold the bars just appended; the real-time files are kept. Check the disk.`,
        { file },
      );
    }
  } finally {
    h.close();
  }
  return r.bytesWritten;
}

function release(w: DayWork, onStep?: (s: string) => void): void {
  for (const f of w.files) {
    removeDurable(f);
    onStep?.('rt-removed');
  }
  for (const dir of new Set(w.files.map((f) => path.dirname(f)))) if (removeDirIfEmpty(dir)) onStep?.('rt-folder-removed');
}

/** Runs the compaction of `opts.root`. Throws for refusals (live day, lock); per-day failures are in the summary. */
export function runCompaction(opts: CompactOptions): CompactSummary {
  const t0 = performance.now();
  const codec = opts.codec ?? 'lz4';
  const log = opts.onLog ?? (() => {});
  if (!fs.existsSync(path.join(opts.root))) {
    throw new TickrecError('E_USAGE', `${opts.root}: no such data root; check --root.`, { file: opts.root });
  }
  const lock = opts.dryRun ? undefined : acquireCompactLock(opts.root, log);
  try {
    const scan = scanRoot(opts.root, opts.date);
    if (opts.date !== undefined) refuseLiveDate(scan.live, opts.date);
    for (const s of scan.skipped) log(`skipped ${s.file}: ${s.why}`);
    const liveKey = new Set(scan.live.map((l) => `${l.rt.name}/${l.exchg}/${l.code}/${l.date}`));
    const work = scan.work.filter((w) => {
      if (!liveKey.has(`${w.rt.name}/${w.exchg}/${w.code}/${w.date}`)) return true;
      log(`skipped ${w.files.join(', ')}: the live file of ${w.exchg}.${w.code} still holds day ${w.date} (the recorder owns that day)`);
      return false;
    });
    const summary: CompactSummary = {
      days: 0,
      instrumentDays: 0,
      files: 0,
      bytesIn: 0,
      bytesOut: 0,
      records: 0,
      alreadyDone: 0,
      seconds: 0,
      failures: [],
      dryRun: !!opts.dryRun,
      planned: [],
    };
    // A folder that cannot be read hides days that may need compacting: a failure, never "nothing to do".
    for (const u of scan.unreadable) {
      summary.failures.push({
        file: u.file,
        code: 'E_IO',
        message: `${u.why} Its days were not compacted; fix the permissions and run again.`,
      });
      log(`FAILED ${u.file}: ${u.why}`);
    }
    const totalBytesIn = work.reduce((a, w) => a + publishedBytes(w), 0);
    const dates = new Set<number>();
    let done = 0;
    for (const w of work) {
      const label = `${w.his.folder}/${w.exchg}/${w.date}/${w.code}`;
      try {
        if (opts.dryRun) {
          // The bytes of the published records, as the real run counts them (not the files' reserved capacity).
          const bytes = publishedBytes(w);
          summary.planned.push(`${label}: ${w.files.length} file(s), ${bytes} bytes`);
          summary.files += w.files.length;
          summary.bytesIn += bytes;
          dates.add(w.date);
          summary.instrumentDays++;
        } else {
          const { records, dropped } = dayRecords(w);
          if (dropped > 0) log(`${label}: ${w.files.length} files of the same day merged, ${dropped} duplicate records dropped`);
          let r: ItemResult;
          if (w.his.layout === 'daily') r = compactDaily(opts.root, w, records, codec, opts.onStep, log);
          else {
            const days = barDays(w, records);
            const owned = days.find((d) => liveKey.has(`${w.rt.name}/${w.exchg}/${w.code}/${d.date}`));
            if (owned) {
              log(
                `skipped ${w.files.join(', ')}: it holds bars of trading day ${owned.date}, which the live file of ${w.exchg}.${w.code} ` +
                  'still records (a bar file set aside under another date by an older tickrec: run tickrec migrate)',
              );
              done++;
              continue;
            }
            if (days.some((d) => d.date !== w.date))
              log(`${label}: bars of trading day(s) ${days.map((d) => d.date).join(', ')} (a bar file is dated by its records)`);
            r = {
              bytesOut: appendToHistories(opts.root, w, w.his, days, codec, opts.onStep, log),
              already: false,
            };
          }
          release(w, opts.onStep);
          summary.bytesIn += records.length;
          summary.bytesOut += r.bytesOut;
          summary.records += records.length / w.rt.recordBytes;
          summary.files += w.files.length;
          summary.instrumentDays++;
          if (r.already) summary.alreadyDone++;
          dates.add(w.date);
        }
      } catch (err) {
        if (!(err instanceof TickrecError)) throw err;
        summary.failures.push({ file: err.file ?? w.files[0]!, code: err.code, message: err.message });
        log(`FAILED ${label}: ${err.code}: ${err.message}`);
        if (err.code === 'E_NO_SPACE') break; // the next day would fail the same way; nothing was lost
      }
      done++;
      opts.onProgress?.({ done, total: work.length, bytesIn: summary.bytesIn, totalBytesIn, current: label });
    }
    summary.days = dates.size;
    summary.seconds = (performance.now() - t0) / 1000;
    return summary;
  } finally {
    lock?.release();
  }
}

/** Bytes of the records published in the real-time files of `w` (a file that cannot be read counts 0: the real run reports why). */
function publishedBytes(w: DayWork): number {
  return w.files.reduce((b, f) => b + (publishedRecords(f) ?? 0) * w.his.recordBytes, 0);
}

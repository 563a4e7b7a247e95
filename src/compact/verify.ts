// tickrec verify: every historical file checked (header, flag, version, record size, checksums; --deep decodes all: time order, duplicates), plus gaps in the calendar and finished days never compacted.
//
// Without --deep a tickrec file is checked down to the CRC of its stored payload (any
// flipped bit in a tickrec file is found); datakit zstd files have no checksum, so only
// their header, length and frame header are checked unless --deep decompresses them.
// With --deep every record is decoded and its CRC, time order (non-decreasing keys; bars:
// strictly increasing), duplicates (ticks/trades: a record byte-identical to the one
// before it; bars: the same time twice), trading date and instrument are checked.

import path from 'node:path';
import { RtReader } from '../store/index.js';
import { isTradingDay, addDays, type SessionBook } from '../calendar/index.js';
import { TickrecError } from '../errors.js';
import { Mem, TRADE, isCalendarDate, isTradeType } from '../format/index.js';
import {
  BarHistory,
  HIS_BLOCK_HEADER,
  HIS_KINDS,
  crc32,
  decodeDayBlock,
  groupHisNames,
  hisHistoryFile,
  hisNameProblem,
  parseBlockHead,
  readWhole,
  twoFiles,
  zstdFrameInfo,
  type HisKind,
} from '../his/index.js';
import {
  CZCE_EXCHANGE,
  czceContractCode,
  czceShortCode,
  isCzce3DigitCode,
  hisDayPath,
  hisHistoryPath,
  hisDir,
  hisKindDir,
  isTmpName,
  parseDateFolder,
  parseHisName,
  rtFileFolders,
  RT_EXT,
  HIS_EXT,
  TICKREC_HIS_EXT,
} from '../layout/index.js';
import { list, scanRoot, type Unreadable } from './scan.js';

export interface VerifyOptions {
  root: string;
  date?: number;
  deep?: boolean;
  sessions: SessionBook;
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface VerifyProblem {
  file: string;
  problem: string;
}

export interface VerifyReport {
  /** Every file checked: historical + finished + live. */
  files: number;
  /** Files under his/ (compacted days and bar histories). */
  historical: number;
  /** Real-time files of finished days not yet compacted (rt/<kind>/<EXCHG>/<YYYYMMDD>/). */
  finished: number;
  /** Live real-time files (rt/<kind>/<EXCHG>/<CODE>.dmb, rt/closed/). */
  live: number;
  records: number;
  problems: VerifyProblem[];
}

interface Present {
  /** his kind → "EXCHG/CODE" → dates with data. */
  dates: Map<HisKind, Map<string, Set<number>>>;
}

/**
 * Notes that `exchg`.`code` has `kind` data on `date`. A CZCE 3-digit code is noted per
 * real contract (src/layout/czce.ts): SR505 of 2015 and of 2025 are two instruments, so
 * the ten years between them are no gap.
 */
function note(p: Present, kind: HisKind, exchg: string, code: string, date: number): void {
  let byInst = p.dates.get(kind);
  if (!byInst) p.dates.set(kind, (byInst = new Map<string, Set<number>>()));
  const contract = isCzce3DigitCode(exchg, code) && isCalendarDate(date) ? czceContractCode(code, date) : code;
  const id = `${exchg}/${code}/${contract}`;
  let s = byInst.get(id);
  if (!s) byInst.set(id, (s = new Set()));
  s.add(date);
}

function describe(err: unknown): string {
  return err instanceof TickrecError ? `${err.code}: ${err.message}` : `internal error: ${(err as Error)?.message ?? String(err)}`;
}

/** Checks the records of one day or history: order, duplicates, dates, instrument. */
function checkRecords(
  kind: HisKind,
  records: Uint8Array,
  file: string,
  expect: { date?: number; exchg?: string; code?: string },
  problems: VerifyProblem[],
): void {
  const rb = kind.recordBytes;
  const n = records.length / rb;
  const m = new Mem(records.byteOffset % 8 === 0 ? records : records.slice());
  const dv = new DataView(m.u8.buffer, m.u8.byteOffset, m.u8.length);
  let prev = -Infinity;
  let disorder = 0;
  let dups = 0;
  let wrongDate = 0;
  let firstBad = -1;
  const bar = kind.layout === 'history';
  for (let i = 0; i < n; i++) {
    const o = i * rb;
    const k = kind.keyAt(m, o);
    if (k < prev) {
      disorder++;
      if (firstBad < 0) firstBad = i;
    } else if (k === prev && (bar || Buffer.compare(m.u8.subarray(o - rb, o), m.u8.subarray(o, o + rb)) === 0)) dups++;
    prev = k;
    if (expect.date !== undefined && dv.getUint32(o + kind.dateOffset, true) !== expect.date) wrongDate++;
  }
  if (disorder > 0) problems.push({ file, problem: `${disorder} records out of time order (first at record ${firstBad})` });
  if (dups > 0)
    problems.push({ file, problem: `${dups} duplicate records (${bar ? 'the same bar time twice' : 'identical to the record before'})` });
  if (wrongDate > 0) problems.push({ file, problem: `${wrongDate} records have another trading date than ${expect.date}` });
  if (kind.name === 'trade') {
    const at = TRADE.field('ttype').offset;
    let bad = 0;
    let example = 0;
    for (let o = 0; o < records.length; o += rb) {
      const t = dv.getUint32(o + at, true);
      if (!isTradeType(t)) {
        if (bad === 0) example = t;
        bad++;
      }
    }
    if (bad > 0)
      problems.push({
        file,
        problem:
          `${bad} trades with a ttype other than datakit's 'M' (77), 'C' (67), 'U' (85), e.g. ${example}` +
          (example <= 1 ? ' (tickrec before 2026-12 wrote 0 for a normal trade and 1 for a cancel)' : ''),
      });
  }
  if (!bar && n > 0 && expect.code !== undefined && kind.rt) {
    // the names as the struct's field table reads them (char[] up to the NUL)
    const code = String(kind.rt.codec.fieldReader('code')(m, 0));
    const exchg = String(kind.rt.codec.fieldReader('exchg')(m, 0));
    if (code !== expect.code || exchg !== expect.exchg)
      problems.push({ file, problem: `records are of ${exchg}.${code}, the path says ${expect.exchg}.${expect.code}` });
  }
}

function verifyDayFile(
  file: string,
  kind: HisKind,
  exchg: string,
  date: number,
  code: string,
  deep: boolean,
  problems: VerifyProblem[],
): number {
  const bytes = readWhole(file);
  const head = parseBlockHead(bytes, file);
  const misnamed = hisNameProblem(file, head.format);
  if (misnamed) problems.push({ file, problem: misnamed });
  if (head.kind !== kind) {
    problems.push({ file, problem: `holds ${head.kind.name} records (type ${head.type}) in the ${kind.folder} folder` });
    return 0;
  }
  if (head.format === 'tickrec') {
    const h = head.fields;
    if (h.date !== date) problems.push({ file, problem: `header date ${h.date}, folder ${date}` });
    if (h.record_bytes !== kind.recordBytes)
      problems.push({ file, problem: `record size ${h.record_bytes}, ${kind.name} records are ${kind.recordBytes}` });
    if (!deep) {
      const expected = HIS_BLOCK_HEADER.size + h.payload_bytes!;
      if (bytes.length !== expected) problems.push({ file, problem: `${bytes.length} bytes, the header says ${expected}` });
      else if (crc32(bytes.subarray(HIS_BLOCK_HEADER.size)) !== h.payload_crc32)
        problems.push({
          file,
          problem: 'E_CHECKSUM: the checksum of the payload does not match (the bytes changed after they were written)',
        });
      return h.record_count!;
    }
  } else if (head.format === 'datakit-zstd' && !deep) {
    const size = head.fields.size!;
    if (bytes.length !== 20 + size) problems.push({ file, problem: `${bytes.length} bytes, BlockHeaderV2 says 20 + ${size}` });
    const info = zstdFrameInfo(bytes.subarray(20));
    if (!info) problems.push({ file, problem: 'the payload is not a zstd frame' });
    else if (info.contentSize === undefined) problems.push({ file, problem: 'zstd frame without content size' });
    else if (info.contentSize % kind.recordBytes !== 0)
      problems.push({ file, problem: `zstd content size ${info.contentSize} is not whole records of ${kind.recordBytes}` });
    return info?.contentSize ? info.contentSize / kind.recordBytes : 0;
  } else if (head.format === 'container') {
    problems.push({ file, problem: 'a bar-history container in a day folder' });
    return 0;
  }
  const d = decodeDayBlock(bytes, file);
  checkRecords(kind, d.records, file, { date, exchg, code }, problems);
  return d.count;
}

function verifyHistory(
  file: string,
  kind: HisKind,
  exchg: string,
  code: string,
  deep: boolean,
  onlyDate: number | undefined,
  present: Present,
  problems: VerifyProblem[],
): number {
  const h = BarHistory.open(file, kind);
  try {
    const misnamed = hisNameProblem(file, h.format);
    if (misnamed) problems.push({ file, problem: misnamed });
    if (h.format === 'container') {
      const meta = h.meta!;
      const other = h.slots[1 - meta.slot]!;
      if (typeof other === 'string' && other !== 'empty')
        problems.push({ file, problem: `meta slot ${1 - meta.slot} is not valid (${other}); the next append rewrites it` });
      else if (typeof other !== 'string' && other.generation !== meta.generation - 1)
        problems.push({ file, problem: `meta slot ${other.slot} holds generation ${other.generation}, expected ${meta.generation - 1}` });
      if (h.fileBytes !== meta.end)
        problems.push({
          file,
          problem: `${h.fileBytes - meta.end} bytes past the committed end (an interrupted append; the next append cuts them off)`,
        });
    }
    const days = h.days();
    checkContracts(file, exchg, code, days, problems);
    for (let i = 1; i < days.length; i++)
      if (days[i]!.date === days[i - 1]!.date) problems.push({ file, problem: `trading day ${days[i]!.date} twice` });
    for (const d of days) note(present, kind, exchg, code, d.date);
    if (deep || h.format === 'container') {
      // Containers: every chunk's payload CRC even without --deep (decoding is what --deep adds).
      const lo = onlyDate ?? 0;
      const hi = onlyDate ?? 99999999;
      const all = deep ? h.read(lo, hi) : (h.checkStored(), new Uint8Array(0));
      if (deep) {
        checkRecords(kind, all, file, {}, problems);
        const m = new Mem(all.byteOffset % 8 === 0 ? all : all.slice());
        let at = 0;
        for (const d of days.filter((x) => x.date >= lo && x.date <= hi)) {
          let bad = 0;
          for (let i = 0; i < d.count; i++, at += kind.recordBytes) if (m.u32[(at + kind.dateOffset) >>> 2] !== d.date) bad++;
          if (bad > 0) problems.push({ file, problem: `day ${d.date}: ${bad} bars carry another trading date` });
        }
      }
    }
    return onlyDate === undefined ? h.recordCount : days.reduce((n, d) => n + (d.date === onlyDate ? d.count : 0), 0);
  } finally {
    h.close();
  }
}

/**
 * A bar history of a CZCE contract holds that one contract (docs/history.md "One history
 * per contract"): the 3-digit name X.dsb the days of one contract, a 4-digit name C.dsb
 * only days on which its 3-digit name names C.
 */
function checkContracts(file: string, exchg: string, code: string, days: readonly { date: number }[], problems: VerifyProblem[]): void {
  if (exchg !== CZCE_EXCHANGE) return;
  const short = isCzce3DigitCode(exchg, code) ? code : czceShortCode(code);
  if (short === undefined) return;
  const byContract = new Map<string, number[]>();
  for (const d of days) {
    if (!isCalendarDate(d.date)) continue; // reported by the date checks
    const c = czceContractCode(short, d.date);
    let l = byContract.get(c);
    if (!l) byContract.set(c, (l = []));
    l.push(d.date);
  }
  const span = (c: string) => {
    const l = byContract.get(c)!;
    return `${c} (${l.length} day${l.length === 1 ? '' : 's'}, ${l[0]}..${l[l.length - 1]})`;
  };
  if (short === code && byContract.size > 1)
    problems.push({
      file,
      problem:
        `holds the bars of ${byContract.size} contracts named ${code}: ${[...byContract.keys()].map(span).join(', ')} ` +
        '(CZCE reuses a 3-digit code every ten years; an older writer merged them): split it with tickrec migrate --split-czce',
    });
  const foreign = [...byContract.keys()].filter((c) => c !== code);
  if (short !== code && foreign.length > 0)
    problems.push({
      file,
      problem: `is the history of contract ${code} but holds days on which ${short} names another contract: ${foreign.map(span).join(', ')}`,
    });
}

/** Verifies every historical file under `root` (or those of one date), then the gaps. */
export function verifyRoot(opts: VerifyOptions): VerifyReport {
  const problems: VerifyProblem[] = [];
  const present: Present = { dates: new Map() };
  const jobs: (() => number)[] = [];
  const names: string[] = [];
  // Every folder that cannot be read is a problem (never an empty folder): see list().
  const unreadable: Unreadable[] = [];
  list(hisDir(opts.root), unreadable);
  for (const kind of HIS_KINDS) {
    const kdir = hisKindDir(opts.root, kind);
    for (const exchg of list(kdir, unreadable)) {
      const edir = path.join(kdir, exchg);
      const entries = list(edir, unreadable);
      if (kind.layout === 'history')
        for (const [dsb, tsb] of groupHisNames(edir, entries).both.values())
          problems.push({ file: dsb, problem: twoFiles(dsb, tsb).message });
      for (const entry of entries) {
        const p = path.join(edir, entry);
        const date = kind.layout === 'daily' ? parseDateFolder(entry) : undefined;
        if (date !== undefined) {
          const files = list(p, unreadable);
          for (const [dsb, tsb] of groupHisNames(p, files).both.values()) problems.push({ file: dsb, problem: twoFiles(dsb, tsb).message });
          for (const f of files) {
            const fp = path.join(p, f);
            if (isTmpName(f)) {
              problems.push({
                file: fp,
                problem:
                  'leftover temporary file of an interrupted compaction (not a valid file; the next compaction of that day replaces it)',
              });
              continue;
            }
            const code = parseHisName(f);
            if (code === undefined) continue;
            note(present, kind, exchg, code, date);
            if (opts.date !== undefined && date !== opts.date) continue;
            names.push(fp);
            jobs.push(() => verifyDayFile(fp, kind, exchg, date, code, !!opts.deep, problems));
          }
        } else if (kind.layout === 'history' && parseHisName(entry) !== undefined) {
          const code = parseHisName(entry)!;
          names.push(p);
          jobs.push(() => verifyHistory(p, kind, exchg, code, !!opts.deep, opts.date, present, problems));
        } else if (isTmpName(entry)) {
          problems.push({ file: p, problem: 'leftover temporary file of an interrupted compaction or vacuum' });
        }
      }
    }
  }
  let records = 0;
  const historical = jobs.length;
  jobs.forEach((job, i) => {
    try {
      records += job();
    } catch (err) {
      problems.push({ file: names[i]!, problem: describe(err) });
    }
    opts.onProgress?.(i + 1, jobs.length, names[i]!);
  });
  // Real-time files too: live ones and finished days not yet compacted (with --date:
  // a finished day by its folder, a live file by the trading date in its header).
  let finished = 0;
  let live = 0;
  for (const { file: fp, date } of rtFiles(opts.root, unreadable)) {
    try {
      const r = verifyRtFile(fp, !!opts.deep, problems, date === undefined ? opts.date : undefined);
      if (opts.date !== undefined && (date ?? r.date) !== opts.date) continue;
      records += r.records;
    } catch (err) {
      if (opts.date !== undefined && date !== undefined && date !== opts.date) continue;
      problems.push({ file: fp, problem: describe(err) });
    }
    names.push(fp);
    if (date === undefined) live++;
    else finished++;
  }
  const scan = scanRoot(opts.root, opts.date);
  for (const u of [...unreadable, ...scan.unreadable.filter((u) => !unreadable.some((v) => v.file === u.file))]) {
    problems.push({ file: u.file, problem: `${u.why} (what it holds was not verified)` });
  }
  for (const w of scan.work) {
    for (const f of w.files) problems.push({ file: f, problem: `finished day ${w.date} never compacted (run tickrec compact)` });
    note(present, w.his, w.exchg, w.code, w.date);
  }
  gaps(present, opts, problems);
  return { files: names.length, historical, finished, live, records, problems };
}

/**
 * Every real-time file under rt/: live files (date undefined) and those in dated folders
 * of finished days, of every kind folder and of rt/closed (any name ending in .dmb at
 * those places, so a file tickrec did not name is verified too rather than skipped).
 */
function rtFiles(root: string, unreadable: Unreadable[]): { file: string; date: number | undefined }[] {
  const out: { file: string; date: number | undefined }[] = [];
  const listed = new Map<string, string[]>(); // each folder read once, so an unreadable one is reported once
  const ls = (d: string) => {
    let r = listed.get(d);
    if (r === undefined) listed.set(d, (r = list(d, unreadable)));
    return r;
  };
  for (const { dir, date } of rtFileFolders(root, ls))
    for (const e of ls(dir)) if (e.endsWith(RT_EXT)) out.push({ file: path.join(dir, e), date });
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** Header, lengths and (deep) time order of one real-time file; its records and trading date. Skips the checks of a live file of another date than `onlyDate`. */
function verifyRtFile(
  file: string,
  deep: boolean,
  problems: VerifyProblem[],
  onlyDate: number | undefined,
): { records: number; date: number } {
  const r = RtReader.open(file); // throws, naming the damage, for a file nobody should trust
  try {
    const n = r.length;
    if (onlyDate !== undefined && r.date !== onlyDate) return { records: n, date: r.date };
    if (deep) {
      let prev = -Infinity;
      for (let i = 0; i < n; i++) {
        const k = r.keyAt(i);
        if (k < prev) {
          problems.push({ file, problem: `record ${i} is out of time order` });
          break;
        }
        prev = k;
      }
    }
    return { records: n, date: r.date };
  } finally {
    r.close();
  }
}

/** The bar history of an instrument as found (either name), else the name compaction would create. */
function historyName(root: string, kind: HisKind, exchg: string, code: string): string {
  try {
    return hisHistoryFile(root, kind, exchg, code) ?? hisHistoryPath(root, kind, exchg, code, TICKREC_HIS_EXT);
  } catch {
    return hisHistoryPath(root, kind, exchg, code, HIS_EXT); // both names: the conflict is reported on its own
  }
}

/** A trading day of the calendar without data, for an instrument that has data before and after it. */
function gaps(present: Present, opts: VerifyOptions, problems: VerifyProblem[]): void {
  const holidays = opts.sessions.holidays;
  for (const [kind, byInst] of present.dates) {
    for (const [id, dates] of byInst) {
      const sorted = [...dates].sort((a, b) => a - b);
      const [exchg, code, contract] = id.split('/') as [string, string, string];
      const what = contract === code ? `${exchg}.${code}` : `${exchg}.${code} (contract ${contract})`;
      for (let i = 1; i < sorted.length; i++) {
        for (let d = addDays(sorted[i - 1]!, 1); d < sorted[i]!; d = addDays(d, 1)) {
          if (!isTradingDay(d, holidays)) continue;
          if (opts.date !== undefined && d !== opts.date) continue;
          const where =
            kind.layout === 'daily'
              ? hisDayPath(opts.root, kind, exchg, d, code, TICKREC_HIS_EXT)
              : historyName(opts.root, kind, exchg, code);
          problems.push({
            file: where,
            problem: `gap: no ${kind.name} data for ${what} on trading day ${d} (data before and after it)`,
          });
        }
      }
    }
  }
}

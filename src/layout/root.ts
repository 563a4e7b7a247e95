// The map of a data root: every path tickrec writes or reads under it, built and parsed here and nowhere else.
//
//   <root>/
//     rt/<folder>/<EXCHG>/<CODE>.dmb                  live real-time file (folder: ticks, trans, min1, min5, min15, ...)
//     rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb       a finished day, set aside by the day roll (date = header date)
//     rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>~<n>.dmb   a second, third... file of that day (a replay, a clock error), n >= 1
//     rt/closed/<SESSION>.dmb                         closed-bar events of a session (live)
//     rt/closed/<YYYYMMDD>/<SESSION>.dmb              ... of a finished trading day (same roll, same ~<n> rule)
//     his/<ticks|trans>/<EXCHG>/<YYYYMMDD>/<CODE>.dsb a compacted day in a datakit format (zstd, raw)
//     his/<ticks|trans>/<EXCHG>/<YYYYMMDD>/<CODE>.tsb ... in tickrec's own format (LZ4 day block)
//     his/<min1|min5|day|...>/<EXCHG>/<CODE>.dsb      an instrument's bar history (datakit format; .tsb: tickrec's container)
//     meta/instruments/<EXCHG>/<CODE>.json            an instrument's metadata (volume unit, zone: src/meta/root.ts)
//     compact/last.json                               the last compaction's summary (for the monitor)
//     tickrec.lock                                    the recorder's lock (one writer per root)
//     compact.lock                                    the compaction's lock (one compaction per root)
//     bus/publish-<STREAM>.json                       tickrec publish: the durable cursor of every file
//     bus/publish-<STREAM>.lock                       held while tickrec publish runs (one publisher per stream)
//     bus/mirror-<STREAM>.json                        tickrec mirror (on a mirror's root): its stream position
//     capture/ctp/<FEED>/<YYYYMMDD>.cap               a CTP feed's capture (feeds[].capture; written by native/ctp)
//     ctp-flow/<FEED>/                                a CTP feed's flow folder (unless feeds[].flow_dir says otherwise)
//     spare/<NAME>                                    empty files the recorder made ahead (SPARE FILES, src/store/spare.ts):
//                                                     a new file at the session open is one of them renamed; any may go
//   Transient names beside them, never taken for data (readers only open *.dmb / *.dsb / *.tsb):
//     <file>.tmp-<pid>    an rt file (or an instrument's metadata) being created or rebuilt
//     <file>.bak          a rebuilt bar file's old content
//     <file>.tmp          a his file or compact/last.json being written (durable order in src/his/files.ts)
//     <lock>.<pid>.tmp, <lock>.takeover   the lock protocol (src/store/lock.ts)
//   Live files the recorder found damaged and set aside untouched (kept for a human; never read as data):
//     <CODE>.dmb.truncated-<stamp>   cut short by someone else (`tickrec repair` keeps what remains)
//     <CODE>.dmb.displaced-<stamp>   another file put in its place while it was written
//     <CODE>.dmb.zeroed-<stamp>      only zero bytes: a creation a power loss cut short (no record)
//
// DATAKIT CONVENTIONS kept (WonderTrader's datakit writes and its readers expect them):
// `rt/` and `his/` at the root; folders `ticks`, `trans`, `min1`, `min5`, `day`; real-time
// files `<CODE>.dmb` per exchange folder; day blocks `his/ticks/<EXCHG>/<YYYYMMDD>/<CODE>.dsb`;
// bar histories `his/<period>/<EXCHG>/<CODE>.dsb`. tickrec's own additions: the dated
// folders under rt/ (datakit clears a finished day in place; tickrec sets it aside by
// rename so followers can drain it), the `~<n>` second files, rt/closed, min15/30/60,
// compact/ and the lock files.
//
// UNAMBIGUITY (every name parses back to exactly one thing, for every legal name):
// exchange, code and session names pass the name rule (src/layout/names.ts), whose
// alphabet is [A-Za-z0-9._-]. The second-file mark '~' is outside it, so `X~1.dmb` can
// only be the second file of X, and `X.1.dmb` only the file of an instrument named `X.1`
// (before this rule a second file was `X.1.dmb`, which the instrument `X.1` collided
// with). A dated folder is 8 digits and never ends in .dmb/.dsb, so it cannot be taken
// for a file of any code. test/layout/root.test.ts checks build → parse round trips.

import path from 'node:path';
import { TickrecError } from '../errors.js';
import {
  CODE_MAX_CHARS,
  SESSION_NAME_MAX_CHARS,
  checkExchangeName,
  checkInstrument,
  checkSession,
  isExchangeName,
  nameProblem,
} from './names.js';

/** A kind's folder name (a RecordKind of src/format, a HisKind of src/his). */
export interface KindFolder {
  readonly folder: string;
}

export const RT_DIR = 'rt';
export const HIS_DIR = 'his';
export const META_DIR = 'meta';
/** Extension of real-time block files. */
export const RT_EXT = '.dmb';
/** Extension of historical files in a datakit format (the only one WonderTrader's readers open). */
export const HIS_EXT = '.dsb';
/**
 * Extension of historical files in tickrec's own formats (LZ4 day block 0x0101, bar-history
 * container 0x0102). datakit's readers open only `<CODE>.dsb` and take an unknown version
 * for raw records, so tickrec's bytes must never sit under that name: under `.tsb` a
 * datakit reader finds no file. Which format takes which name: src/his/names.ts.
 */
export const TICKREC_HIS_EXT = '.tsb';
/** The extension of a historical file: HIS_EXT (datakit formats) or TICKREC_HIS_EXT (tickrec's). */
export type HisExt = typeof HIS_EXT | typeof TICKREC_HIS_EXT;
/** Folder of the closed-bar event files, under rt/ (not a record kind's folder). */
export const CLOSED_FOLDER = 'closed';
/** Between a code and the number of a second file of a day: not in the name rule's alphabet. */
export const SECOND_FILE_MARK = '~';
/** Suffix of a file written by one exclusive writer under a fixed temporary name (his files: src/his/files.ts; the compaction summary). */
export const TMP_SUFFIX = '.tmp';
export const RECORDER_LOCK_FILE = 'tickrec.lock';
export const SPARE_DIR = 'spare';
export const COMPACT_LOCK_FILE = 'compact.lock';

const DATE_FOLDER = /^\d{8}$/;
const MIN_DATE = 10000101;
const MAX_DATE = 99991231;
/** Longest stem of a live file: an instrument code or a session name. */
const STEM_MAX_CHARS = Math.max(CODE_MAX_CHARS, SESSION_NAME_MAX_CHARS);
const SECOND_N = /^[1-9]\d{0,8}$/;

// ---- dated folders -------------------------------------------------------------------

/** The folder name of a trading date. */
export function dateFolderName(date: number): string {
  if (!Number.isInteger(date) || date < MIN_DATE || date > MAX_DATE)
    throw new TickrecError('E_FIELD', `trading date ${date}: not a date YYYYMMDD; it cannot name a folder.`);
  return String(date);
}

/** The trading date a folder name stands for, or undefined when it is not a dated folder. */
export function parseDateFolder(name: string): number | undefined {
  if (!DATE_FOLDER.test(name)) return undefined;
  const date = Number(name);
  return date >= MIN_DATE && date <= MAX_DATE ? date : undefined;
}

// ---- real-time files -----------------------------------------------------------------

/** rt/ */
export function rtDir(root: string): string {
  return path.join(root, RT_DIR);
}

/** rt/<folder>/ */
export function rtKindDir(root: string, kind: KindFolder): string {
  return path.join(root, RT_DIR, kind.folder);
}

/** rt/<folder>/<EXCHG>/ (the live files and the dated folders of an exchange). */
export function rtExchangeDir(root: string, kind: KindFolder, exchg: string): string {
  checkExchangeName(exchg);
  return path.join(root, RT_DIR, kind.folder, exchg);
}

/** rt/<folder>/<EXCHG>/<YYYYMMDD>/ */
export function rtDayDir(root: string, kind: KindFolder, exchg: string, date: number): string {
  return path.join(rtExchangeDir(root, kind, exchg), dateFolderName(date));
}

/** rt/<folder>/<EXCHG>/<CODE>.dmb: the live file of an instrument. */
export function rtFilePath(root: string, kind: KindFolder, exchg: string, code: string): string {
  checkInstrument(exchg, code);
  return path.join(root, RT_DIR, kind.folder, exchg, code + RT_EXT);
}

/** File name of the `n`-th file of a finished day: <CODE>.dmb for n = 0, <CODE>~<n>.dmb after it. */
export function finishedName(stem: string, n = 0): string {
  if (!Number.isInteger(n) || n < 0 || n > 999999999) throw new RangeError(`finishedName: n ${n}`);
  return n === 0 ? stem + RT_EXT : `${stem}${SECOND_FILE_MARK}${n}${RT_EXT}`;
}

/** rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb (n = 0) or <CODE>~<n>.dmb. */
export function rtFinishedPath(root: string, kind: KindFolder, exchg: string, date: number, code: string, n = 0): string {
  checkInstrument(exchg, code);
  return path.join(rtDayDir(root, kind, exchg, date), finishedName(code, n));
}

/**
 * Where a live file (an instrument's, or a session's closed events) goes when its day
 * `date` is finished: the dated folder beside it, as its `n`-th file of that day.
 */
export function finishedPath(livePath: string, date: number, n = 0): string {
  const stem = parseLiveName(path.basename(livePath), STEM_MAX_CHARS);
  if (stem === undefined)
    throw new TickrecError('E_USAGE', `${livePath}: not a live real-time file name (<NAME>${RT_EXT}).`, { file: livePath });
  return path.join(path.dirname(livePath), dateFolderName(date), finishedName(stem, n));
}

/**
 * The code (or session) of a live file name `<NAME>.dmb`, or undefined when the name is
 * not one tickrec writes (maxChars: CODE_MAX_CHARS by default).
 */
export function parseLiveName(name: string, maxChars = CODE_MAX_CHARS): string | undefined {
  if (!name.endsWith(RT_EXT)) return undefined;
  const stem = name.slice(0, -RT_EXT.length);
  return nameProblem(stem, maxChars) === null ? stem : undefined;
}

/** A file of a finished day: its code (or session) and its number (0 for <NAME>.dmb, n for <NAME>~<n>.dmb). */
export interface FinishedName {
  readonly code: string;
  readonly n: number;
}

/** Parses a file name in a dated folder, or undefined when tickrec does not write that name. */
export function parseFinishedName(name: string, maxChars = CODE_MAX_CHARS): FinishedName | undefined {
  if (!name.endsWith(RT_EXT)) return undefined;
  const stem = name.slice(0, -RT_EXT.length);
  const mark = stem.lastIndexOf(SECOND_FILE_MARK);
  let code = stem;
  let n = 0;
  if (mark >= 0) {
    const digits = stem.slice(mark + 1);
    if (!SECOND_N.test(digits)) return undefined;
    code = stem.slice(0, mark);
    n = Number(digits);
  }
  return nameProblem(code, maxChars) === null ? { code, n } : undefined;
}

/**
 * The finished files of one dated folder grouped by code, each group in file order
 * (<CODE>.dmb, then <CODE>~1.dmb, ~2, ...). `names` is the folder's listing; names
 * tickrec does not write are returned in `unknown`.
 */
export function groupFinished(dir: string, names: readonly string[], only?: string): { byCode: Map<string, string[]>; unknown: string[] } {
  const by = new Map<string, FinishedName[]>();
  const unknown: string[] = [];
  for (const name of names) {
    if (!name.endsWith(RT_EXT)) continue;
    const f = parseFinishedName(name);
    if (!f) {
      unknown.push(path.join(dir, name));
      continue;
    }
    if (only !== undefined && f.code !== only) continue;
    let l = by.get(f.code);
    if (!l) by.set(f.code, (l = []));
    l.push(f);
  }
  const byCode = new Map<string, string[]>();
  for (const [code, l] of by)
    byCode.set(
      code,
      l.sort((a, b) => a.n - b.n).map((f) => path.join(dir, finishedName(f.code, f.n))),
    );
  return { byCode, unknown };
}

/** Where a real-time file sits in a data root's layout. */
export interface RtPlace {
  readonly root: string;
  /** The kind folder (ticks, trans, min1, ...). */
  readonly folder: string;
  readonly exchg: string;
  /** Trading date of a finished file (its dated folder), undefined for a live file. */
  readonly date: number | undefined;
  readonly code: string;
  /** 0 for the first (or live) file, n for <CODE>~<n>.dmb. */
  readonly n: number;
}

/** Parses a path `<root>/rt/<folder>/<EXCHG>/[<YYYYMMDD>/]<CODE>[~<n>].dmb`, or undefined when it is not one. */
export function parseRtPath(file: string): RtPlace | undefined {
  const abs = path.resolve(file);
  const name = path.basename(abs);
  let dir = path.dirname(abs);
  const date = parseDateFolder(path.basename(dir));
  if (date !== undefined) dir = path.dirname(dir);
  const exchg = path.basename(dir);
  const kindDir = path.dirname(dir);
  const rt = path.dirname(kindDir);
  if (path.basename(rt) !== RT_DIR || !isExchangeName(exchg)) return undefined;
  let code: string | undefined;
  let n = 0;
  if (date === undefined) code = parseLiveName(name);
  else {
    const f = parseFinishedName(name);
    if (f) ({ code, n } = f);
  }
  if (code === undefined) return undefined;
  return { root: path.dirname(rt), folder: path.basename(kindDir), exchg, date, code, n };
}

/** The same place in another kind's folder (and, with `root`, under another root). */
export function rtPlacePath(place: RtPlace, kind: KindFolder, root = place.root): string {
  return place.date === undefined
    ? rtFilePath(root, kind, place.exchg, place.code)
    : rtFinishedPath(root, kind, place.exchg, place.date, place.code, place.n);
}

/**
 * Every folder under rt/ that holds real-time files, with the trading date of a dated
 * folder (undefined for a folder of live files): the exchange folders of each kind
 * folder and their dated folders, rt/closed and its dated folders. `list` reads a folder
 * (the caller's readdir, with the caller's policy for errors); nothing else is opened.
 */
export function rtFileFolders(root: string, list: (dir: string) => readonly string[]): { dir: string; date: number | undefined }[] {
  const out: { dir: string; date: number | undefined }[] = [];
  const withDays = (dir: string) => {
    out.push({ dir, date: undefined });
    for (const e of list(dir)) {
      const date = parseDateFolder(e);
      if (date !== undefined) out.push({ dir: path.join(dir, e), date });
    }
  };
  const rt = rtDir(root);
  for (const folder of list(rt)) {
    const kindDir = path.join(rt, folder);
    if (folder === CLOSED_FOLDER) withDays(kindDir);
    else for (const exchg of list(kindDir)) if (!exchg.endsWith(RT_EXT)) withDays(path.join(kindDir, exchg));
  }
  return out;
}

/** Name of a file being built (created, rebuilt) under a temporary name beside `file`, by process `pid` (rt files, an instrument's metadata). */
export function rtTmpPath(file: string, pid: number): string {
  return `${file}.tmp-${pid}`;
}

/** spare/: empty files made ahead, taken by renaming (SPARE FILES, src/store/spare.ts). */
export function spareDir(root: string): string {
  return path.join(root, SPARE_DIR);
}

/** Why a live file was set aside as damaged (see the map above). */
export type DamagedHow = 'truncated' | 'displaced' | 'zeroed';

/** Where a damaged live file is set aside: <file>.<how>-<stamp>, stamp = the instant in UTC (20261207T131502123Z). */
export function damagedAsidePath(file: string, how: DamagedHow, at: Date = new Date()): string {
  return `${file}.${how}-${at.toISOString().replace(/[-:.]/g, '')}`;
}

/** Where a rebuilt file keeps the content it replaced. */
export function backupPath(file: string): string {
  return `${file}.bak`;
}

// ---- closed-bar events ----------------------------------------------------------------

/** rt/closed/ */
export function barsClosedDir(root: string): string {
  return path.join(root, RT_DIR, CLOSED_FOLDER);
}

/** rt/closed/<SESSION>.dmb: the live closed-event file of a session (the name rule applies to the session). */
export function barsClosedPath(root: string, session: string): string {
  checkSession(session);
  return path.join(root, RT_DIR, CLOSED_FOLDER, session + RT_EXT);
}

// ---- historical files ----------------------------------------------------------------

/** his/ */
export function hisDir(root: string): string {
  return path.join(root, HIS_DIR);
}

/** his/<folder>/ */
export function hisKindDir(root: string, kind: KindFolder): string {
  return path.join(root, HIS_DIR, kind.folder);
}

/** his/<folder>/<EXCHG>/ */
export function hisExchangeDir(root: string, kind: KindFolder, exchg: string): string {
  checkExchangeName(exchg);
  return path.join(root, HIS_DIR, kind.folder, exchg);
}

/** his/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dsb (or `ext` .tsb): a compacted day. */
export function hisDayPath(root: string, kind: KindFolder, exchg: string, date: number, code: string, ext: HisExt = HIS_EXT): string {
  checkInstrument(exchg, code);
  return path.join(root, HIS_DIR, kind.folder, exchg, dateFolderName(date), code + ext);
}

/** his/<folder>/<EXCHG>/<CODE>.dsb (or `ext` .tsb): an instrument's bar history. */
export function hisHistoryPath(root: string, kind: KindFolder, exchg: string, code: string, ext: HisExt = HIS_EXT): string {
  checkInstrument(exchg, code);
  return path.join(root, HIS_DIR, kind.folder, exchg, code + ext);
}

/** The code of a his file name `<CODE>.dsb` or `<CODE>.tsb`, or undefined. */
export function parseHisName(name: string): string | undefined {
  const ext = name.endsWith(HIS_EXT) ? HIS_EXT : name.endsWith(TICKREC_HIS_EXT) ? TICKREC_HIS_EXT : undefined;
  if (ext === undefined) return undefined;
  const code = name.slice(0, -ext.length);
  return nameProblem(code, CODE_MAX_CHARS) === null ? code : undefined;
}

/** Whether `name` is a file being written under TMP_SUFFIX (or left by an interrupted write). */
export function isTmpName(name: string): boolean {
  return name.endsWith(TMP_SUFFIX);
}

/** Where a his file (or the compaction summary) is written before its rename. */
export function tmpPath(file: string): string {
  return file + TMP_SUFFIX;
}

/**
 * Parses a path `<root>/his/<folder>/<EXCHG>/[<YYYYMMDD>/]<CODE>.dsb|.tsb` (a day block
 * with a date, a bar history without), or undefined when it is not one.
 */
export function parseHisPath(file: string): HisPlace | undefined {
  const abs = path.resolve(file);
  const code = parseHisName(path.basename(abs));
  if (code === undefined) return undefined;
  let dir = path.dirname(abs);
  const date = parseDateFolder(path.basename(dir));
  if (date !== undefined) dir = path.dirname(dir);
  const exchg = path.basename(dir);
  const kindDir = path.dirname(dir);
  const his = path.dirname(kindDir);
  if (path.basename(his) !== HIS_DIR || !isExchangeName(exchg)) return undefined;
  return { root: path.dirname(his), folder: path.basename(kindDir), exchg, date, code };
}

/** Where a historical file sits in a data root's layout. */
export interface HisPlace {
  readonly root: string;
  readonly folder: string;
  readonly exchg: string;
  /** Trading date of a day block, undefined for a bar history. */
  readonly date: number | undefined;
  readonly code: string;
}

// ---- any block file ------------------------------------------------------------------

/**
 * The data root a block file lives in: `<root>` of a real-time file (rt/<folder>/…, and
 * rt/closed/[<YYYYMMDD>/]<SESSION>.dmb) or a historical file (his/<folder>/…), or
 * undefined when the path is not in a root's layout.
 */
export function rootOfFile(file: string): string | undefined {
  const place = parseRtPath(file) ?? parseHisPath(file);
  if (place) return place.root;
  const abs = path.resolve(file);
  let dir = path.dirname(abs);
  if (parseDateFolder(path.basename(dir)) !== undefined) dir = path.dirname(dir);
  const rt = path.dirname(dir);
  const closed = path.basename(dir) === CLOSED_FOLDER && path.basename(rt) === RT_DIR;
  return closed && parseFinishedName(path.basename(abs), SESSION_NAME_MAX_CHARS) !== undefined ? path.dirname(rt) : undefined;
}

/**
 * EXCHG and CODE of a real-time or historical file from its path, inside a data root or
 * not: the file name (<CODE>.dmb, <CODE>~<n>.dmb, <CODE>.dsb, <CODE>.tsb) and the folder
 * above it (above a dated folder), when both pass the name rule; else undefined.
 */
export function instrumentOfFile(file: string): { exchg: string; code: string } | undefined {
  const abs = path.resolve(file);
  const name = path.basename(abs);
  const code = parseHisName(name) ?? parseFinishedName(name)?.code;
  if (code === undefined) return undefined;
  let dir = path.dirname(abs);
  if (parseDateFolder(path.basename(dir)) !== undefined) dir = path.dirname(dir);
  const exchg = path.basename(dir);
  return isExchangeName(exchg) ? { exchg, code } : undefined;
}

// ---- instrument metadata (src/meta/root.ts) ---------------------------------------------

/** <root>/meta/instruments/<EXCHG>/<CODE>.json: an instrument's metadata in the data root. */
export function instrumentMetaPath(root: string, exchg: string, code: string): string {
  checkInstrument(exchg, code);
  return path.join(root, META_DIR, 'instruments', exchg, `${code}.json`);
}

// ---- files at the root -----------------------------------------------------------------

/** <root>/tickrec.lock: the recorder's lock. */
export function recorderLockPath(root: string): string {
  return path.join(root, RECORDER_LOCK_FILE);
}

/** The lock protocol's temporary record of process `pid` (src/store/lock.ts). */
export function lockTmpPath(lockFile: string, pid: number): string {
  return `${lockFile}.${pid}.tmp`;
}

/** The lock protocol's guard while a stale lock is taken over (src/store/lock.ts). */
export function lockTakeoverPath(lockFile: string): string {
  return `${lockFile}.takeover`;
}

/** <root>/compact.lock: the compaction's lock. */
export function compactLockPath(root: string): string {
  return path.join(root, COMPACT_LOCK_FILE);
}

/** <root>/compact/last.json: the last compaction's summary. */
export function compactSummaryPath(root: string): string {
  return path.join(root, 'compact', 'last.json');
}

// ---- CTP feeds (src/feed/ctp) --------------------------------------------------------------

/** <root>/capture/ctp/<FEED>: the folder of a feed's capture files (<YYYYMMDD>.cap, local calendar date). */
export function ctpCaptureDir(root: string, feed: string): string {
  return path.join(root, 'capture', 'ctp', feed);
}

/** <root>/ctp-flow/<FEED>: a CTP feed's flow folder when the configuration names none. */
export function ctpFlowDir(root: string, feed: string): string {
  return path.join(root, 'ctp-flow', feed);
}

// ---- the bus (src/bus: NATS publish and mirror) ------------------------------------------

/** THE STREAM NAME RULE: a JetStream stream name tickrec accepts (it names files under bus/); the config schema checks it with this. */
export const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function checkStream(stream: string): string {
  if (!STREAM_NAME.test(stream))
    throw new TickrecError('E_USAGE', `stream '${stream.slice(0, 80)}': 1-64 letters, digits, '_' or '-'; it names files under bus/.`);
  return stream;
}

/** <root>/bus/ */
export function busDir(root: string): string {
  return path.join(root, 'bus');
}

/** <root>/bus/publish-<STREAM>.json: the publisher's durable cursors. */
export function busCursorPath(root: string, stream: string): string {
  return path.join(busDir(root), `publish-${checkStream(stream)}.json`);
}

/** The stream of a publisher's cursor file name `publish-<STREAM>.json` in bus/, or undefined. */
export function parseBusCursorName(name: string): string | undefined {
  const m = /^publish-(.+)\.json$/.exec(name);
  return m && STREAM_NAME.test(m[1]!) ? m[1] : undefined;
}

/** <root>/bus/publish-<STREAM>.lock: one publisher per root and stream. */
export function busPublishLockPath(root: string, stream: string): string {
  return path.join(busDir(root), `publish-${checkStream(stream)}.lock`);
}

/** <root>/bus/mirror-<STREAM>.json: a mirror's stream position. */
export function busMirrorPositionPath(root: string, stream: string): string {
  return path.join(busDir(root), `mirror-${checkStream(stream)}.json`);
}

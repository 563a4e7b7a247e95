// tickrec migrate: brings a data root written by an older tickrec to the current rules, so that a datakit reader pointed at it reads correct data or finds no file.
//
// WHAT IT DOES, in this order (each step idempotent: a rerun finds nothing left to do):
// 1. Always: tickrec's own historical files leave datakit's name (src/his/names.ts). A
//    file under his/ named <CODE>.dsb whose header is tickrec's (day block 0x0101,
//    bar-history container 0x0102: the flag and the version say so, even when the rest
//    is damaged) is renamed to <CODE>.tsb in its folder: one rename(2) (atomic: a reader
//    sees one name or the other, never both, never a half file), then an fsync of the
//    folder. A datakit file (versions 1 to 4) under .dsb is never touched. Refused, file
//    by file, as problems (exit 1), the file left as it is: a .tsb already beside it (two
//    files claim one day: a human decides), a datakit file under .tsb, a .dsb whose header
//    is neither's.
// 2. With `tradeTypes`: trades stored with tickrec's former trade types (0 normal, 1
//    cancel) get datakit's char codes ('M' 77, 'C' 67) in every trade file of the root:
//    real-time files patched in place (4 bytes per record, fsync), historical day blocks
//    decoded, patched, re-encoded in their own format, written durably (temporary name,
//    fsync, rename) and read back. Other values are left as they are and counted. Only for
//    roots written by tickrec: a datakit parser may have left 0 for "unknown", which this
//    would turn into 'M'; hence the explicit --trade-types. The recorder must be stopped
//    (its lock is taken: trade files are rewritten).
// 3. With `splitCzce`: a CZCE bar history that merged contracts ten years apart (SR505 of
//    2015 and of 2025, as datakit writes it) is split into one file per contract, each in
//    the format and under the name family of the merged file (split-czce.ts; compaction
//    refuses to append to a merged one).
// The compaction lock is held throughout (no compaction writes his/ beside a migration;
// the renames need nothing more: the recorder only looks his files up, under both names).

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { RT_HEADER_BYTES, TRADE, TRADE_KIND, TTYPE_CANCEL, TTYPE_MATCH, hasBlockFlag, isTradeType } from '../format/index.js';
import {
  HIS_KINDS,
  HIS_VERSION_BLOCK,
  HIS_VERSION_CONTAINER,
  dayBlockBytes,
  encodeDatakitRaw,
  hisExtOf,
  hisExtOfName,
  readAt,
  readHisBlock,
  readHisFormat,
  writeFileDurable,
  type HisKind,
} from '../his/index.js';
import { HIS_EXT, TICKREC_HIS_EXT, hisDir, hisKindDir, parseDateFolder, parseHisName, rtKindDir, RT_EXT } from '../layout/index.js';
import { syncDir } from '../fsync.js';
import { acquireRootLock, probeRtFile } from '../store/index.js';
import { acquireCompactLock } from './lock.js';
import { list, type Unreadable } from './scan.js';
import { splitCzceHistories } from './split-czce.js';

export interface MigrateOptions {
  root: string;
  /** List what would change; change nothing. */
  dryRun?: boolean;
  /** Also rewrite tickrec's former trade types 0/1 as 'M'/'C' (the recorder must be stopped). */
  tradeTypes?: boolean;
  /** Also split CZCE bar histories that hold several contracts of one 3-digit code (split-czce.ts). */
  splitCzce?: boolean;
  onLog?: (line: string) => void;
  /** Test hook: told after each rename (a crash test kills the process there). */
  onStep?: (step: string) => void;
}

export interface MigrateSummary {
  dryRun: boolean;
  /** tickrec historical files renamed from <CODE>.dsb to <CODE>.tsb (or that would be). */
  renamed: { from: string; to: string }[];
  /** Historical files already named after their format (left as they are). */
  hisKept: number;
  /** Trade files with at least one trade type rewritten (or that would be). */
  tradeFiles: string[];
  /** Trades whose type was rewritten. */
  tradesFixed: number;
  /** Trades whose type is none of 0, 1, 'M', 'C', 'U' (left as they are). */
  tradesOther: number;
  /** --split-czce: the merged histories split (or that would be), and the files written. */
  czceSplit: string[];
  czceWritten: string[];
  /** What could not be done, file by file (the file is left as it is). */
  problems: { file: string; problem: string }[];
}

/** The historical files of every kind, by name (<CODE>.dsb / <CODE>.tsb): his/<folder>/<EXCHG>/[<YYYYMMDD>/]<name>. */
function hisFiles(root: string, unreadable: Unreadable[]): { file: string; kind: HisKind }[] {
  const out: { file: string; kind: HisKind }[] = [];
  list(hisDir(root), unreadable);
  for (const kind of HIS_KINDS) {
    const kdir = hisKindDir(root, kind);
    for (const exchg of list(kdir, unreadable)) {
      const edir = path.join(kdir, exchg);
      for (const entry of list(edir, unreadable)) {
        if (kind.layout === 'daily' && parseDateFolder(entry) !== undefined) {
          const ddir = path.join(edir, entry);
          for (const f of list(ddir, unreadable)) if (parseHisName(f) !== undefined) out.push({ file: path.join(ddir, f), kind });
        } else if (kind.layout === 'history' && parseHisName(entry) !== undefined) out.push({ file: path.join(edir, entry), kind });
      }
    }
  }
  return out;
}

/** Whether the first bytes of `file` are a tickrec header by flag and version (its CRC and the rest may be damaged). */
function hasTickrecVersion(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw ioError(err, file, 'open for reading');
  }
  try {
    const b = readAt(fd, 0, Math.min(12, fs.fstatSync(fd).size), file);
    if (b.length < 12 || !hasBlockFlag(b)) return false;
    const v = new DataView(b.buffer, b.byteOffset, b.length).getUint16(10, true);
    return v === HIS_VERSION_BLOCK || v === HIS_VERSION_CONTAINER;
  } finally {
    fs.closeSync(fd);
  }
}

function describe(err: unknown): string {
  return err instanceof TickrecError ? `${err.code}: ${err.message}` : String(err);
}

/** Step 1: every tickrec file under datakit's name renamed to tickrec's; see the header. */
function renameTickrecFiles(root: string, s: MigrateSummary, log: (l: string) => void, onStep?: (step: string) => void): void {
  const unreadable: Unreadable[] = [];
  for (const { file } of hisFiles(root, unreadable)) {
    try {
      if (hisExtOfName(file) === TICKREC_HIS_EXT) {
        const format = readHisFormat(file);
        if (hisExtOf(format) === TICKREC_HIS_EXT) s.hisKept++;
        else
          s.problems.push({
            file,
            problem: `datakit's format (${format}) under tickrec's name: a datakit reader does not find it. Left as it is; rename it to ${path.basename(file, TICKREC_HIS_EXT)}${HIS_EXT} if no such file exists beside it.`,
          });
        continue;
      }
      if (!hasTickrecVersion(file)) {
        readHisFormat(file); // a datakit header, or the reason it is none (a problem below)
        s.hisKept++;
        continue;
      }
      const to = file.slice(0, -HIS_EXT.length) + TICKREC_HIS_EXT;
      // No rename over an existing file: the only writer of .tsb names is a compaction, kept away by its lock.
      if (fs.existsSync(to)) {
        s.problems.push({
          file,
          problem:
            `tickrec's own format under datakit's name, and ${path.basename(to)} exists beside it: both claim the same data, nothing was renamed. ` +
            'Compare them (tickrec cat, tickrec inspect), move the wrong one out of his/, then run tickrec migrate again.',
        });
        continue;
      }
      s.renamed.push({ from: file, to });
      if (s.dryRun) continue;
      try {
        fs.renameSync(file, to);
      } catch (err) {
        throw ioError(err, file, `rename to ${path.basename(to)}`);
      }
      syncDir(path.dirname(file));
      onStep?.('renamed');
      log(`renamed ${file} -> ${path.basename(to)}`);
    } catch (err) {
      if (!(err instanceof TickrecError)) throw err;
      s.problems.push({ file, problem: `not renamed, left as it is: ${describe(err)}` });
    }
  }
  for (const u of unreadable) s.problems.push({ file: u.file, problem: `${u.why} (its files were not migrated)` });
}

/** Rewrites 0 -> 'M' and 1 -> 'C' in the u32 ttype of `count` trades at `records`; returns [fixed, other]. */
function fixTradeTypes(records: Uint8Array, count: number): [number, number] {
  const dv = new DataView(records.buffer, records.byteOffset, records.length);
  const at = TRADE.field('ttype').offset;
  let fixed = 0;
  let other = 0;
  for (let i = 0; i < count; i++) {
    const o = i * TRADE.size + at;
    const t = dv.getUint32(o, true);
    if (t === 0 || t === 1) {
      dv.setUint32(o, t === 0 ? TTYPE_MATCH : TTYPE_CANCEL, true);
      fixed++;
    } else if (!isTradeType(t)) other++;
  }
  return [fixed, other];
}

function fixRtTrades(file: string, s: MigrateSummary): void {
  let fd: number;
  try {
    fd = fs.openSync(file, s.dryRun ? 'r' : 'r+');
  } catch (err) {
    throw ioError(err, file, 'open');
  }
  try {
    const p = probeRtFile(fd, file, TRADE_KIND);
    const n = Math.min(p.header.size, p.realCapacity);
    const bytes = Buffer.alloc(n * TRADE.size);
    if (fs.readSync(fd, bytes, 0, bytes.length, RT_HEADER_BYTES) !== bytes.length)
      throw new TickrecError('E_TRUNCATED', `${file}: shorter than its ${n} trades; run tickrec inspect on it.`, { file });
    const [fixed, other] = fixTradeTypes(bytes, n);
    s.tradesOther += other;
    if (fixed === 0) return;
    s.tradesFixed += fixed;
    s.tradeFiles.push(file);
    if (s.dryRun) return;
    fs.writeSync(fd, bytes, 0, bytes.length, RT_HEADER_BYTES);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fixHisTrades(file: string, kind: HisKind, s: MigrateSummary): void {
  const b = readHisBlock(file, { expected: kind });
  const records = b.records.slice();
  const [fixed, other] = fixTradeTypes(records, b.count);
  s.tradesOther += other;
  if (fixed === 0) return;
  s.tradesFixed += fixed;
  s.tradeFiles.push(file);
  if (s.dryRun) return;
  const bytes =
    b.format === 'tickrec'
      ? dayBlockBytes(kind, b.date, records, 'lz4')
      : b.format === 'datakit-raw'
        ? encodeDatakitRaw(kind.hisType, records)
        : dayBlockBytes(kind, b.date, records, 'zstd');
  writeFileDurable(file, [bytes]);
  const back = readHisBlock(file, { expected: kind });
  if (Buffer.compare(Buffer.from(back.records), Buffer.from(records)) !== 0)
    throw new TickrecError('E_CORRUPT', `${file}: read back, it does not hold the trades just written; check the disk.`, { file });
}

function fixAllTrades(root: string, s: MigrateSummary): void {
  const rtDir = rtKindDir(root, TRADE_KIND);
  for (const exchg of list(rtDir)) {
    const edir = path.join(rtDir, exchg);
    for (const entry of list(edir)) {
      const p = path.join(edir, entry);
      const files = parseDateFolder(entry) !== undefined ? list(p).map((f) => path.join(p, f)) : [p];
      for (const f of files.filter((x) => x.endsWith(RT_EXT))) fixRtTrades(f, s);
    }
  }
  for (const { file, kind } of hisFiles(root, [])) if (kind.name === 'trade') fixHisTrades(file, kind, s);
}

/** Runs the migration of `opts.root`. Throws for refusals (locks, a missing root); per-file conflicts are in `problems`. */
export function runMigration(opts: MigrateOptions): MigrateSummary {
  const log = opts.onLog ?? (() => {});
  if (!fs.existsSync(opts.root) || !fs.statSync(opts.root).isDirectory())
    throw new TickrecError('E_USAGE', `${opts.root}: no such data root; check --root.`, { file: opts.root });
  const s: MigrateSummary = {
    dryRun: !!opts.dryRun,
    renamed: [],
    hisKept: 0,
    tradeFiles: [],
    tradesFixed: 0,
    tradesOther: 0,
    czceSplit: [],
    czceWritten: [],
    problems: [],
  };
  const compactLock = opts.dryRun ? undefined : acquireCompactLock(opts.root, log);
  // Trade files are rewritten: no recorder may hold them (its lock says so, with its pid).
  const recorderLock = opts.tradeTypes && !opts.dryRun ? acquireRootLock(opts.root) : undefined;
  try {
    renameTickrecFiles(opts.root, s, log, opts.onStep);
    if (opts.tradeTypes) fixAllTrades(opts.root, s);
    if (opts.splitCzce) {
      const r = splitCzceHistories(opts.root, !!opts.dryRun, log);
      s.czceSplit.push(...r.files);
      s.czceWritten.push(...r.written);
      s.problems.push(...r.problems);
    }
  } finally {
    recorderLock?.release();
    compactLock?.release();
  }
  return s;
}

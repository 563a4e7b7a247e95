// tickrec migrate: brings a data root written by an older tickrec to the current rules.
//
// WHAT IT DOES (idempotent: a rerun finds nothing left to do):
// - trades stored with tickrec's former trade types (0 normal, 1 cancel) get datakit's
//   char codes ('M' 77, 'C' 67) in every trade file of the root: real-time files patched
//   in place (4 bytes per record, fsync), historical day blocks decoded, patched,
//   re-encoded in their own format, written durably (temporary name, fsync, rename) and
//   read back. Other values are left as they are and counted. Only for roots written by
//   tickrec: a datakit parser may have left 0 for "unknown", which this would turn into
//   'M'; hence the explicit --trade-types.
// - --split-czce: a CZCE bar history that merged contracts ten years apart (SR505 of 2015
//   and of 2025, as datakit writes it) is split into one file per contract
//   (split-czce.ts; compaction refuses to append to a merged one).
// The recorder must be stopped (its lock is taken: trade files are rewritten) and the
// compaction lock is held throughout.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { RT_HEADER_BYTES, TRADE, TRADE_KIND, TTYPE_CANCEL, TTYPE_MATCH } from '../format/index.js';
import { HIS_KINDS, dayBlockBytes, encodeDatakitRaw, readHisBlock, writeFileDurable, type HisKind } from '../his/index.js';
import { acquireRootLock, probeRtFile } from '../store/index.js';
import { acquireCompactLock } from './lock.js';
import { list } from './scan.js';
import { splitCzceHistories } from './split-czce.js';

const HIS_EXT = '.dsb';
const DATE_DIR = /^\d{8}$/;

export interface MigrateOptions {
  root: string;
  /** List what would change; change nothing. */
  dryRun?: boolean;
  /** Also rewrite tickrec's former trade types 0/1 as 'M'/'C' (the recorder must be stopped). */
  tradeTypes?: boolean;
  /** Also split CZCE bar histories that hold several contracts of one 3-digit code (split-czce.ts). */
  splitCzce?: boolean;
  onLog?: (line: string) => void;
}

export interface MigrateSummary {
  dryRun: boolean;
  /** Trade files with at least one trade type rewritten (or that would be). */
  tradeFiles: string[];
  /** Trades whose type was rewritten. */
  tradesFixed: number;
  /** Trades whose type is none of 0, 1, 'M', 'C', 'U' (left as they are). */
  tradesOther: number;
  /** --split-czce: the merged histories split (or that would be), and the files written. */
  czceSplit: string[];
  czceWritten: string[];
  /** What could not be done, file by file. */
  problems: { file: string; problem: string }[];
}

/** The historical files of every kind: his/<folder>/<EXCHG>/[<YYYYMMDD>/]<name>. */
function hisFiles(root: string): { file: string; kind: HisKind }[] {
  const out: { file: string; kind: HisKind }[] = [];
  for (const kind of HIS_KINDS) {
    const kdir = path.join(root, 'his', kind.folder);
    for (const exchg of list(kdir)) {
      const edir = path.join(kdir, exchg);
      for (const entry of list(edir)) {
        if (kind.layout === 'daily' && DATE_DIR.test(entry))
          for (const f of list(path.join(edir, entry))) out.push({ file: path.join(edir, entry, f), kind });
        else if (kind.layout === 'history') out.push({ file: path.join(edir, entry), kind });
      }
    }
  }
  return out;
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
    } else if (t !== TTYPE_MATCH && t !== TTYPE_CANCEL && t !== 0x55) other++;
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
  const rtDir = path.join(root, 'rt', TRADE_KIND.folder);
  for (const exchg of list(rtDir)) {
    const edir = path.join(rtDir, exchg);
    for (const entry of list(edir)) {
      const p = path.join(edir, entry);
      const files = DATE_DIR.test(entry) ? list(p).map((f) => path.join(p, f)) : [p];
      for (const f of files.filter((x) => x.endsWith('.dmb'))) fixRtTrades(f, s);
    }
  }
  for (const { file, kind } of hisFiles(root)) if (kind.name === 'trade' && file.endsWith(HIS_EXT)) fixHisTrades(file, kind, s);
}

/** Runs the migration of `opts.root`. Throws for refusals (locks, a missing root); per-file conflicts are in `problems`. */
export function runMigration(opts: MigrateOptions): MigrateSummary {
  const log = opts.onLog ?? (() => {});
  if (!fs.existsSync(opts.root) || !fs.statSync(opts.root).isDirectory())
    throw new TickrecError('E_USAGE', `${opts.root}: no such data root; check --root.`, { file: opts.root });
  const s: MigrateSummary = {
    dryRun: !!opts.dryRun,
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
    if (opts.tradeTypes) fixAllTrades(opts.root, s);
    if (opts.splitCzce) {
      const r = splitCzceHistories(opts.root, !!opts.dryRun, log);
      s.czceSplit.push(...r.files);
      s.czceWritten.push(...r.written);
      s.problems.push(...r.problems);
    }
    if (!opts.tradeTypes && !opts.splitCzce) log('nothing asked: give --trade-types or --split-czce (see tickrec migrate --help)');
  } finally {
    recorderLock?.release();
    compactLock?.release();
  }
  return s;
}

// tickrec migrate --split-czce: a CZCE bar history that merged contracts ten years apart (datakit's SR505.dsb of 2015 and 2025) split into one file per contract.
//
// SPLIT RULE (contract-history.ts H2): every day of his/<period>/CZCE/<X>.dsb or .tsb (X a 3-digit
// code) is given to the contract X names on its trading date (src/layout/czce.ts); the
// newest contract stays in X.dsb, each older one goes to its 4-digit name C.dsb, in the
// format of X.dsb (a tickrec container stays one, a datakit file stays datakit's).
// ORDER (a kill at any instant loses nothing, a rerun finishes the job):
//   1. each older contract: C.dsb written day by day (each append durable), read back and
//      compared with X.dsb's bars; an existing C.dsb holding exactly those bars is taken
//      as done (a rerun), any other C.dsb is a problem and X.dsb is left alone;
//   2. X.dsb rewritten with the newest contract's days under a temporary name
//      (<X>.dsb.split.tmp), read back, renamed over X.dsb, folder synced.
// Until step 2, X.dsb still holds every day (compaction refuses it, H4); after it each
// contract is in exactly one file.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import {
  BarHistory,
  HIS_KINDS,
  appendBarDay,
  checkWritable,
  hisExtOfName,
  hisHistoryFile,
  makeDirDurable,
  removeDurable,
  type HisCodec,
  type HisKind,
} from '../his/index.js';
import {
  CZCE_EXCHANGE,
  czceContractCode,
  hisExchangeDir,
  hisHistoryPath,
  isCzce3DigitCode,
  parseHisName,
  tmpPath,
} from '../layout/index.js';
import { list } from './scan.js';

export interface SplitResult {
  /** The merged histories found (and split unless a dry run). */
  files: string[];
  /** Every file written: "<file>: <contract> (<n> days)". */
  written: string[];
  problems: { file: string; problem: string }[];
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0
  );
}

/** The days of a history grouped by contract, oldest first, each with its bars. */
function byContract(h: BarHistory, code: string): { contract: string; days: { date: number; bars: Uint8Array }[] }[] {
  const out: { contract: string; days: { date: number; bars: Uint8Array }[] }[] = [];
  for (const d of h.days()) {
    const contract = czceContractCode(code, d.date);
    let g = out[out.length - 1];
    if (!g || g.contract !== contract) {
      if (out.some((x) => x.contract === contract))
        throw new TickrecError(
          'E_CORRUPT',
          `${h.path}: days of ${contract} come again after another contract; the history is out of order.`,
          { file: h.path },
        );
      out.push((g = { contract, days: [] }));
    }
    g.days.push({ date: d.date, bars: h.readDay(d.date)!.slice() });
  }
  return out;
}

/** Writes `days` as a new history `file` (codec decides the format) and reads it back. */
function writeHistory(file: string, kind: HisKind, days: readonly { date: number; bars: Uint8Array }[], codec: HisCodec): void {
  for (const d of days) appendBarDay(file, kind, d.date, d.bars, { codec });
  checkHolds(file, kind, days);
}

/** Whether history `file` holds exactly `days` (dates and bars); throws E_CORRUPT naming the file when not. */
function checkHolds(file: string, kind: HisKind, days: readonly { date: number; bars: Uint8Array }[]): void {
  const h = BarHistory.open(file, kind);
  try {
    const have = h.days().map((d) => d.date);
    const ok = have.length === days.length && days.every((d, i) => have[i] === d.date && same(h.readDay(d.date)!, d.bars));
    if (!ok)
      throw new TickrecError(
        'E_CORRUPT',
        `${file}: does not hold exactly the ${days.length} days ${days[0]?.date}..${days[days.length - 1]?.date} of its contract; nothing more was changed. ` +
          'Compare it with the merged history (tickrec cat), remove the wrong one, then run migrate --split-czce again.',
        { file },
      );
  } finally {
    h.close();
  }
}

function splitOne(root: string, file: string, kind: HisKind, exchg: string, code: string, dryRun: boolean, r: SplitResult): void {
  if (!dryRun) checkWritable(file); // a tickrec format still under .dsb: renamed first (tickrec migrate does, before splitting)
  const h = BarHistory.open(file, kind);
  let groups: ReturnType<typeof byContract>;
  let codec: HisCodec;
  try {
    groups = byContract(h, code);
    codec = h.format === 'container' ? 'lz4' : 'zstd';
  } finally {
    h.close();
  }
  if (groups.length < 2) return;
  r.files.push(file);
  for (const g of groups.slice(0, -1)) {
    // the merged file's format and name family (src/his/names.ts); an existing C under either name counts
    const have = hisHistoryFile(root, kind, exchg, g.contract);
    const target = have ?? hisHistoryPath(root, kind, exchg, g.contract, hisExtOfName(file));
    r.written.push(`${target}: ${g.contract} (${g.days.length} days)`);
    if (dryRun) continue;
    if (have !== undefined) checkHolds(target, kind, g.days);
    else writeHistory(target, kind, g.days, codec);
  }
  const newest = groups[groups.length - 1]!;
  r.written.push(`${file}: ${newest.contract} (${newest.days.length} days)`);
  if (dryRun) return;
  const tmp = tmpPath(`${file}.split`);
  if (fs.existsSync(tmp)) removeDurable(tmp);
  writeHistory(tmp, kind, newest.days, codec);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    throw ioError(err, tmp, `rename over ${path.basename(file)}`);
  }
  makeDirDurable(path.dirname(file));
}

/** Splits every merged CZCE bar history of `root` (SPLIT RULE); problems are per file, the others go on. */
export function splitCzceHistories(root: string, dryRun: boolean, log: (line: string) => void): SplitResult {
  const r: SplitResult = { files: [], written: [], problems: [] };
  for (const kind of HIS_KINDS) {
    if (kind.layout !== 'history') continue;
    const dir = hisExchangeDir(root, kind, CZCE_EXCHANGE);
    for (const entry of list(dir)) {
      const code = parseHisName(entry);
      if (code === undefined || !isCzce3DigitCode(CZCE_EXCHANGE, code)) continue;
      const file = path.join(dir, entry);
      try {
        const before = r.files.length;
        splitOne(root, file, kind, CZCE_EXCHANGE, code, dryRun, r);
        if (r.files.length > before) log(`${file}: ${dryRun ? 'would be split' : 'split'} by contract`);
      } catch (err) {
        if (!(err instanceof TickrecError)) throw err;
        r.problems.push({ file: err.file ?? file, problem: `${err.code}: ${err.message}` });
      }
    }
  }
  return r;
}

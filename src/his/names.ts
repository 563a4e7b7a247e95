// Which name a historical file takes (datakit's formats `.dsb`, tickrec's own `.tsb`), and finding the one file of a compacted day or a bar history under either name.
//
// THE RULE (issue 14): WonderTrader's readers open exactly his/.../<CODE>.dsb and do not
// refuse a version they do not know: they take it for raw records and read garbage. So a
// file in tickrec's own formats (LZ4 day block 0x0101, bar-history container 0x0102) is
// named <CODE>.tsb, where a datakit reader finds no file; a file in a datakit format
// (versions 1 to 4) keeps <CODE>.dsb. Both extensions are defined in src/layout/root.ts.
//
// READERS open either name and tell the formats apart by the header (parseBlockHead),
// never by the name. A tickrec file still named .dsb (written by a tickrec before this
// rule) is read as it is, reported by `tickrec verify` and `tickrec inspect`, and renamed
// by `tickrec migrate` (src/compact/migrate.ts); tickrec never writes into one
// (checkWritable: compaction refuses, naming migrate).
//
// ONE FILE PER PLACE: a compacted day (or an instrument's bar history) is held by at most
// one of the two names. Both present (a datakit writer and tickrec on one root, a copy by
// hand) is refused by every reader, naming both: which one is right is for a human to say,
// and reading both would double the data.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { HIS_EXT, TICKREC_HIS_EXT, hisDayPath, hisHistoryPath, parseHisName, type HisExt, type KindFolder } from '../layout/index.js';
import { parseBlockHead, type BlockFormat, type HisCodec } from './block.js';
import { readAt } from './files.js';

/** Whether a format is tickrec's own (day block, container): a datakit reader must never open it. */
export function isTickrecFormat(format: BlockFormat): boolean {
  return format === 'tickrec' || format === 'container';
}

/** The extension a file of `format` is named with. */
export function hisExtOf(format: BlockFormat): HisExt {
  return isTickrecFormat(format) ? TICKREC_HIS_EXT : HIS_EXT;
}

/** The extension of a NEW file written with `codec`: lz4 makes tickrec's formats, zstd datakit's. */
export function hisExtOfCodec(codec: HisCodec): HisExt {
  return codec === 'zstd' ? HIS_EXT : TICKREC_HIS_EXT;
}

/** The extension of a file's name, or undefined when it is neither. */
export function hisExtOfName(file: string): HisExt | undefined {
  return file.endsWith(HIS_EXT) ? HIS_EXT : file.endsWith(TICKREC_HIS_EXT) ? TICKREC_HIS_EXT : undefined;
}

/** The format a historical file's header states (parseBlockHead's checks: flag, header CRC, type, version). */
export function readHisFormat(file: string): BlockFormat {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw ioError(err, file, 'open for reading');
  }
  try {
    return parseBlockHead(readAt(fd, 0, Math.min(64, fs.fstatSync(fd).size), file), file).format;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Why the name of `file` does not fit its `format`, or undefined when it does. A tickrec
 * format under `.dsb` is what datakit reads as garbage; a datakit format under `.tsb` is
 * data datakit cannot find.
 */
export function hisNameProblem(file: string, format: BlockFormat): string | undefined {
  const ext = hisExtOfName(file);
  if (ext === undefined || ext === hisExtOf(format)) return undefined;
  if (ext === HIS_EXT)
    return (
      `tickrec's own format (${format}) under datakit's name ${path.basename(file)}: a datakit reader opens it and reads garbage. ` +
      `Run tickrec migrate on the data root (it renames it to ${path.basename(file, HIS_EXT)}${TICKREC_HIS_EXT}).`
    );
  return (
    `datakit's format (${format}) under tickrec's name ${path.basename(file)}: a datakit reader does not find it. ` +
    `Rename it to ${path.basename(file, TICKREC_HIS_EXT)}${HIS_EXT} if no such file exists beside it.`
  );
}

/** Throws unless tickrec may write into the existing `file` (never into a tickrec format under datakit's name). */
export function checkWritable(file: string): void {
  const format = readHisFormat(file);
  if (isTickrecFormat(format) && hisExtOfName(file) === HIS_EXT)
    throw new TickrecError('E_VERSION', `${file}: ${hisNameProblem(file, format)!} Nothing was written to it.`, { file });
}

/** The existing one of `candidates` (the .dsb and .tsb names of one place), or undefined; both existing is refused. */
function theOne(dsb: string, tsb: string): string | undefined {
  const has = (f: string) => {
    try {
      // no throw for a missing file: an exception costs ~6x the stat (a first tick of each new instrument asks)
      return fs.statSync(f, { throwIfNoEntry: false })?.isFile() ?? false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw ioError(err, f, 'stat');
    }
  };
  const a = has(dsb);
  const b = has(tsb);
  if (a && b) throw twoFiles(dsb, tsb);
  return a ? dsb : b ? tsb : undefined;
}

/** The error for a place held by both names. */
export function twoFiles(dsb: string, tsb: string): TickrecError {
  return new TickrecError(
    'E_CORRUPT',
    `${dsb} and ${path.basename(tsb)} beside it both hold the same data (a datakit writer and tickrec on one root, or a copy): ` +
      'nothing is read from either. Compare them (tickrec cat, tickrec inspect), then move the wrong one out of his/.',
    { file: dsb },
  );
}

/** The file holding trading day `date` of an instrument (<CODE>.dsb or <CODE>.tsb), or undefined. */
export function hisDayFile(root: string, kind: KindFolder, exchg: string, date: number, code: string): string | undefined {
  return theOne(hisDayPath(root, kind, exchg, date, code, HIS_EXT), hisDayPath(root, kind, exchg, date, code, TICKREC_HIS_EXT));
}

/** The bar history of an instrument (<CODE>.dsb or <CODE>.tsb), or undefined. */
export function hisHistoryFile(root: string, kind: KindFolder, exchg: string, code: string): string | undefined {
  return theOne(hisHistoryPath(root, kind, exchg, code, HIS_EXT), hisHistoryPath(root, kind, exchg, code, TICKREC_HIS_EXT));
}

/**
 * Groups a folder listing's historical files (<CODE>.dsb, <CODE>.tsb) by code: code → its
 * file, and the codes held under both names, [.dsb, .tsb] (each a refusal for its readers).
 */
export function groupHisNames(dir: string, names: readonly string[]): { byCode: Map<string, string>; both: Map<string, [string, string]> } {
  const byCode = new Map<string, string>();
  const both = new Map<string, [string, string]>();
  for (const name of names) {
    const code = parseHisName(name);
    if (code === undefined) continue;
    const f = path.join(dir, name);
    const other = byCode.get(code);
    if (other === undefined) byCode.set(code, f);
    else both.set(code, hisExtOfName(other) === HIS_EXT ? [other, f] : [f, other]);
  }
  return { byCode, both };
}

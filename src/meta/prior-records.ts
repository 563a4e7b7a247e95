// Whether a data root already holds records of an instrument that has no metadata file: records written before tickrec kept metadata (or by datakit), which every reader takes in whole units and the bundled sessions' zone.
//
// WHY: the first metadata file of such an instrument must state the unit and zone those
// records were stored in (src/meta/root.ts, RootMetaWriter.ensure). Written with the
// configuration's unit instead (a Binance lot step of 0.00001), the trades already stored
// in whole units would read 10^5 times smaller, quietly.
//
// Which files count (the layout of src/layout/root.ts):
//   - the live file rt/<folder>/<EXCHG>/<CODE>.dmb when its header says it holds a record
//     (a prepared file holds none);
//   - a finished day rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb;
//   - a compacted day his/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dsb|.tsb, and a bar history
//     his/<folder>/<EXCHG>/<CODE>.dsb|.tsb.
// Looking costs a few stats and a listing of the exchange's folder (its live files and
// dated folders: O(instruments of the exchange), ~0.5 ms at 2,000): it runs once per
// instrument per run, only for an instrument with no metadata file yet, and only when the
// configuration differs from what such records are read with (the caller's choice), never
// on the path of a record. A folder that does not exist costs one stat.

import fs from 'node:fs';
import { ioError } from '../errors.js';
import { readRtHeader, RT_HEADER_BYTES, type RecordKind } from '../format/index.js';
import {
  HIS_EXT,
  TICKREC_HIS_EXT,
  hisDayPath,
  hisExchangeDir,
  hisHistoryPath,
  parseDateFolder,
  rtExchangeDir,
  rtFilePath,
  rtFinishedPath,
} from '../layout/index.js';

/** The first file found holding records of `exchg`.`code` of one of `kinds` in `root`, or undefined when there is none. */
export function priorRecordsFile(root: string, kinds: readonly RecordKind[], exchg: string, code: string): string | undefined {
  for (const kind of kinds) {
    const live = rtFilePath(root, kind, exchg, code);
    if (liveHoldsRecords(live)) return live;
    for (const date of datedFolders(rtExchangeDir(root, kind, exchg))) {
      const f = rtFinishedPath(root, kind, exchg, date, code);
      if (fs.existsSync(f)) return f;
    }
    for (const ext of [HIS_EXT, TICKREC_HIS_EXT] as const) {
      const history = hisHistoryPath(root, kind, exchg, code, ext);
      if (fs.existsSync(history)) return history;
    }
    for (const date of datedFolders(hisExchangeDir(root, kind, exchg))) {
      for (const ext of [HIS_EXT, TICKREC_HIS_EXT] as const) {
        const f = hisDayPath(root, kind, exchg, date, code, ext);
        if (fs.existsSync(f)) return f;
      }
    }
  }
  return undefined;
}

/** Whether a live file exists and its header counts at least one record (unreadable: counted, the careful answer). */
function liveHoldsRecords(file: string): boolean {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file, { throwIfNoEntry: false }); // no file: the usual answer, without the cost of an exception
  } catch {
    return true;
  }
  if (st === undefined) return false;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    return true;
  }
  try {
    const head = Buffer.alloc(RT_HEADER_BYTES);
    if (fs.readSync(fd, head, 0, RT_HEADER_BYTES, 0) < RT_HEADER_BYTES) return false; // no header: no record
    return readRtHeader(head).size > 0;
  } catch {
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

/** The trading dates of the dated folders in `dir` (none when it does not exist). */
function datedFolders(dir: string): number[] {
  let names: string[];
  try {
    if (fs.statSync(dir, { throwIfNoEntry: false }) === undefined) return []; // no folder, no exception
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(err, dir, 'list the dated folders (records stored before the metadata?)');
  }
  const dates: number[] = [];
  for (const n of names) {
    const d = parseDateFolder(n);
    if (d !== undefined) dates.push(d);
  }
  return dates;
}

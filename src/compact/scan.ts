// Finding the work of compaction under a data root: finished real-time files (in dated folders) grouped by instrument-day, and the live files.
//
//   live:     rt/<folder>/<EXCHG>/<CODE>.dmb                the recorder owns it
//   finished: rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb     set aside by the roll rule
//             rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>~<n>.dmb  a second file of the same day
// (names built and parsed by src/layout/root.ts). Only folders of known record kinds are
// looked at (rt/closed and the like are not).

import fs from 'node:fs';
import path from 'node:path';
import { ALL_KINDS, type RecordKind } from '../format/index.js';
import { hisKindOfRt, type HisKind } from '../his/index.js';
import { groupFinished, isExchangeName, parseDateFolder, parseLiveName, rtKindDir, RT_EXT } from '../layout/index.js';
import { probeRtFile } from '../store/index.js';

export interface DayWork {
  readonly rt: RecordKind;
  readonly his: HisKind;
  readonly exchg: string;
  readonly code: string;
  /** Trading date (the dated folder). */
  readonly date: number;
  /** The finished files of that instrument-day: <CODE>.dmb first, then <CODE>~<n>.dmb by n. */
  readonly files: readonly string[];
}

export interface LiveFile {
  readonly rt: RecordKind;
  readonly exchg: string;
  readonly code: string;
  readonly path: string;
  /** Header date, or undefined when the header cannot be read. */
  readonly date: number | undefined;
}

export interface ScanResult {
  work: DayWork[];
  live: LiveFile[];
  /** Files left alone, with why. */
  skipped: { file: string; why: string }[];
}

export function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function headerDate(file: string, kind: RecordKind): number | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      return probeRtFile(fd, file, kind).header.date;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** Kind order: ticks first (the day bar comes from them), then trades, then bar kinds. */
function kindRank(k: RecordKind): number {
  const i = ALL_KINDS.indexOf(k);
  return i < 0 ? ALL_KINDS.length : i;
}

/** Scans rt/ of `root`. `onlyDate` restricts the work to one trading date (live files are always listed). */
export function scanRoot(root: string, onlyDate?: number): ScanResult {
  const work: DayWork[] = [];
  const live: LiveFile[] = [];
  const skipped: { file: string; why: string }[] = [];
  for (const rt of ALL_KINDS) {
    const his = hisKindOfRt(rt);
    const kindDir = rtKindDir(root, rt);
    for (const exchg of list(kindDir)) {
      const exDir = path.join(kindDir, exchg);
      if (!isExchangeName(exchg)) continue;
      for (const entry of list(exDir)) {
        const p = path.join(exDir, entry);
        if (entry.endsWith(RT_EXT)) {
          const code = parseLiveName(entry);
          if (code === undefined) skipped.push({ file: p, why: 'not a name tickrec writes' });
          else live.push({ rt, exchg, code, path: p, date: headerDate(p, rt) });
          continue;
        }
        const date = parseDateFolder(entry);
        if (date === undefined) continue;
        if (onlyDate !== undefined && date !== onlyDate) continue;
        if (!his) {
          skipped.push({ file: p, why: `no historical format for ${rt.name} records` });
          continue;
        }
        work.push(...dayFolder(rt, his, exchg, date, p, skipped));
      }
    }
  }
  work.sort((a, b) => a.date - b.date || kindRank(a.rt) - kindRank(b.rt) || cmp(a.exchg, b.exchg) || cmp(a.code, b.code));
  return { work, live, skipped };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dayFolder(
  rt: RecordKind,
  his: HisKind,
  exchg: string,
  date: number,
  dir: string,
  skipped: { file: string; why: string }[],
): DayWork[] {
  const { byCode, unknown } = groupFinished(dir, list(dir));
  for (const file of unknown) skipped.push({ file, why: 'not a name tickrec writes' });
  return [...byCode.entries()].map(([code, files]) => ({ rt, his, exchg, code, date, files }));
}

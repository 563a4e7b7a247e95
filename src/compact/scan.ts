// Finding the work of compaction under a data root: finished real-time files (in dated folders) grouped by instrument-day, and the live files.
//
//   live:     rt/<folder>/<EXCHG>/<CODE>.dmb                the recorder owns it
//   finished: rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb     set aside by the roll rule
//             rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.<n>.dmb  a second file of the same day
// Only folders of known record kinds are looked at (rt/closed and the like are not).

import fs from 'node:fs';
import path from 'node:path';
import { ioError } from '../errors.js';
import { ALL_KINDS, type RecordKind } from '../format/index.js';
import { hisKindOfRt, type HisKind } from '../his/index.js';
import { nameProblem, probeRtFile, readRtTradingDate, CODE_MAX_CHARS, EXCHG_MAX_CHARS } from '../store/index.js';

export interface DayWork {
  readonly rt: RecordKind;
  readonly his: HisKind;
  readonly exchg: string;
  readonly code: string;
  /** Trading date: the dated folder (ticks, trades); for bars the date of their records (regroupBars). */
  readonly date: number;
  /** The finished files of that instrument-day: <CODE>.dmb first, then <CODE>.<n>.dmb by n. */
  readonly files: readonly string[];
}

export interface LiveFile {
  readonly rt: RecordKind;
  readonly exchg: string;
  readonly code: string;
  readonly path: string;
  /** Trading date (rtTradingDate), or undefined when the header cannot be read. */
  readonly date: number | undefined;
}

export interface ScanResult {
  work: DayWork[];
  live: LiveFile[];
  /** Files left alone, with why. */
  skipped: { file: string; why: string }[];
  /** Folders that could not be read (EACCES, EIO...): their days are unknown, a problem to report. */
  unreadable: Unreadable[];
}

/** A folder of the data root that could not be listed, and why. */
export interface Unreadable {
  file: string;
  why: string;
}

const DATE_DIR = /^\d{8}$/;
const SECOND_FILE = /^(.+)\.(\d+)\.dmb$/;

/**
 * The sorted entries of a folder. A folder that does not exist, or is a file, has none
 * (a data root without rt/ is normal). Any other error (EACCES, EIO...) is NEVER an empty
 * folder: it goes to `unreadable` when given (the caller reports it and fails), and is
 * thrown otherwise. (`chmod 000` on a day folder used to make compact and verify say
 * "nothing to do", exit 0.)
 */
export function list(dir: string, unreadable?: Unreadable[]): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    const e = ioError(err, dir, 'list the folder');
    if (!unreadable) throw e;
    unreadable.push({ file: dir, why: `${e.code}: ${e.message}` });
    return [];
  }
}

/** The trading date of a live file (rtTradingDate: for bars, its last record's). */
function liveDate(file: string, kind: RecordKind): number | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      return readRtTradingDate(fd, probeRtFile(fd, file, kind));
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
  let work: DayWork[] = [];
  const live: LiveFile[] = [];
  const skipped: { file: string; why: string }[] = [];
  const unreadable: Unreadable[] = [];
  list(path.join(root, 'rt'), unreadable);
  for (const rt of ALL_KINDS) {
    const his = hisKindOfRt(rt);
    const kindDir = path.join(root, 'rt', rt.folder);
    for (const exchg of list(kindDir, unreadable)) {
      const exDir = path.join(kindDir, exchg);
      if (nameProblem(exchg, EXCHG_MAX_CHARS) !== null) continue;
      for (const entry of list(exDir, unreadable)) {
        const p = path.join(exDir, entry);
        if (entry.endsWith('.dmb')) {
          live.push({ rt, exchg, code: entry.slice(0, -4), path: p, date: liveDate(p, rt) });
          continue;
        }
        if (!DATE_DIR.test(entry)) continue;
        const date = Number(entry);
        if (!his) {
          skipped.push({ file: p, why: `no historical format for ${rt.name} records` });
          continue;
        }
        // Bar files are dated by their records, wherever they were set aside (see below).
        if (!rt.datedByRecords && onlyDate !== undefined && date !== onlyDate) continue;
        work.push(...dayFolder(rt, his, exchg, date, p, skipped, unreadable));
      }
    }
  }
  work = regroupBars(work).filter((w) => onlyDate === undefined || w.date === onlyDate);
  work.sort((a, b) => a.date - b.date || kindRank(a.rt) - kindRank(b.rt) || cmp(a.exchg, b.exchg) || cmp(a.code, b.code));
  return { work, live, skipped, unreadable };
}

/**
 * Bar files regrouped by the trading date of their records (rtTradingDate), not by the
 * folder they were set aside in: an older tickrec set a datakit night-session bar file
 * aside under its header date (the evening before), next to nothing, while the rest of
 * that trading day went to the next folder. Both now form one instrument-day, merged by
 * dayRecords. A file whose date cannot be read stays with its folder (and fails there,
 * naming itself).
 */
function regroupBars(work: DayWork[]): DayWork[] {
  const out: DayWork[] = [];
  const groups = new Map<string, DayWork>();
  for (const w of work) {
    if (!w.rt.datedByRecords) {
      out.push(w);
      continue;
    }
    for (const file of w.files) {
      const date = finishedDate(file, w.rt) ?? w.date;
      const key = `${w.rt.name}/${w.exchg}/${w.code}/${date}`;
      const g = groups.get(key);
      if (g) (g.files as string[]).push(file);
      else {
        const n: DayWork = { ...w, date, files: [file] };
        groups.set(key, n);
        out.push(n);
      }
    }
  }
  return out;
}

function finishedDate(file: string, kind: RecordKind): number | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      return readRtTradingDate(fd, probeRtFile(fd, file, kind));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
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
  unreadable: Unreadable[],
): DayWork[] {
  const names = list(dir, unreadable).filter((f) => f.endsWith('.dmb'));
  const present = new Set(names);
  const byCode = new Map<string, { n: number; file: string }[]>();
  for (const f of names) {
    let code = f.slice(0, -4);
    let n = 0;
    const m = SECOND_FILE.exec(f);
    // <CODE>.<n>.dmb is a second file of CODE only when CODE.dmb is there; a code may itself end in ".<digits>".
    if (m && present.has(`${m[1]}.dmb`)) {
      code = m[1]!;
      n = Number(m[2]);
    }
    if (nameProblem(code, CODE_MAX_CHARS) !== null) {
      skipped.push({ file: path.join(dir, f), why: 'not a name tickrec writes' });
      continue;
    }
    let l = byCode.get(code);
    if (!l) byCode.set(code, (l = []));
    l.push({ n, file: path.join(dir, f) });
  }
  return [...byCode.entries()].map(([code, l]) => ({
    rt,
    his,
    exchg,
    code,
    date,
    files: l.sort((a, b) => a.n - b.n).map((x) => x.file),
  }));
}

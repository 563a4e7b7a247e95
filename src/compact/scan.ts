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
import { nameProblem, probeRtFile, CODE_MAX_CHARS, EXCHG_MAX_CHARS } from '../store/index.js';

export interface DayWork {
  readonly rt: RecordKind;
  readonly his: HisKind;
  readonly exchg: string;
  readonly code: string;
  /** Trading date (the dated folder). */
  readonly date: number;
  /** The finished files of that instrument-day: <CODE>.dmb first, then <CODE>.<n>.dmb by n. */
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
          live.push({ rt, exchg, code: entry.slice(0, -4), path: p, date: headerDate(p, rt) });
          continue;
        }
        if (!DATE_DIR.test(entry)) continue;
        const date = Number(entry);
        if (onlyDate !== undefined && date !== onlyDate) continue;
        if (!his) {
          skipped.push({ file: p, why: `no historical format for ${rt.name} records` });
          continue;
        }
        work.push(...dayFolder(rt, his, exchg, date, p, skipped, unreadable));
      }
    }
  }
  work.sort((a, b) => a.date - b.date || kindRank(a.rt) - kindRank(b.rt) || cmp(a.exchg, b.exchg) || cmp(a.code, b.code));
  return { work, live, skipped, unreadable };
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

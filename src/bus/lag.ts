// The publisher's cursor lag as the recorder sees it: its live files' sizes against the
// cursor files `tickrec publish` keeps in the data root (cursor.ts). No connection to
// NATS: the recorder's /metrics and monitor page show whether the bus keeps up from the
// files alone.
//
// WHICH RECORDS ARE BEHIND (fileLag): a cursor names a day, a file of that day (0: the
// first, n: <CODE>~<n>.dmb, src/store/roll.ts) and an index in it. The live file of day D
// is that day's file n = how many files of D are set aside already. So for a live file of
// day D and file n, with the cursor at (date, file, index):
//   date < D, or no cursor          every record of the live file is behind
//   date > D                        none
//   date = D, file > n              none (the cursor is past this file)
//   date = D, file = n              records - index (none when the file was sent whole)
//   date = D, file < n              every record of the live file, and the rest of each
//                                   set-aside file of D from the cursor's on
// Days set aside before D that the publisher has not finished are not counted here (the
// publisher's own /metrics counts them): the recorder's view is its live files.
//
// HOW LONG (lagSeconds): the publisher writes into its cursor file since when its file
// furthest behind has been behind (lagSinceMs, 0 when caught up) at least every
// CURSOR_HEARTBEAT_MS while it runs. Records behind are waiting since that time, or, when
// the publisher was caught up at its last write (or does not run), since that write.

import fs from 'node:fs';
import { busCursorPath, busDir, parseBusCursorName } from '../layout/index.js';
import { publishedRecords, setAsideFiles } from '../store/index.js';
import { cursorKey, readCursorFile, type Cursor } from './cursor.js';

export interface LiveFileSize {
  kind: string;
  exchg: string;
  code: string;
  date: number;
  /** The live file (to find the files of its day set aside before it). */
  path: string;
  /** Published records, -1 when unknown (the file is not mapped now). */
  records: number;
}

export interface PublishLag {
  stream: string;
  /** Records in the live files (and their day's set-aside files) the publisher has not had acknowledged yet. */
  lagRecords: number;
  /** Live files with records not yet acknowledged. */
  filesBehind: number;
  /** How long the oldest record behind has waited, at most, seconds (0 when none is behind). */
  lagSeconds: number;
  /** Since the publisher last wrote its cursors, ms. */
  cursorAgeMs: number;
}

/**
 * Records of live file `l` not yet acknowledged by the publisher whose cursor for it is
 * `c` (WHICH RECORDS ARE BEHIND above). `setAside(path, date)` lists a day's set-aside
 * files in order and `countOf(file)` counts a set-aside file's records (both read the
 * disk, only when the cursor is in the live file's day).
 */
export function fileLag(
  l: LiveFileSize,
  c: Cursor | undefined,
  setAside: (livePath: string, date: number) => readonly string[] = setAsideFiles,
  countOf: (file: string) => number = recordsOf,
): number {
  if (l.records < 0) return 0;
  if (c === undefined || c.date < l.date) return l.records;
  if (c.date > l.date) return 0;
  const aside = setAside(l.path, l.date);
  const n = aside.length; // the live file is the day's file n
  if (c.file > n) return 0;
  if (c.file === n) return c.ended ? 0 : Math.max(0, l.records - c.index);
  let lag = l.records;
  for (let f = c.file; f < n; f++) {
    const from = f === c.file ? (c.ended ? Number.POSITIVE_INFINITY : c.index) : 0;
    lag += Math.max(0, countOf(aside[f]!) - from);
  }
  return lag;
}

/**
 * The lag of every publisher of this root (one per stream), from its cursor file; [] when
 * none ever ran. `kinds`: the kinds it publishes (publish.nats.kinds; default all).
 */
export function publishLag(root: string, live: Iterable<LiveFileSize>, nowMs: number, kinds?: readonly string[]): PublishLag[] {
  let names: string[];
  try {
    names = fs.readdirSync(busDir(root));
  } catch {
    return [];
  }
  const files = [...live];
  const out: PublishLag[] = [];
  for (const name of names.sort()) {
    const stream = parseBusCursorName(name);
    if (stream === undefined) continue;
    let f;
    try {
      f = readCursorFile(busCursorPath(root, stream));
    } catch {
      continue; // damaged: the publisher says so itself
    }
    if (!f) continue;
    let lag = 0;
    let behind = 0;
    for (const l of files) {
      if (kinds !== undefined && !kinds.includes(l.kind)) continue;
      const n = fileLag(l, f.cursors[cursorKey(l.kind, l.exchg, l.code)]);
      lag += n;
      if (n > 0) behind++;
    }
    const since = f.lagSinceMs !== undefined && f.lagSinceMs > 0 ? Math.min(f.lagSinceMs, f.updatedMs) : f.updatedMs;
    out.push({
      stream,
      lagRecords: lag,
      filesBehind: behind,
      lagSeconds: lag === 0 ? 0 : Math.max(0, (nowMs - since) / 1000),
      cursorAgeMs: Math.max(0, nowMs - f.updatedMs),
    });
  }
  return out;
}

/** Published records of a set-aside file, 0 when it cannot be read (gone: compacted meanwhile). */
function recordsOf(file: string): number {
  return publishedRecords(file) ?? 0;
}

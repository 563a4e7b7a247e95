// The publisher's cursor lag as the recorder sees it: its live files' sizes against the
// cursor files `tickrec publish` keeps in the data root (cursor.ts). No connection to
// NATS: the recorder's /metrics and monitor page show whether the bus keeps up from the
// files alone.

import fs from 'node:fs';
import { busDir, cursorKey, readCursorFile } from './cursor.js';
import path from 'node:path';

export interface LiveFileSize {
  kind: string;
  exchg: string;
  code: string;
  date: number;
  /** Published records, -1 when unknown (the file is not mapped now). */
  records: number;
}

export interface PublishLag {
  stream: string;
  /** Records in the live files the publisher has not had acknowledged yet. */
  lagRecords: number;
  /** Live files with records not yet acknowledged. */
  filesBehind: number;
  /** Since the publisher last wrote its cursors, ms. */
  cursorAgeMs: number;
}

const CURSOR_FILE = /^publish-([A-Za-z0-9_-]{1,64})\.json$/;

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
    const m = CURSOR_FILE.exec(name);
    if (!m) continue;
    let f;
    try {
      f = readCursorFile(path.join(busDir(root), name));
    } catch {
      continue; // damaged: the publisher says so itself
    }
    if (!f) continue;
    let lag = 0;
    let behind = 0;
    for (const l of files) {
      if (l.records < 0 || (kinds !== undefined && !kinds.includes(l.kind))) continue;
      const c = f.cursors[cursorKey(l.kind, l.exchg, l.code)];
      const done = c === undefined || c.date < l.date ? 0 : c.date > l.date ? l.records : c.index;
      const n = Math.max(0, l.records - done);
      lag += n;
      if (n > 0) behind++;
    }
    out.push({ stream: m[1]!, lagRecords: lag, filesBehind: behind, cursorAgeMs: Math.max(0, nowMs - f.updatedMs) });
  }
  return out;
}

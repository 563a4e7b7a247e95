// Reads the summary the end-of-day compaction leaves in <root>/compact/last.json, tolerating missing, extra or mistyped fields, and whether a compaction runs now.
//
// Only numbers, booleans, bounded timestamp strings and 8-digit day labels are kept:
// free text (an error message, a path) never reaches the monitor page.
//
// Times: `finishedAt` is the wall clock of the machine that ran the compaction (it
// writes new Date()), never the recorder's simulated clock; the page says so.

import fs from 'node:fs';
import { compactLockPath, compactSummaryPath } from '../layout/index.js';
import { isAlive, readLock } from '../store/index.js';

export interface CompactionSummary {
  /** 'none': no summary yet; 'ok': read; 'unreadable': the file exists but is not a JSON object. */
  state: 'none' | 'ok' | 'unreadable';
  /** Wall clock (ISO, UTC) when the last run finished. */
  finishedAt: string | null;
  /** A compaction holds <root>/compact.lock now: since when (wall clock, ISO); null when none runs. */
  runningSince: string | null;
  /** How many trading days it compacted. */
  days: number | null;
  /** The days themselves when the summary lists them (YYYYMMDD, at most 10). */
  dayList: string[];
  files: number | null;
  bytesIn: number | null;
  bytesOut: number | null;
  ratio: number | null;
  seconds: number | null;
  ok: boolean | null;
}

/** Largest summary file read; a bigger one is reported unreadable. */
const MAX_SUMMARY_BYTES = 64 * 1024;
const MAX_DAYS_LISTED = 10;

/** A summary with no values: state 'none' (no file yet) or 'unreadable'. */
export function emptyCompaction(state: 'none' | 'unreadable'): CompactionSummary {
  return {
    state,
    finishedAt: null,
    runningSince: null,
    days: null,
    dayList: [],
    files: null,
    bytesIn: null,
    bytesOut: null,
    ratio: null,
    seconds: null,
    ok: null,
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** An ISO string or epoch ms as a normalised ISO string; null for anything else. */
function instant(v: unknown): string | null {
  const t = typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : Number.NaN;
  if (!Number.isFinite(t)) return null;
  const d = new Date(t);
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
}

/** The summary from parsed JSON, keeping only fields of the expected types. */
export function parseCompactionSummary(json: unknown): CompactionSummary {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return emptyCompaction('unreadable');
  const o = json as Record<string, unknown>;
  const finishedAt = instant(o.finishedAt);
  let days: number | null;
  const dayList: string[] = [];
  if (Array.isArray(o.days)) {
    days = o.days.length;
    for (const d of o.days) {
      const s = typeof d === 'number' && Number.isInteger(d) ? String(d) : typeof d === 'string' ? d : '';
      if (/^\d{8}$/.test(s) && dayList.length < MAX_DAYS_LISTED) dayList.push(s);
    }
  } else days = num(o.days);
  const bytesIn = num(o.bytesIn);
  const bytesOut = num(o.bytesOut);
  return {
    state: 'ok',
    finishedAt,
    runningSince: null,
    days,
    dayList,
    files: Array.isArray(o.files) ? o.files.length : num(o.files),
    bytesIn,
    bytesOut,
    ratio: num(o.ratio),
    seconds: num(o.seconds),
    ok: typeof o.ok === 'boolean' ? o.ok : null,
  };
}

/** When the live holder of <root>/compact.lock took it (ISO); null when no compaction runs. Never throws. */
export function compactionRunningSince(root: string): string | null {
  try {
    const holder = readLock(compactLockPath(root));
    return holder !== null && isAlive(holder) ? (instant(holder.since) ?? new Date(0).toISOString()) : null;
  } catch {
    return null; // an unreadable lock: not shown as running
  }
}

/** Reads <root>/compact/last.json (state 'none' when it does not exist) and whether a compaction runs now. Never throws. */
export async function readCompactionSummary(root: string): Promise<CompactionSummary> {
  const summary = await readSummaryFile(root);
  summary.runningSince = compactionRunningSince(root);
  return summary;
}

async function readSummaryFile(root: string): Promise<CompactionSummary> {
  const file = compactSummaryPath(root);
  let text: string;
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile() || st.size > MAX_SUMMARY_BYTES) return emptyCompaction('unreadable');
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? emptyCompaction('none') : emptyCompaction('unreadable');
  }
  try {
    return parseCompactionSummary(JSON.parse(text));
  } catch {
    return emptyCompaction('unreadable');
  }
}

// Reads the summary the end-of-day compaction leaves in <root>/compact/last.json, tolerating missing, extra or mistyped fields.
//
// Only numbers, booleans, a bounded timestamp string and 8-digit day labels are kept:
// free text (an error message, a path) never reaches the monitor page.

import fs from 'node:fs';
import path from 'node:path';

export interface CompactionSummary {
  /** 'none': no summary yet; 'ok': read; 'unreadable': the file exists but is not a JSON object. */
  state: 'none' | 'ok' | 'unreadable';
  finishedAt: string | null;
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

export function compactionSummaryPath(root: string): string {
  return path.join(root, 'compact', 'last.json');
}

/** A summary with no values: state 'none' (no file yet) or 'unreadable'. */
export function emptyCompaction(state: 'none' | 'unreadable'): CompactionSummary {
  return {
    state,
    finishedAt: null,
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

/** The summary from parsed JSON, keeping only fields of the expected types. */
export function parseCompactionSummary(json: unknown): CompactionSummary {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return emptyCompaction('unreadable');
  const o = json as Record<string, unknown>;
  let finishedAt: string | null = null;
  if (typeof o.finishedAt === 'string') {
    const t = Date.parse(o.finishedAt);
    finishedAt = Number.isFinite(t) ? new Date(t).toISOString() : null;
  } else if (typeof o.finishedAt === 'number' && Number.isFinite(o.finishedAt)) {
    const d = new Date(o.finishedAt);
    finishedAt = Number.isFinite(d.getTime()) ? d.toISOString() : null;
  }
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

/** Reads <root>/compact/last.json: state 'none' when it does not exist. Never throws. */
export async function readCompactionSummary(root: string): Promise<CompactionSummary> {
  const file = compactionSummaryPath(root);
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

// The merge rule of one instrument-day held by several sources (a replayed day's files, his/ beside a live file): compaction writes a day by it and the reader reads one by it, so a day reads the same before and after compaction.
//
// RULE: records in time-key order (keyAt), stable: records of equal key keep the order of
// their parts, and within a part their own order; a record byte-identical to one already
// taken with the same key is dropped (the same tick sent twice, or recorded by two runs).
// Records of equal key that differ in any byte are all kept. One non-empty part is
// returned as it is (a source holds its records in time-key order: format invariant 8).

import { Mem } from './mem.js';

/** What the rule needs of a kind: its record size and time key (RecordKind, ReadKind). */
export interface KeyedRecords {
  readonly recordBytes: number;
  keyAt(m: Mem, offset: number): number;
}

function sameBytes(a: Uint8Array, at: number, b: Uint8Array, bt: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[at + k] !== b[bt + k]) return false;
  return true;
}

/** Merges the parts of one day by RULE above: the records, and how many duplicates were dropped. */
export function mergeByKey(kind: KeyedRecords, parts: readonly Uint8Array[]): { records: Uint8Array; dropped: number } {
  const full = parts.filter((p) => p.length > 0);
  if (full.length === 0) return { records: new Uint8Array(new ArrayBuffer(0)), dropped: 0 };
  if (full.length === 1) return { records: full[0]!, dropped: 0 };
  const rs = kind.recordBytes;
  const items: { key: number; src: number; at: number }[] = [];
  full.forEach((p, src) => {
    const m = new Mem(p);
    for (let at = 0; at < p.length; at += rs) items.push({ key: kind.keyAt(m, at), src, at });
  });
  items.sort((a, b) => a.key - b.key || a.src - b.src || a.at - b.at);
  const out = new Uint8Array(new ArrayBuffer(items.length * rs));
  let n = 0;
  let dropped = 0;
  let lastKey = NaN;
  /** Output rows taken with the current key. */
  let sameKeyFrom = 0;
  for (const it of items) {
    const p = full[it.src]!;
    if (it.key !== lastKey) sameKeyFrom = n;
    lastKey = it.key;
    let dup = false;
    for (let r = sameKeyFrom; r < n && !dup; r++) dup = sameBytes(out, r * rs, p, it.at, rs);
    if (dup) {
      dropped++;
      continue;
    }
    out.set(p.subarray(it.at, it.at + rs), n * rs);
    n++;
  }
  return { records: out.subarray(0, n * rs), dropped };
}

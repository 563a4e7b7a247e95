// The day-merge rule (src/format/merge.ts) that compaction and the reader share: key order, stable by part, byte-identical duplicates of a key dropped.

import { describe, expect, it } from 'vitest';
import { Mem, mergeByKey, type KeyedRecords } from '../../src/format/index.js';

/** Records of 8 bytes: a u32 key, then a u32 value. */
const KIND: KeyedRecords = { recordBytes: 8, keyAt: (m: Mem, o: number) => m.u32[o >>> 2]! };

function part(...recs: [key: number, value: number][]): Uint8Array {
  const m = Mem.alloc(recs.length * 8);
  recs.forEach(([k, v], i) => {
    m.u32[i * 2] = k;
    m.u32[i * 2 + 1] = v;
  });
  return m.u8;
}

function rows(bytes: Uint8Array): [number, number][] {
  const m = new Mem(bytes);
  const out: [number, number][] = [];
  for (let i = 0; i < bytes.length / 8; i++) out.push([m.u32[i * 2]!, m.u32[i * 2 + 1]!]);
  return out;
}

describe('mergeByKey', () => {
  it('gives no records for no parts or only empty ones', () => {
    expect(mergeByKey(KIND, []).records.length).toBe(0);
    expect(mergeByKey(KIND, [part(), part()])).toMatchObject({ dropped: 0 });
    expect(mergeByKey(KIND, [part(), part()]).records.length).toBe(0);
  });

  it('returns a single non-empty part as it is', () => {
    const p = part([1, 10], [2, 20]);
    const r = mergeByKey(KIND, [part(), p, part()]);
    expect(r.records).toBe(p);
    expect(r.dropped).toBe(0);
  });

  it('merges in key order, stable by part, and drops a record byte-identical to one taken with the same key', () => {
    const a = part([1, 10], [3, 30], [3, 31], [5, 50]);
    const b = part([2, 20], [3, 31], [3, 32], [5, 50], [5, 50], [6, 60]);
    const r = mergeByKey(KIND, [a, b]);
    expect(rows(r.records)).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
      [3, 31],
      [3, 32],
      [5, 50],
      [6, 60],
    ]);
    expect(r.dropped).toBe(3);
  });

  it('keeps records of the same key that differ in a byte, in the order of their parts', () => {
    const r = mergeByKey(KIND, [part([7, 2]), part([7, 1]), part([7, 2])]);
    expect(rows(r.records)).toEqual([
      [7, 2],
      [7, 1],
    ]);
    expect(r.dropped).toBe(1);
  });
});

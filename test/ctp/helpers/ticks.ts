// Tick records as the CTP tests compare them: those a root's live tick file holds (book levels as plain arrays) and expected ones built on a zero record.

import fs from 'node:fs';
import path from 'node:path';
import { TICK, TICK_KIND, valueFields, zeroRecord } from '../../../src/format/index.js';
import { RtReader } from '../../../src/store/index.js';

const LEVEL_FIELDS = valueFields(TICK)
  .filter((f) => f.isArray)
  .map((f) => f.name);

/** The records of <root>/rt/ticks/<exchg>/<code>.dmb (none when the file is missing), book levels as plain arrays. */
export function tickRecords(root: string, exchg: string, code: string): Record<string, unknown>[] {
  const file = path.join(root, 'rt', 'ticks', exchg, `${code}.dmb`);
  if (!fs.existsSync(file)) return [];
  const r = RtReader.open(file, { kind: TICK_KIND });
  try {
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < r.length; i++) {
      const rec = r.get(i) as Record<string, unknown>;
      for (const k of LEVEL_FIELDS) rec[k] = Array.from(rec[k] as ArrayLike<number>);
      out.push(rec);
    }
    return out;
  } finally {
    r.close();
  }
}

/** A book side of ten levels: the values given, then zeros. */
export const ten = (...v: number[]): number[] => [...v, ...new Array<number>(10 - v.length).fill(0)];

/** An expected tick record: every field not given is 0 ('' for names, ten zeros for a book side). */
export function expectedTick(o: Record<string, unknown>): Record<string, unknown> {
  return { ...zeroRecord(TICK), ...o };
}

// Checks that a compacted root holds every expected record exactly once: day blocks, bar histories and day bars.

import { expect } from 'vitest';
import { TICK_KIND } from '../../../src/format/index.js';
import {
  BarHistory,
  DAY_HIS_KIND,
  dayBarFromTicks,
  hisDayFile,
  hisHistoryFile,
  hisKindByName,
  readHisBlock,
} from '../../../src/his/index.js';

import type { Expected } from './root.js';

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

export function checkCompacted(root: string, exp: Expected): void {
  const histories = new Map<string, Set<number>>();
  for (const [k, recs] of exp.days) {
    const [kindName, exchg, code, d] = k.split('/') as [string, string, string, string];
    const date = Number(d);
    const his = hisKindByName(kindName === 'tick' ? 'tick' : kindName)!;
    if (his.layout === 'daily') {
      const b = readHisBlock(hisDayFile(root, his, exchg, date, code)!);
      expect(b.date, k).toBe(date);
      expect(same(b.records, recs), `${k}: records of the day block`).toBe(true);
      if (kindName === TICK_KIND.name) {
        const h = BarHistory.open(hisHistoryFile(root, DAY_HIS_KIND, exchg, code)!);
        try {
          expect(same(h.readDay(date)!, dayBarFromTicks(recs, date)), `${k}: day bar`).toBe(true);
        } finally {
          h.close();
        }
        const id = `day/${exchg}/${code}`;
        if (!histories.has(id)) histories.set(id, new Set());
        histories.get(id)!.add(date);
      }
    } else {
      const f = hisHistoryFile(root, his, exchg, code)!;
      const h = BarHistory.open(f);
      try {
        expect(same(h.readDay(date)!, recs), `${k}: bars in ${f}`).toBe(true);
      } finally {
        h.close();
      }
      const id = `${kindName}/${exchg}/${code}`;
      if (!histories.has(id)) histories.set(id, new Set());
      histories.get(id)!.add(date);
    }
  }
  // Exactly once: each history holds each expected day once and nothing else.
  for (const [id, dates] of histories) {
    const [kindName, exchg, code] = id.split('/') as [string, string, string];
    const h = BarHistory.open(hisHistoryFile(root, hisKindByName(kindName)!, exchg, code)!);
    try {
      expect(
        h.days().map((d) => d.date),
        id,
      ).toEqual([...dates].sort((a, b) => a - b));
    } finally {
      h.close();
    }
  }
}

// follow() with reuseView: one view object re-pointed at every record, values still right, across growth and a roll.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TICK_KIND } from '../../src/format/index.js';
import { RtWriter, follow, type RecordView } from '../../src/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tick(i: number, date: number) {
  return {
    exchg: 'SHFE',
    code: 'rb2505',
    price: 3000 + i,
    trading_date: date,
    action_date: date,
    action_time: 90000000 + i,
    total_volume: i,
  };
}

describe('follow with reuseView', () => {
  it('hands one re-pointed view per callback; every record once, in order, through growth and a roll', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-reuse-'));
    dirs.push(dir);
    const file = path.join(dir, 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    const w1 = RtWriter.open(file, { kind: TICK_KIND, date: 20250106, initialCapacity: 4 });
    for (let i = 0; i < 50; i++) w1.append(tick(i, 20250106)); // several growths
    const seen: { price: number; date: number }[] = [];
    const views = new Set<RecordView>();
    let ended = false;
    const f = follow(
      file,
      (v) => {
        views.add(v);
        seen.push({ price: v.price as number, date: v.trading_date as number });
        if (seen.length === 80) return false;
        return undefined;
      },
      { reuseView: true, rollCheckMs: 1, onFileEnd: () => (ended = true) },
    );
    const until = Date.now() + 20_000;
    while (seen.length < 50 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    w1.close();
    fs.mkdirSync(path.join(path.dirname(file), '20250106'));
    fs.renameSync(file, path.join(path.dirname(file), '20250106', 'rb2505.dmb'));
    while (!ended && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    const w2 = RtWriter.open(file, { kind: TICK_KIND, date: 20250107, initialCapacity: 4 });
    for (let i = 0; i < 30; i++) w2.append(tick(100 + i, 20250107));
    await f.done;
    w2.close();
    expect(seen.map((s) => s.price)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => 3000 + i),
      ...Array.from({ length: 30 }, (_, i) => 3100 + i),
    ]);
    expect(seen.filter((s) => s.date === 20250107)).toHaveLength(30);
    expect(views.size).toBe(2); // one view per file, not one per record
  });
});

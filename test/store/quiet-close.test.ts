// QUIET CLOSE (rt-writer.ts): close() syncs a file only when something was published since its last successful background sync; the records are on disk either way.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TICK_KIND } from '../../src/format/index.js';
import { RtReader, RtWriter } from '../../src/store/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const D = 20250102;
const tick = (i: number) => ({ exchg: 'SHFE', code: 'rb2505', price: 3000 + i, trading_date: D, action_date: D, total_volume: i + 1 });
const synced = (w: RtWriter) =>
  new Promise<number>((resolve, reject) => w.syncInBackground((err, gained) => (err ? reject(err) : resolve(gained))));

describe('QUIET CLOSE', () => {
  it('a file with nothing published since its background sync closes without a sync; one with new records syncs', async () => {
    const dir = makeTempDir('tickrec-quiet-close-');
    const quiet = RtWriter.open(path.join(dir, 'a.dmb'), { kind: TICK_KIND, date: D, initialCapacity: 64 });
    const busy = RtWriter.open(path.join(dir, 'b.dmb'), { kind: TICK_KIND, date: D, initialCapacity: 64 });
    for (let i = 0; i < 3; i++) {
      quiet.append(tick(i));
      busy.append(tick(i));
    }
    expect(await synced(quiet)).toBe(3);
    expect(await synced(busy)).toBe(3);
    busy.append(tick(3));
    expect(quiet.close()).toBe(false);
    expect(busy.close()).toBe(true);
    expect(quiet.close()).toBe(false); // closed already
    for (const [name, n] of [
      ['a.dmb', 3],
      ['b.dmb', 4],
    ] as const) {
      const r = RtReader.open(path.join(dir, name));
      expect(r.length).toBe(n);
      expect(r.field(n - 1, 'total_volume')).toBe(n);
      r.close();
    }
  });

  it('a file never synced in the background (just created or reopened) syncs at close', () => {
    const dir = makeTempDir('tickrec-quiet-close-');
    const file = path.join(dir, 'c.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: D, initialCapacity: 64 });
    expect(w.close()).toBe(true);
    const again = RtWriter.open(file, { kind: TICK_KIND, date: D, initialCapacity: 64 });
    expect(again.close()).toBe(true);
    expect(fs.existsSync(file)).toBe(true);
  });
});

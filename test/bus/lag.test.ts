// The publisher's cursor lag as the recorder computes it from the files (src/bus/lag.ts): a day's later files (<CODE>~<n>.dmb) count, a cursor in an earlier file of the day does not hide the live file's records.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileLag, publishLag, writeCursorFile, type LiveFileSize } from '../../src/bus/index.js';
import { TICK_KIND } from '../../src/format/index.js';
import { busCursorPath } from '../../src/layout/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { encodeRecord, openPool, tickAt } from './helpers.js';

afterAll(() => removeTempDirs());

const D = 20250102;

/** A root where day D of SHFE.rb2505 has a set-aside file of 20 records, a set-aside ~1 of 15 and a live ~2 of `live` records. */
function threeFiles(live: number): { root: string; l: LiveFileSize } {
  const root = makeTempDir();
  const pool = openPool(root);
  const raw = (i: number) => encodeRecord(TICK_KIND, tickAt('SHFE', 'rb2505', D, i));
  try {
    for (let i = 0; i < 20; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D, tickAt('SHFE', 'rb2505', D, i));
    expect(pool.finish(TICK_KIND, 'SHFE', 'rb2505', D)).toBe(true);
    for (let i = 0; i < 15; i++) expect(pool.appendRaw(TICK_KIND, 'SHFE', 'rb2505', D, raw(i), 1)).toBe(true);
    expect(pool.finish(TICK_KIND, 'SHFE', 'rb2505', D)).toBe(true);
    for (let i = 0; i < live; i++) expect(pool.appendRaw(TICK_KIND, 'SHFE', 'rb2505', D, raw(i), 2)).toBe(true);
    const l = [...pool.liveFileSizes()][0]!;
    expect(fs.existsSync(path.join(root, 'rt', 'ticks', 'SHFE', String(D), 'rb2505~1.dmb'))).toBe(true);
    expect(l).toMatchObject({ date: D, records: live });
    return { root, l };
  } finally {
    pool.closeAll();
  }
}

describe('publisher lag with a day of several files', () => {
  it("counts the live file's records when the cursor is in an earlier file of the day, and the rest of that file", () => {
    const { l } = threeFiles(8);
    const at = (file: number, index: number, ended = false) => fileLag(l, { date: D, file, index, ended });
    // In the live file (the day's file 2): records after the cursor.
    expect(at(2, 3)).toBe(5);
    expect(at(2, 8)).toBe(0);
    // In ~1, 10 of 15 sent: 5 of ~1 and all 8 of the live file. (Before the fix: index 10 > 8 records, lag 0.)
    expect(at(1, 10)).toBe(5 + 8);
    expect(at(1, 15, true)).toBe(8);
    // In the first file, 12 of 20 sent: 8 + 15 + 8.
    expect(at(0, 12)).toBe(8 + 15 + 8);
    expect(at(0, 20, true)).toBe(15 + 8);
    // An earlier day, no cursor: the live file; a later day: nothing.
    expect(fileLag(l, { date: D - 1, file: 0, index: 100, ended: true })).toBe(8);
    expect(fileLag(l, undefined)).toBe(8);
    expect(fileLag(l, { date: D + 1, file: 0, index: 0, ended: false })).toBe(0);
  });

  it('publishLag gives records, files behind and how long, from the cursor file', () => {
    const { root, l } = threeFiles(8);
    const now = Date.now();
    writeCursorFile(busCursorPath(root, 'S'), {
      version: 1,
      stream: 'S',
      prefix: 'tickrec',
      updatedMs: now - 2000,
      lagSinceMs: now - 7000,
      cursors: { 'tick/SHFE/rb2505': { date: D, file: 1, index: 15, ended: true } },
    });
    expect(publishLag(root, [l], now)).toEqual([{ stream: 'S', lagRecords: 8, filesBehind: 1, lagSeconds: 7, cursorAgeMs: 2000 }]);
    // Caught up at its last write (lagSinceMs 0), records since: behind since that write at most.
    writeCursorFile(busCursorPath(root, 'S'), {
      version: 1,
      stream: 'S',
      prefix: 'tickrec',
      updatedMs: now - 3000,
      lagSinceMs: 0,
      cursors: { 'tick/SHFE/rb2505': { date: D, file: 2, index: 8, ended: false } },
    });
    expect(publishLag(root, [l], now)).toEqual([{ stream: 'S', lagRecords: 0, filesBehind: 0, lagSeconds: 0, cursorAgeMs: 3000 }]);
    expect(publishLag(root, [{ ...l, records: 11 }], now)).toEqual([
      { stream: 'S', lagRecords: 3, filesBehind: 1, lagSeconds: 3, cursorAgeMs: 3000 },
    ]);
  });
});

// PAGE RELEASE (src/store/map.ts): before its background sync a writer drops its page-table entries for the pages it has finished; nothing is lost and readers see every record.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RT_HEADER_BYTES, TICK_KIND } from '../../src/format/index.js';
import { RtReader, RtWriter } from '../../src/store/index.js';
import { PAGE_BYTES } from '../../src/store/map.js';
import { TICK_TRADING_DATE, makeTick, tickProblem } from '../helpers/ticks.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

/** Resident bytes of this process's mappings of `file` (all of them), from /proc/self/smaps. */
function mappedRss(file: string): number {
  const real = fs.realpathSync(file);
  let rss = 0;
  let inFile = false;
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inFile = line.endsWith(' ' + real);
    else if (inFile && line.startsWith('Rss:')) rss += Number(line.split(/\s+/)[1]) * 1024;
  }
  return rss;
}

const RS = TICK_KIND.recordBytes;

describe('page release before the background sync', () => {
  it('drops the finished pages from the writer mapping, keeps header and the page being written, loses nothing', async () => {
    const file = path.join(makeTempDir(), 'r.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: TICK_TRADING_DATE, initialCapacity: 4096, populate: false }); // POPULATE AHEAD would add resident pages ahead
    try {
      for (let i = 0; i < 1000; i++) w.append(makeTick(i, 3));
      const written = RT_HEADER_BYTES + 1000 * RS;
      expect(mappedRss(file)).toBeGreaterThanOrEqual(Math.floor(written / PAGE_BYTES) * PAGE_BYTES);
      w.syncInBackground();
      expect(mappedRss(file)).toBeLessThanOrEqual(2 * PAGE_BYTES); // the header page and the one being written
      for (let i = 1000; i < 1010; i++) w.append(makeTick(i, 3)); // the page being written was kept
      expect(mappedRss(file)).toBeLessThanOrEqual(3 * PAGE_BYTES);

      // Every record is intact: through a reader's mapping, through read(2), and through the writer.
      const r = RtReader.open(file);
      try {
        expect(r.length).toBe(1010);
        for (let i = 0; i < 1010; i++) expect(tickProblem(r.at(i), i), `record ${i}`).toBeNull();
      } finally {
        r.close();
      }
      const bytes = fs.readFileSync(file);
      const again = RtWriter.open(path.join(makeTempDir(), 'copy.dmb'), {
        kind: TICK_KIND,
        date: TICK_TRADING_DATE,
        initialCapacity: 4096,
      });
      for (let i = 0; i < 1010; i++) again.append(makeTick(i, 3));
      again.close();
      const want = fs.readFileSync(again.path);
      expect(
        bytes.subarray(RT_HEADER_BYTES, RT_HEADER_BYTES + 1010 * RS).equals(want.subarray(RT_HEADER_BYTES, RT_HEADER_BYTES + 1010 * RS)),
      ).toBe(true);
      expect(w.get(5).action_time).toBe(makeTick(5, 3).action_time); // a released page maps again on access
    } finally {
      w.close();
    }
  });

  it('a growth releases the whole old mapping', () => {
    const file = path.join(makeTempDir(), 'g.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: TICK_TRADING_DATE, initialCapacity: 256, populate: false });
    try {
      for (let i = 0; i < 256; i++) w.append(makeTick(i, 4));
      expect(mappedRss(file)).toBeGreaterThanOrEqual(Math.floor((RT_HEADER_BYTES + 256 * RS) / PAGE_BYTES) * PAGE_BYTES);
      w.append(makeTick(256, 4)); // grows: a new mapping; the old one stays mapped until collected, with no pages
      expect(w.capacity).toBe(512);
      expect(mappedRss(file)).toBeLessThanOrEqual(3 * PAGE_BYTES);
      for (let i = 0; i < 257; i++) expect(tickProblem(w.get(i), i), `record ${i}`).toBeNull();
    } finally {
      w.close();
    }
  });
});

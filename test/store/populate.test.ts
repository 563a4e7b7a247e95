// POPULATE AHEAD (src/store/populate.ts, native/fs/src/populate.c): the pages just ahead of a writer are made present by the addon's helper thread; nothing changes in what is stored, a page past the file's end fails the job (EFAULT) instead of raising SIGBUS.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RT_HEADER_BYTES, TICK_KIND } from '../../src/format/index.js';
import { RtReader, RtWriter } from '../../src/store/index.js';
import { allocate } from '../../src/store/fallocate.js';
import { PAGE_BYTES, mapFile } from '../../src/store/map.js';
import { populatePages, populatePending, populateStatus } from '../../src/store/populate.js';
import { POPULATE_CHUNK_BYTES } from '../../src/store/rt-writer.js';
import { TICK_TRADING_DATE, makeTick, tickProblem } from '../helpers/ticks.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const RS = TICK_KIND.recordBytes;
const available = populateStatus().available;

/** Resident bytes of this process's mappings of `file`, from /proc/self/smaps. */
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

async function settled(): Promise<void> {
  const until = Date.now() + 30_000;
  while (populatePending() > 0) {
    if (Date.now() > until) throw new Error(`populate jobs still pending after 30 s: ${JSON.stringify(populateStatus())}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.skipIf(!available)('populate ahead of the writer', () => {
  it('a file written less than one chunk gets no job; past it, the pages ahead of the writer become resident; every record intact', async () => {
    const file = path.join(makeTempDir(), 'p.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: TICK_TRADING_DATE, initialCapacity: 8192 });
    try {
      const before = populateStatus().done + populatePending();
      const few = Math.floor(POPULATE_CHUNK_BYTES / RS) - 1;
      for (let i = 0; i < few; i++) w.append(makeTick(i, 7));
      await settled();
      expect(populateStatus().done).toBe(before); // a rarely written file: no zero pages ahead

      const n = few + 200;
      for (let i = few; i < n; i++) w.append(makeTick(i, 7));
      await settled();
      expect(populateStatus().done).toBeGreaterThan(before);
      const written = RT_HEADER_BYTES + n * RS;
      // Resident: what was written plus at least one chunk ahead of it (the writer touched only the first).
      expect(mappedRss(file)).toBeGreaterThanOrEqual(Math.floor(written / PAGE_BYTES) * PAGE_BYTES + POPULATE_CHUNK_BYTES);
      expect(w.size).toBe(n);
      const r = RtReader.open(file);
      try {
        expect(r.length).toBe(n);
        for (let i = 0; i < n; i++) expect(tickProblem(r.at(i), i), `record ${i}`).toBeNull();
      } finally {
        r.close();
      }
      // The populated pages past the records are still zeros on disk as in the mapping.
      const bytes = fs.readFileSync(file);
      expect(bytes.subarray(written, written + POPULATE_CHUNK_BYTES).every((b) => b === 0)).toBe(true);
    } finally {
      w.close();
    }
  });

  it('across growths the writer keeps asking ahead in each new mapping; every record intact', async () => {
    const file = path.join(makeTempDir(), 'g.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: TICK_TRADING_DATE, initialCapacity: 512 });
    const n = 5000; // 512 -> 1024 -> 2048 -> 4096 -> 8192
    try {
      const before = populateStatus().done + populatePending();
      for (let i = 0; i < n; i++) w.append(makeTick(i, 9));
      await settled();
      expect(w.capacity).toBeGreaterThanOrEqual(n);
      expect(populateStatus().done - before).toBeGreaterThanOrEqual(5); // at least one job in each of the 5 mappings
      // The last mapping (from the growth at 4096 records) holds what was written since, plus at least a chunk ahead.
      expect(mappedRss(file)).toBeGreaterThanOrEqual((n - 4096) * RS + POPULATE_CHUNK_BYTES);
      const r = RtReader.open(file);
      try {
        expect(r.length).toBe(n);
        for (let i = 0; i < n; i++) expect(tickProblem(r.at(i), i), `record ${i}`).toBeNull();
      } finally {
        r.close();
      }
    } finally {
      w.close();
    }
  });

  it('pages past the end of a file someone cut: the job fails with EFAULT, no SIGBUS, nothing written', async () => {
    const file = path.join(makeTempDir(), 'cut.dmb');
    const fd = fs.openSync(file, 'w+');
    try {
      const bytes = 1 << 20;
      allocate(fd, 0, bytes);
      const buf = mapFile(fd, bytes, true, file);
      fs.ftruncateSync(fd, PAGE_BYTES); // someone else's hands
      const failed = populateStatus().failed;
      expect(populatePages(buf, 64 * 1024, bytes)).toBe(true);
      await settled();
      const s = populateStatus();
      expect(s.failed).toBe(failed + 1);
      expect(s.lastErrno).toBe(14); // EFAULT
      expect(fs.fstatSync(fd).size).toBe(PAGE_BYTES); // the file was not lengthened
    } finally {
      fs.closeSync(fd);
    }
  });
});

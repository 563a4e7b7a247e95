// EXTEND AHEAD (src/store/extender.ts): the blocks of the next growth are reserved past the
// file's end by a helper thread once the file is half full, without changing the file's
// length (KEEP_SIZE); the growth then lengthens the file over them, maps and publishes.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RT_HEADER_BYTES, TICK_KIND } from '../../src/format/index.js';
import { RtReader, RtWriter } from '../../src/store/index.js';
import { FS_ADDON_PATH, fallocateAddonForWorker } from '../../src/store/fallocate.js';
import { waitFor } from '../../scripts/lib/wait.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { killAllHelpers, spawnHelper } from '../helpers/child.js';
import { makeTick } from '../helpers/ticks.js';

afterEach(async () => {
  await killAllHelpers();
  removeTempDirs();
});

function tick(i: number) {
  return {
    exchg: 'SHFE',
    code: 'rb2505',
    price: 3000 + i,
    trading_date: 20250106,
    action_date: 20250106,
    action_time: 90000000 + i,
    total_volume: i,
  };
}

const bytesFor = (cap: number) => RT_HEADER_BYTES + cap * TICK_KIND.recordBytes;
/** Bytes of disk blocks the file holds (st_blocks counts 512-byte units; reserved blocks past the end included). */
const blockBytes = (file: string) => fs.statSync(file).blocks * 512;

describe('extend ahead', () => {
  it('has its helper: the addon knows FALLOC_FL_KEEP_SIZE (an older build: npx node-gyp rebuild --directory=native/fs)', () => {
    expect(fallocateAddonForWorker()).toBe(FS_ADDON_PATH);
  });

  it('reserves the next doubling past the end once the file is half full, never changing its length; the growth uses it; records and zeros are right', async () => {
    const dir = makeTempDir('tickrec-ahead-');
    const file = path.join(dir, 'a.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: 20250106, initialCapacity: 1024 });
    for (let i = 0; i < 511; i++) w.append(tick(i));
    expect(fs.statSync(file).size).toBe(bytesFor(1024)); // below half: nothing asked yet
    w.append(tick(511));
    w.append(tick(512)); // at half: the helper is asked for [1024, 2048) slots
    await waitFor(() => blockBytes(file) >= bytesFor(2048), 'the blocks reserved ahead', { timeoutMs: 20_000, intervalMs: 5 });
    expect(fs.statSync(file).size).toBe(bytesFor(1024)); // KEEP_SIZE: the helper never lengthens the file
    expect(w.capacity).toBe(1024); // not published before the growth
    const r = RtReader.open(file);
    expect(r.length).toBe(513);
    for (let i = 513; i < 1500; i++) w.append(tick(i)); // grows into the written range
    expect(w.capacity).toBe(2048);
    expect(r.length).toBe(1500); // the reader remaps on its own
    for (let i = 0; i < 1500; i++) expect(r.field(i, 'price')).toBe(3000 + i);
    // Past the published records: zeros only.
    const fd = fs.openSync(file, 'r');
    const tail = Buffer.alloc(bytesFor(2048) - bytesFor(1500));
    fs.readSync(fd, tail, 0, tail.length, bytesFor(1500));
    fs.closeSync(fd);
    expect(tail.every((b) => b === 0)).toBe(true);
    r.close();
    w.close();
  });

  it('close() waits for a job in flight and leaves the file exactly as long as its capacity', () => {
    const dir = makeTempDir('tickrec-ahead-');
    const file = path.join(dir, 'b.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: 20250106, initialCapacity: 8192 });
    for (let i = 0; i < 4097; i++) w.append(tick(i)); // asks for 4 MiB of zeros
    w.close(); // at once: the job is most likely still running
    expect(fs.statSync(file).size).toBe(bytesFor(8192));
    expect(blockBytes(file)).toBeLessThan(bytesFor(8192) + 256 * 1024); // the 4 MiB reserved past the end were freed
    const again = RtWriter.open(file, { kind: TICK_KIND, date: 20250106 });
    expect(again.report.repairs).toEqual([]); // nothing for reopen to repair
    expect(again.size).toBe(4097);
    again.close();
  });

  it('appendBatch across the half point and past the capacity in one call', () => {
    const dir = makeTempDir('tickrec-ahead-');
    const file = path.join(dir, 'c.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: 20250106, initialCapacity: 100 });
    w.appendBatch(Array.from({ length: 60 }, (_, i) => tick(i))); // past half: job for [100, 200)
    w.appendBatch(Array.from({ length: 300 }, (_, i) => tick(60 + i))); // needs 360: waits, then writes the rest inline
    expect(w.capacity).toBe(400);
    expect(fs.statSync(file).size).toBeGreaterThanOrEqual(bytesFor(400));
    const r = RtReader.open(file);
    expect(r.length).toBe(360);
    for (let i = 0; i < 360; i++) expect(r.field(i, 'total_volume')).toBe(i);
    r.close();
    w.close();
    expect(fs.statSync(file).size).toBe(bytesFor(400));
  });

  it('a helper that dies mid-job does not hang the writer: the growth reserves inline, close() returns, every record is there', async () => {
    const dir = makeTempDir('tickrec-ahead-');
    const file = path.join(dir, 'a.dmb');
    const child = spawnHelper('extender-death-child.ts', [file]);
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the writer did not close within 60 s after its helper died; stderr:\n${child.stderr}`)),
        60_000,
      );
    });
    const closed = await Promise.race([child.waitFor('closed'), hung]).finally(() => clearTimeout(timer));
    expect(closed).toMatchObject({ size: 1500, capacity: 2048 });
    expect((await child.exit).code).toBe(0);
    const r = RtReader.open(file);
    expect(r.length).toBe(1500);
    for (const i of [0, 599, 600, 1024, 1499]) expect(r.field(i, 'price')).toBe(makeTick(i, 3).price);
    r.close();
  });
});

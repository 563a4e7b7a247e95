// A live file cut (truncate) right before its writer grows it: the writer must not lengthen the cut file again (GROWTH RULE, CUT BEFORE/DURING GROWTH in src/store/rt-writer.ts; EXTEND AHEAD's KEEP_SIZE in src/store/extender.ts), and no reader may take a cut file that was lengthened again for good (CUT AND LENGTHENED in src/store/rt-reader.ts).
//
// Why: under load, test/reliability/outside.test.ts saw a follower of a file cut with
// `truncate -s 24` stop with E_REPLACED instead of E_TRUNCATED: close() of the set-aside
// writer, a growth, or the helper thread lengthened the cut file again, so its header
// (the 24 bytes that survive) said n records and every one read as zeros. Lengthened by a
// growth, the writer went on publishing over that hole: a wrong number stored quietly.
// Every case here is deterministic: the cut is made between two calls, never raced.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { RT_HEADER_BYTES, TICK_KIND } from '../../src/format/index.js';
import { RtReader, RtWriter, WriterPool, follow } from '../../src/store/index.js';
import { fallocateAddonForWorker } from '../../src/store/fallocate.js';
import { waitFor } from '../../scripts/lib/wait.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const D1 = 20250102;
const RS = TICK_KIND.recordBytes;
const bytesFor = (cap: number) => RT_HEADER_BYTES + cap * RS;
const live = (root: string, code = 'rb2505') => path.join(root, 'rt', 'ticks', 'SHFE', `${code}.dmb`);
const sizeOf = (file: string) => fs.statSync(file).size;

function tick(i: number, code = 'rb2505') {
  return { exchg: 'SHFE', code, price: 3000 + i, trading_date: D1, action_date: D1, action_time: 90000000 + i, total_volume: i + 1 };
}

/** The error fn throws (or undefined). */
function thrown(fn: () => unknown): TickrecError | undefined {
  try {
    fn();
  } catch (err) {
    return err as TickrecError;
  }
  return undefined;
}

/** The error a follower stopped with, or undefined when it stopped without one. */
async function stopped(f: { done: Promise<void> }): Promise<TickrecError | undefined> {
  return f.done.then(
    () => undefined,
    (e: unknown) => e as TickrecError,
  );
}

/** A writer of capacity 64 holding 64 ticks (the next append grows), the helper's reservation settled (when there is a helper: extend-ahead.test.ts says when not). */
async function fullWriter(file: string): Promise<RtWriter> {
  const w = RtWriter.open(file, { kind: TICK_KIND, date: D1, initialCapacity: 64 });
  for (let i = 0; i < 64; i++) w.append(tick(i));
  if (fallocateAddonForWorker() !== null)
    await waitFor(() => w.diskBytes > bytesFor(64), 'the next doubling reserved ahead', { timeoutMs: 20_000, intervalMs: 5 });
  return w;
}

describe('CUT BEFORE GROWTH: truncate -s 24 right before the append that grows', () => {
  const cases: [string, (w: RtWriter) => void][] = [
    ['append', (w) => w.append(tick(64))],
    ['appendBatch past the doubling reserved ahead', (w) => w.appendBatch(Array.from({ length: 100 }, (_, k) => tick(64 + k)))],
    ['appendRaw', (w) => w.appendRaw(Buffer.alloc(RS, 1))],
  ];
  for (const [name, grow] of cases) {
    it(`${name}: E_TRUNCATED naming the file, nothing published, the file never lengthened again`, async () => {
      const file = path.join(makeTempDir('tickrec-cut-'), 'a.dmb');
      const w = await fullWriter(file);
      fs.truncateSync(file, 24); // someone else's hands
      const err = thrown(() => grow(w));
      expect(err).toBeInstanceOf(TickrecError);
      expect(err!.code).toBe('E_TRUNCATED');
      expect(err!.message).toContain(file);
      expect(w.damaged).toBe(err); // what the pool sets aside by
      expect(w.size).toBe(64); // nothing published past the cut
      expect(w.capacity).toBe(64);
      expect(sizeOf(file)).toBe(24); // before the fix: lengthened to the new capacity, a hole of zeros under 64+ published records
      expect(thrown(() => w.append(tick(200)))?.code).toBe('E_TRUNCATED'); // and every later append
      w.close();
      expect(sizeOf(file)).toBe(24); // close() never lengthens a cut file either
      expect(thrown(() => RtReader.open(file))?.code).toBe('E_TRUNCATED'); // no reader takes it for 64 records
    });
  }

  it('the helper thread never lengthens a file that was cut before it ran (KEEP_SIZE)', async () => {
    const file = path.join(makeTempDir('tickrec-cut-'), 'b.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 32; i++) w.append(tick(i));
    fs.truncateSync(file, 24);
    // the append at the half point (32 of 64) asks the helper for the next doubling, then writes past the cut
    expect(thrown(() => w.append(tick(32)))?.code).toBe('E_TRUNCATED');
    if (fallocateAddonForWorker() !== null)
      await waitFor(() => w.diskBytes > bytesFor(64), "the helper's job done", { timeoutMs: 20_000, intervalMs: 5 });
    expect(sizeOf(file)).toBe(24); // before the fix: the helper made it 2 x 64 slots long
    w.close(); // waits for the helper's job
    expect(sizeOf(file)).toBe(24); // before the fix: close() made it 64 slots long
  });
});

describe('CUT DURING GROWTH: a file cut and lengthened again before the growth', () => {
  it('cut to 24 bytes and lengthened back: the growth sees the published records read as zeros, cuts the file back, E_TRUNCATED', async () => {
    const file = path.join(makeTempDir('tickrec-cut-'), 'c.dmb');
    const w = await fullWriter(file);
    fs.truncateSync(file, 24);
    fs.truncateSync(file, bytesFor(64)); // as long as the writer published: the length check alone would pass
    const err = thrown(() => w.append(tick(64)));
    expect(err?.code).toBe('E_TRUNCATED');
    expect(err?.message).toMatch(/lengthened over the cut; it is cut back to 24 bytes, the 0 records/);
    expect(w.size).toBe(64);
    w.close();
    expect(sizeOf(file)).toBe(24); // cut back: no reader, no repair takes the zeros for records
  });

  it('cut inside record 20 and lengthened back: cut back to the 20 whole records before it, which `repair` keeps intact', async () => {
    const file = path.join(makeTempDir('tickrec-cut-'), 'd.dmb');
    const w = await fullWriter(file);
    fs.truncateSync(file, bytesFor(20) + 100);
    fs.truncateSync(file, bytesFor(64));
    expect(thrown(() => w.append(tick(64)))?.code).toBe('E_TRUNCATED');
    w.close();
    expect(sizeOf(file)).toBe(bytesFor(20));
    const repaired = RtWriter.open(file, { kind: TICK_KIND, date: D1, repair: true });
    expect(repaired.size).toBe(20);
    for (let i = 0; i < 20; i++) expect(repaired.get(i).price).toBe(3000 + i);
    repaired.close();
  });
});

describe('the pool and a follower, truncate -s 24 right before a growth (the outside.test.ts race, without the race)', () => {
  it('the file is set aside as it was cut, the record goes to a new file, the follower stops with E_TRUNCATED (not E_REPLACED), no zero record anywhere', async () => {
    const root = makeTempDir('tickrec-cut-');
    const damaged: TickrecError[] = [];
    const pool = new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 64 }, onDamaged: (e) => damaged.push(e) });
    for (let i = 0; i < 64; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, tick(i));
    const prices: number[] = [];
    const f = follow(live(root), (v) => void prices.push(Number(v.price)), { mode: 'timer', intervalMs: 2, rollCheckMs: 20 });
    await waitFor(() => prices.length === 64, 'the follower caught up', { timeoutMs: 20_000, intervalMs: 5 });
    fs.truncateSync(live(root), 24);
    expect(pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, tick(64))).toBe(true); // the append that grows
    expect(damaged.map((e) => e.code)).toEqual(['E_TRUNCATED']);
    expect(damaged[0]!.message).toMatch(/set aside as .*rb2505\.dmb\.truncated-/);
    const dir = path.dirname(live(root));
    const aside = fs.readdirSync(dir).filter((n) => n.startsWith('rb2505.dmb.truncated-'));
    expect(aside).toHaveLength(1);
    expect(sizeOf(path.join(dir, aside[0]!))).toBe(24); // set aside as it was cut: not lengthened by close()
    const err = await stopped(f);
    expect(err?.code).toBe('E_TRUNCATED');
    expect(err?.message).toContain(live(root));
    expect(prices).toEqual(Array.from({ length: 64 }, (_, i) => 3000 + i)); // every record it handed out is real
    pool.closeAll();
    const r = RtReader.open(live(root));
    expect(r.length).toBe(1);
    expect(r.get(0).price).toBe(3064); // the record went to the new file
    r.close();
  });
});

describe('CUT AND LENGTHENED under a reader (someone else lengthened a cut file)', () => {
  it('a follower that is caught up stops with E_TRUNCATED at its next idle check', async () => {
    const file = path.join(makeTempDir('tickrec-cut-'), 'e.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 30; i++) w.append(tick(i));
    w.close();
    const prices: number[] = [];
    const f = follow(file, (v) => void prices.push(Number(v.price)), { mode: 'timer', intervalMs: 2, rollCheckMs: 10 });
    await waitFor(() => prices.length === 30, 'the follower caught up', { timeoutMs: 20_000, intervalMs: 5 });
    fs.truncateSync(file, 24);
    fs.truncateSync(file, bytesFor(64));
    const err = await stopped(f);
    expect(err?.code).toBe('E_TRUNCATED');
    expect(err?.message).toMatch(/record 29 reads as all zeros/);
    expect(prices).toEqual(Array.from({ length: 30 }, (_, i) => 3000 + i));
  });

  it('a follower that has records still to deliver stops before handing out a zero record', async () => {
    const file = path.join(makeTempDir('tickrec-cut-'), 'f.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 30; i++) w.append(tick(i));
    w.close();
    fs.truncateSync(file, bytesFor(10)); // records 10..29 cut
    fs.truncateSync(file, bytesFor(64));
    const prices: number[] = [];
    const err = await stopped(follow(file, (v) => void prices.push(Number(v.price)), { mode: 'timer', intervalMs: 2 }));
    expect(err?.code).toBe('E_TRUNCATED');
    expect(prices.every((p) => p !== 0)).toBe(true);
    expect(prices.length).toBeLessThan(30);
  });

  it('RtReader.checkLength: E_TRUNCATED when the last published record reads as zeros', () => {
    const file = path.join(makeTempDir('tickrec-cut-'), 'g.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 30; i++) w.append(tick(i));
    w.close();
    const r = RtReader.open(file);
    r.checkLength(); // whole: nothing to say
    fs.truncateSync(file, 24);
    fs.truncateSync(file, bytesFor(64));
    expect(thrown(() => r.checkLength())?.code).toBe('E_TRUNCATED');
    r.close();
  });

  it('a reader that remaps onto a cut file gets E_TRUNCATED, not E_CORRUPT', () => {
    const file = path.join(makeTempDir('tickrec-cut-'), 'h.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 30; i++) w.append(tick(i));
    const r = RtReader.open(file); // maps 64 slots
    for (let i = 30; i < 100; i++) w.append(tick(i)); // grows to 128
    fs.truncateSync(file, bytesFor(80)); // shorter than the 128 slots the header publishes
    expect(thrown(() => r.length)?.code).toBe('E_TRUNCATED');
    r.close();
    w.close();
  });
});

// Tests of RtWriter (src/store/rt-writer.ts): create, append, batch, raw, growth, reopen/repair rules, encode failures, close, growth failure under a file-size limit.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TickrecError, type ErrorCode } from '../../src/errors.js';
import { BLOCK_FLAG, Mem, RT_CAPACITY_U32, RT_HEADER_BYTES, RT_SIZE_U32, TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { MAX_MAP_BYTES, RtReader, RtWriter, type RtWriterOptions } from '../../src/store/index.js';
import { REOPEN_ZERO_WINDOW_BYTES } from '../../src/store/rt-writer.js';
import { killAllHelpers, spawnHelper } from '../helpers/child.js';
import { TICK_TRADING_DATE, makeTick, tickProblem } from '../helpers/ticks.js';
import { diskHeader, fileMem, makeTempDir, patchHeader, removeTempDirs, writeAt } from '../helpers/tmp.js';

const SEED = 0x5eed;
const RS = TICK_KIND.recordBytes;
const DATE = TICK_TRADING_DATE;

afterEach(async () => {
  vi.restoreAllMocks();
  await killAllHelpers();
});
afterAll(() => removeTempDirs());

function tmpFile(name = 'rb2505.dmb'): string {
  return path.join(makeTempDir(), 'rt', 'ticks', 'SHFE', name);
}

function open(file: string, opts: Partial<RtWriterOptions> = {}): RtWriter {
  return RtWriter.open(file, { kind: TICK_KIND, date: DATE, ...opts });
}

/** A closed tick file holding ticks 0..count-1 with the given capacity. */
function fileWith(count: number, capacity: number, file = tmpFile()): string {
  const w = open(file, { initialCapacity: capacity });
  for (let i = 0; i < count; i++) w.append(makeTick(i, SEED));
  w.close();
  expect(w.capacity).toBe(capacity);
  return file;
}

function expectRecordsOnDisk(file: string, count: number): void {
  const h = diskHeader(file);
  expect(h.size).toBe(count);
  const mem = fileMem(file);
  for (let i = 0; i < count; i++) {
    const p = tickProblem(TICK_KIND.codec.decode(mem, RT_HEADER_BYTES + i * RS), i);
    if (p) expect.fail(p);
  }
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return expect.fail('expected an error, none was thrown');
}

function catchError2(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** fn must throw a TickrecError `code` whose message names `file`. */
function expectTickrecError(fn: () => unknown, code: ErrorCode, file: string): TickrecError {
  const err = catchError(fn);
  expect(err).toBeInstanceOf(TickrecError);
  const e = err as TickrecError;
  expect(e.code, e.message).toBe(code);
  expect(e.message).toContain(file);
  expect(e.file).toBe(file);
  return e;
}

/** The open fails with `code` and leaves the file byte for byte as it was. */
function expectRefused(file: string, code: ErrorCode, opts: Partial<RtWriterOptions> = {}): TickrecError {
  const before = fs.readFileSync(file);
  const e = expectTickrecError(() => open(file, opts), code, file);
  expect(Buffer.compare(fs.readFileSync(file), before), 'a refused open must not change the file').toBe(0);
  return e;
}

describe('RtWriter: create', () => {
  it.each([0, -1, 1.5, Number.NaN])('refuses initial capacity %s, creating no file', (cap) => {
    const file = tmpFile();
    expectTickrecError(() => open(file, { initialCapacity: cap }), 'E_USAGE', file);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('creates folders and the file: flag, type 3, version 3, size 0, capacity, date; length 24 + capacity*512, body zero', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 10 });
    expect(w.report.created).toBe(true);
    expect(w.report.repairs).toEqual([]);
    expect(w.size).toBe(0);
    expect(w.capacity).toBe(10);
    expect(w.date).toBe(DATE);
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(24 + 10 * 512);
    expect([...bytes.subarray(0, 8)]).toEqual([...BLOCK_FLAG]);
    expect(bytes.readUInt16LE(8)).toBe(3);
    expect(bytes.readUInt16LE(10)).toBe(3);
    expect(bytes.readUInt32LE(12)).toBe(0);
    expect(bytes.readUInt32LE(16)).toBe(10);
    expect(bytes.readUInt32LE(20)).toBe(DATE);
    expect(bytes.subarray(24).every((b) => b === 0)).toBe(true);
    // no temporary file left next to it
    expect(fs.readdirSync(path.dirname(file))).toEqual(['rb2505.dmb']);
    w.close();
  });

  it('uses the datakit capacity of 2,500 ticks by default', () => {
    const file = tmpFile();
    const w = open(file);
    expect(w.capacity).toBe(2500);
    expect(fs.statSync(file).size).toBe(24 + 2500 * 512);
    w.close();
  });

  it('writes the type and record size of the kind (trades: type 5, 112-byte records)', () => {
    const file = tmpFile('trade.dmb');
    const w = RtWriter.open(file, { kind: TRADE_KIND, date: DATE, initialCapacity: 7 });
    expect(diskHeader(file)).toEqual({ type: 5, version: 3, size: 0, capacity: 7, date: DATE });
    expect(fs.statSync(file).size).toBe(24 + 7 * 112);
    w.close();
  });
});

describe('RtWriter: append', () => {
  it('append() writes one record, publishes it, returns its index', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 4 });
    expect(w.append(makeTick(0, SEED))).toBe(0);
    expect(w.size).toBe(1);
    // visible in the file without close or sync (shared mapping)
    expect(diskHeader(file).size).toBe(1);
    expect(TICK_KIND.codec.decode(fileMem(file), 24)).toEqual(makeTick(0, SEED));
    expect(w.append(makeTick(1, SEED))).toBe(1);
    expect(TICK_KIND.codec.decode(fileMem(file), 24 + 512)).toEqual(makeTick(1, SEED));
    w.close();
    expectRecordsOnDisk(file, 2);
  });

  it('append() publishes with exactly one store of size; appendBatch() with one store for the whole batch', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 4 });
    const store = vi.spyOn(Atomics, 'store');
    const sizeStores = () => store.mock.calls.filter((c) => c[1] === RT_SIZE_U32 && c[0] instanceof Uint32Array).map((c) => c[2]);
    w.append(makeTick(0, SEED));
    expect(sizeStores()).toEqual([1]);
    store.mockClear();
    // 9 records: needs growth 4 -> 16 as well
    w.appendBatch(Array.from({ length: 9 }, (_, k) => makeTick(1 + k, SEED)));
    expect(sizeStores()).toEqual([10]);
    expect(w.size).toBe(10);
    expect(w.capacity).toBe(16);
    // the capacity store came before the size store
    const order = store.mock.calls.map((c) => c[1]);
    expect(order.lastIndexOf(RT_CAPACITY_U32)).toBeLessThan(order.lastIndexOf(RT_SIZE_U32));
    store.mockRestore();
    w.close();
    expectRecordsOnDisk(file, 10);
  });

  it('appendRaw() refuses a length that is not a whole number of records and publishes nothing', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 4 });
    w.append(makeTick(0, SEED));
    const err = catchError(() => w.appendRaw(new Uint8Array(511)));
    expect((err as Error).name).toBe('AssertionError');
    expect(w.size).toBe(1);
    expect(diskHeader(file).size).toBe(1);
    w.close();
  });

  it('appendRaw() appends encoded records byte for byte, growing as needed', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 2 });
    w.append(makeTick(0, SEED));
    const raw = Mem.alloc(5 * 512);
    for (let k = 0; k < 5; k++) TICK_KIND.codec.encode(makeTick(1 + k, SEED), raw, k * 512);
    w.appendRaw(raw.u8);
    expect(w.size).toBe(6);
    expect(w.capacity).toBe(8);
    const onDisk = fs.readFileSync(file).subarray(24 + 512, 24 + 6 * 512);
    expect(Buffer.compare(onDisk, raw.u8)).toBe(0);
    w.close();
    expectRecordsOnDisk(file, 6);
  });

  it('grows by doubling through several doublings: length and capacity right each time, records intact', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 4 });
    const seen: { capacity: number; header: number; length: number }[] = [];
    let last = -1;
    for (let i = 0; i < 100; i++) {
      w.append(makeTick(i, SEED));
      if (w.capacity !== last) {
        last = w.capacity;
        seen.push({ capacity: w.capacity, header: diskHeader(file).capacity, length: fs.statSync(file).size });
        // nothing published was lost by the growth
        expectRecordsOnDisk(file, i + 1);
      }
    }
    expect(seen).toEqual([4, 8, 16, 32, 64, 128].map((c) => ({ capacity: c, header: c, length: 24 + c * 512 })));
    w.close();
    expectRecordsOnDisk(file, 100);
  });

  it('a batch larger than one doubling grows straight to the power-of-two multiple that fits', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 3 });
    w.appendBatch(Array.from({ length: 50 }, (_, k) => makeTick(k, SEED)));
    expect(w.capacity).toBe(96);
    expect(fs.statSync(file).size).toBe(24 + 96 * 512);
    expect(diskHeader(file)).toMatchObject({ size: 50, capacity: 96 });
    w.close();
    expectRecordsOnDisk(file, 50);
  });

  it('appendBatch([]) changes nothing', () => {
    const file = fileWith(2, 4);
    const w = open(file);
    w.appendBatch([]);
    expect(w.size).toBe(2);
    w.close();
    expectRecordsOnDisk(file, 2);
  });
});

describe('RtWriter: a record that cannot be encoded publishes nothing', () => {
  const tooLong = { ...makeTick(1, SEED), code: 'x'.repeat(32) };

  it('append(): code of 32 characters -> E_FIELD, size unchanged, the slot is reused cleanly', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 4 });
    w.append(makeTick(0, SEED));
    const err = catchError(() => w.append(tooLong));
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_FIELD');
    expect((err as TickrecError).message).toContain('code');
    expect(w.size).toBe(1);
    expect(diskHeader(file).size).toBe(1);
    for (const bad of [
      { ...makeTick(1, SEED), code: 'rb25\u00e905' },
      { ...makeTick(1, SEED), exchg: 42 },
    ]) {
      expect((catchError(() => w.append(bad)) as TickrecError).code).toBe('E_FIELD');
      expect(diskHeader(file).size).toBe(1);
    }
    expect(w.append(makeTick(1, SEED))).toBe(1);
    w.close();
    expectRecordsOnDisk(file, 2);
    expect(TICK_KIND.codec.decode(fileMem(file), 24 + 512)).toEqual(makeTick(1, SEED));
  });

  it('appendBatch(): one bad record in the batch -> E_FIELD, none of the batch is published (also across a growth)', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 4 });
    w.append(makeTick(0, SEED));
    for (const batch of [
      [makeTick(1, SEED), tooLong, makeTick(2, SEED)],
      [...Array.from({ length: 10 }, (_, k) => makeTick(1 + k, SEED)), tooLong],
    ]) {
      const err = catchError(() => w.appendBatch(batch));
      expect((err as TickrecError).code).toBe('E_FIELD');
      expect(w.size).toBe(1);
      expect(diskHeader(file).size).toBe(1);
    }
    w.appendBatch([makeTick(1, SEED), makeTick(2, SEED)]);
    w.close();
    expectRecordsOnDisk(file, 3);
  });
});

describe('RtWriter: close and reopen', () => {
  it('reopen continues after the last record, with no repair', () => {
    const file = fileWith(10, 16);
    const w = open(file);
    expect(w.report).toEqual({ repairs: [], notes: [], created: false });
    expect(w.size).toBe(10);
    expect(w.capacity).toBe(16);
    expect(w.append(makeTick(10, SEED))).toBe(10);
    w.close();
    expectRecordsOnDisk(file, 11);
  });

  it('close() syncs and closes; close() twice is harmless; the file reopens as it was', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 4 });
    w.appendBatch([makeTick(0, SEED), makeTick(1, SEED), makeTick(2, SEED)]);
    w.close();
    w.close();
    const before = fs.readFileSync(file);
    const again = open(file);
    expect(again.size).toBe(3);
    expect(again.report.repairs).toEqual([]);
    again.close();
    expect(Buffer.compare(fs.readFileSync(file), before)).toBe(0);
  });

  it('append after close() is refused and does not touch the file', () => {
    const file = tmpFile();
    const w = open(file, { initialCapacity: 4 });
    w.append(makeTick(0, SEED));
    w.close();
    const before = fs.readFileSync(file);
    const threw = [() => w.append(makeTick(1, SEED)), () => w.appendBatch([makeTick(1, SEED)])].map((f) => catchError2(f) !== undefined);
    expect(diskHeader(file).size, 'a closed writer published records').toBe(1);
    expect(Buffer.compare(fs.readFileSync(file), before), 'a closed writer wrote into the file').toBe(0);
    expect(threw).toEqual([true, true]);
  });

  it('reopening with another date keeps the file, its date and its records', () => {
    const file = fileWith(3, 4);
    const w = open(file, { date: 20250103 });
    expect(w.date).toBe(DATE);
    expect(w.size).toBe(3);
    w.close();
    expect(diskHeader(file).date).toBe(DATE);
    expectRecordsOnDisk(file, 3);
  });
});

describe('RtWriter: reopen rules (refusals)', () => {
  it.each([0, 10, 23])('a file of %i bytes (shorter than the header) -> E_TRUNCATED', (n) => {
    const file = tmpFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.alloc(n, 0x26));
    expectRefused(file, 'E_TRUNCATED');
  });

  it('wrong flag -> E_NOT_BLOCK_FILE', () => {
    const file = fileWith(2, 4);
    writeAt(file, 0, Buffer.from('garbage!'));
    expectRefused(file, 'E_NOT_BLOCK_FILE');
  });

  it('a trade file opened as ticks, or an unknown type -> E_WRONG_TYPE', () => {
    const file = tmpFile('trade.dmb');
    RtWriter.open(file, { kind: TRADE_KIND, date: DATE, initialCapacity: 4 }).close();
    expect(expectRefused(file, 'E_WRONG_TYPE').message).toMatch(/trade/);
    const file2 = fileWith(1, 4);
    patchHeader(file2, { type: 24 });
    expectRefused(file2, 'E_WRONG_TYPE');
  });

  it.each([4, 2, 0])('version %i -> E_VERSION', (version) => {
    const file = fileWith(2, 4);
    patchHeader(file, { version });
    expectRefused(file, 'E_VERSION');
  });

  it('header capacity above the real length with published records gone -> E_TRUNCATED (file untouched)', () => {
    const file = fileWith(8, 8);
    fs.truncateSync(file, 24 + 5 * 512);
    const e = expectRefused(file, 'E_TRUNCATED');
    expect(e.message).toMatch(/8 records published/);
    expect(e.message).toMatch(/repair/);
  });

  it('size > capacity -> E_CORRUPT (file untouched)', () => {
    const file = fileWith(4, 8);
    patchHeader(file, { size: 9 });
    expectRefused(file, 'E_CORRUPT');
  });

  it('no room for a single record -> E_TRUNCATED', () => {
    const file = fileWith(0, 8);
    fs.truncateSync(file, 24 + 100);
    expectRefused(file, 'E_TRUNCATED');
  });
});

describe('RtWriter: reopen rules (repairs)', () => {
  function reopenWithRepairs(file: string, opts: Partial<RtWriterOptions> = {}) {
    const told: string[] = [];
    const w = open(file, { ...opts, onRepair: (m) => told.push(m) });
    expect(told).toEqual(w.report.repairs);
    for (const r of w.report.repairs) expect(r).toContain(file);
    return w;
  }

  it('header capacity below the real length (interrupted growth): capacity becomes the real one', () => {
    const file = fileWith(5, 8);
    fs.appendFileSync(file, Buffer.alloc(4 * 512)); // not a doubling: a growth cut short
    const w = reopenWithRepairs(file);
    expect(w.report.repairs).toHaveLength(1);
    expect(w.report.repairs[0]).toMatch(/interrupted growth/);
    expect(w.capacity).toBe(12);
    expect(w.size).toBe(5);
    expect(diskHeader(file)).toMatchObject({ size: 5, capacity: 12 });
    expect(fs.statSync(file).size).toBe(24 + 12 * 512);
    expect(w.append(makeTick(5, SEED))).toBe(5);
    w.close();
    expectRecordsOnDisk(file, 6);
  });

  it('exactly one doubling of zero slots (written ahead by a writer killed before close): taken as capacity, a note, no repair', () => {
    const file = fileWith(5, 8);
    fs.appendFileSync(file, Buffer.alloc(8 * 512));
    const w = reopenWithRepairs(file);
    expect(w.report.repairs).toEqual([]);
    expect(w.report.notes).toHaveLength(1);
    expect(w.report.notes[0]).toMatch(/zeros written ahead/);
    expect(w.capacity).toBe(16);
    expect(diskHeader(file)).toMatchObject({ size: 5, capacity: 16 });
    expect(w.append(makeTick(5, SEED))).toBe(5);
    w.close();
    expectRecordsOnDisk(file, 6);
  });

  it('bytes past the last whole record are cut off', () => {
    const file = fileWith(8, 8);
    fs.appendFileSync(file, Buffer.alloc(300, 0xab));
    const w = reopenWithRepairs(file);
    expect(w.report.repairs).toHaveLength(1);
    expect(w.report.repairs[0]).toMatch(/cut 300 bytes/);
    expect(w.capacity).toBe(8);
    expect(fs.statSync(file).size).toBe(24 + 8 * 512);
    w.close();
    expectRecordsOnDisk(file, 8);
  });

  it('interrupted growth that stopped mid-record: capacity = whole records, the rest cut', () => {
    const file = fileWith(8, 8);
    fs.appendFileSync(file, Buffer.alloc(3 * 512 + 100));
    const w = reopenWithRepairs(file);
    expect(w.report.repairs).toHaveLength(2);
    expect(w.capacity).toBe(11);
    expect(fs.statSync(file).size).toBe(24 + 11 * 512);
    expect(diskHeader(file)).toMatchObject({ size: 8, capacity: 11 });
    w.close();
    expectRecordsOnDisk(file, 8);
  });

  it('header capacity above the real length, size still fitting: capacity becomes the real one', () => {
    const file = fileWith(5, 16);
    fs.truncateSync(file, 24 + 8 * 512);
    const w = reopenWithRepairs(file);
    expect(w.report.repairs).toHaveLength(1);
    expect(w.report.repairs[0]).toMatch(/capacity 16 > 8/);
    expect(w.capacity).toBe(8);
    expect(w.size).toBe(5);
    expect(diskHeader(file)).toMatchObject({ size: 5, capacity: 8 });
    w.close();
    expectRecordsOnDisk(file, 5);
  });

  it('published records lost, with { repair: true }: size = real capacity, the rest kept, appends continue there', () => {
    const file = fileWith(8, 8);
    fs.truncateSync(file, 24 + 5 * 512);
    const w = reopenWithRepairs(file, { repair: true });
    expect(w.report.repairs.length).toBeGreaterThanOrEqual(1);
    expect(w.size).toBe(5);
    expect(w.capacity).toBe(5);
    expect(diskHeader(file)).toMatchObject({ size: 5, capacity: 5 });
    expect(w.append(makeTick(5, SEED))).toBe(5);
    w.close();
    expectRecordsOnDisk(file, 6);
  });

  it('size > capacity, with { repair: true }: size = capacity', () => {
    const file = fileWith(8, 8);
    patchHeader(file, { size: 12 });
    const w = reopenWithRepairs(file, { repair: true });
    expect(w.report.repairs).toHaveLength(1);
    expect(w.report.repairs[0]).toMatch(/size 12 > capacity 8/);
    expect(w.size).toBe(8);
    expect(diskHeader(file).size).toBe(8);
    w.close();
    expectRecordsOnDisk(file, 8);
  });

  it('garbage in the slots at and past size is zeroed on reopen; published records untouched', () => {
    const file = fileWith(3, 8);
    const garbage = Buffer.alloc(5 * 512);
    for (let k = 0; k < garbage.length; k++) garbage[k] = (k * 131 + 7) & 0xff || 1;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, garbage, 0, garbage.length, 24 + 3 * 512);
    fs.closeSync(fd);
    expect(
      fs
        .readFileSync(file)
        .subarray(24 + 3 * 512)
        .some((b) => b !== 0),
    ).toBe(true);
    const w = open(file);
    expect(w.size).toBe(3);
    const after = fs.readFileSync(file);
    expect(after.length).toBe(24 + 8 * 512);
    expect(after.subarray(24 + 3 * 512).every((b) => b === 0)).toBe(true);
    w.close();
    expectRecordsOnDisk(file, 3);
  });
});

describe('RtWriter: a reopen reads and writes only a window after size (REOPEN_ZERO_WINDOW_BYTES)', () => {
  it('garbage in the window is zeroed; garbage further out is left, never published, and overwritten whole by appends', () => {
    const capacity = 1024; // 512 KiB of slots, far more than the 64 KiB window
    const file = fileWith(3, capacity);
    const windowSlots = REOPEN_ZERO_WINDOW_BYTES / RS;
    const far = 3 + windowSlots + 10; // a slot beyond the window
    const garbage = Buffer.alloc(RS, 0xa5);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, garbage, 0, RS, 24 + 3 * RS); // the torn record right after size
    fs.writeSync(fd, garbage, 0, RS, 24 + far * RS); // a stale page a power loss persisted out of order
    fs.closeSync(fd);
    const reads = vi.spyOn(fs, 'readSync');
    const w = open(file);
    const bytesRead = reads.mock.calls.reduce((sum, c) => sum + Number((c as unknown[])[3] ?? 0), 0);
    reads.mockRestore();
    expect(bytesRead).toBeLessThanOrEqual(REOPEN_ZERO_WINDOW_BYTES + 4096); // the window (and the header), not 512 KiB
    const onDisk = fs.readFileSync(file);
    expect(onDisk.subarray(24 + 3 * RS, 24 + 4 * RS).every((b) => b === 0)).toBe(true);
    expect(onDisk.subarray(24 + far * RS, 24 + (far + 1) * RS).every((b) => b === 0xa5)).toBe(true);
    expect(w.size).toBe(3);
    for (let i = 3; i <= far; i++) w.append(makeTick(i, SEED));
    w.close();
    expectRecordsOnDisk(file, far + 1); // every byte of each slot written: the stale one is gone
  });
});

describe('RtWriter: large files', () => {
  it(`reopens a full file as large as one mapping allows (MAX_MAP_BYTES ${MAX_MAP_BYTES}, sparse)`, () => {
    const file = fileWith(2, 2);
    const capacity = Math.floor((MAX_MAP_BYTES - 24) / 512);
    patchHeader(file, { capacity, size: capacity }); // full: nothing to zero on reopen
    fs.truncateSync(file, 24 + capacity * 512);
    const w = open(file);
    expect(w.report.repairs).toEqual([]);
    expect(w.size).toBe(capacity);
    // full and unable to grow: refused before the file is touched
    const before = fs.statSync(file).size;
    const e = catchError(() => w.append(makeTick(2, SEED)));
    expect((e as TickrecError).code).toBe('E_NO_SPACE');
    expect((e as TickrecError).message).toContain(file);
    expect(fs.statSync(file).size).toBe(before);
    w.close();
  });
});

describe('RtWriter: growth failure (file-size limit)', () => {
  it('a child under `ulimit -f` gets E_NO_SPACE naming the file, exits non-zero (no signal); the file reopens cleanly with every record', async () => {
    const file = tmpFile();
    // 100 blocks (51,200 or 102,400 bytes, by bash's unit): room for 64 or 128 ticks, never 256
    const child = spawnHelper('writer-child.ts', [file, '--forever', '--initial-capacity', '16', '--seed', String(SEED)], {
      ulimitFileBlocks: 100,
    });
    const exit = await child.exit;
    const started = child.messages.find((m) => m.event === 'started');
    expect(started, child.stderr).toBeDefined();
    const error = child.messages.find((m) => m.event === 'error');
    expect(error, `child stdout ${JSON.stringify(child.messages)} stderr ${child.stderr}`).toBeDefined();
    expect(exit).toEqual({ code: 3, signal: null });
    expect(error).toMatchObject({ name: 'TickrecError', code: 'E_NO_SPACE', file });
    expect(String(error!.message)).toContain(file);
    expect(String(error!.message)).toMatch(/EFBIG/);

    const length = fs.statSync(file).size;
    const h = diskHeader(file);
    expect([64, 128]).toContain(h.capacity);
    expect(length).toBe(24 + h.capacity * 512);
    // every slot was filled and published before the growth that failed
    expect(h.size).toBe(h.capacity);
    expectRecordsOnDisk(file, h.size);

    const r = RtReader.open(file);
    expect(r.length).toBe(h.size);
    r.close();
    const w = open(file);
    expect(w.report.repairs).toEqual([]);
    expect(w.size).toBe(h.size);
    expect(w.append(makeTick(h.size, SEED))).toBe(h.size);
    w.close();
    expectRecordsOnDisk(file, h.size + 1);
  });
});

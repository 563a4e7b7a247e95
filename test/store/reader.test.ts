// Tests of RtReader (src/store/rt-reader.ts) and of following files live (src/store/rt-follow.ts): read API, errors, remap on growth, follow/followAsync, roll.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { TickrecError, type ErrorCode } from '../../src/errors.js';
import { TICK_KIND, TRADE_KIND, type Tick } from '../../src/format/index.js';
import {
  MAX_MAP_BYTES,
  RtReader,
  RtWriter,
  follow,
  followAsync,
  publishedRecords,
  type FileInfo,
  type FollowOptions,
  type Follower,
} from '../../src/store/index.js';
import { killAllHelpers, spawnHelper } from '../helpers/child.js';
import { TICK_TRADING_DATE, makeTick, tickProblem } from '../helpers/ticks.js';
import { makeTempDir, mappingPerms, openFds, patchHeader, removeTempDirs, writeAt, writeTickFile } from '../helpers/tmp.js';

const SEED = 0xbeef;
const DATE = TICK_TRADING_DATE;
/** Safety limit for tests that wait on a follower (a stall fails the test instead of hanging the run). */
const FOLLOW_TEST_MS = 30_000;

afterEach(async () => {
  vi.restoreAllMocks();
  await killAllHelpers();
});
afterAll(() => removeTempDirs());

function tmpFile(name = 'rb2505.dmb'): string {
  return path.join(makeTempDir(), 'rt', 'ticks', 'SHFE', name);
}

const ticks = (from: number, to: number, seed = SEED): Tick[] => Array.from({ length: to - from }, (_, k) => makeTick(from + k, seed));

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return expect.fail('expected an error, none was thrown');
}

function expectOpenError(file: string, code: ErrorCode, opts: Parameters<typeof RtReader.open>[1] = {}): TickrecError {
  const before = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  const err = catchError(() => RtReader.open(file, opts));
  expect(err).toBeInstanceOf(TickrecError);
  const e = err as TickrecError;
  expect(e.code, e.message).toBe(code);
  expect(e.message).toContain(file);
  expect(e.file).toBe(file);
  if (before) expect(Buffer.compare(fs.readFileSync(file), before)).toBe(0);
  // the fd is not leaked
  expect(openFds().filter((f) => f.target === file)).toEqual([]);
  return e;
}

/** Read-only fds of this process on `file` (a follower's readers; the writer's fd is read-write). */
function readOnlyFds(file: string) {
  return openFds().filter((f) => f.target === file && (f.flags & 3) === 0);
}

function writer(file: string, initialCapacity = 4, date = DATE): RtWriter {
  return RtWriter.open(file, { kind: TICK_KIND, date, initialCapacity });
}

describe('RtReader.open: refusals', () => {
  it('a file that does not exist: E_IO naming the file (cause ENOENT)', () => {
    const file = tmpFile();
    const e = expectOpenError(file, 'E_IO');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it.each([0, 12, 23])('%i bytes, shorter than the header: E_TRUNCATED', (n) => {
    const file = tmpFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.alloc(n, 0x26));
    expectOpenError(file, 'E_TRUNCATED');
  });

  it('wrong flag: E_NOT_BLOCK_FILE', () => {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 2), 4);
    writeAt(file, 3, Buffer.from('X'));
    expectOpenError(file, 'E_NOT_BLOCK_FILE');
  });

  it('wrong type for the expected kind, or a type that is not real-time: E_WRONG_TYPE', () => {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 2), 4);
    expectOpenError(file, 'E_WRONG_TYPE', { kind: TRADE_KIND });
    patchHeader(file, { type: 24 });
    expectOpenError(file, 'E_WRONG_TYPE');
  });

  it('version 4: E_VERSION', () => {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 2), 4, { version: 4 });
    expectOpenError(file, 'E_VERSION');
  });

  it('publishedRecords: the published count, undefined for a file that is missing or cannot be read', () => {
    const file = tmpFile();
    expect(publishedRecords(file)).toBeUndefined();
    writeTickFile(file, ticks(0, 3), 4);
    expect(publishedRecords(file)).toBe(3);
    writeAt(file, 3, Buffer.from('X'));
    expect(publishedRecords(file)).toBeUndefined();
  });

  it('file shorter than its capacity says: E_TRUNCATED (even when size fits)', () => {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 2), 8);
    fs.truncateSync(file, 24 + 7 * 512);
    expect(expectOpenError(file, 'E_TRUNCATED').message).toMatch(/capacity 8/);
  });

  it('size > capacity: E_CORRUPT', () => {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 4), 4, { size: 5 });
    expectOpenError(file, 'E_CORRUPT');
  });

  it('capacity 0: E_TRUNCATED', () => {
    const file = tmpFile();
    writeTickFile(file, [], 0);
    expectOpenError(file, 'E_TRUNCATED');
  });
});

describe('RtReader: read-only', () => {
  it('opens a mode 0444 file with O_RDONLY and maps it without write permission; never changes it', () => {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 3), 4);
    fs.chmodSync(file, 0o444);
    const before = fs.readFileSync(file);
    const r = RtReader.open(file);
    expect(r.length).toBe(3);
    const fds = openFds().filter((f) => f.target === file);
    expect(fds).toHaveLength(1);
    expect(fds[0]!.flags & 3, 'open flags must be O_RDONLY (flag "r")').toBe(0);
    const perms = mappingPerms(file);
    expect(perms.length).toBeGreaterThan(0);
    for (const p of perms) expect(p, 'mapping must be PROT_READ only').toMatch(/^r-.s$/);
    for (let i = 0; i < 3; i++) expect(tickProblem(r.at(i), i)).toBeNull();
    r.close();
    expect(Buffer.compare(fs.readFileSync(file), before)).toBe(0);
    expect(openFds().filter((f) => f.target === file)).toEqual([]);
  });
});

describe('RtReader: reading', () => {
  it('length, header, date, kind, at, get, field, last, keyAt, rawRecords', () => {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 5), 8, { date: 20250106 });
    const r = RtReader.open(file);
    expect(r.kind.name).toBe('tick');
    expect(r.header).toEqual({ type: 3, version: 3, size: 5, capacity: 8, date: 20250106 });
    expect(r.date).toBe(20250106);
    expect(r.length).toBe(5);
    expect(r.capacity).toBe(8);
    expect(r.ino).toBe(fs.statSync(file).ino);
    for (let i = 0; i < 5; i++) {
      const t = makeTick(i, SEED);
      expect(r.get(i)).toEqual(t);
      expect(r.at(i).toObject()).toEqual(t);
      expect(r.at(i).price).toBe(t.price);
      expect(r.at(i).code).toBe('rb2505');
      expect([...(r.at(i).ask_qty as Float64Array)]).toEqual(t.ask_qty);
      expect(r.field(i, 'total_volume')).toBe(i);
      expect(r.field(i, 'exchg')).toBe('SHFE');
      expect(r.keyAt(i)).toBe(TICK_KIND.keyOf(t.action_date, t.action_time));
    }
    expect(r.last()!.toObject()).toEqual(makeTick(4, SEED));
    const raw = r.rawRecords(1, 3);
    expect(Buffer.compare(raw, fs.readFileSync(file).subarray(24 + 512, 24 + 3 * 512))).toBe(0);
    expect(() => r.field(0, 'nope')).toThrow(/nope/);
    r.close();
  });

  it('an empty file: length 0, last() undefined, records() empty', () => {
    const file = tmpFile();
    writeTickFile(file, [], 4);
    const r = RtReader.open(file);
    expect(r.length).toBe(0);
    expect(r.last()).toBeUndefined();
    expect([...r.records()]).toEqual([]);
    expect(r.lowerBound(0)).toBe(0);
    r.close();
  });

  it('records past length (and negative, fractional) are a RangeError naming the file', () => {
    const file = tmpFile();
    // slots past size hold a complete record, which must still not be readable
    writeTickFile(file, ticks(0, 3), 4);
    patchHeader(file, { size: 2 });
    const r = RtReader.open(file);
    for (const i of [2, 3, 4, -1, 1.5, Number.NaN]) {
      for (const read of [() => r.at(i), () => r.get(i), () => r.field(i, 'price'), () => r.keyAt(i)]) {
        const e = catchError(read);
        expect(e).toBeInstanceOf(RangeError);
        expect((e as Error).message).toContain(file);
      }
    }
    r.close();
  });

  it('lowerBound by TICK_KIND.keyOf(date, time): empty, before first, after last, equal keys, across midnight, with end', () => {
    const file = tmpFile();
    const at = (i: number, action_date: number, action_time: number) => ({ ...makeTick(i, SEED), action_date, action_time });
    // night session: 21:00 on the 2nd, then 00:30 on the 3rd
    const recs = [
      at(0, 20250102, 210000000),
      at(1, 20250102, 210000500),
      at(2, 20250102, 210000500),
      at(3, 20250102, 210000500),
      at(4, 20250102, 235959500),
      at(5, 20250103, 3000000),
      at(6, 20250103, 3000000),
    ];
    writeTickFile(file, recs, 8);
    const r = RtReader.open(file);
    const key = (d: number, t: number) => TICK_KIND.keyOf(d, t);
    expect(r.lowerBound(key(20250101, 235959999))).toBe(0); // before first
    expect(r.lowerBound(key(20250102, 210000000))).toBe(0); // equal to first
    expect(r.lowerBound(key(20250102, 210000001))).toBe(1);
    expect(r.lowerBound(key(20250102, 210000500))).toBe(1); // first of equal keys
    expect(r.lowerBound(key(20250102, 210000501))).toBe(4);
    expect(r.lowerBound(key(20250103, 0))).toBe(5); // after midnight, smaller HHMMSS
    expect(r.lowerBound(key(20250103, 3000000))).toBe(5); // equal keys at the end
    expect(r.lowerBound(key(20250103, 3000001))).toBe(7); // after last
    expect(r.lowerBound(key(20250104, 0))).toBe(7);
    expect(r.lowerBound(key(20250103, 3000000), 5)).toBe(5); // end bounds the search
    expect(r.lowerBound(key(20250102, 210000500), 2)).toBe(1);
    expect(r.lowerBound(key(20250103, 0), 0)).toBe(0);
    for (let i = 0; i < recs.length; i++) expect(r.keyAt(i)).toBe(key(recs[i]!.action_date, recs[i]!.action_time));
    r.close();
  });

  it('records(from, to): ranges, clamping, and `to` fixed when the iteration starts', () => {
    const file = tmpFile();
    const w = writer(file, 8);
    w.appendBatch(ticks(0, 6));
    const r = RtReader.open(file);
    const seqs = (it: Iterable<Record<string, unknown>>) => [...it].map((v) => v.total_volume);
    expect(seqs(r.records())).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seqs(r.records(2))).toEqual([2, 3, 4, 5]);
    expect(seqs(r.records(1, 3))).toEqual([1, 2]);
    expect(seqs(r.records(-5, 100))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seqs(r.records(4, 2))).toEqual([]);
    const got: unknown[] = [];
    for (const v of r.records()) {
      got.push(v.total_volume);
      if (got.length === 1) w.appendBatch(ticks(6, 20)); // grows the file too
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.length).toBe(20);
    w.close();
    r.close();
  });

  it('a reader opened before growth sees every record after several growths (remap); older views stay valid', () => {
    const file = tmpFile();
    const w = writer(file, 4);
    w.appendBatch(ticks(0, 2));
    const r = RtReader.open(file);
    const first = r.at(0);
    expect(r.length).toBe(2);
    expect(r.capacity).toBe(4);
    const caps: number[] = [];
    for (let i = 2; i < 300; i++) {
      w.append(makeTick(i, SEED));
      if (i % 37 === 0) {
        // interleave reads with growth
        expect(r.length).toBe(i + 1);
        expect(tickProblem(r.at(i), i)).toBeNull();
        caps.push(r.capacity);
      }
    }
    expect(r.length).toBe(300);
    expect(r.capacity).toBe(512);
    expect(new Set(caps).size).toBeGreaterThan(3);
    for (let i = 0; i < 300; i++) {
      const p = tickProblem(r.at(i), i);
      if (p) expect.fail(p);
    }
    expect(first.toObject()).toEqual(makeTick(0, SEED));
    w.close();
    r.close();
  });

  /** A sparse tick file holding 2 records whose header and length say `capacity`. */
  function sparseFile(capacity: number): string {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 2), 2);
    patchHeader(file, { capacity });
    fs.truncateSync(file, 24 + capacity * 512);
    return file;
  }
  const LARGEST = Math.floor((MAX_MAP_BYTES - 24) / 512);

  it(`maps a file as large as one mapping allows (MAX_MAP_BYTES ${MAX_MAP_BYTES}: ${LARGEST} ticks, sparse)`, () => {
    const file = sparseFile(LARGEST);
    const r = RtReader.open(file);
    expect(r.capacity).toBe(LARGEST);
    expect(r.length).toBe(2);
    expect(tickProblem(r.at(1), 1)).toBeNull();
    r.close();
  });

  it('refuses a file larger than one mapping allows with a TickrecError naming the file (sparse)', () => {
    const file = sparseFile(LARGEST + 1);
    const e = catchError(() => RtReader.open(file));
    expect(e).toBeInstanceOf(TickrecError);
    expect((e as TickrecError).message).toContain(file);
    expect(readOnlyFds(file)).toEqual([]);
  });
});

describe('RtReader: processes that open many readers, and readers opening while the writer grows', () => {
  it('opening and closing a reader 70,000 times does not crash the process', async () => {
    const file = tmpFile();
    writeTickFile(file, ticks(0, 3), 4);
    const child = spawnHelper('open-loop-child.ts', [file, '--opens', '70000']);
    const exit = await child.exit;
    const summary = child.messages.find((m) => m.event === 'summary');
    expect(exit, `stderr: ${child.stderr.slice(0, 2000)}`).toEqual({ code: 0, signal: null });
    expect(summary).toMatchObject({ opens: 70000, errors: {} });
  });

  it('a reader that opens the file while the writer grows it never gets a false error', async () => {
    const file = tmpFile();
    writeTickFile(file, [], 1);
    const reader = spawnHelper('open-loop-child.ts', [file, '--opens', '40000', '--until-stop']);
    await reader.waitFor('ready');
    const grower = spawnHelper('grow-loop-child.ts', [file, '--files', '40', '--records', '2048']);
    const done = await grower.waitFor('done');
    expect(done.growths).toBe(40 * 11);
    reader.send('stop');
    const summary = await reader.waitFor('summary');
    await reader.exit;
    const { ENOENT: _enoent, ...errors } = summary.errors as Record<string, number>;
    expect(errors, `false errors while the writer grew the file: ${JSON.stringify(summary.samples)}`).toEqual({});
    expect(summary.opens as number).toBeGreaterThan(0);
  });
});

/** A follower recording what it delivers, with promises to wait for counts. */
function track(file: string, opts: FollowOptions = {}, stopAfter = Infinity) {
  const got: { i: number; seq: number; date: number; problem: string | null }[] = [];
  const events: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const f: Follower = follow(
    file,
    (v, i, r) => {
      got.push({ i, seq: v.total_volume as number, date: r.date, problem: tickProblem(v, i) });
      for (const w of waiters.filter((w) => got.length >= w.n)) w.resolve();
      return got.length < stopAfter;
    },
    {
      ...opts,
      onFileStart: (x: FileInfo) => {
        events.push(`start ${x.date} ${x.length}`);
        for (const w of waiters.filter((w) => w.n === -1)) w.resolve();
      },
      onFileEnd: (x: FileInfo) => events.push(`end ${x.date} ${x.length}`),
    },
  );
  const settled = f.done.then(
    () => 'done',
    (err: unknown) => `failed: ${String(err)}`,
  );
  /** Resolves when `n` records were delivered (-1: when a file was opened); rejects if following ends first. */
  const until = (n: number) =>
    Promise.race([
      new Promise<void>((resolve) => {
        if (n === -1 ? events.some((e) => e.startsWith('start')) : got.length >= n) resolve();
        else waiters.push({ n, resolve });
      }),
      settled.then((s) => {
        if (n === -1 ? !events.some((e) => e.startsWith('start')) : got.length < n) {
          throw new Error(`follower ended (${s}) after ${got.length} records, waiting for ${n}`);
        }
      }),
    ]);
  return { got, events, f, until, seqs: () => got.map((g) => g.seq) };
}

const nextTurns = async (k = 5) => {
  for (let j = 0; j < k; j++) await new Promise((r) => setTimeout(r, 5));
};

describe('follow()', () => {
  it.each(['timer', 'spin'] as const)(
    '%s mode from start: existing then live records, in order, across growths; returning false stops',
    async (mode) => {
      const file = tmpFile();
      const w = writer(file, 4);
      w.appendBatch(ticks(0, 5));
      const t = track(file, { mode }, 50);
      await t.until(5);
      for (let i = 5; i < 60; i++) w.append(makeTick(i, SEED)); // 10 past the stop
      await t.f.done;
      expect(t.seqs()).toEqual([...Array(50).keys()]);
      expect(t.got.every((g, k) => g.i === k && g.problem === null)).toBe(true);
      await nextTurns();
      expect(t.got).toHaveLength(50);
      expect(t.events).toEqual([`start ${DATE} 5`]);
      w.close();
      // the follower closed its reader
      expect(readOnlyFds(file)).toEqual([]);
    },
    FOLLOW_TEST_MS,
  );

  it(
    "from 'end' delivers only records appended after the follower opened the file",
    async () => {
      const file = tmpFile();
      const w = writer(file, 4);
      w.appendBatch(ticks(0, 5));
      const t = track(file, { from: 'end' }, 3);
      await t.until(-1);
      w.appendBatch(ticks(5, 8));
      await t.f.done;
      expect(t.got.map((g) => g.i)).toEqual([5, 6, 7]);
      expect(t.seqs()).toEqual([5, 6, 7]);
      w.close();
    },
    FOLLOW_TEST_MS,
  );

  it(
    'from an index starts there',
    async () => {
      const file = tmpFile();
      const w = writer(file, 16);
      w.appendBatch(ticks(0, 10));
      const t = track(file, { from: 7 }, 5);
      await t.until(3);
      w.appendBatch(ticks(10, 12));
      await t.f.done;
      expect(t.seqs()).toEqual([7, 8, 9, 10, 11]);
      w.close();
    },
    FOLLOW_TEST_MS,
  );

  it(
    'an AbortSignal aborted before follow() delivers nothing; aborted later stops it',
    async () => {
      const file = tmpFile();
      const w = writer(file, 16);
      w.appendBatch(ticks(0, 3));
      const early = track(file, { signal: AbortSignal.abort() });
      await early.f.done;
      await nextTurns();
      expect(early.got).toEqual([]);

      const ac = new AbortController();
      const t = track(file, { signal: ac.signal });
      await t.until(3);
      ac.abort();
      await t.f.done;
      w.appendBatch(ticks(3, 6));
      await nextTurns();
      expect(t.seqs()).toEqual([0, 1, 2]);
      w.close();
    },
    FOLLOW_TEST_MS,
  );

  it(
    'aborting (or stop()) from inside the callback delivers no further record',
    async () => {
      const file = tmpFile();
      const w = writer(file, 16);
      w.appendBatch(ticks(0, 10));
      const ac = new AbortController();
      const seen: number[] = [];
      const f = follow(
        file,
        (_v, i) => {
          seen.push(i);
          if (i === 3) ac.abort();
        },
        { signal: ac.signal },
      );
      await f.done;
      const seen2: number[] = [];
      const stopper: Follower = follow(file, (_v, i) => {
        seen2.push(i);
        if (i === 3) stopper.stop();
      });
      await stopper.done;
      expect({ abort: seen, stop: seen2 }).toEqual({ abort: [0, 1, 2, 3], stop: [0, 1, 2, 3] });
      w.close();
    },
    FOLLOW_TEST_MS,
  );

  it(
    'follows a path that does not exist yet: starts when the file is created',
    async () => {
      const file = tmpFile();
      const t = track(file, { mode: 'timer' }, 4);
      await nextTurns();
      expect(t.events).toEqual([]);
      const w = writer(file, 2, 20250107);
      await t.until(-1);
      w.appendBatch(ticks(0, 2));
      w.append(makeTick(2, SEED));
      w.append(makeTick(3, SEED));
      await t.f.done;
      expect(t.seqs()).toEqual([0, 1, 2, 3]);
      expect(t.events[0]).toMatch(/^start 20250107 /);
      w.close();
    },
    FOLLOW_TEST_MS,
  );

  it(
    'a callback that throws ends following with that error',
    async () => {
      const file = tmpFile();
      writeTickFile(file, ticks(0, 2), 4);
      const f = follow(file, () => {
        throw new Error('boom');
      });
      await expect(f.done).rejects.toThrow('boom');
    },
    FOLLOW_TEST_MS,
  );
});

describe('followAsync()', () => {
  it.each(['timer', 'spin'] as const)(
    '%s mode: yields existing and live records in order; break closes the reader',
    async (mode) => {
      const file = tmpFile();
      const w = writer(file, 4);
      w.appendBatch(ticks(0, 3));
      const seqs: number[] = [];
      for await (const v of followAsync(file, { mode })) {
        expect(tickProblem(v, seqs.length)).toBeNull();
        seqs.push(v.total_volume as number);
        if (seqs.length === 3) w.appendBatch(ticks(3, 40)); // several growths while iterating
        if (seqs.length === 40) break;
      }
      expect(seqs).toEqual([...Array(40).keys()]);
      expect(readOnlyFds(file)).toEqual([]);
      w.close();
    },
    FOLLOW_TEST_MS,
  );

  it(
    'an AbortSignal ends the iteration',
    async () => {
      const file = tmpFile();
      const w = writer(file, 4);
      w.appendBatch(ticks(0, 3));
      const ac = new AbortController();
      const seqs: number[] = [];
      for await (const v of followAsync(file, { signal: ac.signal })) {
        seqs.push(v.total_volume as number);
        if (seqs.length === 3) setTimeout(() => ac.abort(), 1);
      }
      expect(seqs).toEqual([0, 1, 2]);
      w.close();
    },
    FOLLOW_TEST_MS,
  );
});

describe('follow(): roll to the next trading day', () => {
  it.each([
    ['timer', false],
    ['spin', false],
    ['timer', true],
    ['spin', true],
  ] as const)(
    '%s, follower polling between the steps: %s: every record of both files once, in order; onFileEnd(day 1) then onFileStart(day 2)',
    async (mode, yielding) => {
      const file = tmpFile();
      const day1 = 20250102;
      const day2 = 20250103;
      const w1 = writer(file, 4, day1);
      w1.appendBatch(ticks(0, 5));
      const order: string[] = [];
      const got: { date: number; i: number; seq: number; ok: boolean }[] = [];
      let reached5: () => void;
      const five = new Promise<void>((r) => (reached5 = r));
      const f = follow(
        file,
        (v, i, r) => {
          got.push({ date: r.date, i, seq: v.total_volume as number, ok: tickProblem(v, i) === null });
          order.push(`rec ${r.date}`);
          if (got.length === 5) reached5();
          return got.length < 10 + 7;
        },
        {
          mode,
          rollCheckMs: 5,
          onFileStart: (x) => order.push(`start ${x.date}`),
          onFileEnd: (x) => order.push(`end ${x.date} ${x.length}`),
        },
      );
      const step = () => (yielding ? nextTurns() : Promise.resolve());
      await Promise.race([five, f.done]);
      // the rest of day 1 is written and the file moved away before the follower read it
      w1.appendBatch(ticks(5, 8));
      w1.append(makeTick(8, SEED));
      w1.append(makeTick(9, SEED));
      w1.close();
      const away = path.join(makeTempDir(), 'archive', 'rb2505.dmb');
      fs.mkdirSync(path.dirname(away), { recursive: true });
      fs.renameSync(file, away);
      await step(); // the path names no file for a while
      const w2 = writer(file, 2, day2);
      await step(); // the new file exists, still empty
      w2.appendBatch(ticks(0, 3, SEED + 1));
      await step();
      for (let i = 3; i < 7; i++) w2.append(makeTick(i, SEED + 1));
      w2.close();
      await f.done;

      expect(got.map((g) => [g.date, g.i, g.seq])).toEqual([
        ...[...Array(10).keys()].map((i) => [day1, i, i]),
        ...[...Array(7).keys()].map((i) => [day2, i, i]),
      ]);
      expect(got.every((g) => g.ok)).toBe(true);
      const compact = order.filter((e, k) => !(e.startsWith('rec') && order[k - 1] === e));
      expect(compact).toEqual([`start ${day1}`, `rec ${day1}`, `end ${day1} 10`, `start ${day2}`, `rec ${day2}`]);
    },
    FOLLOW_TEST_MS,
  );

  it(
    'records appended between the last empty poll and the roll check are still delivered (the final drain)',
    async () => {
      const file = tmpFile();
      const away = path.join(makeTempDir(), 'rb2505.day1.dmb');
      const w1 = writer(file, 4, 20250102);
      w1.appendBatch(ticks(0, 3));
      let w2: RtWriter | undefined;
      // The follower checks for a roll with fs.statSync(path) after a poll that found
      // nothing new. Make the writer finish its day exactly in that gap: three more
      // records, close, move away, next day created with two records.
      const realStat = fs.statSync;
      let injected = false;
      vi.spyOn(fs, 'statSync').mockImplementation((p: fs.PathLike, o?: fs.StatSyncOptions) => {
        if (!injected && p === file) {
          injected = true;
          w1.appendBatch(ticks(3, 6));
          w1.close();
          fs.renameSync(file, away);
          w2 = writer(file, 4, 20250103);
          w2.appendBatch(ticks(0, 2, SEED + 1));
          w2.close();
        }
        return realStat(p, o);
      });
      const got: number[][] = [];
      const events: string[] = [];
      const f = follow(
        file,
        (v, i, r) => {
          got.push([r.date, v.total_volume as number]);
          return !(r.date === 20250103 && i === 1); // the last record of day 2
        },
        {
          rollCheckMs: 0,
          onFileStart: (x) => events.push(`start ${x.date} ${x.length}`),
          onFileEnd: (x) => events.push(`end ${x.date} ${x.length}`),
        },
      );
      await f.done;
      vi.restoreAllMocks();
      expect(injected).toBe(true);
      expect(got).toEqual([...[0, 1, 2, 3, 4, 5].map((i) => [20250102, i]), [20250103, 0], [20250103, 1]]);
      expect(events).toEqual(['start 20250102 3', 'end 20250102 6', 'start 20250103 2']);
    },
    FOLLOW_TEST_MS,
  );

  it(
    "followAsync crosses a roll too, and from 'end' applies only to the first file",
    async () => {
      const file = tmpFile();
      const w1 = writer(file, 4, 20250102);
      w1.appendBatch(ticks(0, 4));
      const dates: number[] = [];
      const seqs: number[] = [];
      let started!: () => void;
      const opened = new Promise<void>((r) => (started = r));
      const it = followAsync(file, { from: 'end', rollCheckMs: 5, onFileStart: (x) => (dates.push(x.date), started()) });
      const consume = (async () => {
        for await (const v of it) {
          seqs.push(v.total_volume as number);
          if (seqs.length === 2 + 3) break;
        }
      })();
      await opened;
      w1.appendBatch(ticks(4, 6));
      w1.close();
      fs.renameSync(file, `${file}.day1`);
      const w2 = writer(file, 4, 20250103);
      w2.appendBatch(ticks(0, 3, SEED + 1));
      w2.close();
      await consume;
      expect(seqs).toEqual([4, 5, 0, 1, 2]);
      expect(dates).toEqual([20250102, 20250103]);
    },
    FOLLOW_TEST_MS,
  );
});

// Acceptance test of the storage core: a writer child and three live reader children on one file; then kill -9 of the writer at random instants and restart.

import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TICK_KIND } from '../../src/format/index.js';
import { RtReader } from '../../src/store/index.js';
import { killAllHelpers, spawnHelper, type Child, type Message } from '../helpers/child.js';
import { rng, tickProblem } from '../helpers/ticks.js';
import { diskHeader, makeTempDir, removeTempDirs } from '../helpers/tmp.js';

const TICK_SEED = 0x7ec5;

afterEach(async () => {
  await killAllHelpers();
});
afterAll(() => removeTempDirs());

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for `what`; after `safetyMs` calls onLate once (e.g. to make a stuck child report) and keeps waiting. */
async function patiently<T>(what: Promise<T>, safetyMs: number, onLate: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(() => {
    timer = setTimeout(onLate, safetyMs);
  });
  try {
    return await Promise.race([what, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks every published record of `file`; returns how many there are. */
function verifyFile(file: string): number {
  const r = RtReader.open(file, { kind: TICK_KIND });
  try {
    const n = r.length;
    for (let i = 0; i < n; i++) {
      const p = tickProblem(r.at(i), i);
      if (p) expect.fail(`${file}: ${p}`);
    }
    return n;
  } finally {
    r.close();
  }
}

describe('one writer, three live readers (separate processes)', () => {
  it('the writer appends 200,000 ticks from capacity 64 (append and appendBatch); each reader sees exactly 200,000 valid records, in order', async () => {
    const N = 200_000;
    const file = path.join(makeTempDir(), 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    const writer = spawnHelper('writer-child.ts', [
      file,
      ...['--count', String(N), '--initial-capacity', '64', '--seed', String(TICK_SEED)],
      ...['--pre', '10', '--wait-go', '--pace', '1000'],
    ]);
    const pre = await writer.waitFor('pre');
    expect(pre).toMatchObject({ size: 10, capacity: 64 });

    // the readers open the file while it holds 10 records in 64 slots: to see all N they must remap
    const readers: Child[] = (['spin', 'timer', 'async'] as const).map((mode) =>
      spawnHelper('reader-child.ts', [file, '--expect', String(N), '--mode', mode]),
    );
    const opened = await Promise.all(readers.map((r) => r.waitFor('open')));
    for (const o of opened) expect(o.length).toBe(10);
    writer.send('go');

    const done = await writer.waitFor('done');
    expect(done.size).toBe(N);
    expect(await writer.exit).toEqual({ code: 0, signal: null });
    for (const r of readers) r.send('writer-done');

    const summaries: Message[] = await patiently(
      Promise.all(readers.map((r) => r.waitFor('summary'))),
      60_000,
      () => readers.forEach((r) => r.send('finish')), // a stuck reader reports what it has
    );
    for (const [k, s] of summaries.entries()) {
      const label = `${String(s.mode)} reader: ${JSON.stringify(s.problems)} ${readers[k]!.stderr}`;
      expect(s.problems, label).toEqual([]);
      expect(s.count, label).toBe(N);
      expect(s.valid, label).toBe(N);
      if (s.mode !== 'async') expect((s.capacities as number[]).length, label).toBeGreaterThan(1);
    }
    for (const r of readers) expect(await r.exit).toEqual({ code: 0, signal: null });
    expect(diskHeader(file)).toMatchObject({ size: N, capacity: 262144 });
    expect(verifyFile(file)).toBe(N);
  });
});

describe('a follower in another process crosses the rolls of a writer process', () => {
  it('25 days at one path, each moved away right after its last append: every record of every file once, in order, each file ended then the next started', async () => {
    const ROLLS = 25;
    const K = 3000; // from capacity 64: 6 growths per file
    const dir = makeTempDir();
    const file = path.join(dir, 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    const writer = spawnHelper('roll-writer-child.ts', [
      file,
      ...['--archive', path.join(dir, 'archive'), '--rolls', String(ROLLS), '--per-file', String(K), '--seed', String(TICK_SEED)],
    ]);
    await writer.waitFor((m) => m.event === 'created' && m.r === 0);
    const reader = spawnHelper('roll-reader-child.ts', [file, '--rolls', String(ROLLS), '--per-file', String(K)]);
    // each day is filled only once the follower has opened it (a follower cannot see a
    // file that came and went while it was not looking); the roll itself is not waited for
    for (let r = 0; r < ROLLS; r++) {
      if (r > 0) await writer.waitFor((m) => m.event === 'created' && m.r === r);
      await reader.waitFor((m) => m.event === 'open' && m.date === 20250101 + r);
      writer.send('go');
    }
    await writer.waitFor('done');
    const summary = await patiently(reader.waitFor('summary'), 60_000, () => reader.send('finish'));
    expect(summary.problems, reader.stderr).toEqual([]);
    const dates = Array.from({ length: ROLLS }, (_, r) => 20250101 + r);
    expect(summary.starts).toEqual(dates);
    expect(summary.counts).toEqual(dates.map(() => K));
    expect(summary.ends).toEqual(dates.slice(0, -1).map((date) => ({ date, length: K })));
  });
});

describe('kill -9 of the writer at random instants', () => {
  it('after each kill every published record is intact, and the restarted writer continues at size with no gap and no duplicate', async () => {
    const TRIALS = 20;
    const seed = Number(process.env.TICKREC_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`kill -9 trials: seed ${seed} (set TICKREC_KILL_SEED=${seed} to repeat the delays)`);
    const rand = rng(seed);
    const file = path.join(makeTempDir(), 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    let size = 0;
    const log: string[] = [];

    for (let trial = 0; trial < TRIALS; trial++) {
      const child = spawnHelper('writer-child.ts', [
        file,
        ...['--forever', '--initial-capacity', '16', '--seed', String(TICK_SEED), '--pace', '50'],
      ]);
      const started = await child.waitFor('started');
      // the restarted writer resumes exactly where the published records end
      expect(started.size, `trial ${trial}`).toBe(size);
      const repairs = started.repairs as string[];
      for (const r of repairs) expect(r, `trial ${trial}: only non-destructive repairs`).not.toMatch(/size set to|lost/);

      const delay = 50 + Math.floor(rand() * 351);
      await sleep(delay);
      child.kill('SIGKILL');
      const exit = await child.exit;
      expect(exit, `trial ${trial}: the writer must still be running when killed; stderr: ${child.stderr}`).toEqual({
        code: null,
        signal: 'SIGKILL',
      });

      const n = verifyFile(file);
      expect(n, `trial ${trial}: published records were lost`).toBeGreaterThanOrEqual(size);
      log.push(
        `trial ${trial}: delay ${delay} ms, ${size} -> ${n} records${repairs.length ? `, reopen repaired: ${repairs.join('; ')}` : ''}`,
      );
      size = n;
    }

    // a last writer continues and stops cleanly: the file ends with one unbroken sequence
    const last = spawnHelper('writer-child.ts', [file, '--count', '1000', '--seed', String(TICK_SEED)]);
    const started = await last.waitFor('started');
    expect(started.size).toBe(size);
    await last.waitFor('done');
    expect(await last.exit).toEqual({ code: 0, signal: null });
    expect(verifyFile(file)).toBe(size + 1000);
    console.log(log.join('\n'));
  });
});

// Append throughput: 512-byte ticks into a mapped file; tickrec's writer against memcpy (JS and C) and a table-walking encoder.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mem as MemT, RtWriter as RtWriterT } from '../../src/index.js';
import {
  fixed,
  makeTicks,
  measureInterleaved,
  median,
  target,
  tempDir,
  timed,
  type Measured,
  type Row,
  type Suite,
  type TimedCase,
} from './common.js';
import { lib } from './lib.js';
import { naiveEncode } from './naive-encoder.js';

const { Mem, RT_HEADER_BYTES, RT_SIZE_U32, RtWriter, TICK, TICK_KIND, mapFile } = lib;

const N = 1_000_000; // records per run: 512 MB of file, 0.1-2 s per run
const RUNS = 5;
const WARM_N = 100_000;
const BATCH = 64;
const RING = 1024; // distinct tick objects, used in rotation
const RS = TICK.size;
const DATE = 20240102;
const GOAL_MPS = 2;

const dir = tempDir('append');
let seq = 0;
const freshPath = () => path.join(dir, `t${seq++}.dmb`);

const ticks = makeTicks(RING);
const batches = Array.from({ length: RING / BATCH }, (_, b) => ticks.slice(b * BATCH, (b + 1) * BATCH));
const encoded = Mem.alloc(RING * RS);
ticks.forEach((t, i) => TICK_KIND.codec.encode(t, encoded, i * RS));
const records = Array.from({ length: RING }, (_, i) => encoded.u8.subarray(i * RS, (i + 1) * RS));
const encode = TICK_KIND.codec.encode;

/** A case on RtWriter: a fresh file of `capacity(n)` records; only `body` is timed. */
function writerCase(name: string, capacity: (n: number) => number, body: (w: RtWriterT, n: number) => void): TimedCase {
  return {
    name,
    run(n) {
      const file = freshPath();
      const w = RtWriter.open(file, { kind: TICK_KIND, date: DATE, initialCapacity: capacity(n) });
      const t = timed(() => body(w, n));
      w.close();
      fs.rmSync(file);
      return t;
    },
  };
}

/** A case without the writer: a fresh file made by RtWriter, mapped again here; only `body` is timed. */
function mappedCase(name: string, body: (m: MemT, n: number) => void): TimedCase {
  return {
    name,
    run(n) {
      const file = freshPath();
      RtWriter.open(file, { kind: TICK_KIND, date: DATE, initialCapacity: n }).close();
      const fd = fs.openSync(file, 'r+');
      const m = new Mem(mapFile(fd, RT_HEADER_BYTES + n * RS, true, file));
      fs.closeSync(fd);
      const t = timed(() => body(m, n));
      fs.rmSync(file);
      return t;
    },
  };
}

const NAMES = {
  jsCopy: 'JS memcpy: TypedArray.set + Atomics.store (no writer)',
  raw: 'RtWriter.appendRaw, 1 record per call',
  append: 'RtWriter.append: encode+append+publish',
  batch: `RtWriter.appendBatch, ${BATCH} per call (1 publish per batch)`,
  grow: 'RtWriter.append from capacity 2,500 (growth included)',
  compiled: 'compiled codec.encode + Atomics.store (no writer)',
  naive: 'table-walking encoder (DataView) + Atomics.store (no writer)',
  heap: 'compiled codec.encode into a heap buffer (no file, no publish)',
};

const appendAll = (w: RtWriterT, n: number) => {
  for (let i = 0; i < n; i++) w.append(ticks[i & (RING - 1)]!);
};

const cases: TimedCase[] = [
  mappedCase(NAMES.jsCopy, (m, n) => {
    for (let i = 0; i < n; i++) {
      m.u8.set(records[i & (RING - 1)]!, RT_HEADER_BYTES + i * RS);
      Atomics.store(m.u32, RT_SIZE_U32, i + 1);
    }
  }),
  writerCase(
    NAMES.raw,
    (n) => n,
    (w, n) => {
      for (let i = 0; i < n; i++) w.appendRaw(records[i & (RING - 1)]!);
    },
  ),
  writerCase(NAMES.append, (n) => n, appendAll),
  writerCase(
    NAMES.batch,
    (n) => n,
    (w, n) => {
      for (let b = 0; b < n / BATCH; b++) w.appendBatch(batches[b % batches.length]!);
    },
  ),
  writerCase(NAMES.grow, () => 2500, appendAll),
  mappedCase(NAMES.compiled, (m, n) => {
    for (let i = 0; i < n; i++) {
      encode(ticks[i & (RING - 1)]!, m, RT_HEADER_BYTES + i * RS);
      Atomics.store(m.u32, RT_SIZE_U32, i + 1);
    }
  }),
  mappedCase(NAMES.naive, (m, n) => {
    const dv = new DataView(m.u8.buffer, m.u8.byteOffset, m.u8.byteLength);
    for (let i = 0; i < n; i++) {
      naiveEncode(TICK, ticks[i & (RING - 1)]!, dv, RT_HEADER_BYTES + i * RS);
      Atomics.store(m.u32, RT_SIZE_U32, i + 1);
    }
  }),
  {
    name: NAMES.heap,
    run(n) {
      const heap = Mem.alloc(RING * RS);
      return timed(() => {
        for (let i = 0; i < n; i++) encode(ticks[i & (RING - 1)]!, heap, (i & (RING - 1)) * RS);
      });
    },
  },
];

/** Compiles memcpy-ref.c and runs it: per variant (release, seq_cst, read first, writable), the runs. */
function runC(): Measured[] | string {
  const src = fileURLToPath(new URL('./memcpy-ref.c', import.meta.url));
  const bin = path.join(dir, 'memcpy-ref');
  const recFile = path.join(dir, 'records.bin');
  try {
    execFileSync('gcc', ['-O2', '-o', bin, src], { stdio: 'pipe' });
  } catch (err) {
    return `gcc failed: ${(err as Error).message.split('\n')[0]}`;
  }
  fs.writeFileSync(recFile, encoded.u8);
  const out = execFileSync(bin, [recFile, freshPath(), String(N), String(RUNS)], { encoding: 'utf8' });
  const runs = out
    .trim()
    .split('\n')
    .map((line) =>
      line
        .trim()
        .split(/\s+/)
        .map((cell) => cell.split(':').map(Number)),
    );
  return [0, 1, 2, 3].map((v) => ({ rates: runs.map((r) => r[v]![0]! * 1e6), kernel: runs.map((r) => r[v]![1]!) }));
}

export const suite: Suite = {
  title: 'Append throughput (512-byte ticks into a mapped file)',
  about:
    `Each case writes N = ${N.toLocaleString('en-US')} records into a fresh file in a temp dir (created by RtWriter: header, ` +
    'blocks reserved with fallocate(2), src/store/fallocate.ts, fsync), mapped MAP_SHARED; first-touch page faults are inside the timed loop, as they are for a live writer. ' +
    `Ticks rotate through ${RING} distinct objects of one instrument (exchg, code, 20 numeric fields, 5 bid/ask levels). ` +
    `Cases run interleaved, ${RUNS} timed runs each after 2 warm-up runs of ${WARM_N.toLocaleString('en-US')}; ` +
    'the table gives the median (min-max over runs) in millions of records per second, the ratio of the median to the memcpy references, ' +
    "and the kernel's share of the CPU time of the timed loop (page faults; getrusage, coarse for the short C runs). " +
    'Files are created with enough capacity that no growth happens, except in the growth row. ' +
    'C rows: scripts/bench/memcpy-ref.c, gcc -O2, same records and file layout.',
  async run(): Promise<Row[]> {
    const c = runC();
    const measured = await measureInterleaved(cases, N, RUNS, WARM_N);
    const mps = (xs: number[]) => xs.map((x) => x / 1e6);
    const jsRef = median(mps(measured.get(NAMES.jsCopy)!.rates));
    const cRuns = typeof c === 'string' ? undefined : c;
    const cRef = cRuns ? median(mps(cRuns[0]!.rates)) : NaN;
    const row = (name: string, xs: number[], kernel?: number[], goal = ''): Row => {
      const m = median(xs);
      return {
        case: name,
        'M rec/s (median)': fixed(m),
        'min-max': `${fixed(Math.min(...xs))}-${fixed(Math.max(...xs))}`,
        'vs JS memcpy': `${fixed(m / jsRef)}×`,
        'vs C memcpy': `${fixed(m / cRef)}×`,
        'in kernel': kernel ? `${Math.round(median(kernel) * 100)}%` : '',
        target: goal,
      };
    };
    const rows: Row[] = [];
    if (cRuns) {
      const names = [
        'C memcpy + release store of size (reference)',
        'C memcpy + seq_cst store (what Atomics.store costs)',
        'C memcpy + release store, pages read-faulted first (MAP_POPULATE)',
        'C memcpy + release store, pages pre-faulted writable (copy only)',
      ];
      names.forEach((name, v) => rows.push(row(name, mps(cRuns[v]!.rates), cRuns[v]!.kernel)));
    } else {
      rows.push(row(`C reference skipped: ${c as string}`, [NaN]));
    }
    for (const c of cases) {
      const { rates, kernel } = measured.get(c.name)!;
      const xs = mps(rates);
      const goal = c.name === NAMES.append ? target(median(xs) >= GOAL_MPS, `≥ ${GOAL_MPS} M/s`, `${fixed(median(xs))} M/s`) : '';
      rows.push(row(c.name, xs, kernel, goal));
    }
    return rows;
  },
};

// Writer→reader latency across processes: this process appends paced ticks stamped with CLOCK_MONOTONIC, a child follows the file.

import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RtWriter } from '../../src/index.js';
import { fixed, makeTicks, median, nowNs, settle, target, tempDir, type Row, type Suite } from './common.js';
import { lib } from './lib.js';

const PERIOD_NS = 25_000; // one record every 25 µs (40 k/s) when the writer spins
const SPIN = { warm: 20_000, n: 100_000, runs: 3 };
const SLEEPY = { warm: 10_000, n: 50_000, runs: 3 };
const TIMER = { warm: 5_000, n: 40_000, runs: 1 };
const GOAL_P99_US = 50;
const READER_TIMEOUT_MS = 60_000;

const READER = fileURLToPath(new URL('./latency-reader.ts', import.meta.url));
const C_REF = fileURLToPath(new URL('./latency-ref.c', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = tempDir('latency');
const ticks = makeTicks(1024);
for (const t of ticks) t.settle_price = 0.5; // a double from the start: no field-representation change mid-run

interface Result {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Involuntary context switches of the reader while measuring. */
  preempted: number;
  /** The same for the writer (undefined: not measured). */
  writerPreempted?: number;
}

type Pacing = 'spin' | 'sleep';
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Appends `count` records, each stamped just before append(). 'spin': one every PERIOD_NS,
 * the writer busy-waits (it keeps a core). 'sleep': the writer blocks PERIOD_NS in
 * Atomics.wait before each record (plus the kernel's wake-up delay), leaving its core
 * free between records, as a feed handler waiting on its socket does.
 */
function writePaced(w: RtWriter, count: number, pacing: Pacing): void {
  let next = nowNs();
  for (let i = 0; i < count; i++) {
    if (pacing === 'sleep') {
      Atomics.wait(sleepCell, 0, 0, PERIOD_NS / 1e6);
    } else {
      next += PERIOD_NS;
      while (nowNs() < next);
    }
    const t = ticks[i & 1023]!;
    t.settle_price = nowNs();
    w.append(t);
  }
}

async function once(mode: 'spin' | 'timer', pacing: Pacing, warm: number, n: number, run: number): Promise<Result> {
  const file = path.join(dir, `${mode}-${pacing}-${run}.dmb`);
  const w = lib.RtWriter.open(file, { kind: lib.TICK_KIND, date: 20240102, initialCapacity: warm + n + 1 });
  const child = spawn(process.execPath, ['--import', 'tsx', READER, file, String(warm), String(n), mode], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`latency reader exited (${code}) before it was ready`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await ready;
  await new Promise((r) => setTimeout(r, 300)); // let the reader reach its poll loop
  writePaced(w, warm, pacing);
  const switches0 = process.resourceUsage().involuntaryContextSwitches;
  writePaced(w, n, pacing);
  const writerPreempted = process.resourceUsage().involuntaryContextSwitches - switches0;
  const timer = setTimeout(() => child.kill('SIGKILL'), READER_TIMEOUT_MS);
  const code = await exited;
  clearTimeout(timer);
  w.close();
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`latency reader failed (exit ${code}); output: ${out.slice(0, 200)}`);
  await settle();
  return { ...(JSON.parse(line) as Omit<Result, 'writerPreempted'>), writerPreempted };
}

type Cfg = { warm: number; n: number; runs: number };

function row(name: string, cfg: Cfg, results: readonly Result[], goal: boolean): Row {
  const med = (k: 'p50' | 'p99' | 'p999') => median(results.map((x) => x[k]));
  const p99 = med('p99');
  return {
    case: name,
    'p50 µs': fixed(med('p50'), 1),
    'p99 µs': fixed(p99, 1),
    'p99.9 µs': fixed(med('p999'), 1),
    'max µs': fixed(Math.max(...results.map((x) => x.max)), 0),
    'p99 per run': results.map((x) => fixed(x.p99, 1)).join(' / '),
    'preempted r/w': results.map((x) => `${x.preempted}/${x.writerPreempted ?? '-'}`).join(' '),
    records: `${cfg.runs} × ${cfg.n.toLocaleString('en-US')}`,
    target: goal ? target(p99 < GOAL_P99_US, `p99 < ${GOAL_P99_US} µs`, `p99 ${fixed(p99, 1)} µs`) : '',
  };
}

/** Compiles latency-ref.c; undefined when gcc is missing. */
function compileCRef(): string | undefined {
  const bin = path.join(dir, 'latency-ref');
  try {
    execFileSync('gcc', ['-O2', '-o', bin, C_REF], { stdio: 'pipe' });
    return bin;
  } catch {
    return undefined;
  }
}

async function onceC(bin: string, pacing: Pacing, cfg: Cfg, run: number): Promise<Result> {
  const file = path.join(dir, `c-${pacing}-${run}.dmb`);
  const out = execFileSync(bin, [file, String(cfg.warm), String(cfg.n), pacing, String(PERIOD_NS)], { encoding: 'utf8' });
  const [p50, p99, p999, max, preempted] = out.trim().split(/\s+/).map(Number) as [number, number, number, number, number];
  await settle();
  return { n: cfg.n, p50, p99, p999, max, preempted };
}

const GROW_N = 1_000_000;

/** Writer side only: how long the append() calls that grow a file from capacity 2,500 take. */
async function growthStalls(): Promise<Row> {
  const file = path.join(dir, 'grow.dmb');
  const w = lib.RtWriter.open(file, { kind: lib.TICK_KIND, date: 20240102, initialCapacity: 2500 });
  const stallsUs: number[] = [];
  for (let i = 0; i < GROW_N; i++) {
    const t = ticks[i & 1023]!;
    if (w.size < w.capacity) {
      w.append(t);
      continue;
    }
    const t0 = nowNs();
    w.append(t);
    stallsUs.push((nowNs() - t0) / 1000);
  }
  const cap = w.capacity;
  w.close();
  await settle();
  return {
    case: 'append() that grows the file (writer only, no reader)',
    'p50 µs': fixed(median(stallsUs), 0),
    'p99 µs': '',
    'p99.9 µs': '',
    'max µs': fixed(Math.max(...stallsUs), 0),
    'p99 per run': '',
    'preempted r/w': '',
    records: `${stallsUs.length} growths, 2,500 → ${cap.toLocaleString('en-US')}`,
    target: '',
  };
}

export const suite: Suite = {
  title: 'Writer→reader latency across processes',
  about:
    `This process appends ticks with RtWriter.append, one every ${PERIOD_NS / 1000} µs, paced by spinning ("writer spins": ` +
    'writer and reader then hold both cores) or by sleeping in Atomics.wait ("writer sleeps": 25 µs plus the kernel\'s wake-up delay; ' +
    "the writer's core is free between records, as a feed handler's is), each record carrying " +
    'Number(process.hrtime.bigint()) taken just before append() in settle_price; a child process (scripts/bench/latency-reader.ts, ' +
    'same Node, started with tsx) follows the file with follow() and subtracts that stamp from its own hrtime at the callback. ' +
    'CLOCK_MONOTONIC is shared by both processes, so the difference is the one-way latency: encode + publish + poll + view. ' +
    'The first records of each run (warm-up) are not counted. ' +
    'C reference rows: scripts/bench/latency-ref.c (gcc -O2), the same protocol between two C processes (memcpy, release store of size, ' +
    'spinning acquire loads), run interleaved with the tickrec runs: the floor this machine allows at that moment. ' +
    'Percentiles are the median over runs (max: over all runs). ' +
    '"preempted r/w" counts, per run, the involuntary context switches of the reader and the writer while measuring: ' +
    'each is a stretch in which another thread had the core and records waited. ' +
    `The last row times, in the writer alone, each append() that grows a file from 2,500 records while ${GROW_N.toLocaleString('en-US')} are appended: ` +
    'every reader waits that long for the next record.',
  async run(): Promise<Row[]> {
    const bin = compileCRef();
    const rows: Row[] = [];
    for (const [pacing, cfg] of [
      ['spin', SPIN],
      ['sleep', SLEEPY],
    ] as const) {
      const how = pacing === 'spin' ? 'writer spins 25 µs' : 'writer sleeps 25 µs+';
      const c: Result[] = [];
      const js: Result[] = [];
      for (let r = 0; r < cfg.runs; r++) {
        // Interleaved, so that both see the same moments of the machine.
        if (bin) c.push(await onceC(bin, pacing, cfg, r));
        js.push(await once('spin', pacing, cfg.warm, cfg.n, r));
      }
      if (bin) rows.push(row(`C reference (same protocol, no Node): ${how}`, cfg, c, false));
      rows.push(row(`follow(…, { mode: 'spin' }); ${how}`, cfg, js, true));
    }
    const timer: Result[] = [];
    for (let r = 0; r < TIMER.runs; r++) timer.push(await once('timer', 'spin', TIMER.warm, TIMER.n, r));
    rows.push(row("follow(…, { mode: 'timer', intervalMs: 1 }); writer spins", TIMER, timer, false));
    rows.push(await growthStalls());
    return rows;
  },
};

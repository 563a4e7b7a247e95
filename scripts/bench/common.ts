// Shared by the bench suites: result rows, timing runs, medians, temp files, realistic ticks.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Tick } from '../../src/index.js';
import { rng } from '../lib/rng.js';

/** One line of a result table: column name → cell text (the first row's keys set the columns). */
export type Row = Record<string, string>;

/** What every suite file exports. */
export interface Suite {
  readonly title: string;
  /** One paragraph: what is measured and how. */
  readonly about: string;
  run(): Promise<Row[]>;
}

/** A target cell, e.g. "p99 < 50 µs: MISSED (62.1)"; index.ts lists every row whose target cell says MISSED. */
export function target(met: boolean, goal: string, measured: string): string {
  return `${goal}: ${met ? 'met' : 'MISSED'} (${measured})`;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >>> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function fixed(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

/** What one timed run took: wall time, and the kernel's share of the CPU time (page faults, syscalls). */
export interface Timing {
  ns: number;
  kernelShare: number;
}

/** Times `body`; only the body, so a case does its setup outside. */
export function timed(body: () => void): Timing {
  const r0 = process.resourceUsage();
  const t0 = nowNs();
  body();
  const ns = nowNs() - t0;
  const r1 = process.resourceUsage();
  const sys = r1.systemCPUTime - r0.systemCPUTime;
  const user = r1.userCPUTime - r0.userCPUTime;
  return { ns, kernelShare: sys + user > 0 ? sys / (sys + user) : 0 };
}

/** A case of a throughput suite: does `n` operations, times them with timed(). */
export interface TimedCase {
  readonly name: string;
  run(n: number): Timing;
}

export interface Measured {
  /** Operations per second, one per run. */
  rates: number[];
  /** Kernel share of the CPU time, one per run. */
  kernel: number[];
}

/**
 * Warms every case up, then runs them interleaved (case A, B, C, A, B, C, ...) so that a
 * slow moment of the machine spreads over all cases.
 */
export async function measureInterleaved(
  cases: readonly TimedCase[],
  n: number,
  runs: number,
  warmN: number,
): Promise<Map<string, Measured>> {
  const out = new Map<string, Measured>(cases.map((c) => [c.name, { rates: [], kernel: [] }]));
  for (let w = 0; w < 2; w++) {
    for (const c of cases) {
      c.run(warmN);
      await settle();
    }
  }
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const t = c.run(n);
      out.get(c.name)!.rates.push(n / (t.ns / 1e9));
      out.get(c.name)!.kernel.push(t.kernelShare);
      await settle();
    }
  }
  return out;
}

const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * Between runs: a full GC, then one turn of the event loop, so that the mappings of the
 * last run (unmapped by mmap-io's Buffer finalizer) are gone and the next run starts clean.
 */
export async function settle(): Promise<void> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 10));
}

export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** A fresh temp dir, removed at process exit. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tickrec-bench-${prefix}-`));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A Tick that RtWriter.append accepts: the exported `Tick` interface has no index
 * signature, so it is not assignable to append's `Readonly<Record<string, unknown>>`.
 */
export type TickRec = Tick & Record<string, unknown>;

/** `count` ticks of one instrument (SHFE rb2505), 500 ms apart, 5 book levels each. */
export function makeTicks(count: number): TickRec[] {
  const rnd = rng(20240102);
  const ticks: TickRec[] = [];
  let price = 3500;
  let totalVolume = 0;
  let totalTurnover = 0;
  let oi = 1_800_000;
  for (let i = 0; i < count; i++) {
    price += Math.round((rnd() - 0.5) * 4);
    const volume = 1 + Math.floor(rnd() * 200);
    const dOi = Math.round((rnd() - 0.5) * 100);
    totalVolume += volume;
    totalTurnover += volume * price * 10;
    oi += dOi;
    const ms = 9 * 3600_000 + i * 500;
    const hhmmssmmm = Math.floor(ms / 3600_000) * 1e7 + (Math.floor(ms / 60_000) % 60) * 1e5 + (ms % 60_000);
    const level = (side: number) => [0, 1, 2, 3, 4].map((k) => price + side * (k + (side > 0 ? 1 : 0)));
    const qty = () => [0, 1, 2, 3, 4].map(() => 1 + Math.floor(rnd() * 500));
    ticks.push({
      exchg: 'SHFE',
      code: 'rb2505',
      price,
      open: 3500,
      high: Math.max(3500, price),
      low: Math.min(3500, price),
      settle_price: 0,
      upper_limit: 3815,
      lower_limit: 3185,
      total_volume: totalVolume,
      volume,
      total_turnover: totalTurnover,
      turn_over: volume * price * 10,
      open_interest: oi,
      diff_interest: dOi,
      trading_date: 20240102,
      action_date: 20240102,
      action_time: hhmmssmmm,
      pre_close: 3498,
      pre_settle: 3500,
      pre_interest: 1_800_000,
      bid_prices: level(-1),
      ask_prices: level(1),
      bid_qty: qty(),
      ask_qty: qty(),
    });
  }
  return ticks;
}

interface CpuSample {
  wallMs: number;
  busyTicks: number;
  ownTicks: number;
}

/** Busy CPU ticks of the whole machine and of this process and its waited-for children (Linux). */
export function cpuSample(): CpuSample | undefined {
  try {
    const all = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const busy = all.reduce((a, b) => a + b, 0) - all[3]! - (all[4] ?? 0); // minus idle and iowait
    const self = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number); // fields from #3 (state) on
    const own = f[11]! + f[12]! + f[13]! + f[14]!; // utime stime cutime cstime (#14-#17)
    return { wallMs: performance.now(), busyTicks: busy, ownTicks: own };
  } catch {
    return undefined;
  }
}

/** Share of the machine's CPU (all cores) that other processes used between two samples, 0..1. */
export function othersShare(a: CpuSample | undefined, b: CpuSample | undefined): number | undefined {
  if (!a || !b) return undefined;
  const capacityTicks = ((b.wallMs - a.wallMs) / 1000) * 100 * os.availableParallelism(); // USER_HZ = 100
  return Math.max(0, (b.busyTicks - a.busyTicks - (b.ownTicks - a.ownTicks)) / capacityTicks);
}

/** cpu model, cores, node version: the machine line of docs/benchmarks.md. */
export function machine(): { cpu: string; cores: number; node: string; memGiB: number } {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() is all there is
  }
  return { cpu, cores: os.availableParallelism(), node: process.version, memGiB: Math.round(os.totalmem() / 2 ** 30) };
}

// The FAULT GUARD's cost per append (src/store/fault-guard.ts): the same encode-and-publish loop with and without the writer's check, side by side in one run.

import fs from 'node:fs';
import path from 'node:path';
import type { Mem as MemT } from '../../src/index.js';
import type * as FaultGuard from '../../src/store/fault-guard.js';
import { fixed, makeTicks, measureInterleaved, median, tempDir, type Row, type Suite, type TimedCase } from './common.js';
import { lib } from './lib.js';

const { Mem, RT_HEADER_BYTES, RT_SIZE_U32, RtWriter, TICK, TICK_KIND, mapFile } = lib;
// The module the writer itself calls (dist/, as every bench): faultEpoch() is the check.
const guard = (await import(new URL('../../dist/store/fault-guard.js', import.meta.url).href)) as typeof FaultGuard;
const { faultEpoch, guardStatus } = guard;

const N = 250_000;
const RUNS = 7;
const WARM_N = 50_000;
const RING = 1024;
const RS = TICK.size;
const DATE = 20240102;

const dir = tempDir('fault-guard');
let seq = 0;
const ticks = makeTicks(RING);
const encode = TICK_KIND.codec.encode;

/** A fresh file of n records made by RtWriter and mapped here (registered with the guard, as the writer's mapping is). */
function mapped(n: number): { m: MemT; file: string } {
  const file = path.join(dir, `t${seq++}.dmb`);
  RtWriter.open(file, { kind: TICK_KIND, date: DATE, initialCapacity: n }).close();
  const fd = fs.openSync(file, 'r+');
  const m = new Mem(mapFile(fd, RT_HEADER_BYTES + n * RS, true, file));
  fs.closeSync(fd);
  return { m, file };
}

/**
 * Like common.ts timed(), but the time is the CPU time of this process (user + system,
 * all threads: only the loop runs) instead of the wall clock: on a machine shared with
 * other jobs, the stretches in which this process waited for a core do not count.
 */
function timed(body: () => void): { ns: number; kernelShare: number } {
  const c0 = process.cpuUsage();
  body();
  const c = process.cpuUsage(c0);
  return { ns: (c.user + c.system) * 1000, kernelShare: c.user + c.system > 0 ? c.system / (c.user + c.system) : 0 };
}

/** What the writer does when the check finds a fault: never reached here (nothing faults). */
let faultsSeen = 0;
function onFault(): void {
  faultsSeen++;
}

const NAMES = {
  fileOff: 'mapped file: encode + publish (no check)',
  fileOn: 'mapped file: encode + publish + FAULT GUARD check',
  fileOff2: 'mapped file: encode + publish (no check), again',
  heapOff: 'heap ring: encode + publish (no check)',
  heapOn: 'heap ring: encode + publish + FAULT GUARD check',
  heapOff2: 'heap ring: encode + publish (no check), again',
  writer: 'RtWriter.append (the writer, check included)',
};

function fileCase(name: string, check: boolean): TimedCase {
  return {
    name,
    run(n) {
      const { m, file } = mapped(n);
      let epoch = faultEpoch();
      const t = check
        ? timed(() => {
            for (let i = 0; i < n; i++) {
              encode(ticks[i & (RING - 1)]!, m, RT_HEADER_BYTES + i * RS);
              Atomics.store(m.u32, RT_SIZE_U32, i + 1);
              if (faultEpoch() !== epoch) {
                epoch = faultEpoch();
                onFault();
              }
            }
          })
        : timed(() => {
            for (let i = 0; i < n; i++) {
              encode(ticks[i & (RING - 1)]!, m, RT_HEADER_BYTES + i * RS);
              Atomics.store(m.u32, RT_SIZE_U32, i + 1);
            }
          });
      fs.rmSync(file);
      return t;
    },
  };
}

/** The same loop into a heap buffer of RING records: no page faults, so the check's own cost stands out. */
function heapCase(name: string, check: boolean): TimedCase {
  const heap = Mem.alloc(RT_HEADER_BYTES + RING * RS);
  return {
    name,
    run(n) {
      let epoch = faultEpoch();
      return check
        ? timed(() => {
            for (let i = 0; i < n; i++) {
              encode(ticks[i & (RING - 1)]!, heap, RT_HEADER_BYTES + (i & (RING - 1)) * RS);
              Atomics.store(heap.u32, RT_SIZE_U32, i + 1);
              if (faultEpoch() !== epoch) {
                epoch = faultEpoch();
                onFault();
              }
            }
          })
        : timed(() => {
            for (let i = 0; i < n; i++) {
              encode(ticks[i & (RING - 1)]!, heap, RT_HEADER_BYTES + (i & (RING - 1)) * RS);
              Atomics.store(heap.u32, RT_SIZE_U32, i + 1);
            }
          });
    },
  };
}

// Each case with the check runs between two runs of the same loop without it (interleaved:
// off, on, off again): its cost is measured against their mean, which cancels a drift of the
// machine's speed and the place in the order; "again" against the first is the noise floor.
const cases: TimedCase[] = [
  fileCase(NAMES.fileOff, false),
  fileCase(NAMES.fileOn, true),
  fileCase(NAMES.fileOff2, false),
  heapCase(NAMES.heapOff, false),
  heapCase(NAMES.heapOn, true),
  heapCase(NAMES.heapOff2, false),
  {
    name: NAMES.writer,
    run(n) {
      const file = path.join(dir, `w${seq++}.dmb`);
      const w = RtWriter.open(file, { kind: TICK_KIND, date: DATE, initialCapacity: n });
      const t = timed(() => {
        for (let i = 0; i < n; i++) w.append(ticks[i & (RING - 1)]!);
      });
      w.close();
      fs.rmSync(file);
      return t;
    },
  },
];

export const suite: Suite = {
  title: "FAULT GUARD: the check's cost per append",
  about:
    `The writer's FAULT GUARD check (\`if (faultEpoch() !== this.epoch)\` after each append: one load of an Int32Array the SIGBUS handler writes; src/store/fault-guard.ts, native/fs/src/fault.c) ` +
    'measured as the same loop with and without it, side by side in one run: the compiled tick encoder and the publishing Atomics.store of size, ' +
    `N = ${N.toLocaleString('en-US')} 512-byte ticks per run (${RING} distinct tick objects in rotation), into a fresh mapped file (registered with the guard, first-touch page faults inside the timed loop, as for a live writer) ` +
    `or into a heap ring of ${RING} records (no page faults: the check's own cost is not hidden in the faults' noise); RtWriter.append (which has the check) for scale. ` +
    `Cases interleaved, ${RUNS} timed runs each after 2 warm-up runs of ${WARM_N.toLocaleString('en-US')}; median (min-max) in millions of records per second of CPU time ` +
    "(the process's user + system time, not the wall clock: on a shared machine the time spent waiting for a core does not count). " +
    'Each loop with the check runs between two runs of the same loop without it (off, on, off again, interleaved with the other cases); ' +
    '"vs no check" is the median over runs of the difference in ns of CPU per record between the run with the check and the mean of the two without it around it, and the ratio of the medians (records/s); ' +
    'the "again" rows give the same figures for two identical loops: the noise floor of the run. ' +
    'Nothing faults during the runs: this is the price every append pays, not the price of a fault.',
  async run(): Promise<Row[]> {
    const measured = await measureInterleaved(cases, N, RUNS, WARM_N);
    if (faultsSeen !== 0) throw new Error(`${faultsSeen} faults during the benchmark: the figures are not of the check alone`);
    const mps = (name: string) => measured.get(name)!.rates.map((x) => x / 1e6);
    const row = (name: string, ...base: string[]): Row => {
      const xs = mps(name);
      const m = median(xs);
      let cost = '';
      if (base.length > 0) {
        const bs = base.map(mps);
        // ns of CPU per record, against the mean of the base runs of the same round
        const perRun = xs.map((x, i) => 1e3 / x - bs.reduce((sum, b) => sum + 1e3 / b[i]!, 0) / bs.length);
        const baseMedian = median(bs.flat());
        cost = `${perRun.length > 0 ? fixed(median(perRun), 2) : '?'} ns/rec; ${fixed(m / baseMedian, 3)}×`;
      }
      return {
        case: name,
        'M rec/s (median)': fixed(m),
        'min-max': `${fixed(Math.min(...xs))}-${fixed(Math.max(...xs))}`,
        'in kernel': `${Math.round(median(measured.get(name)!.kernel) * 100)}%`,
        'vs no check': cost,
      };
    };
    const g = guardStatus();
    if (!g.available) console.error(`warning: the FAULT GUARD is off here (${g.reason}): the check runs, the handler does not`);
    return [
      row(NAMES.fileOff),
      row(NAMES.fileOn, NAMES.fileOff, NAMES.fileOff2),
      row(NAMES.fileOff2, NAMES.fileOff),
      row(NAMES.heapOff),
      row(NAMES.heapOn, NAMES.heapOff, NAMES.heapOff2),
      row(NAMES.heapOff2, NAMES.heapOff),
      row(NAMES.writer),
    ];
  },
};

// A spinning follower must not allocate while it waits: allocation on every empty poll
// meant a minor GC every ~25 ms, and the records published during one waited 0.2-0.4 ms
// (the p99 of the latency bench). See NO ALLOCATION WHILE SPINNING in src/store/rt-follow.ts.

import path from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { TICK_KIND } from '../../src/format/index.js';
import { RtWriter, follow } from '../../src/store/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterEach(() => removeTempDirs());

describe('follow in spin mode', () => {
  it('makes (almost) no minor GC while spinning on an idle file for one second', async () => {
    const dir = makeTempDir('tickrec-spin-');
    const file = path.join(dir, 'idle.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: 20250106, initialCapacity: 16 });
    const minorAt: number[] = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
          minorAt.push(e.startTime);
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    let delivered = 0;
    const sliceMs = 1000;
    const t0 = performance.now();
    const f = follow(file, () => void delivered++, { mode: 'spin', spinSliceMs: sliceMs, rollCheckMs: 1 });
    setTimeout(() => f.stop(), 0); // runs after the first slice: the loop holds the thread until then
    await f.done;
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 50)); // let the observer deliver
    obs.disconnect();
    w.close();
    expect(delivered).toBe(0);
    expect(t1 - t0).toBeGreaterThanOrEqual(sliceMs * 0.9); // it did spin for the slice
    // The spin itself: a clock read per poll made ~40 minor GCs in this second.
    const during = minorAt.filter((t) => t >= t0 && t <= t1);
    expect(during.length).toBeLessThanOrEqual(3);
  });
});

// Reader child of latency.ts: follows FILE, measures now − the writer's timestamp in settle_price per record, prints percentiles as JSON.
//
// usage: node --import tsx scripts/bench/latency-reader.ts FILE WARM N spin|timer
// Both processes read CLOCK_MONOTONIC (process.hrtime), which is shared across processes.

import { lib } from './lib.js';

const [file, warmArg, nArg, modeArg] = process.argv.slice(2);
const warm = Number(warmArg);
const n = Number(nArg);
const mode = modeArg === 'timer' ? 'timer' : 'spin';
if (!file || !(warm >= 0) || !(n > 0)) {
  console.error('usage: latency-reader.ts FILE WARM N spin|timer');
  process.exit(2);
}

const latencyNs = new Float64Array(n);
const total = warm + n;
let switches0 = 0; // involuntary context switches when measuring starts: the reader was taken off its core
const follower = lib.follow(
  file,
  (rec, i) => {
    const now = Number(process.hrtime.bigint());
    if (i === warm) switches0 = process.resourceUsage().involuntaryContextSwitches;
    if (i >= warm) latencyNs[i - warm] = now - (rec.settle_price as number);
    return i + 1 < total;
  },
  { mode, intervalMs: 1, from: 'start', reuseView: true }, // no allocation per record: no GC in the tail
);
process.stdout.write('ready\n');

await follower.done;
const preempted = process.resourceUsage().involuntaryContextSwitches - switches0;
latencyNs.sort();
const us = (q: number) => latencyNs[Math.min(n - 1, Math.floor(q * n))]! / 1000;
process.stdout.write(`${JSON.stringify({ n, p50: us(0.5), p99: us(0.99), p999: us(0.999), max: latencyNs[n - 1]! / 1000, preempted })}\n`);

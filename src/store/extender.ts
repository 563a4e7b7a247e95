// EXTEND AHEAD: the blocks of a file's next growth, reserved by a helper thread before
// the writer needs them (fallocate(2) with FALLOC_FL_KEEP_SIZE, see fallocate.ts).
//
// Why: a growth makes the new half of the file exist for real (GROWTH RULE in
// rt-writer.ts: a full disk must fail at growth, never SIGBUS later). Done inline, that
// was ~7% of the recorder's main-thread CPU and a stall of every reader of the file
// (10 ms median, 80 ms max for 2,500 -> 1.28 M ticks: docs/benchmarks.md). The writer
// now asks for the next half when its file is half full; the growth itself then only
// lengthens the file over blocks already reserved, maps it and publishes the capacity.
//
// Rules that keep it safe:
// - The helper NEVER changes the file's length: it reserves blocks past the end
//   (KEEP_SIZE). Only the writer lengthens its file, at a growth, after checking that
//   the file still has the length it published (rt-writer.ts, CUT BEFORE GROWTH). A
//   helper that lengthened the file itself (as it did, with fallocate mode 0 or zeros
//   written) re-extended a file someone else had cut between the job's start and its
//   run: the truncation left no trace, and the writer published records over a hole of
//   zeros. Without an addon that knows KEEP_SIZE there is no helper (start() returns
//   undefined) and growths reserve inline.
// - The writer waits (Atomics.wait on the job's state) for a job before it grows over
//   the range, and before it closes the fd: the helper never works on a closed (or
//   reused) descriptor.
// - A failed job (ENOSPC, EDQUOT, EIO) changes nothing the writer published: the growth
//   that needs the range raises the same error the inline reservation would have raised.
//   A file system without KEEP_SIZE (EOPNOTSUPP) makes the job done with nothing
//   reserved: the growth reserves inline.
// - A crash mid-job leaves blocks reserved past the end of a file whose length is its
//   capacity's: nothing a reopen has to know about.
// - A helper thread that dies (an error, or terminated) abandons its jobs: when the
//   main thread learns of its exit, every job still pending is marked ABANDONED, which
//   wait() reports as settled with nothing to say: the thread that could touch the fd
//   is gone, so close() may close it, and the growth reserves the range inline
//   (extendWithZeros in rt-writer.ts). Later jobs go inline too (no helper).

import { Worker } from 'node:worker_threads';
import { FALLOCATE_UNSUPPORTED, fallocateAddonForWorker } from './fallocate.js';

/** Job states (Int32 slot 0 of the job's shared state). */
export const JOB_PENDING = 0;
export const JOB_DONE = 1;
export const JOB_FAILED = 2;
/** The helper died before it answered: nothing is known to be reserved, nobody works on the fd. */
export const JOB_ABANDONED = 3;

/** Errno codes the helper reports (slot 1), by index; 0 = other (message in the error). */
const CODES = ['', 'ENOSPC', 'EFBIG', 'EDQUOT', 'EIO', 'EBADF', 'EINTR'];

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const CODES = ${JSON.stringify(CODES)};
const UNSUPPORTED = ${JSON.stringify(FALLOCATE_UNSUPPORTED)};
let fx = null;
try {
  fx = require(workerData.addon);
} catch {
  // every job is done with nothing reserved: the growths reserve inline
}
parentPort.on('message', (job) => {
  if (job.hold) {
    Atomics.wait(new Int32Array(job.hold), 0, 0); // holdHelper (tests): busy until released
    return;
  }
  const st = new Int32Array(job.state);
  try {
    if (fx) try {
      fx.allocate(job.fd, job.from, job.to - job.from, true); // KEEP_SIZE: the length never changes here
    } catch (err) {
      if (!UNSUPPORTED.includes(err && err.code)) throw err; // unsupported: nothing reserved, the growth does it
    }
    Atomics.store(st, 0, ${JOB_DONE});
  } catch (err) {
    const i = CODES.indexOf(err && err.code);
    Atomics.store(st, 1, i < 0 ? 0 : i);
    Atomics.store(st, 0, ${JOB_FAILED});
  }
  Atomics.notify(st, 0);
});
`;

let worker: Worker | undefined;
let workerBroken = false;
/** Jobs posted and not yet seen settled (abandoned if the helper dies). */
const inFlight = new Set<Int32Array>();

/** The helper is gone: its pending jobs will never be answered. */
function helperGone(w: Worker): void {
  if (worker === w) worker = undefined;
  workerBroken = true;
  for (const st of inFlight) {
    if (Atomics.compareExchange(st, 0, JOB_PENDING, JOB_ABANDONED) === JOB_PENDING) Atomics.notify(st, 0);
  }
  inFlight.clear();
}

function helper(): Worker | undefined {
  if (worker || workerBroken) return worker;
  const addon = fallocateAddonForWorker();
  if (addon === null) {
    workerBroken = true; // nothing it may do (see the rules above): growths reserve inline
    return undefined;
  }
  try {
    const w = new Worker(WORKER_SOURCE, { eval: true, name: 'tickrec-extender', workerData: { addon } });
    w.unref(); // never keeps the process alive; a job cut short by exit is an interrupted growth
    // Cannot happen with the code above short of resource exhaustion: later growths
    // reserve inline, and the jobs in flight are abandoned (see the rules above).
    w.on('error', () => helperGone(w));
    w.on('exit', () => helperGone(w));
    worker = w;
  } catch {
    workerBroken = true;
  }
  return worker;
}

/** One range of blocks being reserved ahead, past the file's end. */
export class ExtendJob {
  private readonly state = new Int32Array(new SharedArrayBuffer(8));

  private constructor(
    /** File offsets [from, to) of the reserved blocks (from = the file's length when asked). */
    readonly from: number,
    readonly to: number,
  ) {}

  /** Starts reserving [from, to) of fd (KEEP_SIZE) on the helper thread; undefined if there is none. */
  static start(fd: number, from: number, to: number): ExtendJob | undefined {
    const w = helper();
    if (!w) return undefined;
    const job = new ExtendJob(from, to);
    for (const st of inFlight) if (Atomics.load(st, 0) !== JOB_PENDING) inFlight.delete(st);
    inFlight.add(job.state);
    w.postMessage({ fd, from, to, state: job.state.buffer });
    return job;
  }

  /** True once the helper has finished (done or failed). */
  get settled(): boolean {
    return Atomics.load(this.state, 0) !== JOB_PENDING;
  }

  /** True when the helper reserved the range (settled, not failed or abandoned). */
  get reserved(): boolean {
    return Atomics.load(this.state, 0) === JOB_DONE;
  }

  /**
   * Blocks until the job is settled. Returns undefined when the blocks are reserved or the
   * job was abandoned by a dead helper (then the growth reserves them inline), or the
   * error (an errno-like Error for ioError). After `maxWaitMs` without an answer (a disk
   * that stalls for minutes) it returns ETIMEDOUT: the helper may still be writing, so the
   * caller must keep the job, not touch its range, and wait again later.
   */
  wait(maxWaitMs = 120_000): NodeJS.ErrnoException | undefined {
    const deadline = Date.now() + maxWaitMs;
    while (Atomics.load(this.state, 0) === JOB_PENDING) {
      const left = deadline - Date.now();
      if (left <= 0)
        return Object.assign(new Error(`the zero-extension thread has not finished after ${maxWaitMs} ms (a stalled disk?)`), {
          code: 'ETIMEDOUT',
        });
      Atomics.wait(this.state, 0, JOB_PENDING, Math.min(left, 1000));
    }
    const st = Atomics.load(this.state, 0);
    if (st === JOB_DONE || st === JOB_ABANDONED) return undefined;
    const code = CODES[Atomics.load(this.state, 1)] || 'EIO';
    return Object.assign(new Error(`${code}: reserving the next growth failed`), { code });
  }
}

/**
 * Tests: makes the helper busy until release() (jobs posted meanwhile stay pending);
 * undefined when there is no helper. `helper` is the thread, to terminate it mid-job.
 */
export function holdHelper(): { release(): void; helper: Worker } | undefined {
  const w = helper();
  if (!w) return undefined;
  const hold = new Int32Array(new SharedArrayBuffer(4));
  w.postMessage({ hold: hold.buffer });
  return {
    helper: w,
    release: () => {
      Atomics.store(hold, 0, 1);
      Atomics.notify(hold, 0);
    },
  };
}

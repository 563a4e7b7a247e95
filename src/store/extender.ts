// EXTEND AHEAD: the zero bytes of a file's next growth, reserved (fallocate, see
// fallocate.ts) or written by a helper thread before the writer needs them.
//
// Why: a growth writes the new half of the file with real zeros (GROWTH RULE in
// rt-writer.ts: a full disk must fail at write(2), never SIGBUS later). Done inline,
// that was ~7% of the recorder's main-thread CPU and a stall of every reader of the file
// (10 ms median, 80 ms max for 2,500 -> 1.28 M ticks: docs/benchmarks.md). The writer
// now asks for the next half when its file is half full; the growth itself then only
// maps the longer file and publishes the new capacity.
//
// Rules that keep it safe:
// - The helper writes only bytes past the file's published length (past every mapped
//   and published slot): no reader and no append ever touches them before the growth.
// - The writer waits (Atomics.wait on the job's state) for a job before it maps the
//   range, and before it closes the fd: the helper never writes through a closed (or
//   reused) descriptor, and no zero lands after a record.
// - A failed job (ENOSPC, EFBIG, EIO) changes nothing the writer published: the growth
//   that needs the range cuts the file back and raises the same error the inline write
//   would have raised.
// - A crash mid-job leaves a file longer than its capacity: the REOPEN RULES already
//   treat that as an interrupted growth.

import { Worker } from 'node:worker_threads';
import { FALLOCATE_UNSUPPORTED, fallocateAddonForWorker } from './fallocate.js';

/** Job states (Int32 slot 0 of the job's shared state). */
export const JOB_PENDING = 0;
export const JOB_DONE = 1;
export const JOB_FAILED = 2;

/** Errno codes the helper reports (slot 1), by index; 0 = other (message in the error). */
const CODES = ['', 'ENOSPC', 'EFBIG', 'EDQUOT', 'EIO', 'EBADF', 'EINTR'];

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const CODES = ${JSON.stringify(CODES)};
const UNSUPPORTED = ${JSON.stringify(FALLOCATE_UNSUPPORTED)};
let fx = null;
try {
  if (workerData.addon) fx = require(workerData.addon);
} catch {
  // zeros below
}
let zeros;
parentPort.on('message', (job) => {
  const st = new Int32Array(job.state);
  let at = job.from;
  try {
    let reserved = false;
    if (fx) {
      try {
        fx.allocate(job.fd, job.from, job.to - job.from);
        reserved = true;
      } catch (err) {
        if (!UNSUPPORTED.includes(err && err.code)) throw err;
      }
    }
    if (!reserved) zeros ??= Buffer.alloc(1 << 20);
    while (!reserved && at < job.to) at += fs.writeSync(job.fd, zeros, 0, Math.min(zeros.length, job.to - at), at);
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

function helper(): Worker | undefined {
  if (worker || workerBroken) return worker;
  try {
    const w = new Worker(WORKER_SOURCE, { eval: true, name: 'tickrec-extender', workerData: { addon: fallocateAddonForWorker() } });
    w.unref(); // never keeps the process alive; a job cut short by exit is an interrupted growth
    w.on('error', () => {
      // Cannot happen with the code above short of resource exhaustion; later growths
      // write their zeros inline. A job in flight is never marked done: its writer's
      // wait times out and writes the range itself (see ExtendJob.wait).
      workerBroken = true;
      worker = undefined;
    });
    worker = w;
  } catch {
    workerBroken = true;
  }
  return worker;
}

/** One range of zeros being written ahead. */
export class ExtendJob {
  private readonly state = new Int32Array(new SharedArrayBuffer(8));

  private constructor(
    /** File offsets [from, to) of the zeros. */
    readonly from: number,
    readonly to: number,
  ) {}

  /** Starts reserving (or writing zeros to) [from, to) of fd on the helper thread; undefined if there is none. */
  static start(fd: number, from: number, to: number): ExtendJob | undefined {
    const w = helper();
    if (!w) return undefined;
    const job = new ExtendJob(from, to);
    w.postMessage({ fd, from, to, state: job.state.buffer });
    return job;
  }

  /** True once the helper has finished (done or failed). */
  get settled(): boolean {
    return Atomics.load(this.state, 0) !== JOB_PENDING;
  }

  /**
   * Blocks until the job is settled. Returns undefined when the zeros are written, or the
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
    if (Atomics.load(this.state, 0) === JOB_DONE) return undefined;
    const code = CODES[Atomics.load(this.state, 1)] || 'EIO';
    return Object.assign(new Error(`${code}: reserving the next growth failed`), { code });
  }
}

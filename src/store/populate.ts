// POPULATE AHEAD: the pages a writer is about to fill are made present in its mapping by
// a helper thread of the addon (madvise MADV_POPULATE_WRITE, native/fs/src/populate.c),
// so the writer's own stores do not take the page faults.
//
// Why: the first store into each page of a live file costs a page fault (a page-cache
// page for the file, then the file system's page_mkwrite): 6-8 µs a page under load,
// about 1 µs a 512-byte tick, on the recorder's only thread (the recorder profile:
// ~15% of its CPU inside the tick encoder, almost all of it these faults). The helper
// thread pays the same price, off the event loop (measured: the stores into populated
// pages cost 0.26-0.36 µs a tick instead of 0.86-0.98; docs/benchmarks.md, notes).
//
// Rules:
// - advisory: nothing depends on a populate having run; the contents never change (a
//   populated page is a simulated write fault, not a write). A page past the file's end
//   (cut by someone else) makes the job fail with EFAULT, never a SIGBUS;
// - the mapping is held (referenced from `inFlight`) until the helper has finished its
//   job, so it is never unmapped under the helper (mmap-io unmaps when it is collected);
// - only the pages just ahead of the writer, and only of a file that is being written
//   (see rt-writer.ts): a whole-market session of 20,000 rarely traded codes does not
//   fill the page cache with zero pages;
// - without the addon's populate (not built, an older build), a kernel before 5.14
//   (EINVAL), or TICKREC_POPULATE=0, nothing is done and the writer takes its faults.

import { createRequire } from 'node:module';
import { FS_ADDON_PATH } from './fallocate.js';

interface PopulateAddon {
  /** Queues a job; its number (jobs finish in order), or 0 when nothing was queued. */
  populate(buf: Buffer, offset: number, length: number): number;
  /** The number of the last job finished. */
  populateDone(): number;
  populateStatus(): { done: number; failed: number; lastErrno: number; unsupported: boolean };
}

/** Mappings of jobs not finished yet, oldest first (kept reachable: see the rules above). */
const inFlight: { job: number; buf: Buffer }[] = [];

let addon: PopulateAddon | null | undefined;
let reason = '';

function load(): PopulateAddon | null {
  if (addon !== undefined) return addon;
  if (process.env.TICKREC_POPULATE === '0') {
    reason = 'TICKREC_POPULATE=0';
    return (addon = null);
  }
  try {
    const a = createRequire(import.meta.url)(FS_ADDON_PATH) as Partial<PopulateAddon>;
    if (typeof a.populate !== 'function' || typeof a.populateDone !== 'function' || typeof a.populateStatus !== 'function') {
      reason = `${FS_ADDON_PATH} has no populate (built from an older tickrec); rebuild it: npx node-gyp rebuild --directory=native/fs`;
      return (addon = null);
    }
    addon = a as PopulateAddon;
  } catch (err) {
    reason = `${FS_ADDON_PATH} not loaded (${(err as Error).message.split('\n')[0]}); \`npm install\` builds it`;
    addon = null;
  }
  return addon;
}

/** Whether pages are populated ahead of the writers; jobs done and failed in this process. */
export function populateStatus(): { available: boolean; reason: string; done: number; failed: number; lastErrno: number } {
  const a = load();
  if (a === null) return { available: false, reason, done: 0, failed: 0, lastErrno: 0 };
  const s = a.populateStatus();
  return {
    available: !s.unsupported,
    reason: s.unsupported
      ? `madvise(MADV_POPULATE_WRITE) not supported by this kernel (errno ${s.lastErrno})`
      : 'MADV_POPULATE_WRITE through native/fs',
    done: s.done,
    failed: s.failed,
    lastErrno: s.lastErrno,
  };
}

/** Whether populatePages can do anything in this process (checked once per writer mapping, not per record). */
export function canPopulate(): boolean {
  return load() !== null;
}

/**
 * Queues the population of bytes [from, to) of a writable shared mapping (whole pages
 * around it, inside the mapping) for the helper; returns at once. False when nothing was
 * queued (no helper, a full queue): the writer takes its own faults.
 */
export function populatePages(buf: Buffer, from: number, to: number): boolean {
  const a = load();
  if (a === null || to <= from) return false;
  if (inFlight.length > 0) {
    const done = a.populateDone();
    let k = 0;
    while (k < inFlight.length && inFlight[k]!.job <= done) k++;
    if (k > 0) inFlight.splice(0, k);
  }
  const job = a.populate(buf, from, to - from);
  if (job === 0) return false;
  inFlight.push({ job, buf });
  return true;
}

/** Jobs queued and not known finished (tests). */
export function populatePending(): number {
  const a = load();
  if (a === null) return 0;
  const done = a.populateDone();
  return inFlight.filter((x) => x.job > done).length;
}

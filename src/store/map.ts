// Memory mapping through mmap-io. The one place that calls mmap/msync.
//
// Rules kept here and by every caller (SIGBUS is a kill, not an exception):
// - never map past the file's current length;
// - every mapping is registered with the FAULT GUARD (fault-guard.ts): when someone else
//   truncates the file, a touch past its new end maps a zero page and is counted
//   instead of killing the process; the owner checks faultEpoch() and mappingFaults();
// - a mapping is released by the garbage collector when its Buffer is unreachable
//   (mmap-io unmaps in a finalizer), so old mappings stay valid while views use them;
//   files are never shrunk while they may be mapped.

import { createRequire } from 'node:module';
import { assert } from '../assert.js';
import { TickrecError, ioError } from '../errors.js';
import { faultsOf, guardMapping } from './fault-guard.js';

// mmap-io is CommonJS whose typings declare a default export that does not exist at
// run time: load it with require, typed with the part of its API tickrec uses.
interface MmapIo {
  map(size: number, protection: number, flags: number, fd: number, offset?: number): Buffer;
  advise(buffer: Buffer, offset: number, length: number, advice: number): void;
  readonly MADV_DONTNEED: number;
  sync(buffer: Buffer, offset: number, size: number, blocking: boolean, invalidate: boolean): void;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly MAP_SHARED: number;
}
const mmap = createRequire(import.meta.url)('mmap-io') as MmapIo;

/** Largest mapping: mmap-io passes the length as a 32-bit signed int (2 GiB - 1). */
export const MAX_MAP_BYTES = 2147483647;

export function mapFile(fd: number, bytes: number, writable: boolean, path: string): Buffer {
  assert(bytes > 0, `map length ${bytes} out of range for ${path}`);
  if (bytes > MAX_MAP_BYTES) {
    throw new TickrecError(
      'E_IO',
      `${path}: ${bytes} bytes do not fit in one mapping (at most ${MAX_MAP_BYTES}); tickrec cannot map this file.`,
      { file: path },
    );
  }
  try {
    const prot = writable ? mmap.PROT_READ | mmap.PROT_WRITE : mmap.PROT_READ;
    const buf = mmap.map(bytes, prot, mmap.MAP_SHARED, fd, 0);
    guards.set(buf, guardMapping(buf));
    return buf;
  } catch (err) {
    throw ioError(err, path, `mmap of ${bytes} bytes`);
  }
}

/** Guard id of each mapping (released with the mapping: the addon drops it when the Buffer is collected). */
const guards = new WeakMap<Buffer, number>();

/** SIGBUS faults (touches past the file's end, turned into zero pages) counted in a mapping. */
export function mappingFaults(buf: Buffer): number {
  return faultsOf(guards.get(buf) ?? -1);
}

/** msync: blocking (MS_SYNC) waits until the pages are on disk. */
export function syncMap(buf: Buffer, blocking: boolean, path: string): void {
  try {
    mmap.sync(buf, 0, buf.length, blocking, false);
  } catch (err) {
    throw ioError(err, path, 'msync');
  }
}

/** Page size of the mappings (madvise ranges are whole pages). */
export const PAGE_BYTES = 4096;

/**
 * PAGE RELEASE. Drops this process's page-table entries for bytes [from, to) of a shared file
 * mapping (madvise MADV_DONTNEED; rounded inwards to whole pages). Nothing is lost: the
 * pages stay in the page cache, dirty ones stay dirty, and a later access maps them
 * again. Why: writeback (our periodic fdatasync, or the kernel's) write-protects every
 * dirty page that a process maps writable, one TLB-flush IPI per page to the CPUs
 * running that process: 7% of the recorder's CPU under load (perf). Pages the writer
 * will not touch again are cheaper released in bulk, with one flush per call.
 * Advisory: returns false (and changes nothing) when madvise refuses.
 */
export function releasePages(buf: Buffer, from: number, to: number): boolean {
  const a = Math.ceil(from / PAGE_BYTES) * PAGE_BYTES;
  const b = Math.min(Math.floor(to / PAGE_BYTES) * PAGE_BYTES, Math.floor(buf.length / PAGE_BYTES) * PAGE_BYTES);
  if (b <= a) return true;
  try {
    mmap.advise(buf, a, b - a, mmap.MADV_DONTNEED);
    return true;
  } catch {
    return false;
  }
}

// Opening a spare file (SPARE FILES, src/store/spare.ts) to build a new file in: below every layer that makes files (store, meta).

import fs from 'node:fs';

/** Where spares come from and go back to (src/store/spare.ts SpareFiles). */
export interface SpareSource {
  /** A spare's path, or undefined when none is ready. */
  take(): string | undefined;
  /** A spare taken but not used (the build in it failed), emptied: back into the stock. */
  giveBack(spare: string): void;
}

/**
 * After a build in `spare` failed (before its rename): the spare is emptied and given
 * back, so a failure costs no new spare. A full disk rejects every record of a new
 * instrument; if each attempt used up a spare, the stock's refill would create an inode
 * per rejected record (measured: 2-4 write syscalls per rejected tick,
 * test/reliability/full-disk.test.ts). Removed when it cannot be emptied.
 */
export function returnSpare(source: SpareSource, spare: string): void {
  try {
    fs.truncateSync(spare, 0);
  } catch {
    fs.rmSync(spare, { force: true });
    return;
  }
  source.giveBack(spare);
}

/**
 * Opens `spare` for reading and writing WITHOUT O_CREAT or O_TRUNC: a spare exists and
 * is empty, and on ext4 a truncation to zero makes the close start a writeback on the
 * event loop (auto_da_alloc: 0.4 ms per metadata file at an open, measured). A spare a
 * crash left bytes in is emptied. Returns undefined when it cannot be opened (taken away:
 * the caller makes a temporary file of its own).
 */
export function openSpare(spare: string): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(spare, 'r+');
  } catch {
    return undefined;
  }
  try {
    if (fs.fstatSync(fd).size > 0) fs.ftruncateSync(fd, 0);
    return fd;
  } catch {
    fs.closeSync(fd);
    return undefined;
  }
}

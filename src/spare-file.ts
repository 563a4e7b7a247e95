// Opening a spare file (SPARE FILES, src/store/spare.ts) to build a new file in: below every layer that makes files (store, meta).

import fs from 'node:fs';

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

// fsync of a folder: what makes a create or rename in it survive a power loss. Below every layer that writes files (store, his, bars).

import fs from 'node:fs';
import { ioError } from './errors.js';

/** fsync a folder so that a rename or create in it survives a power loss. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    throw ioError(err, dir, 'fsync of folder');
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

// syncfs(2) through tickrec's addon (native/fs/src/syncfs.c): every cached write of a file system made durable in one call.
//
// WHY: a stop right after a session open finds thousands of new files whose fsync is
// still queued (CREATE DURABILITY, durable.ts). One fsync of each file and folder on the
// event loop took 18.8 s for the 20,000 files of a 5,000-instrument open (profiled on the
// open bench, 2026-12-07): the README promises a clean stop within 5 s. syncfs commits
// the same data, inodes and names with one journal commit.
//
// Where the addon or syncfs(2) is missing, `syncFileSystemsOf` returns false and the
// caller fsyncs file by file as before.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { ioError } from '../errors.js';
import { FS_ADDON_PATH } from './fallocate.js';

interface SyncFsAddon {
  syncfs(fd: number): void;
}

let addon: SyncFsAddon | null | undefined;

function load(): SyncFsAddon | null {
  if (addon !== undefined) return addon;
  try {
    const a = createRequire(import.meta.url)(FS_ADDON_PATH) as Partial<SyncFsAddon>;
    addon = typeof a.syncfs === 'function' ? (a as SyncFsAddon) : null;
  } catch {
    addon = null;
  }
  return addon;
}

/** Whether syncFileSystemsOf can work here (the addon is built with syncfs). */
export function canSyncFs(): boolean {
  return load() !== null;
}

/**
 * Makes durable every cached write of each file system holding one of `paths` (one
 * syncfs(2) per file system, told apart by st_dev). A path that no longer exists is
 * skipped (its file system is another path's, or nothing of it is left to sync). Returns
 * false, having done nothing, when syncfs is not available; throws the I/O error naming
 * the folder otherwise.
 */
export function syncFileSystemsOf(paths: Iterable<string>): boolean {
  const a = load();
  if (a === null) return false;
  const byDev = new Map<number, string>();
  for (const p of paths) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (st !== undefined && !byDev.has(st.dev)) byDev.set(st.dev, p);
  }
  for (const p of byDev.values()) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(p, 'r');
      a.syncfs(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSYS') return false;
      throw ioError(err, p, 'syncfs of the file system');
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
  return true;
}

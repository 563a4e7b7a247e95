// Durable file operations for historical files: write to a temporary name, fsync, rename, fsync the folder; read whole files; remove durably.
//
// ORDER (the promise that no half-written file is ever taken for a good one): the bytes
// go to `<file>.tmp` (a fixed name: compaction is exclusive, see src/compact/lock.ts, and
// a rerun overwrites what a killed run left), are fsynced, and only then renamed to the
// final name, whose folder is fsynced so that the rename survives a power loss. Readers
// only open names ending in `.dsb`. On any error the temporary file is removed.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { tmpPath } from '../layout/index.js';
import { syncDir } from '../fsync.js';

/** mkdir -p that fsyncs each folder it creates and the parent of each, so new folders survive a crash. */
export function makeDirDurable(dir: string): void {
  if (fs.existsSync(dir)) return;
  makeDirDurable(path.dirname(dir));
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(err, dir, 'create folder');
  }
  syncDir(path.dirname(dir));
}

/** Writes `parts` as the whole content of `file`, durably (temporary name, fsync, rename, fsync folder). */
export function writeFileDurable(file: string, parts: readonly Uint8Array[], onStep?: (step: string) => void): void {
  makeDirDurable(path.dirname(file));
  const tmp = tmpPath(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    for (const p of parts) writeAll(fd, p, tmp);
    onStep?.('tmp-written');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    onStep?.('tmp-synced');
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw ioError(err, file, 'write');
  }
  syncDir(path.dirname(file));
  onStep?.('renamed');
}

/** write(2) until every byte of `bytes` is written at `position` (or at the current offset). */
export function writeAll(fd: number, bytes: Uint8Array, file: string, position?: number): void {
  let done = 0;
  while (done < bytes.length) {
    let n: number;
    try {
      n = fs.writeSync(fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
    } catch (err) {
      throw ioError(err, file, 'write');
    }
    if (n <= 0) throw new TickrecError('E_IO', `${file}: write returned ${n}; check the disk.`, { file });
    done += n;
  }
}

/**
 * pread(2) of exactly `length` bytes at `position` into a fresh 8-aligned buffer, or into
 * `into` (at its start; at least `length` bytes) when given: the result is then a view of
 * `into`, valid until the caller reuses it.
 */
export function readAt(fd: number, position: number, length: number, file: string, into?: Uint8Array): Uint8Array {
  if (into !== undefined && into.length < length) throw new RangeError(`readAt: buffer of ${into.length} bytes for ${length}`);
  const out = into !== undefined ? into.subarray(0, length) : new Uint8Array(new ArrayBuffer(length));
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = fs.readSync(fd, out, done, length - done, position + done);
    } catch (err) {
      throw ioError(err, file, 'read');
    }
    if (n === 0) {
      throw new TickrecError(
        'E_TRUNCATED',
        `${file}: ended at ${position + done} bytes while reading ${length} bytes at ${position}; the file was cut. Restore it from a backup.`,
        { file },
      );
    }
    done += n;
  }
  return out;
}

/** The whole file in a fresh 8-aligned buffer. */
export function readWhole(file: string): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw ioError(err, file, 'open for reading');
  }
  try {
    return readAt(fd, 0, fs.fstatSync(fd).size, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes `file` and fsyncs its folder (so the removal survives a crash). */
export function removeDurable(file: string): void {
  try {
    fs.rmSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, file, 'remove');
  }
  syncDir(path.dirname(file));
}

/** Removes `dir` if it is empty (and fsyncs its parent); false when it still holds something. */
export function removeDirIfEmpty(dir: string): boolean {
  try {
    if (fs.readdirSync(dir).length > 0) return false;
    fs.rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw ioError(err, dir, 'remove folder');
  }
  syncDir(path.dirname(dir));
  return true;
}

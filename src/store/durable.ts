// Making newly created files durable off the event loop (CREATE DURABILITY).
//
// A new real-time file must survive a power loss: its bytes (header) and its name (the
// entry in its folder, and the folder's in its parent when the folder is new). Done
// inline that is an fsync of the file and one of the folder per file, on the event loop:
// at a session open (thousands of first ticks within a second) those fsyncs put the
// recorder tens of seconds behind (docs/reliability.md, issue 18). Instead:
//   1. the file is built and renamed into place without any fsync (readers see it whole:
//      the rename is atomic), and its records are appended at once;
//   2. `afterCreate(file, dirs)` queues, on libuv's thread pool, fsync(file) and THEN an
//      fsync of each folder that got a new entry. Once both are done (inFlight 0) the name
//      and the header survive a power loss. BEFORE that, the order of these fsyncs does
//      not keep a name from becoming durable before its header: on ext4 the fsync of one
//      new file commits the journal, and with it the renames of every file created before
//      it, whose headers are still only in the page cache (blocks reserved by fallocate
//      read as zeros after a crash). Measured with a copy of a loop device taken right
//      after 400 creations (test/reliability/create-durability.test.ts): 396 names held
//      only zeros. Such a file held no durable record: the pool sets it aside on reopen
//      (ZEROED FILES, writer-pool.ts) and starts a new one;
//   3. at most MAX_FILE_JOBS file fsyncs run at once (each holds a descriptor: a burst
//      of 15,000 new files must not hold 15,000), the rest wait in a queue;
//   4. folder fsyncs are batched: a folder is synced when the queue of files runs dry or
//      after DIR_BATCH_FILES more files finished, and while one runs for a folder the
//      files finished meanwhile ask for one more run after it, never one each. A burst of
//      5,000 new files in a folder costs 5,000 file fsyncs on the pool and a few folder ones.
// The records themselves were never durable before the periodic background fdatasync
// (storage.sync_interval_ms); a new file's name now becomes durable on the same scale.
// `flush()` does what is pending synchronously (WriterPool.closeAll): with
// SYNCFS_FROM_FILES or more files waiting, one syncfs(2) per file system (ONE SYNCFS). A file rolled away
// before its job ran is skipped (ENOENT): the roll's own msync and folder fsyncs cover it,
// and the folders of its creation are still synced.
//   5. `afterCreate(file, dirs, onDurable)`: onDurable is called once the file's fsync AND
//      a fsync of each of its folders that STARTED after the file's finished are done (or
//      failed: told to onError first), or by flush(). The recorder's instrument metadata
//      uses it (META FIRST, writer-pool.ts): no record of an instrument is synced before
//      its metadata file is durable.

import fs from 'node:fs';
import { ioError } from '../errors.js';
import { syncFileSystemsOf } from './syncfs.js';

/** File fsyncs running at once; the thread pool has 4 threads by default. */
export const MAX_FILE_JOBS = 4;
/** Files finished between two rounds of folder fsyncs during a long burst. */
export const DIR_BATCH_FILES = 256;
/** flush() with at least this many files waiting uses one syncfs(2) per file system instead of their fsyncs (ONE SYNCFS). */
export const SYNCFS_FROM_FILES = 64;

interface DirState {
  running: boolean;
  /** A file finished its fsync while the folder's fsync was running: run once more. */
  again: boolean;
}

interface Pending {
  readonly file: string;
  readonly dirs: readonly string[];
  readonly onDurable: (() => void) | undefined;
}

export class CreateDurability {
  private readonly dirs = new Map<string, DirState>();
  /** Files (and their folders) whose fsyncs are queued or running, by job number (the same name may come twice). */
  private readonly pending = new Map<number, Pending>();
  private nextJob = 0;
  /** Per folder: callbacks of files whose fsync finished, waiting for a folder fsync started after it (5.). */
  private readonly dirWaiters = new Map<string, (() => void)[]>();
  /** Files waiting for a free job (FIFO of job numbers; `head` is the next one). */
  private queue: number[] = [];
  private head = 0;
  private fileJobs = 0;
  private jobs = 0;
  /** Folders whose new entries' files are synced, waiting for the folder's fsync. */
  private readonly dirtyDirs = new Set<string>();
  private finishedSinceDirs = 0;

  constructor(private readonly onError: (err: Error) => void) {}

  /** Jobs queued or running (for tests and metrics). */
  get inFlight(): number {
    return this.jobs;
  }

  /** Queues fsync(file), then fsync of each of `dirs` (the folders that got a new entry); then onDurable (5.). */
  afterCreate(file: string, dirs: readonly string[], onDurable?: () => void): void {
    const job = this.nextJob++;
    this.pending.set(job, { file, dirs, onDurable });
    this.jobs++;
    this.queue.push(job);
    this.startFiles();
  }

  private startFiles(): void {
    while (this.fileJobs < MAX_FILE_JOBS && this.head < this.queue.length) {
      const job = this.queue[this.head++]!;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      const p = this.pending.get(job);
      if (!p) {
        this.jobs--; // flushed meanwhile
        continue;
      }
      this.fileJobs++;
      this.syncFile(job, p.file);
    }
  }

  private syncFile(job: number, file: string): void {
    fs.open(file, 'r', (err, fd) => {
      if (err) return this.done(job, file, err);
      fs.fsync(fd, (syncErr) => fs.close(fd, () => this.done(job, file, syncErr)));
    });
  }

  /**
   * Does synchronously what is still pending (files, then folders), then tells every
   * waiting onDurable; `synced`: the caller has just made all of it durable with a
   * syncfs(2) of the file system (WriterPool.closeAll), only the telling is left. Returns how: one syncfs(2) per file system (ONE SYNCFS), fsyncs
   * of each file and folder, or nothing was pending.
   */
  flush(synced = false): 'syncfs' | 'fsync' | 'nothing' {
    const dirs = new Set<string>(this.dirtyDirs);
    this.dirtyDirs.clear();
    const told: (() => void)[] = [];
    for (const p of this.pending.values()) {
      for (const d of p.dirs) dirs.add(d);
      if (p.onDurable) told.push(p.onDurable);
    }
    for (const d of this.dirWaiters.keys()) dirs.add(d);
    // ONE SYNCFS: many files waiting (a stop right after an open) are made durable with
    // their folders by one syncfs(2) per file system (syncfs.ts), not one fsync each.
    const bySyncFs = synced || (this.pending.size >= SYNCFS_FROM_FILES && syncFileSystemsOf(dirs));
    if (!bySyncFs) for (const p of this.pending.values()) syncPath(p.file, 'fsync of a new file');
    this.pending.clear();
    this.jobs -= this.queue.length - this.head; // queued, not started: done now
    this.queue = [];
    this.head = 0;
    for (const waiters of this.dirWaiters.values()) told.push(...waiters);
    this.dirWaiters.clear();
    if (!bySyncFs) for (const d of dirs) syncPath(d, 'fsync of folder');
    for (const f of told) f();
    return bySyncFs ? 'syncfs' : dirs.size > 0 ? 'fsync' : 'nothing';
  }

  private done(job: number, file: string, err: NodeJS.ErrnoException | null): void {
    this.jobs--;
    this.fileJobs--;
    // a file removed or rolled since is no error: it is no longer a name to make durable
    if (err && err.code !== 'ENOENT') this.onError(ioError(err, file, 'fsync of a new file'));
    const p = this.pending.get(job);
    this.pending.delete(job);
    if (p) {
      // flushed meanwhile (p undefined): flush() synced its folders and told it
      for (const d of p.dirs) this.dirtyDirs.add(d);
      if (p.onDurable) this.waitForDirs(p.dirs, p.onDurable);
    }
    this.finishedSinceDirs++;
    this.startFiles();
    if (this.fileJobs === 0 || this.finishedSinceDirs >= DIR_BATCH_FILES) {
      for (const d of this.dirtyDirs) this.syncDir(d);
      this.dirtyDirs.clear();
      this.finishedSinceDirs = 0;
    }
  }

  /**
   * Folders whose entries changed (a roll's rename) to fsync in the background, batched
   * with those of new files: at once when no file fsync is running, else when the queue of
   * files runs dry (4.); flush() syncs what is still waiting.
   */
  syncDirsSoon(dirs: Iterable<string>): void {
    for (const d of dirs) {
      if (this.fileJobs === 0) this.syncDir(d);
      else this.dirtyDirs.add(d);
    }
  }

  /** Calls `cb` once a fsync of each of `dirs` that starts from now on is done. */
  private waitForDirs(dirs: readonly string[], cb: () => void): void {
    let left = dirs.length;
    if (left === 0) return cb();
    const one = () => {
      if (--left === 0) cb();
    };
    for (const d of dirs) {
      const w = this.dirWaiters.get(d);
      if (w) w.push(one);
      else this.dirWaiters.set(d, [one]);
    }
  }

  private syncDir(dir: string): void {
    let s = this.dirs.get(dir);
    if (!s) this.dirs.set(dir, (s = { running: false, again: false }));
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    s.again = false;
    this.jobs++;
    const state = s;
    // the files whose fsync finished before this folder fsync starts are covered by it
    const waiters = this.dirWaiters.get(dir);
    this.dirWaiters.delete(dir);
    fs.open(dir, 'r', (err, fd) => {
      const finish = (e: NodeJS.ErrnoException | null) => {
        this.jobs--;
        state.running = false;
        if (e && e.code !== 'ENOENT') this.onError(ioError(e, dir, 'fsync of folder'));
        if (waiters) for (const w of waiters) w();
        if (state.again || this.dirWaiters.has(dir)) this.syncDir(dir);
        else this.dirs.delete(dir);
      };
      if (err) return finish(err);
      fs.fsync(fd, (syncErr) => fs.close(fd, () => finish(syncErr)));
    });
  }
}

/** fsync a file or folder by path, now. */
export function syncPath(p: string, what: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError(err, p, what);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

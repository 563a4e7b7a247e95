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
// `flush()` does what is pending synchronously (WriterPool.closeAll). A file rolled away
// before its job ran is skipped (ENOENT): the roll's own msync and folder fsyncs cover it,
// and the folders of its creation are still synced.

import fs from 'node:fs';
import { ioError } from '../errors.js';

/** File fsyncs running at once; the thread pool has 4 threads by default. */
export const MAX_FILE_JOBS = 4;
/** Files finished between two rounds of folder fsyncs during a long burst. */
export const DIR_BATCH_FILES = 256;

interface DirState {
  running: boolean;
  /** A file finished its fsync while the folder's fsync was running: run once more. */
  again: boolean;
}

export class CreateDurability {
  private readonly dirs = new Map<string, DirState>();
  /** Files (and their folders) whose fsyncs are queued or running. */
  private readonly pending = new Map<string, readonly string[]>();
  /** Files waiting for a free job (FIFO; `head` is the next one). */
  private queue: string[] = [];
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

  /** Queues fsync(file), then fsync of each of `dirs` (the folders that got a new entry). */
  afterCreate(file: string, dirs: readonly string[]): void {
    this.pending.set(file, dirs);
    this.jobs++;
    this.queue.push(file);
    this.startFiles();
  }

  private startFiles(): void {
    while (this.fileJobs < MAX_FILE_JOBS && this.head < this.queue.length) {
      const file = this.queue[this.head++]!;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      const dirs = this.pending.get(file);
      if (dirs === undefined) {
        this.jobs--; // flushed meanwhile
        continue;
      }
      this.fileJobs++;
      this.syncFile(file, dirs);
    }
  }

  private syncFile(file: string, dirs: readonly string[]): void {
    fs.open(file, 'r', (err, fd) => {
      if (err) return this.done(file, dirs, err);
      fs.fsync(fd, (syncErr) => fs.close(fd, () => this.done(file, dirs, syncErr)));
    });
  }

  /** Does synchronously what is still pending (files, then folders). */
  flush(): void {
    const dirs = new Set<string>(this.dirtyDirs);
    this.dirtyDirs.clear();
    for (const [file, ds] of this.pending) {
      syncPath(file, 'fsync of a new file');
      for (const d of ds) dirs.add(d);
    }
    this.pending.clear();
    this.jobs -= this.queue.length - this.head; // queued, not started: done now
    this.queue = [];
    this.head = 0;
    for (const d of dirs) syncPath(d, 'fsync of folder');
  }

  private done(file: string, dirs: readonly string[], err: NodeJS.ErrnoException | null): void {
    this.jobs--;
    this.fileJobs--;
    // a file removed or rolled since is no error: it is no longer a name to make durable
    if (err && err.code !== 'ENOENT') this.onError(ioError(err, file, 'fsync of a new file'));
    this.pending.delete(file);
    for (const d of dirs) this.dirtyDirs.add(d);
    this.finishedSinceDirs++;
    this.startFiles();
    if (this.fileJobs === 0 || this.finishedSinceDirs >= DIR_BATCH_FILES) {
      for (const d of this.dirtyDirs) this.syncDir(d);
      this.dirtyDirs.clear();
      this.finishedSinceDirs = 0;
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
    fs.open(dir, 'r', (err, fd) => {
      const finish = (e: NodeJS.ErrnoException | null) => {
        this.jobs--;
        state.running = false;
        if (e && e.code !== 'ENOENT') this.onError(ioError(e, dir, 'fsync of folder'));
        if (state.again) this.syncDir(dir);
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

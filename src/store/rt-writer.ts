// The single writer of one real-time (.dmb) block file: create, reopen with repair,
// append, grow, sync, close.
//
// PUBLISH PROTOCOL (readers rely on exactly this order):
//   1. the record bytes are written into slot `size` (and the following slots for a
//      batch) with plain stores;
//   2. the new `size` is stored with Atomics.store (sequentially consistent).
// A reader that loads `size` with Atomics.load and sees n therefore sees complete bytes
// for every record below n. Nothing else publishes: slots at or past `size` may hold a
// half-written record and readers never look at them.
//
// GROWTH RULE (when a record does not fit):
//   1. msync the current mapping (MS_ASYNC: readers share the page cache);
//   2. CUT BEFORE GROWTH: fstat; a file shorter than the length this writer published
//      was truncated by someone else: E_TRUNCATED, never lengthened again (see below);
//   3. extend the file with real zero bytes: blocks reserved by fallocate(2) (they read
//      as zeros and are written once, with the records: fallocate.ts), or zeros written
//      by write(2) where fallocate is missing; either way a full disk or
//      a file-size limit fails here with ENOSPC/EFBIG instead of a SIGBUS later; on
//      failure the file is cut back to its published length (no reader maps past the
//      published capacity) and the error names the file;
//   4. CUT DURING GROWTH: the header and the last published record, read back with
//      pread(2), must equal what the mapping showed before step 2 and that record must
//      not be all zeros; otherwise a truncation fell between steps 2 and 3 (or the file
//      was cut and lengthened by someone else): the file is cut back to the records that
//      survived and the growth fails with E_TRUNCATED;
//   5. map the new length;
//   6. store the new `capacity` with Atomics.store. Readers remap when they see a size
//      beyond the capacity they mapped, reading `capacity` after `size`.
// Why steps 2 and 4: lengthening a file that was cut (`truncate -s 24`) turns the cut
// into a hole that reads as zeros: the header (its first 24 bytes survive) still says n
// records, the mapping no longer faults, and every published record reads as zeros. The
// writer went on publishing over the hole and readers took the file for good: a wrong
// number stored quietly (found under load by test/reliability/outside.test.ts; tests in
// test/store/cut-growth.test.ts). So only this writer ever lengthens its file, and
// only after checking that it was not cut.
// Step 3 is normally prepared ahead: when the file is half full, a helper thread
// reserves the blocks of the next doubling past the file's end WITHOUT changing its
// length (EXTEND AHEAD, src/store/extender.ts); the growth waits for that job if it is
// still running and then lengthens the file over the reserved blocks.
//
// REOPEN RULES (a file left by a crash, by datakit, or damaged):
//   - shorter than the header, wrong flag, wrong type, version other than 3: refused;
//   - header capacity below the real length's capacity: an interrupted growth; the
//     capacity becomes the real one (datakit's rule). Exactly one doubling of whole zero
//     slots is what a writer of tickrec before KEEP_SIZE (EXTEND AHEAD) left after
//     kill -9: a note, not a repair;
//   - bytes past the last whole record: the zeros of an interrupted growth; cut off;
//   - header capacity above the real length's: the file was truncated. Refused if
//     published records are gone (size > real capacity) unless `repair` is set, which
//     applies datakit's rule size = min(real, marked) and says what was lost;
//   - size > capacity: refused unless `repair`;
//   - the slots right after `size` (REOPEN_ZERO_WINDOW_BYTES) are zeroed where they are
//     not: they can only hold a record that was never published (a crash between steps
//     1 and 2 of the publish protocol). The rest of the unused tail is neither read nor
//     written: reopening must cost the same for a file of 2,500 slots or of 2 million
//     (an evicted writer is reopened on its next record). Correctness does not depend
//     on zeros there: readers never look past `size`, and every append writes each byte
//     of its slot (the field table tiles the struct: format/struct.ts), so a stale byte
//     a power loss may have persisted further out is overwritten before it is published.
//
// SOMEONE ELSE'S HANDS (the file changed under an open writer; docs/reliability.md):
//   - truncated: a touch past the new end is a counted fault (FAULT GUARD, map.ts), seen
//     right after the append that made it, which is undone and fails with E_TRUNCATED;
//     a truncation nobody touched yet is seen by checkFile() (fstat, at the sync
//     interval) or by the next growth (CUT BEFORE/DURING GROWTH). From then on every
//     append fails the same way: the owner sets the file aside (WriterPool). A cut file
//     is never lengthened again, not by a growth, the helper, nor close();
//   - deleted or replaced (the path no longer names the inode held): checkFile() says
//     so; restoreTo() writes the published records back to the path (WriterPool).
// checkFile() costs two stat calls per file; the pool checks every open file within a few
// sync intervals, a share at each (WriterPool.checkOpenFiles), never per record.

import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../assert.js';
import { TickrecError, ioError } from '../errors.js';
import {
  BLOCK_VERSION_RAW,
  Mem,
  RT_CAPACITY_U32,
  RT_DATE_U32,
  RT_HEADER_BYTES,
  RT_SIZE_U32,
  rtFileBytes,
  writeRtHeader,
  type RecordKind,
  type Rec,
  type RtHeader,
} from '../format/index.js';
import { rtTmpPath } from '../layout/index.js';
import { MAX_MAP_BYTES, PAGE_BYTES, mapFile, mappingFaults, releasePages, syncMap } from './map.js';
import { faultEpoch } from './fault-guard.js';
import { ExtendJob } from './extender.js';
import { canPopulate, populatePages } from './populate.js';
import { allocate } from './fallocate.js';
import { probeRtFile, rtTradingDate, visitNonZeroChunks } from './rt-file.js';
import { CreateDurability, syncPath } from './durable.js';
import { syncDir } from '../fsync.js';
import { openSpare, returnSpare, type SpareSource } from '../spare-file.js';

/** Initial capacities: ticks as datakit (2,500); the others sized for a day's use. */
export const DEFAULT_INITIAL_CAPACITY: Readonly<Record<string, number>> = {
  tick: 2500,
  trade: 5000,
  min1: 1500,
  min5: 300,
  min15: 100,
  min30: 50,
  min60: 30,
};

/**
 * Bytes after the published records that a reopen checks and zeroes (REOPEN RULES): more
 * than a live writer leaves unpublished: the recorder and the mirror append a record or a
 * frame at a time (128 ticks fill the window); the larger batches of `bars --rebuild` go
 * into files it creates.
 */
export const REOPEN_ZERO_WINDOW_BYTES = 64 * 1024;

/** Retry times after a growth failed for lack of space (doubling between them). */
const GROW_RETRY_MIN_MS = 250;
const GROW_RETRY_MAX_MS = 30_000;

/** Zero bytes written per write(2) while growing. */
const GROW_CHUNK_BYTES = 1 << 20;
/** Least progress (bytes written since the last release) worth a madvise call. */
const RELEASE_MIN_BYTES = 64 * 1024;
/**
 * POPULATE AHEAD (populate.ts): pages made present ahead of the writer, a chunk at a
 * time, between one and two chunks ahead of it; the first chunk only once the writer has
 * filled one chunk of this mapping since it was opened (a file written a few times a day
 * never gets zero pages ahead), at once after a growth (the file is being written).
 */
export const POPULATE_CHUNK_BYTES = 128 * 1024;
/** A record index no append reaches (a Smi): "no populate to start". */
const NEVER = 0x3fffffff;

export interface RtWriterOptions {
  kind: RecordKind;
  /**
   * Trading date YYYYMMDD written into a NEW file's header. An existing file keeps its
   * own date (see `date`): callers that roll days compare it (WriterPool does).
   */
  date: number;
  /** Capacity of a new file, records. Default DEFAULT_INITIAL_CAPACITY[kind]. */
  initialCapacity?: number;
  /** Apply datakit's destructive repair rules instead of refusing a damaged file. */
  repair?: boolean;
  /** Told of every repair made on reopen. */
  onRepair?: (message: string) => void;
  /**
   * Makes a NEW file durable in the background instead of two fsyncs inline (CREATE
   * DURABILITY, durable.ts). Without it the file and its folder are fsync'ed before open returns.
   */
  durability?: CreateDurability;
  /** An empty file to build a new file in instead of a temporary one of its own (SPARE FILES, spare.ts), or undefined. */
  spare?: SpareSource;
  /** POPULATE AHEAD (default true; off where a test counts the pages the writer itself made resident). */
  populate?: boolean;
}

export interface RepairReport {
  readonly repairs: readonly string[];
  /** What reopen found that is not damage (zeros written ahead of a growth, taken as capacity). */
  readonly notes: readonly string[];
  readonly created: boolean;
}

export class RtWriter {
  readonly path: string;
  readonly kind: RecordKind;
  readonly report: RepairReport;
  private fd: number;
  private map: Buffer;
  private mem: Mem;
  private n: number;
  private cap: number;
  private readonly rs: number;
  private readonly encode: RecordKind['codec']['encode'];
  private closed = false;
  private syncing = false;
  /** A background sync succeeded once (the first one also covers what reopen repaired in the header). */
  private syncedOnce = false;
  /** Bytes of the mapping below which pages were released (PAGE RELEASE). */
  private released = 0;
  private growFailure: TickrecError | undefined;
  /** DURABILITY: records known to be on disk (a sync that covered them succeeded). */
  private durableN: number;
  /** The error of the last sync when it failed; cleared by the next sync that succeeds. */
  private lastSyncError: TickrecError | undefined;
  private growRetryAtMs = 0;
  private growBackoffMs = 0;
  /** faultEpoch() when this writer last looked (FAULT GUARD); a change means "look closer". */
  private epoch = faultEpoch();
  /** Faults of the current mapping already accounted for. */
  private faultsSeen = 0;
  /** Set once the file is known truncated: every append fails with it. */
  private damage: TickrecError | undefined;
  /** Device and inode of the open file (the path must keep naming them). */
  private readonly dev: number;
  private readonly ino: number;
  /** Size at which the zeros of the next growth are asked for (EXTEND AHEAD). */
  private aheadAt: number;
  /** Those zeros, being written or written; they start at the file's current end. */
  private ahead: ExtendJob | undefined;
  /** POPULATE AHEAD: the record index at which the next chunk is asked for (NEVER: none). */
  private popAt = NEVER;
  /** End (bytes, in the current mapping) of the pages asked for so far. */
  private popEnd = 0;

  private constructor(
    file: string,
    kind: RecordKind,
    fd: number,
    capacity: number,
    size: number,
    report: RepairReport,
    private readonly populate: boolean,
  ) {
    this.path = file;
    this.kind = kind;
    this.fd = fd;
    this.rs = kind.recordBytes;
    this.encode = kind.codec.encode;
    assert(this.rs % 8 === 0 && RT_HEADER_BYTES % 8 === 0, 'record offsets must be 8-aligned');
    this.cap = capacity;
    this.n = size;
    this.durableN = size; // what reopen found is on disk (a created file was fsynced)
    this.map = mapFile(fd, rtFileBytes(capacity, this.rs), true, file);
    this.mem = new Mem(this.map);
    this.report = report;
    this.aheadAt = aheadPoint(capacity);
    this.resetPopulate(Math.ceil(POPULATE_CHUNK_BYTES / this.rs)); // only once the file is being written
    const st = fs.fstatSync(fd);
    this.dev = st.dev;
    this.ino = st.ino;
  }

  /**
   * Creates `file` (and its folder) with an empty header of `opts.date` and its capacity
   * reserved, without opening a writer on it: a file prepared ahead of its first record
   * (WriterPool.prepare). Refused when a file is already there (it is never replaced).
   */
  static create(file: string, opts: RtWriterOptions): void {
    if (fs.existsSync(file)) throw new TickrecError('E_USAGE', `${file}: already exists; a prepared file never replaces one.`, { file });
    fs.closeSync(createRtFile(file, opts).fd);
  }

  /** Opens `file` for appending, creating it (and its folder) when missing. */
  static open(file: string, opts: RtWriterOptions): RtWriter {
    const report: string[] = [];
    const notes: string[] = [];
    let fd: number;
    let made: { fd: number; capacity: number } | undefined;
    try {
      fd = fs.openSync(file, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, file, 'open for writing');
      // the descriptor it was built with: a file made just now needs no reopen rules
      made = createRtFile(file, opts);
      fd = made.fd;
    }
    const created = made !== undefined;
    try {
      const { capacity, size } = made ? { capacity: made.capacity, size: 0 } : reopenRules(fd, file, opts, report, notes);
      // A file made just now is zeros by construction; a reopened one may hold a torn
      // record past `size` (REOPEN RULES). Checked and zeroed through the fd, before
      // mapping: reading pages through a writable MAP_SHARED mapping first makes every
      // later first write to them a second, slow fault (docs/benchmarks.md: 0.8 -> 2.9 M/s).
      if (!created) {
        const from = RT_HEADER_BYTES + size * opts.kind.recordBytes;
        const end = rtFileBytes(capacity, opts.kind.recordBytes);
        zeroTail(fd, from, Math.min(end, from + REOPEN_ZERO_WINDOW_BYTES), file);
      }
      const w = new RtWriter(file, opts.kind, fd, capacity, size, { repairs: report, notes, created }, opts.populate !== false);
      for (const r of report) opts.onRepair?.(r);
      return w;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Records published. */
  get size(): number {
    return this.n;
  }

  get capacity(): number {
    return this.cap;
  }

  /**
   * Bytes the file takes on disk (no I/O): its capacity's length, or the end of the
   * next growth's blocks once the helper has reserved them (EXTEND AHEAD).
   */
  get diskBytes(): number {
    const job = this.ahead;
    return job !== undefined && job.reserved ? job.to : rtFileBytes(this.cap, this.rs);
  }

  /**
   * DURABILITY. Records that are on disk: those a sync (the background fdatasync, or the
   * blocking msync of close) covered and that succeeded. `size` counts records published
   * to readers (in the page cache); `size - durable` are not durable yet. A failed sync
   * (EIO, EROFS) leaves `durable` where it was and sets `syncError` until a sync succeeds.
   */
  get durable(): number {
    return this.durableN;
  }

  /** The error of the last sync when it failed (the records since `durable` may not reach the disk). */
  get syncError(): TickrecError | undefined {
    return this.lastSyncError;
  }

  /** Trading date of the file (rtTradingDate: the header's, or for bars the last record's). */
  get date(): number {
    const last = this.n === 0 ? undefined : this.mem.u32[(RT_HEADER_BYTES + (this.n - 1) * this.rs + this.kind.tradingDateOffset) >>> 2]!;
    return rtTradingDate(this.kind, this.mem.u32[RT_DATE_U32]!, last);
  }

  /** The last published record, decoded, or undefined when the file is empty. */
  last(): Rec | undefined {
    return this.n === 0 ? undefined : this.get(this.n - 1);
  }

  /** Published record i, decoded. */
  get(i: number): Rec {
    assert(Number.isInteger(i) && i >= 0 && i < this.n, `${this.path}: record ${i} is not published (size ${this.n})`);
    return this.kind.codec.decode(this.mem, RT_HEADER_BYTES + i * this.rs);
  }

  /** Appends one record; returns its index. It is visible to readers on return. */
  append(rec: object): number {
    if (this.closed || this.damage) throw this.unusable();
    const n = this.n;
    if (n >= this.aheadAt) this.startAhead();
    if (n === this.cap) this.grow(n + 1);
    if (n >= this.popAt) this.populateAhead(n);
    this.encode(rec, this.mem, RT_HEADER_BYTES + n * this.rs);
    this.n = n + 1;
    Atomics.store(this.mem.u32, RT_SIZE_U32, n + 1); // the publication (see top)
    if (faultEpoch() !== this.epoch) this.checkFaults(n); // FAULT GUARD: one memory load
    return n;
  }

  /** Appends records and publishes them together with one store of `size`. */
  appendBatch(recs: readonly object[]): void {
    if (this.closed || this.damage) throw this.unusable();
    const n = this.n;
    const end = n + recs.length;
    if (end >= this.aheadAt) this.startAhead();
    if (end > this.cap) this.grow(end);
    if (end >= this.popAt) this.populateAhead(n);
    const { mem, rs, encode } = this;
    for (let i = 0; i < recs.length; i++) encode(recs[i]!, mem, RT_HEADER_BYTES + (n + i) * rs);
    this.n = end;
    Atomics.store(mem.u32, RT_SIZE_U32, end);
    if (faultEpoch() !== this.epoch) this.checkFaults(n);
  }

  /** Appends already-encoded records (`bytes.length` a multiple of the record size). */
  appendRaw(bytes: Uint8Array): void {
    if (this.closed || this.damage) throw this.unusable();
    assert(bytes.length % this.rs === 0, `appendRaw: ${bytes.length} bytes is not a whole number of records`);
    const count = bytes.length / this.rs;
    const n = this.n;
    if (n + count >= this.aheadAt) this.startAhead();
    if (n + count > this.cap) this.grow(n + count);
    if (n + count >= this.popAt) this.populateAhead(n);
    this.mem.u8.set(bytes, RT_HEADER_BYTES + n * this.rs);
    this.n = n + count;
    Atomics.store(this.mem.u32, RT_SIZE_U32, n + count);
    if (faultEpoch() !== this.epoch) this.checkFaults(n);
  }

  /** The error an append on a closed or truncated writer throws. */
  private unusable(): TickrecError {
    return this.damage ?? new TickrecError('E_IO', `${this.path}: the writer is closed; open it again.`, { file: this.path });
  }

  /**
   * FAULT GUARD: some mapping of this process faulted. When it is this writer's, the
   * records from `from` went to zero pages, not to the file: they are taken back (size
   * stays `from`) and the append fails with E_TRUNCATED, as every later one will.
   */
  private checkFaults(from: number): void {
    this.epoch = faultEpoch();
    const f = mappingFaults(this.map);
    if (f === this.faultsSeen) return;
    this.faultsSeen = f;
    this.n = from;
    Atomics.store(this.mem.u32, RT_SIZE_U32, from); // the header keeps saying what the file held (a zero page if the header was cut)
    this.damage = this.truncatedError(`a write past the file's end (${f} faults)`);
    throw this.damage;
  }

  private truncatedError(how: string): TickrecError {
    let bytes = -1;
    try {
      bytes = fs.fstatSync(this.fd).size;
    } catch {
      // the message says unknown
    }
    return new TickrecError(
      'E_TRUNCATED',
      `${this.path}: truncated by someone else while being written (${how}): the file has ${bytes < 0 ? 'an unknown number of' : bytes} bytes, ` +
        `${this.n} ${this.kind.name} records were published. The recorder sets it aside and starts a new file; ` +
        `'tickrec repair' on the set-aside file keeps the records that remain. Find out what truncated it.`,
      { file: this.path },
    );
  }

  /**
   * Whether the file is still the one this writer holds, whole (SOMEONE ELSE'S HANDS):
   * 'truncated' (shorter than the mapping), 'deleted' (the path names nothing),
   * 'replaced' (the path names another file), or undefined when all is well. Two stat
   * calls: for the sync interval, not for each record.
   */
  checkFile(): 'truncated' | 'deleted' | 'replaced' | undefined {
    if (this.closed) return undefined;
    if (this.damage) return 'truncated';
    let held: fs.Stats;
    try {
      held = fs.fstatSync(this.fd);
    } catch {
      return undefined; // an fstat that fails says nothing about the file
    }
    if (held.size < rtFileBytes(this.cap, this.rs)) {
      this.damage = this.truncatedError(`${held.size} bytes, shorter than its ${rtFileBytes(this.cap, this.rs)}-byte mapping`);
      return 'truncated';
    }
    let at: fs.Stats;
    try {
      at = fs.statSync(this.path);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'deleted' : undefined;
    }
    return at.ino === this.ino && at.dev === this.dev ? undefined : 'replaced';
  }

  /** The error a truncated file gave (E_TRUNCATED), once known. */
  get damaged(): TickrecError | undefined {
    return this.damage;
  }

  /**
   * Writes the header and the published records, as this writer holds them (read through
   * its descriptor: the held inode, deleted or not), to `dest`, with room for the whole
   * capacity, by a temporary file and a rename: a copy a new writer can open and go on with.
   */
  restoreTo(dest: string): void {
    const tmp = `${dest}.tmp-restore-${process.pid}`;
    const used = RT_HEADER_BYTES + this.n * this.rs;
    let out: number | undefined;
    try {
      out = fs.openSync(tmp, 'w');
      const chunk = Buffer.alloc(Math.min(GROW_CHUNK_BYTES, used));
      for (let at = 0; at < used;) {
        const got = fs.readSync(this.fd, chunk, 0, Math.min(chunk.length, used - at), at);
        if (got <= 0) throw new Error(`read ${got} bytes at ${at} of ${used}`);
        fs.writeSync(out, chunk, 0, got, at);
        at += got;
      }
      const head = Buffer.alloc(RT_HEADER_BYTES);
      fs.readSync(this.fd, head, 0, RT_HEADER_BYTES, 0);
      head.writeUInt32LE(this.n, RT_SIZE_U32 * 4); // what this writer published, whatever the disk says
      fs.writeSync(out, head, 0, RT_HEADER_BYTES, 0);
      extendWithZeros(out, used, rtFileBytes(this.cap, this.rs), tmp);
      fs.fsyncSync(out);
      fs.closeSync(out);
      out = undefined;
      fs.renameSync(tmp, dest);
      syncDir(path.dirname(dest));
    } catch (err) {
      if (out !== undefined) fs.closeSync(out);
      fs.rmSync(tmp, { force: true });
      throw ioError(err, dest, 'restore the records of a deleted or replaced file');
    }
  }

  /**
   * Writes the file's dirty pages to disk on libuv's thread pool (fdatasync; on Linux
   * that includes pages written through the mapping), so the event loop, and with it
   * every append, never waits for the disk. One at a time per file. `onDone` is told
   * the outcome: an error (the records stay published but are NOT durable: see
   * DURABILITY), or how many records became durable.
   */
  syncInBackground(onDone?: (err: TickrecError | undefined, newlyDurable: number) => void): void {
    if (this.closed || this.syncing) return;
    // Nothing published since the last sync that succeeded: nothing to write (thousands
    // of quiet open files must not cost a thread-pool job each, every interval).
    if (this.syncedOnce && this.n === this.durableN) return;
    this.syncing = true;
    this.releaseWritten();
    const upTo = this.n; // every record published before the call is covered by it
    fs.fdatasync(this.fd, (err) => {
      this.syncing = false;
      if (this.closed) return; // close() synced (or failed) on its own
      if (err) {
        const e = ioError(err, this.path, 'fdatasync');
        this.lastSyncError = e;
        onDone?.(e, 0);
        return;
      }
      const gained = Math.max(0, upTo - this.durableN);
      this.durableN = Math.max(this.durableN, upTo);
      this.lastSyncError = undefined;
      this.syncedOnce = true;
      onDone?.(undefined, gained);
    });
  }

  /**
   * Releases the mapping's pages below the page being written (PAGE RELEASE in map.ts):
   * the writer never writes a published slot again, and the sync that follows then
   * cleans them without a TLB-flush IPI per page. Page 0 (the header) stays mapped.
   */
  private releaseWritten(): void {
    const end = RT_HEADER_BYTES + this.n * this.rs;
    if (end - this.released < RELEASE_MIN_BYTES) return;
    if (releasePages(this.map, Math.max(this.released, PAGE_BYTES), end)) this.released = Math.floor(end / PAGE_BYTES) * PAGE_BYTES;
  }

  /**
   * Told that a syncfs(2) of this file's file system, started after the last append and
   * finished without error, made every published record durable (ONE SYNCFS AT STOP,
   * WriterPool.closeAll): close() then has nothing to msync (QUIET CLOSE). Ignored while a
   * background sync is in flight or after a failed one (close() syncs then, as before).
   */
  markDurable(): void {
    if (this.closed || this.syncing || this.lastSyncError !== undefined) return;
    this.durableN = this.n;
    this.syncedOnce = true;
  }

  /** msync the mapping; blocking waits for the disk (and then counts the records durable). */
  sync(blocking = true): void {
    if (this.closed) return;
    const upTo = this.n;
    try {
      syncMap(this.map, blocking, this.path);
    } catch (err) {
      if (blocking) this.lastSyncError = err as TickrecError;
      throw err;
    }
    if (blocking) {
      this.durableN = Math.max(this.durableN, upTo);
      this.lastSyncError = undefined;
    }
  }

  /**
   * Syncs and closes. The records stay published; the file stays as it is. The
   * descriptor is closed even when the sync fails; the sync's error is thrown then
   * (the records past `durable` may not be on disk). Returns whether it synced (false:
   * already closed, or QUIET CLOSE).
   */
  close(keepReserved = false): boolean {
    if (this.closed) return false;
    let failed: Error | undefined;
    let synced = false;
    try {
      this.settleAhead(keepReserved);
      // QUIET CLOSE: a file whose every published record a background sync already made
      // durable has nothing to write; its msync would still cost an fsync of the file
      // (a journal commit on ext4, ~0.5-4 ms): 10,000 quiet files at a stop were tens of
      // seconds. Only appends write the mapping after the first sync (size and records;
      // a growth comes with an append), so n === durableN means no dirty byte of ours.
      if (!(this.syncedOnce && this.n === this.durableN && this.lastSyncError === undefined && !this.syncing)) {
        synced = true;
        this.sync(true);
      }
    } catch (err) {
      failed = err as Error;
    }
    this.closed = true;
    fs.closeSync(this.fd);
    if (failed !== undefined) throw failed;
    return synced;
  }

  /** The capacity the next growth from `cap` makes (doubling, bounded by the 2 GiB mapping). */
  private nextCapacity(cap: number, needed: number): number {
    let c = Math.max(cap, 1);
    while (c < needed) c *= 2;
    return Math.min(c, maxCapacity(this.rs));
  }

  /** EXTEND AHEAD: asks the helper thread for the zeros of the next doubling. */
  private startAhead(): void {
    this.aheadAt = Number.POSITIVE_INFINITY; // once per capacity
    if (this.ahead || this.growFailure) return;
    const next = doubledCapacity(this.cap, this.rs); // what reopen recognises as zeros written ahead
    if (next <= this.cap) return;
    this.ahead = ExtendJob.start(this.fd, rtFileBytes(this.cap, this.rs), rtFileBytes(next, this.rs));
  }

  /**
   * Before close: waits for a job in flight (the helper must not work on a closed
   * descriptor), then frees the blocks it reserved past the end (a truncate to the same
   * length: ext4 drops blocks past the end then). Never lengthens: a file found shorter
   * than its capacity's length was cut by someone else and is left as it was found (the
   * truncate -s 24 race: lengthened here, the cut file read as whole records of zeros
   * once the pool had set it aside). Checked after as at a growth (CUT DURING GROWTH).
   */
  private settleAhead(keepReserved: boolean): void {
    const job = this.ahead;
    if (!job) return;
    job.wait(Number.POSITIVE_INFINITY); // never close the fd under the helper
    this.ahead = undefined;
    if (this.damage || keepReserved) return;
    const bytes = rtFileBytes(this.cap, this.rs);
    try {
      const seen = this.snapshot();
      if (fs.fstatSync(this.fd).size < bytes) return; // cut: never lengthened (checkFile says so)
      fs.ftruncateSync(this.fd, bytes);
      this.assertUncut(seen, 'closing');
    } catch {
      // reserved blocks left past the end (harmless), or the cut already named by assertUncut
    }
  }

  /**
   * The header and the last published record as the mapping shows them now (CUT DURING
   * GROWTH compares them with the file afterwards). A page that was cut reads as zeros
   * here (FAULT GUARD); the fstat that follows catches that cut.
   */
  private snapshot(): Buffer {
    const last = this.n === 0 ? 0 : this.rs;
    const out = Buffer.alloc(RT_HEADER_BYTES + last);
    this.map.copy(out, 0, 0, RT_HEADER_BYTES);
    if (last > 0) this.map.copy(out, RT_HEADER_BYTES, RT_HEADER_BYTES + (this.n - 1) * this.rs, RT_HEADER_BYTES + this.n * this.rs);
    return out;
  }

  /**
   * CUT BEFORE GROWTH: throws E_TRUNCATED (and keeps it: every later append fails) when
   * the file is shorter than `bytes`, the length this writer published.
   */
  private assertLength(bytes: number): void {
    let have: number;
    try {
      have = fs.fstatSync(this.fd).size;
    } catch (err) {
      throw ioError(err, this.path, 'fstat before growing');
    }
    if (have >= bytes) return;
    this.damage = this.truncatedError(`${have} bytes when it was to grow past ${bytes}`);
    throw this.damage;
  }

  /**
   * CUT DURING GROWTH: the header and the last published record, read back through the
   * descriptor, must equal `seen` (snapshot() before the file was lengthened) and the
   * record must not be all zeros. Otherwise the file was cut meanwhile and lengthened
   * over the cut: it is cut back to the records that survived (so that no reader and no
   * `tickrec repair` takes the hole for records) and E_TRUNCATED is thrown and kept.
   */
  private assertUncut(seen: Buffer, doing: string): void {
    const now = Buffer.alloc(seen.length);
    try {
      fs.readSync(this.fd, now, 0, RT_HEADER_BYTES, 0);
      if (seen.length > RT_HEADER_BYTES) fs.readSync(this.fd, now, RT_HEADER_BYTES, this.rs, RT_HEADER_BYTES + (this.n - 1) * this.rs);
    } catch (err) {
      throw ioError(err, this.path, `read back after ${doing}`);
    }
    const lastZero = seen.length > RT_HEADER_BYTES && isZero(seen, RT_HEADER_BYTES, seen.length);
    if (now.equals(seen) && !lastZero) return;
    let back: string;
    try {
      const kept = cutBackToSurvivors(this.fd, now, seen, this.n, this.rs);
      back = `it is cut back to ${kept.bytes} bytes, the ${kept.records} records that certainly survived`;
    } catch (err) {
      back = `cutting it back failed (${(err as Error).message}): its records past the cut read as zeros`;
    }
    this.damage = this.truncatedError(`cut while ${doing}: the file was lengthened over the cut; ${back}`);
    throw this.damage;
  }

  private grow(needed: number): void {
    // After a growth failed (no space, a read-only or failing file system), the same
    // error is rethrown without any I/O until a retry time (backing off 250 ms .. 30 s):
    // a full disk must not cost a msync and megabytes of zeros for every rejected record,
    // nor a read-only one four failing syscalls (the growth lengthens the file itself:
    // EXTEND AHEAD only reserves blocks past the end).
    if (this.growFailure && Date.now() < this.growRetryAtMs) throw this.growFailure;
    try {
      this.growNow(needed);
      this.growFailure = undefined;
      this.growBackoffMs = 0;
    } catch (err) {
      // Backed off as well: a job the helper has not finished (a stalled disk), so that
      // records fail fast instead of each waiting for it again. Not a cut file: that
      // error is kept (every append fails with it) and the owner sets the file aside.
      if (err instanceof TickrecError && err.code !== 'E_TRUNCATED') {
        this.growFailure = err;
        this.growBackoffMs = Math.min(GROW_RETRY_MAX_MS, Math.max(GROW_RETRY_MIN_MS, this.growBackoffMs * 2));
        this.growRetryAtMs = Date.now() + this.growBackoffMs;
      }
      throw err;
    }
  }

  private growNow(needed: number): void {
    const maxCap = maxCapacity(this.rs);
    if (needed > maxCap) {
      throw new TickrecError(
        'E_NO_SPACE',
        `${this.path}: a real-time file is limited to ${maxCap} ${this.kind.name} records (2 GiB, the largest single mapping mmap-io makes); ` +
          'it is full. Roll the file over (a new trading day) or split the instrument across feeds.',
        { file: this.path },
      );
    }
    const cap = this.nextCapacity(this.cap, needed);
    const oldBytes = rtFileBytes(this.cap, this.rs);
    const newBytes = rtFileBytes(cap, this.rs);
    // Non-blocking: readers share the page cache, so this msync is only a nudge towards
    // the disk; durability comes from the periodic sync and close(). A blocking msync of
    // a large file stalled every reader for tens of ms (docs/benchmarks.md).
    this.sync(false);
    const seen = this.snapshot();
    this.assertLength(oldBytes); // CUT BEFORE GROWTH
    const job = this.ahead;
    if (job) {
      // The first growth that finds the job unfinished waits for it (up to 2 min); after
      // that, retries (backed off in grow) only look.
      const err = job.wait(this.growFailure ? 0 : 120_000);
      if (err && err.code === 'ETIMEDOUT') throw ioError(err, this.path, `growing from ${oldBytes} to ${newBytes} bytes`); // job kept: retried next time
      this.ahead = undefined;
      // The job never changed the file's length (KEEP_SIZE): nothing to cut back.
      if (err) throw ioError(err, this.path, `growing from ${oldBytes} to ${job.to} bytes`);
      assert(job.from === oldBytes, `${this.path}: blocks reserved ahead from ${job.from}, file end ${oldBytes}`);
    }
    // Over blocks the job reserved this only sets the length (and reserves what a batch needs beyond).
    extendWithZeros(this.fd, oldBytes, newBytes, this.path);
    this.assertUncut(seen, `growing from ${oldBytes} to ${newBytes} bytes`); // CUT DURING GROWTH
    const old = this.map;
    this.map = mapFile(this.fd, newBytes, true, this.path);
    releasePages(old, 0, old.length); // no longer written; unmapped when collected
    this.released = Math.floor((RT_HEADER_BYTES + this.n * this.rs) / PAGE_BYTES) * PAGE_BYTES; // the new mapping has none of them
    this.mem = new Mem(this.map);
    this.cap = cap;
    this.aheadAt = aheadPoint(cap);
    this.resetPopulate(0); // a file that grows is being written: the next append asks
    Atomics.store(this.mem.u32, RT_CAPACITY_U32, cap); // published after the bytes exist
  }

  /** POPULATE AHEAD for a new mapping: the first chunk is asked for `after` records from now. */
  private resetPopulate(after: number): void {
    this.popEnd = 0;
    this.popAt = this.populate && canPopulate() ? this.n + after : NEVER;
  }

  /**
   * POPULATE AHEAD: asks for the pages after the writer's position (record `n`), up to two
   * chunks ahead, and sets the record at which to ask for the next chunk (one chunk
   * before the end asked for). Off the hot path: once per chunk.
   */
  private populateAhead(n: number): void {
    const at = RT_HEADER_BYTES + n * this.rs;
    const from = Math.max(this.popEnd, at);
    const to = Math.min(this.map.length, from + (this.popEnd > at ? 1 : 2) * POPULATE_CHUNK_BYTES);
    if (to > from) populatePages(this.map, from, to);
    this.popEnd = Math.max(from, to);
    this.popAt =
      this.popEnd >= this.map.length ? NEVER : Math.max(n + 1, Math.ceil((this.popEnd - POPULATE_CHUNK_BYTES - RT_HEADER_BYTES) / this.rs));
  }
}

/** Most records of `rs` bytes one mapping holds. */
function maxCapacity(rs: number): number {
  return Math.floor((MAX_MAP_BYTES - RT_HEADER_BYTES) / rs);
}

/** The capacity one doubling from `capacity` makes (what EXTEND AHEAD writes). */
function doubledCapacity(capacity: number, rs: number): number {
  return Math.min(Math.max(capacity, 1) * 2, maxCapacity(rs));
}

/** The size at which the zeros of the growth after `capacity` are asked for: half full. */
function aheadPoint(capacity: number): number {
  return Math.max(1, Math.floor(capacity / 2));
}

/** Whether bytes [from, to) of buf are all zero. */
function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * CUT DURING GROWTH: the file was cut somewhere and lengthened over the cut, so from the
 * cut on it reads as zeros. Cuts it back to what certainly survived: the header bytes
 * before the first that differs from `seen` when the header itself was cut, else the
 * records before the last non-zero one (a published record is never all zeros, so the
 * zero slots are a suffix: binary search; the last non-zero one may be cut inside).
 */
function cutBackToSurvivors(fd: number, now: Buffer, seen: Buffer, n: number, rs: number): { bytes: number; records: number } {
  let bytes: number;
  let records = 0;
  let h = 0;
  while (h < RT_HEADER_BYTES && now[h] === seen[h]) h++;
  if (h < RT_HEADER_BYTES) bytes = h;
  else {
    const slot = Buffer.alloc(rs);
    const zeroAt = (i: number) => {
      fs.readSync(fd, slot, 0, rs, RT_HEADER_BYTES + i * rs);
      return isZero(slot, 0, rs);
    };
    let lo = 0; // first all-zero slot in [0, n]: n when none
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (zeroAt(mid)) hi = mid;
      else lo = mid + 1;
    }
    records = Math.max(0, lo - 1);
    bytes = RT_HEADER_BYTES + records * rs;
  }
  fs.ftruncateSync(fd, bytes);
  return { bytes, records };
}

/** Index of the last record slot in [0, capacity) that holds a non-zero byte, or -1. */
function lastWrittenSlot(fd: number, capacity: number, rs: number, file: string): number {
  const buf = Buffer.alloc(rs * 256);
  try {
    for (let end = capacity; end > 0;) {
      const start = Math.max(0, end - 256);
      const len = (end - start) * rs;
      fs.readSync(fd, buf, 0, len, RT_HEADER_BYTES + start * rs);
      for (let i = end - 1; i >= start; i--) {
        const at = (i - start) * rs;
        for (let b = 0; b < rs; b++) if (buf[at + b] !== 0) return i;
      }
      end = start;
    }
  } catch (err) {
    throw ioError(err, file, 'repair');
  }
  return -1;
}

/** Zeroes bytes [from, to) of the file where they are not zero, with read(2)/write(2). */
function zeroTail(fd: number, from: number, to: number, file: string): void {
  try {
    visitNonZeroChunks(fd, from, to, (at, bytes) => {
      fs.writeSync(fd, Buffer.alloc(bytes), 0, bytes, at);
    });
  } catch (err) {
    throw ioError(err, file, 'zeroing unpublished records');
  }
}

/** Makes `file` (tmp name, header, capacity reserved, rename); returns its descriptor, open for reading and writing, and its capacity. */
function createRtFile(file: string, opts: RtWriterOptions): { fd: number; capacity: number } {
  const capacity = opts.initialCapacity ?? DEFAULT_INITIAL_CAPACITY[opts.kind.name] ?? 1024;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new TickrecError('E_USAGE', `${file}: initial capacity ${capacity} must be a positive integer.`, { file });
  }
  const dir = path.dirname(file);
  // the folders that get a new entry: the file's, and the parent of each folder made now
  const entered = [dir];
  try {
    const made = fs.mkdirSync(dir, { recursive: true });
    if (made !== undefined) for (let d = dir; d !== path.dirname(made); d = path.dirname(d)) entered.push(path.dirname(d));
  } catch (err) {
    throw ioError(err, dir, 'create folder');
  }
  // Built under a temporary name and renamed: a reader or a restarted writer never
  // sees a file without its complete header.
  // SPARE FILES (spare.ts): an empty file made ahead, so that no inode is allocated here.
  const spare = opts.spare?.take();
  let fd = spare === undefined ? undefined : openSpare(spare);
  const fromSpare = fd !== undefined;
  const tmp = fromSpare ? spare! : rtTmpPath(file, process.pid);
  const header = Buffer.alloc(RT_HEADER_BYTES);
  const h: RtHeader = { type: opts.kind.rtType, version: BLOCK_VERSION_RAW, size: 0, capacity, date: opts.date };
  writeRtHeader(header, h);
  let renamed = false;
  try {
    fd ??= fs.openSync(tmp, 'w+');
    fs.writeSync(fd, header, 0, header.length, 0);
    extendWithZeros(fd, RT_HEADER_BYTES, rtFileBytes(capacity, opts.kind.recordBytes), tmp);
    if (!opts.durability) fs.fsyncSync(fd);
    fs.renameSync(tmp, file);
    renamed = true;
    // the new name survives a power loss: now, or in the background after the file's fsync
    if (opts.durability) opts.durability.afterCreate(file, entered);
    else for (const d of entered) syncPath(d, 'fsync of folder');
    return { fd, capacity };
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    if (!renamed && fromSpare) returnSpare(opts.spare!, tmp);
    else if (!renamed) fs.rmSync(tmp, { force: true });
    throw ioError(err, file, 'create');
  }
}

function extendWithZeros(fd: number, from: number, to: number, file: string): void {
  let at = from;
  try {
    if (allocate(fd, from, to)) return; // blocks reserved, reading as zeros (fallocate.ts)
    const zeros = Buffer.alloc(Math.min(GROW_CHUNK_BYTES, to - from));
    while (at < to) {
      const len = Math.min(zeros.length, to - at);
      at += fs.writeSync(fd, zeros, 0, len, at);
    }
  } catch (err) {
    try {
      fs.ftruncateSync(fd, from); // back to the published length: nobody maps past it
    } catch {
      // the original error says more
    }
    throw ioError(err, file, `growing from ${from} to ${to} bytes`);
  }
}

function reopenRules(
  fd: number,
  file: string,
  opts: RtWriterOptions,
  report: string[],
  notes: string[],
): { capacity: number; size: number } {
  const p = probeRtFile(fd, file, opts.kind);
  const { header } = p;
  let capacity = header.capacity;
  let size = header.size;
  const repair = opts.repair ?? false;
  const rs = p.kind.recordBytes;

  if (capacity > p.realCapacity) {
    if (size > p.realCapacity && !repair) {
      throw new TickrecError(
        'E_TRUNCATED',
        `${file}: header says ${size} records published and capacity ${capacity}, but the file has room for only ` +
          `${p.realCapacity}; ${size - p.realCapacity} published records are gone. Refusing to append. ` +
          `Run 'tickrec repair ${file}' to keep the ${p.realCapacity} that remain.`,
        { file },
      );
    }
    report.push(`${file}: capacity ${capacity} > ${p.realCapacity} that fit in ${p.fileBytes} bytes; capacity set to ${p.realCapacity}`);
    capacity = p.realCapacity;
  } else if (capacity < p.realCapacity) {
    // Exactly the next doubling in whole slots: the zeros a live writer writes ahead
    // (EXTEND AHEAD) when it was stopped without close() (kill -9): expected, not damage.
    if (p.tailBytes === 0 && p.realCapacity === doubledCapacity(capacity, rs)) {
      notes.push(`${file}: took the zeros written ahead of the next growth: capacity ${capacity} -> ${p.realCapacity}`);
    } else {
      report.push(`${file}: completed an interrupted growth: capacity ${capacity} -> ${p.realCapacity}`);
    }
    capacity = p.realCapacity;
  }
  if (size > capacity) {
    if (!repair) {
      throw new TickrecError(
        'E_CORRUPT',
        `${file}: header says ${size} records published but only ${capacity} fit; the header is damaged. ` +
          `Refusing to append. Run 'tickrec repair ${file}' to keep the ${capacity} records that fit.`,
        { file },
      );
    }
    // Keep only slots the writer wrote: the last slot below capacity that is not all
    // zeros ends the records (slots past the real size are zero: never written).
    const kept = lastWrittenSlot(fd, capacity, rs, file) + 1;
    report.push(
      `${file}: size ${size} > capacity ${capacity}; size set to ${kept}, the last written record (${capacity - kept} empty slots not published)`,
    );
    size = kept;
  }
  if (capacity === 0) {
    throw new TickrecError('E_TRUNCATED', `${file}: has no room for a single record (${p.fileBytes} bytes); move it aside.`, { file });
  }
  try {
    if (p.tailBytes > 0) {
      fs.ftruncateSync(fd, RT_HEADER_BYTES + p.realCapacity * rs);
      report.push(`${file}: cut ${p.tailBytes} bytes of an interrupted growth past the last whole record`);
    }
    if (capacity !== header.capacity || size !== header.size) {
      const head = Buffer.alloc(RT_HEADER_BYTES);
      writeRtHeader(head, { ...header, capacity, size });
      fs.writeSync(fd, head, 0, RT_HEADER_BYTES, 0);
    }
  } catch (err) {
    throw ioError(err, file, 'repair');
  }
  return { capacity, size };
}

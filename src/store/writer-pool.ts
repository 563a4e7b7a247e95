// The recorder's open real-time files: one RtWriter per (kind, exchange, code), opened
// lazily, at most `maxOpenFiles` mapped at once, rolled to a new file when the trading
// date moves on (THE DAY ROLL: src/store/roll.ts).
//
// EVICTION (more instruments than open mappings): the open writers form a list from the
// most to the least recently written (intrusive links in each entry). A write moves its
// entry to the front (a few pointer stores, skipped when it is already there); making
// room closes the last one. Both are O(1): the scan of every open file that this
// replaced made 5,000 instruments over a 4,096 limit collapse the recorder (issue 18).
//
// PREPARED FILES (the session open, issue 18): prepare() creates an instrument's live
// file for a coming trading day before its first record, so that the first tick of the
// open only opens and appends. A prepared file is an ordinary live file that holds no
// record yet, its header dated the day it was prepared for; nothing else marks it:
//   - a record of that day goes into it; of a later day, it is rolled, and being empty
//     it is removed (setAside), as any empty live file, and the later day's file made;
//   - a record of an EARLIER day is refused as a finished day (append returns false):
//     the caller prepares only the day its roll rule already counts as current
//     (src/recorder/prepare-day.ts), so that earlier day is over by the same rule that
//     would set its file aside within a second;
//   - followers (rt-follow.ts) see a file of a later date than the one they left, empty
//     until its first record: the ROLL RULE holds unchanged; compaction never takes a
//     live file (src/compact/scan.ts), and an empty one is removed at its roll.
//
// META FIRST (an instrument's metadata, src/meta/root.ts, before its records): the
// recorder writes the metadata file (tmp + rename, no fsync: visible at once, before the
// instrument's first record is published) and hands it to afterMetaWrite(); it is made
// durable in the background with the new files (CREATE DURABILITY, durable.ts: fsync of
// the file, then one of its folder per batch). Until it is, no record of that instrument
// is synced: syncAllInBackground() skips its files, and a blocking close of one of them
// (eviction, roll) first does the pending fsyncs inline; closeAll() does them before any
// file's records. So our syncs never make records durable before the metadata that says
// how to read them. (The kernel's own writeback of dirty pages, after ~30 s, is ordered
// by the file system's journal: the metadata's rename commits before the tick file's.)

import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../assert.js';
import { TickrecError, ioError } from '../errors.js';
import { ALL_KINDS, type RecordKind, type Rec } from '../format/index.js';
import {
  damagedAsidePath,
  groupFinished,
  isExchangeName,
  parseDateFolder,
  parseLiveName,
  rtDayDir,
  rtExchangeDir,
  rtFilePath,
  rtKindDir,
  RT_EXT,
} from '../layout/index.js';
import { dayFinished, olderRecordError, isNextFileOfDay, setAside } from './roll.js';
import { isAllZeroFile, probeRtFile, readRtTradingDate } from './rt-file.js';
import { CreateDurability, SYNCFS_FROM_FILES } from './durable.js';
import { syncFileSystemsOf } from './syncfs.js';
import { syncDir } from '../fsync.js';
import type { SpareFiles } from './spare.js';
import { DEFAULT_INITIAL_CAPACITY, RtWriter, type RtWriterOptions } from './rt-writer.js';

export interface WriterPoolOptions {
  maxOpenFiles: number;
  /** Initial capacity of new files by kind name. */
  initialCapacity: Partial<Record<string, number>>;
  onRoll?: (info: { kind: string; exchg: string; code: string; date: number; to: string | undefined }) => void;
  onRepair?: (message: string) => void;
  /** Told of a live file found by scan() that cannot be read (it stays untouched). */
  onProblem?: (message: string) => void;
  /**
   * Told when a live file was damaged by someone else and dealt with (SOMEONE ELSE'S
   * HANDS in rt-writer.ts): truncated (set aside, a new file started) or deleted/replaced
   * (its records written back to the path). The error names the file and what was done.
   */
  onDamaged?: (err: TickrecError) => void;
  /**
   * Whether a day of an instrument is already in history (his/). The store layer does
   * not read historical blocks itself; the recorder passes src/his's hisHoldsDay.
   * Default: a his day file exists for ticks/trades.
   */
  inHistory?: (kindName: string, exchg: string, code: string, date: number) => boolean;
  /**
   * Told when a new file or its folder could not be made durable in the background
   * (CREATE DURABILITY, durable.ts). Default: thrown at the next closeAll().
   */
  onDurabilityError?: (err: Error) => void;
  /** Empty files made ahead: a new file is one of them renamed (SPARE FILES, spare.ts). */
  spare?: SpareFiles;
}

interface Entry {
  readonly kind: RecordKind;
  readonly exchg: string;
  readonly code: string;
  readonly path: string;
  writer: RtWriter | undefined;
  /** Trading date of the live file (0 = no live file). */
  date: number;
  /** Neighbours in the list of open writers (EVICTION); both undefined when not open. */
  newer: Entry | undefined;
  older: Entry | undefined;
  /** Records of this instrument's last finished day (sizes its next first file), -1 when unknown. */
  lastDayRecords: number;
}

export class WriterPool {
  private readonly entries = new Map<RecordKind, Map<string, Map<string, Entry>>>();
  /** The open writers, most recently written first (EVICTION). */
  private newest: Entry | undefined;
  private oldest: Entry | undefined;
  private open = 0;
  /** New files are made durable in the background, not by two fsyncs each inline (durable.ts). */
  private readonly durability: CreateDurability;
  private readonly onDurabilityError: (err: Error) => void;
  private readonly spare: SpareFiles | undefined;
  private durabilityError: Error | undefined;
  /** DURABILITY (rt-writer.ts): records that reached the disk, and syncs that failed. */
  private synced = 0;
  private syncFailures = 0;
  /** Live files found truncated, deleted or replaced by someone else (and dealt with). */
  private damagedFiles = 0;
  /** Files made ahead of their first record (PREPARED FILES). */
  private preparedFiles = 0;
  /** checkOpenFiles(): the open files of the current pass, and the next to check. */
  private checkList: Entry[] = [];
  private checkAt = 0;
  /** META FIRST: instruments (exchg NUL code) whose metadata file is not durable yet, with how many writes of it are pending. */
  private readonly held = new Map<string, number>();

  constructor(
    readonly root: string,
    private readonly opts: WriterPoolOptions,
  ) {
    this.onDurabilityError = opts.onDurabilityError ?? ((err) => (this.durabilityError ??= err));
    this.durability = new CreateDurability(this.onDurabilityError);
    const spare = opts.spare;
    this.spare = spare;
  }

  /** New files whose background fsyncs are queued or running. */
  get creationsInFlight(): number {
    return this.durability.inFlight;
  }

  /** Records of every file that a successful sync put on disk since the pool started. */
  get recordsSynced(): number {
    return this.synced;
  }

  /** Syncs (background fdatasync or the msync of a close) that failed. */
  get syncErrors(): number {
    return this.syncFailures;
  }

  /** Live files found truncated, deleted or replaced by someone else, or holding only zero bytes. */
  get filesDamaged(): number {
    return this.damagedFiles;
  }

  /** Open files whose last sync failed: their records since then may not be on disk. */
  *notDurable(): IterableIterator<{ path: string; published: number; durable: number; error: TickrecError }> {
    for (let e = this.newest; e; e = e.older) {
      const w = e.writer!;
      if (w.syncError) yield { path: e.path, published: w.size, durable: w.durable, error: w.syncError };
    }
  }

  get openFiles(): number {
    return this.open;
  }

  /** Every known live file (open or not). */
  *live(): IterableIterator<Readonly<Pick<Entry, 'kind' | 'exchg' | 'code' | 'date' | 'path'>>> {
    for (const byExchg of this.entries.values())
      for (const byCode of byExchg.values()) for (const e of byCode.values()) if (e.date !== 0) yield e;
  }

  /**
   * Every live file with its size, for monitoring: bytes and published records from the
   * open writer (no I/O), or -1 for both when the file is not mapped now.
   */
  *liveFileSizes(): IterableIterator<{
    kind: string;
    exchg: string;
    code: string;
    date: number;
    path: string;
    bytes: number;
    records: number;
  }> {
    for (const byExchg of this.entries.values())
      for (const byCode of byExchg.values())
        for (const e of byCode.values()) {
          if (e.date === 0) continue;
          const w = e.writer;
          yield {
            kind: e.kind.name,
            exchg: e.exchg,
            code: e.code,
            date: e.date,
            path: e.path,
            bytes: w ? w.diskBytes : -1,
            records: w ? w.size : -1,
          };
        }
  }

  /** The last record of the live file of an instrument (for recovery), if any. */
  lastRecord(kind: RecordKind, exchg: string, code: string): Rec | undefined {
    const e = this.entry(kind, exchg, code);
    if (e.date === 0) return undefined;
    return this.writerOf(e, e.date).last();
  }

  /** Up to `max` last records of the live file of an instrument, newest first. */
  lastRecords(kind: RecordKind, exchg: string, code: string, max: number): Rec[] {
    const e = this.entry(kind, exchg, code);
    if (e.date === 0) return [];
    const w = this.writerOf(e, e.date);
    const out: Rec[] = [];
    for (let i = w.size - 1; i >= 0 && out.length < max; i--) out.push(w.get(i));
    return out;
  }

  /**
   * Appends a record of trading date `date`; rolls the live file first if it is older.
   * Returns false, writing nothing, when that day of the instrument is already finished
   * (set aside in rt/…/<DATE>/ or compacted into his/…/<DATE>/, or a later day's file
   * was prepared: PREPARED FILES): a late or replayed record never reopens a finished day.
   */
  append(kind: RecordKind, exchg: string, code: string, date: number, rec: object): boolean {
    const w = this.writerFor(kind, exchg, code, date);
    if (!w) return false;
    try {
      w.append(rec);
    } catch (err) {
      // Truncated under us (FAULT GUARD): the record was not stored. The file is set
      // aside and the record goes to a new one; the other instruments never notice.
      this.afterTruncation(kind, exchg, code, w, err).append(rec);
    }
    return true;
  }

  /**
   * Appends records already encoded (`bytes`: whole records of the kind, as in a file),
   * with the same rules as append(): rolls an older live file first; returns false,
   * writing nothing, when that day is already finished. For copies of another root's
   * records (the bus mirror): the bytes go to the file unchanged.
   * `file` > 0: the records are of the source's n-th file of that day (<CODE>~<n>.dmb,
   * THE DAY ROLL): a day finished here gets a new live file for them when exactly n files
   * of it are set aside here (it becomes ~<n> when set aside); otherwise false, as above.
   */
  appendRaw(kind: RecordKind, exchg: string, code: string, date: number, bytes: Uint8Array, file = 0): boolean {
    const w = this.writerFor(kind, exchg, code, date, file);
    if (!w) return false;
    try {
      w.appendRaw(bytes);
    } catch (err) {
      this.afterTruncation(kind, exchg, code, w, err).appendRaw(bytes);
    }
    return true;
  }

  /** Rethrows `err` unless it is `w`'s truncation (E_TRUNCATED); then sets the file aside and returns the new file's writer. */
  private afterTruncation(kind: RecordKind, exchg: string, code: string, w: RtWriter, err: unknown): RtWriter {
    if (!(err instanceof TickrecError) || err.code !== 'E_TRUNCATED' || w.damaged !== err) throw err;
    const e = this.entry(kind, exchg, code);
    const date = e.date;
    this.setAsideTruncated(e, err);
    return this.writerOf(e, date);
  }

  /**
   * SOMEONE ELSE'S HANDS (rt-writer.ts), at the sync interval: the open files are checked
   * (two stat calls each), every one within CHECK_ROUNDS calls: a call checks the next
   * max(CHECK_MIN_PER_ROUND, 1/CHECK_ROUNDS of them) (15,000 open files cost 30,000 stat
   * calls in one turn each second before: ~8% of the recorder at the open, issue 18). Truncated: set aside, a new file is started by the next record.
   * Deleted or replaced: the records the writer holds are written back to the path (the
   * file found there kept as <name>.displaced-<time>) and the next record goes on there.
   * Returns how many files were dealt with; each is told to onDamaged.
   */
  checkOpenFiles(): number {
    let n = 0;
    if (this.checkAt >= this.checkList.length) {
      this.checkList = [];
      for (let e = this.newest; e; e = e.older) this.checkList.push(e);
      this.checkAt = 0;
    }
    const end = Math.min(
      this.checkList.length,
      this.checkAt + Math.max(CHECK_MIN_PER_ROUND, Math.ceil(this.checkList.length / CHECK_ROUNDS)),
    );
    const open = this.checkList.slice(this.checkAt, end);
    this.checkAt = end;
    for (const e of open) {
      const w = e.writer;
      if (!w) continue; // closed since the list was made
      const what = w.checkFile();
      if (what === undefined) continue;
      n++;
      if (what === 'truncated') {
        this.setAsideTruncated(e, w.damaged!);
        continue;
      }
      this.damagedFiles++;
      let displaced: string | undefined;
      try {
        if (what === 'replaced') {
          displaced = damagedAsidePath(e.path, 'displaced');
          fs.renameSync(e.path, displaced);
        }
        w.restoreTo(e.path);
      } catch (err) {
        this.opts.onDamaged?.(
          new TickrecError(
            'E_REPLACED',
            `${e.path}: ${what} while being written, and its ${w.size} records could not be written back: ${(err as Error).message}. ` +
              'Records go on into the file the writer holds (not at the path) until this succeeds; it is retried at the next check.',
            { file: e.path },
          ),
        );
        continue;
      }
      const held = w.size;
      try {
        this.close(e);
      } catch {
        // the held inode is no longer the file; its records are in the restored copy
      }
      this.opts.onDamaged?.(
        new TickrecError(
          'E_REPLACED',
          `${e.path}: ${what === 'deleted' ? 'deleted (or moved away)' : `replaced by another file (kept as ${displaced})`} while being written; ` +
            `the ${held} records the recorder held were written back to ${e.path} and recording goes on there. Find out what touched the data root.`,
          { file: e.path },
        ),
      );
    }
    return n;
  }

  /** A truncated live file (E_TRUNCATED): closed, renamed <name>.truncated-<time>, forgotten. */
  private setAsideTruncated(e: Entry, err: TickrecError): void {
    this.damagedFiles++;
    if (e.writer) {
      try {
        this.close(e);
      } catch {
        // a sync of a truncated file may fail; its records past the cut are gone anyway
      }
    }
    const aside = damagedAsidePath(e.path, 'truncated');
    let where: string;
    try {
      fs.renameSync(e.path, aside);
      where = `set aside as ${aside}`;
    } catch (rerr) {
      where = `could not be set aside (${(rerr as Error).message})`;
    }
    e.date = 0;
    this.opts.onDamaged?.(
      new TickrecError('E_TRUNCATED', `${err.message} The file ${where}; the next record starts a new file.`, { file: e.path }),
    );
  }

  /** The writer a record of trading date `date` goes to (the rules of append()), or undefined for a finished day. */
  private writerFor(kind: RecordKind, exchg: string, code: string, date: number, file = 0): RtWriter | undefined {
    const e = this.entry(kind, exchg, code);
    if (e.date !== 0 && e.date < date) this.roll(e);
    if (e.date === 0 && this.dayFinished(e, date) && !isNextFileOfDay(e.path, date, file)) return undefined;
    if (e.date > date) {
      if (this.holdsNoRecord(e)) return undefined; // a prepared file (PREPARED FILES): that day is over
      throw olderRecordError(e.path, date, e.date);
    }
    return this.writerOf(e, date);
  }

  /** Whether the live file of `e` holds no record yet (a prepared file). */
  private holdsNoRecord(e: Entry): boolean {
    return (e.writer ? e.writer.size : readSize(e.path, e.kind)) === 0;
  }

  /**
   * PREPARED FILES: creates the live file of an instrument for trading date `date` ahead
   * of its first record, sized from its last finished day (firstCapacity), and opens its
   * writer when fewer than maxOpenFiles are open (else it is opened at its first record). Returns false, doing nothing, when the instrument has a live file already
   * (of any date: it is rolled by its own rule first) or that day is already finished.
   * Its durability is the background one of every new file (CREATE DURABILITY).
   * `expectRecords` sizes the file when the instrument's last day is unknown (0: the
   * smallest first file, FIRST_CAPACITY_MIN).
   */
  prepare(kind: RecordKind, exchg: string, code: string, date: number, expectRecords?: number): boolean {
    const e = this.entry(kind, exchg, code);
    if (e.date !== 0 || this.dayFinished(e, date)) return false;
    if (fs.existsSync(e.path)) {
      e.date = readDate(e.path, kind); // appeared since the entry was made: it is the live file
      return false;
    }
    const opts = this.writerOptions(e, date, expectRecords);
    if (this.open < this.opts.maxOpenFiles) {
      // Opened now while there is room (never by evicting a written file): the open's
      // first record then only appends. Last in the list: evicted before any written file.
      const w = RtWriter.open(e.path, opts);
      e.writer = w;
      e.date = w.date;
      this.linkOldest(e);
      this.open++;
    } else {
      RtWriter.create(e.path, opts);
      e.date = date;
    }
    this.preparedFiles++;
    return true;
  }

  /** Files made by prepare() since the pool started. */
  get filesPrepared(): number {
    return this.preparedFiles;
  }

  /**
   * The instruments whose last day is known to have had records and that have no live
   * file now: what prepare() is for (PREPARED FILES). Known from the days rolled by this
   * pool, and from the newest dated folder of each exchange under rt/ (learnLastDays()).
   */
  *preparable(): IterableIterator<{ kind: RecordKind; exchg: string; code: string; lastDayRecords: number }> {
    for (const [kind, byExchg] of this.entries)
      for (const [exchg, byCode] of byExchg)
        for (const e of byCode.values())
          if (e.date === 0 && e.lastDayRecords > 0) yield { kind, exchg, code: e.code, lastDayRecords: e.lastDayRecords };
  }

  /**
   * After a restart: reads how many records each instrument had on the newest finished
   * day of its exchange still under rt/ (the sizes in the headers of rt/…/<DATE>/ files),
   * for preparable() and the size of its next first file. Returns the instruments learnt.
   * A folder or file that cannot be read is told to onProblem and skipped.
   */
  learnLastDays(): number {
    let learnt = 0;
    const problem = this.opts.onProblem;
    for (const kind of this.kinds()) {
      const kindDir = rtKindDir(this.root, kind);
      for (const exchg of safeList(kindDir, problem)) {
        if (!isExchangeName(exchg)) continue;
        const exDir = rtExchangeDir(this.root, kind, exchg);
        let newest: number | undefined;
        for (const name of safeList(exDir, problem)) {
          const d = parseDateFolder(name);
          if (d !== undefined && (newest === undefined || d > newest)) newest = d;
        }
        if (newest === undefined) continue;
        const dayDir = rtDayDir(this.root, kind, exchg, newest);
        for (const [code, files] of groupFinished(dayDir, safeList(dayDir, problem)).byCode) {
          let e: Entry;
          try {
            e = this.entry(kind, exchg, code);
          } catch {
            continue; // a code tickrec would not write (scan() reports live ones)
          }
          if (e.lastDayRecords >= 0) continue;
          let records = 0;
          try {
            for (const f of files) records += readSize(f, kind);
          } catch (err) {
            problem?.(`${files[0]}: its size could not be read (${(err as Error).message}); no file is prepared from it`);
            continue;
          }
          e.lastDayRecords = records;
          learnt++;
        }
      }
    }
    return learnt;
  }

  /** Trading date of the live file of an instrument, 0 when there is none. */
  liveDate(kind: RecordKind, exchg: string, code: string): number {
    return this.entry(kind, exchg, code).date;
  }

  /** The live file's path of an instrument (whether or not it exists). */
  livePath(kind: RecordKind, exchg: string, code: string): string {
    return this.entry(kind, exchg, code).path;
  }

  /**
   * Sets aside the live file of an instrument if it holds trading date `date` (its day
   * is over by an outside word: the bus's end-of-day marker). Returns whether it rolled.
   */
  finish(kind: RecordKind, exchg: string, code: string, date: number): boolean {
    const e = this.entry(kind, exchg, code);
    if (e.date === 0 || e.date !== date) return false;
    this.roll(e);
    return true;
  }

  private dayFinished(e: Entry, date: number): boolean {
    return dayFinished(this.root, e.kind, e.exchg, e.code, date, this.opts.inHistory);
  }

  /** Rolls every live file for which `isFinished(kind, exchg, code, date)` says its day is over. */
  rollFinished(isFinished: (kind: RecordKind, exchg: string, code: string, date: number) => boolean): number {
    let rolled = 0;
    const dirs = new Set<string>();
    try {
      for (const byExchg of this.entries.values())
        for (const byCode of byExchg.values())
          for (const e of byCode.values()) {
            if (e.date !== 0 && isFinished(e.kind, e.exchg, e.code, e.date)) {
              this.roll(e, dirs);
              rolled++;
            }
          }
    } finally {
      for (const d of dirs) syncDir(d); // ROLL IN A BATCH: each folder once, not twice per file
    }
    return rolled;
  }

  /** Finds the live files already under the root (after a restart), without opening them. */
  scan(): number {
    let found = 0;
    const problem = this.opts.onProblem;
    for (const kind of this.kinds()) {
      const kindDir = rtKindDir(this.root, kind);
      for (const exchg of safeList(kindDir, problem)) {
        const exDir = path.join(kindDir, exchg);
        for (const file of isExchangeName(exchg) ? safeList(rtExchangeDir(this.root, kind, exchg), problem) : []) {
          if (!file.endsWith(RT_EXT)) continue;
          let e: Entry;
          try {
            const code = parseLiveName(file);
            if (code === undefined) throw new TickrecError('E_FIELD', 'not a file name tickrec writes (src/layout/root.ts)');
            e = this.entry(kind, exchg, code);
          } catch (err) {
            // a name tickrec would not have written, or a damaged header: left alone
            this.opts.onProblem?.(`scan: ${path.join(exDir, file)} left alone: ${(err as Error).message}`);
            continue;
          }
          if (e.date === 0) e.date = readDate(e.path, kind);
          found++;
        }
      }
    }
    return found;
  }

  /**
   * META FIRST: `file`, the metadata of (exchg, code) just renamed into place (its
   * folders that got a new entry: `dirs`), is made durable in the background; no record
   * of the instrument is synced before.
   */
  afterMetaWrite(exchg: string, code: string, file: string, dirs: readonly string[]): void {
    const key = heldKey(exchg, code);
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    this.durability.afterCreate(file, dirs, () => {
      const n = (this.held.get(key) ?? 1) - 1;
      if (n > 0) this.held.set(key, n);
      else this.held.delete(key);
    });
  }

  /** Instruments whose metadata is not durable yet (META FIRST). */
  get metadataPending(): number {
    return this.held.size;
  }

  private isHeld(e: Entry): boolean {
    return this.held.size > 0 && this.held.has(heldKey(e.exchg, e.code));
  }

  /** Starts a background fdatasync of every open file (see RtWriter.syncInBackground); not of an instrument whose metadata is not durable yet (META FIRST). */
  syncAllInBackground(onError?: (err: TickrecError) => void): void {
    const onDone = (err: TickrecError | undefined, gained: number) => {
      this.synced += gained;
      if (err) {
        this.syncFailures++;
        onError?.(err);
      }
    };
    for (let e = this.newest; e; e = e.older) if (!this.isHeld(e)) e.writer!.syncInBackground(onDone);
  }

  /**
   * Syncs and closes every open file; every file is closed, then the first failure is thrown.
   *
   * ONE SYNCFS AT STOP: with SYNCFS_FROM_FILES or more files open, one syncfs(2) of the
   * root's file system (syncfs.ts) makes every new name, metadata file and record durable
   * at once, and each writer then closes without an msync of its own (QUIET CLOSE) and
   * keeps the blocks reserved past its end (EXTEND AHEAD: freed by a truncate of each file,
   * ~0.5 ms each, which a stop skips; the file grows into them when it is next written).
   * A stop after a 5,000-instrument open spent 18.8 s in fsyncs and 2.8 s in truncates on
   * the event loop (open bench profile, 2026-12-07). META FIRST holds: ext4 commits its
   * journal transactions in order, so a file's name never becomes durable before that of
   * the metadata renamed before it, and the records of a file whose name was not durable
   * are not found after a power loss. Without syncfs (no addon): as before, file by file.
   */
  closeAll(): void {
    let first: Error | undefined;
    const oneSyncFs = this.open >= SYNCFS_FROM_FILES;
    let synced = false;
    try {
      if (oneSyncFs) {
        // every file system an open file is on (rt/ or a folder in it may be a mount of its own)
        const dirs = new Set<string>([this.root]);
        for (let e = this.newest; e; e = e.older) dirs.add(path.dirname(e.path));
        synced = syncFileSystemsOf(dirs);
      }
      if (synced) for (let e = this.newest; e; e = e.older) e.writer!.markDurable();
      this.durability.flush(synced); // new names and metadata first (META FIRST), then the records
    } catch (err) {
      first = err as Error;
    }
    while (this.oldest) {
      try {
        this.close(this.oldest, oneSyncFs);
      } catch (err) {
        first ??= err as Error;
      }
    }
    assert(this.open === 0 && this.newest === undefined, 'every open writer was in the list');
    const err = first ?? this.durabilityError;
    this.durabilityError = undefined;
    if (err) throw err;
  }

  private *kinds(): IterableIterator<RecordKind> {
    yield* ALL_KINDS;
  }

  /**
   * The trading date of the live file at `p`. ZEROED FILES: a live file holding only zero
   * bytes is a creation a power loss cut short (durable.ts: ext4 can make the name durable
   * before the header); it never held a durable record, so it is set aside untouched
   * (<CODE>.dmb.zeroed-<stamp>, told to onDamaged) and the instrument starts a new file,
   * instead of every record of the instrument being refused. Any other file without the
   * block flag is someone else's data: still refused (E_NOT_BLOCK_FILE), never touched.
   */
  private dateOnDisk(p: string, kind: RecordKind): number {
    try {
      return readDate(p, kind);
    } catch (err) {
      if (!(err instanceof TickrecError) || err.code !== 'E_NOT_BLOCK_FILE' || !isAllZeroFile(p)) throw err;
      this.damagedFiles++;
      const aside = damagedAsidePath(p, 'zeroed');
      const bytes = fs.statSync(p).size;
      try {
        fs.renameSync(p, aside);
      } catch (rerr) {
        throw ioError(rerr, p, `set aside a live file that holds only zero bytes (as ${aside})`);
      }
      this.opts.onDamaged?.(
        new TickrecError(
          'E_NOT_BLOCK_FILE',
          `${p}: held only zero bytes (${bytes}), a file whose creation a power loss cut short (it never held a durable record); ` +
            `set aside as ${aside}, the next record starts a new file. Delete the set-aside file once you have looked at it.`,
          { file: p },
        ),
      );
      return 0;
    }
  }

  private entry(kind: RecordKind, exchg: string, code: string): Entry {
    let byExchg = this.entries.get(kind);
    if (!byExchg) this.entries.set(kind, (byExchg = new Map<string, Map<string, Entry>>()));
    let byCode = byExchg.get(exchg);
    if (!byCode) byExchg.set(exchg, (byCode = new Map<string, Entry>()));
    let e = byCode.get(code);
    if (!e) {
      const p = rtFilePath(this.root, kind, exchg, code); // applies the name rule
      e = {
        kind,
        exchg,
        code,
        path: p,
        writer: undefined,
        date: fs.existsSync(p) ? this.dateOnDisk(p, kind) : 0,
        newer: undefined,
        older: undefined,
        lastDayRecords: -1,
      };
      byCode.set(code, e);
    }
    return e;
  }

  private writerOf(e: Entry, date: number): RtWriter {
    if (e.writer) {
      if (e !== this.newest) this.toFront(e);
      return e.writer;
    }
    if (this.open >= this.opts.maxOpenFiles) this.close(this.oldest!);
    const opts = this.writerOptions(e, date);
    let w: RtWriter;
    try {
      w = RtWriter.open(e.path, opts);
    } catch (err) {
      // A live file truncated while it was closed (after a restart, an eviction): set
      // aside like one truncated while open, and a new file started, instead of every
      // record of the instrument failing until someone repairs it.
      if (!(err instanceof TickrecError) || err.code !== 'E_TRUNCATED') throw err;
      this.setAsideTruncated(e, err);
      w = RtWriter.open(e.path, opts);
    }
    e.writer = w;
    e.date = w.date;
    this.link(e);
    this.open++;
    return w;
  }

  /** How the writer of `e` opens, or creates its file for trading date `date`. */
  private writerOptions(e: Entry, date: number, expectRecords?: number): RtWriterOptions & { initialCapacity: number } {
    return {
      kind: e.kind,
      date,
      initialCapacity: firstCapacity(
        this.opts.initialCapacity[e.kind.name] ?? DEFAULT_INITIAL_CAPACITY[e.kind.name] ?? 1024,
        e.lastDayRecords < 0 && expectRecords !== undefined ? expectRecords : e.lastDayRecords,
      ),
      ...(this.opts.onRepair ? { onRepair: this.opts.onRepair } : {}),
      ...(this.spare ? { spare: this.spare } : {}),
      durability: this.durability,
    };
  }

  /**
   * Sets the live file of `e` aside (its day is over). ROLL IN A BATCH: the two folders
   * of each rename were fsynced on the event loop per file, 2 x 6,000 fsyncs at a
   * 2,000-instrument roll (6.9 s in the soak's profile, 2026-12-07): a batch (`dirs`,
   * rollFinished) syncs each folder once after its renames; a roll on a record's later
   * date queues them for the background folder fsyncs of CREATE DURABILITY (durable.ts).
   */
  private roll(e: Entry, dirs?: Set<string>): void {
    let published: number;
    if (e.writer) {
      published = e.writer.size;
      this.close(e);
    } else {
      published = readSize(e.path, e.kind);
    }
    e.lastDayRecords = published;
    const batch = dirs ?? new Set<string>();
    const to = setAside(e.path, e.date, published, batch);
    if (!dirs) this.durability.syncDirsSoon(batch);
    this.opts.onRoll?.({ kind: e.kind.name, exchg: e.exchg, code: e.code, date: e.date, to });
    e.date = 0;
  }

  /** Syncs and closes the writer; the entry is closed even when the sync fails (then rethrown). */
  private close(e: Entry, keepReserved = false): void {
    if (this.isHeld(e)) {
      // META FIRST: the metadata before this file's records are synced
      try {
        this.durability.flush();
      } catch (err) {
        this.onDurabilityError(err as Error);
      }
    }
    const w = e.writer!;
    e.writer = undefined;
    this.unlink(e);
    this.open--;
    const before = w.durable;
    try {
      w.close(keepReserved);
    } catch (err) {
      this.syncFailures++;
      throw err;
    } finally {
      this.synced += w.durable - before;
    }
  }

  /** Puts an open writer's entry first in the list (EVICTION). */
  private toFront(e: Entry): void {
    this.unlink(e);
    this.link(e);
  }

  private link(e: Entry): void {
    e.newer = undefined;
    e.older = this.newest;
    if (this.newest) this.newest.newer = e;
    else this.oldest = e;
    this.newest = e;
  }

  private linkOldest(e: Entry): void {
    e.older = undefined;
    e.newer = this.oldest;
    if (this.oldest) this.oldest.older = e;
    else this.newest = e;
    this.oldest = e;
  }

  private unlink(e: Entry): void {
    if (e.newer) e.newer.older = e.older;
    else this.newest = e.older;
    if (e.older) e.older.newer = e.newer;
    else this.oldest = e.newer;
    e.newer = e.older = undefined;
  }
}

/**
 * Capacity of an instrument's first file of a day: what its last finished day needed,
 * with a quarter to spare, rounded up to a power of two, between FIRST_CAPACITY_MIN and
 * the configured initial capacity (the largest first file); FIRST_CAPACITY_MIN when its
 * past is unknown (an instrument never seen: most of a whole-market session's codes are
 * deep out-of-the-money options that trade a few times a day). 20,000 files of 2,500
 * ticks reserve 24 GiB, of 64 ticks 0.6 GiB. Growth by doubling stays the rule for a day
 * busier than the last (or a new instrument that trades a lot).
 */
export function firstCapacity(configured: number, lastDayRecords: number): number {
  if (lastDayRecords < 0) return Math.min(configured, FIRST_CAPACITY_MIN);
  let c = FIRST_CAPACITY_MIN;
  const want = Math.ceil(lastDayRecords * 1.25);
  while (c < want) c *= 2;
  return Math.min(c, configured);
}

/** Smallest first file sized from history: 64 records (32 KiB of ticks). */
export const FIRST_CAPACITY_MIN = 64;

/** checkOpenFiles(): every open file is checked within this many calls ... */
export const CHECK_ROUNDS = 5;
/** ... and a call checks at least this many (all of them when fewer are open). */
export const CHECK_MIN_PER_ROUND = 1024;

function heldKey(exchg: string, code: string): string {
  return `${exchg}\u0000${code}`;
}

/** A folder's entries; a missing folder has none; any other error is told to onProblem (never a silent empty folder). */
function safeList(dir: string, onProblem?: (message: string) => void): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      onProblem?.(`scan: ${dir} cannot be listed (${(err as Error).message}); the live files in it are not known until it can be read`);
    return [];
  }
}

function readHeader(file: string, kind: RecordKind) {
  const fd = fs.openSync(file, 'r');
  try {
    return probeRtFile(fd, file, kind).header;
  } finally {
    fs.closeSync(fd);
  }
}

/** The trading date of an existing live file (rtTradingDate: for bars, its last record's). */
function readDate(file: string, kind: RecordKind): number {
  const fd = fs.openSync(file, 'r');
  try {
    return readRtTradingDate(fd, probeRtFile(fd, file, kind));
  } finally {
    fs.closeSync(fd);
  }
}

function readSize(file: string, kind: RecordKind): number {
  return readHeader(file, kind).size;
}

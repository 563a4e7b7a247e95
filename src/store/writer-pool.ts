// The recorder's open real-time files: one RtWriter per (kind, exchange, code), opened
// lazily, at most `maxOpenFiles` mapped at once, rolled to a new file when the trading
// date moves on.
//
// EVICTION (more instruments than open mappings): the open writers form a list from the
// most to the least recently written (intrusive links in each entry). A write moves its
// entry to the front (a few pointer stores, skipped when it is already there); making
// room closes the last one. Both are O(1): the scan of every open file that this
// replaced made 5,000 instruments over a 4,096 limit collapse the recorder (issue 18).

import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../assert.js';
import { TickrecError } from '../errors.js';
import { ALL_KINDS, type RecordKind, type Rec } from '../format/index.js';
import { rtFilePath } from './paths.js';
import { setAside } from './roll.js';
import { probeRtFile, readRtTradingDate } from './rt-file.js';
import { CreateDurability } from './durable.js';
import { DEFAULT_INITIAL_CAPACITY, RtWriter } from './rt-writer.js';

export interface WriterPoolOptions {
  maxOpenFiles: number;
  /** Initial capacity of new files by kind name. */
  initialCapacity: Partial<Record<string, number>>;
  onRoll?: (info: { kind: string; exchg: string; code: string; date: number; to: string | undefined }) => void;
  onRepair?: (message: string) => void;
  /** Told of a live file found by scan() that cannot be read (it stays untouched). */
  onProblem?: (message: string) => void;
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
  private durabilityError: Error | undefined;

  constructor(
    readonly root: string,
    private readonly opts: WriterPoolOptions,
  ) {
    this.durability = new CreateDurability(opts.onDurabilityError ?? ((err) => (this.durabilityError ??= err)));
  }

  /** New files whose background fsyncs are queued or running. */
  get creationsInFlight(): number {
    return this.durability.inFlight;
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
   * (set aside in rt/…/<DATE>/ or compacted into his/…/<DATE>/): a late or replayed
   * record never reopens a finished day.
   */
  append(kind: RecordKind, exchg: string, code: string, date: number, rec: object): boolean {
    const w = this.writerFor(kind, exchg, code, date);
    if (!w) return false;
    w.append(rec);
    return true;
  }

  /**
   * Appends records already encoded (`bytes`: whole records of the kind, as in a file),
   * with the same rules as append(): rolls an older live file first; returns false,
   * writing nothing, when that day is already finished. For copies of another root's
   * records (the bus mirror): the bytes go to the file unchanged.
   */
  appendRaw(kind: RecordKind, exchg: string, code: string, date: number, bytes: Uint8Array): boolean {
    const w = this.writerFor(kind, exchg, code, date);
    if (!w) return false;
    w.appendRaw(bytes);
    return true;
  }

  /** The writer a record of trading date `date` goes to (the rules of append()), or undefined for a finished day. */
  private writerFor(kind: RecordKind, exchg: string, code: string, date: number): RtWriter | undefined {
    const e = this.entry(kind, exchg, code);
    if (e.date !== 0 && e.date < date) this.roll(e);
    if (e.date === 0 && this.dayFinished(e, date)) return undefined;
    if (e.date > date) {
      throw new TickrecError(
        'E_FIELD',
        `${e.path}: a record of trading date ${date} for a file of ${e.date}; records of a finished day cannot be appended.`,
        { file: e.path },
      );
    }
    return this.writerOf(e, date);
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
    const day = String(date);
    const dir = path.dirname(e.path);
    if (fs.existsSync(path.join(dir, day, `${e.code}.dmb`))) return true;
    if (this.opts.inHistory) return this.opts.inHistory(e.kind.name, e.exchg, e.code, date);
    return fs.existsSync(path.join(this.root, 'his', e.kind.folder, e.exchg, day, `${e.code}.dsb`));
  }

  /** Rolls every live file for which `isFinished(kind, exchg, code, date)` says its day is over. */
  rollFinished(isFinished: (kind: RecordKind, exchg: string, code: string, date: number) => boolean): number {
    let rolled = 0;
    for (const byExchg of this.entries.values())
      for (const byCode of byExchg.values())
        for (const e of byCode.values()) {
          if (e.date !== 0 && isFinished(e.kind, e.exchg, e.code, e.date)) {
            this.roll(e);
            rolled++;
          }
        }
    return rolled;
  }

  /** Finds the live files already under the root (after a restart), without opening them. */
  scan(): number {
    let found = 0;
    for (const kindDir of safeList(path.join(this.root, 'rt'))) {
      const kind = [...this.kinds()].find((k) => k.folder === kindDir);
      if (!kind) continue;
      for (const exchg of safeList(path.join(this.root, 'rt', kindDir))) {
        for (const file of safeList(path.join(this.root, 'rt', kindDir, exchg))) {
          if (!file.endsWith('.dmb')) continue;
          const code = file.slice(0, -4);
          let e: Entry;
          try {
            e = this.entry(kind, exchg, code);
          } catch (err) {
            // a name tickrec would not have written, or a damaged header: left alone
            this.opts.onProblem?.(`scan: ${path.join(this.root, 'rt', kindDir, exchg, file)} left alone: ${(err as Error).message}`);
            continue;
          }
          if (e.date === 0) e.date = readDate(e.path, kind);
          found++;
        }
      }
    }
    return found;
  }

  /** Starts a background fdatasync of every open file (see RtWriter.syncInBackground). */
  syncAllInBackground(onError?: (err: Error) => void): void {
    for (let e = this.newest; e; e = e.older) e.writer!.syncInBackground(onError);
  }

  closeAll(): void {
    while (this.oldest) this.close(this.oldest);
    assert(this.open === 0 && this.newest === undefined, 'every open writer was in the list');
    this.durability.flush(); // what the background had not done yet
    const err = this.durabilityError;
    this.durabilityError = undefined;
    if (err) throw err;
  }

  private *kinds(): IterableIterator<RecordKind> {
    yield* ALL_KINDS;
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
        date: fs.existsSync(p) ? readDate(p, kind) : 0,
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
    const w = RtWriter.open(e.path, {
      kind: e.kind,
      date,
      initialCapacity: firstCapacity(
        this.opts.initialCapacity[e.kind.name] ?? DEFAULT_INITIAL_CAPACITY[e.kind.name] ?? 1024,
        e.lastDayRecords,
      ),
      ...(this.opts.onRepair ? { onRepair: this.opts.onRepair } : {}),
      durability: this.durability,
    });
    e.writer = w;
    e.date = w.date;
    this.link(e);
    this.open++;
    return w;
  }

  private roll(e: Entry): void {
    let published: number;
    if (e.writer) {
      published = e.writer.size;
      this.close(e);
    } else {
      published = readSize(e.path, e.kind);
    }
    e.lastDayRecords = published;
    const to = setAside(e.path, e.date, published);
    this.opts.onRoll?.({ kind: e.kind.name, exchg: e.exchg, code: e.code, date: e.date, to });
    e.date = 0;
  }

  private close(e: Entry): void {
    e.writer!.close();
    e.writer = undefined;
    this.unlink(e);
    this.open--;
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
 * the configured initial capacity; the configured one when its past is unknown. Most
 * codes of a whole-market session (deep out-of-the-money options) trade a few times a
 * day: 20,000 files of 2,500 ticks reserve 24 GiB, of 64 ticks 0.6 GiB. Growth by
 * doubling stays the rule for a day busier than the last.
 */
export function firstCapacity(configured: number, lastDayRecords: number): number {
  if (lastDayRecords < 0) return configured;
  let c = FIRST_CAPACITY_MIN;
  const want = Math.ceil(lastDayRecords * 1.25);
  while (c < want) c *= 2;
  return Math.min(c, configured);
}

/** Smallest first file sized from history: 64 records (32 KiB of ticks). */
export const FIRST_CAPACITY_MIN = 64;

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
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

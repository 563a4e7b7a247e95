// The recorder's open real-time files: one RtWriter per (kind, exchange, code), opened
// lazily, at most `maxOpenFiles` mapped at once (the least recently written is synced
// and closed beyond that), rolled to a new file when the trading date moves on.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError } from '../errors.js';
import { ALL_KINDS, type RecordKind, type Rec } from '../format/index.js';
import { rtFilePath } from './paths.js';
import { setAside } from './roll.js';
import { probeRtFile, readRtTradingDate } from './rt-file.js';
import { RtWriter } from './rt-writer.js';

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
}

interface Entry {
  readonly kind: RecordKind;
  readonly exchg: string;
  readonly code: string;
  readonly path: string;
  writer: RtWriter | undefined;
  /** Trading date of the live file (0 = no live file). */
  date: number;
  lastUsed: number;
}

export class WriterPool {
  private readonly entries = new Map<RecordKind, Map<string, Map<string, Entry>>>();
  private open = 0;
  private tick = 0;

  constructor(
    readonly root: string,
    private readonly opts: WriterPoolOptions,
  ) {}

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
    const e = this.entry(kind, exchg, code);
    if (e.date !== 0 && e.date < date) this.roll(e);
    if (e.date === 0 && this.dayFinished(e, date)) return false;
    if (e.date > date) {
      throw new TickrecError(
        'E_FIELD',
        `${e.path}: a record of trading date ${date} for a file of ${e.date}; records of a finished day cannot be appended.`,
        { file: e.path },
      );
    }
    this.writerOf(e, date).append(rec);
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
    for (const e of this.openEntries()) e.writer!.syncInBackground(onError);
  }

  closeAll(): void {
    for (const e of this.openEntries()) this.close(e);
  }

  private *kinds(): IterableIterator<RecordKind> {
    yield* ALL_KINDS;
  }

  private *openEntries(): IterableIterator<Entry> {
    for (const byExchg of this.entries.values())
      for (const byCode of byExchg.values()) for (const e of byCode.values()) if (e.writer) yield e;
  }

  private entry(kind: RecordKind, exchg: string, code: string): Entry {
    let byExchg = this.entries.get(kind);
    if (!byExchg) this.entries.set(kind, (byExchg = new Map<string, Map<string, Entry>>()));
    let byCode = byExchg.get(exchg);
    if (!byCode) byExchg.set(exchg, (byCode = new Map<string, Entry>()));
    let e = byCode.get(code);
    if (!e) {
      const p = rtFilePath(this.root, kind, exchg, code); // applies the name rule
      e = { kind, exchg, code, path: p, writer: undefined, date: fs.existsSync(p) ? readDate(p, kind) : 0, lastUsed: 0 };
      byCode.set(code, e);
    }
    return e;
  }

  private writerOf(e: Entry, date: number): RtWriter {
    e.lastUsed = ++this.tick;
    if (e.writer) return e.writer;
    if (this.open >= this.opts.maxOpenFiles) this.evict();
    const w = RtWriter.open(e.path, {
      kind: e.kind,
      date,
      ...(this.opts.initialCapacity[e.kind.name] !== undefined ? { initialCapacity: this.opts.initialCapacity[e.kind.name]! } : {}),
      ...(this.opts.onRepair ? { onRepair: this.opts.onRepair } : {}),
    });
    e.writer = w;
    e.date = w.date;
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
    const to = setAside(e.path, e.date, published);
    this.opts.onRoll?.({ kind: e.kind.name, exchg: e.exchg, code: e.code, date: e.date, to });
    e.date = 0;
  }

  private close(e: Entry): void {
    e.writer!.close();
    e.writer = undefined;
    this.open--;
  }

  private evict(): void {
    let oldest: Entry | undefined;
    for (const e of this.openEntries()) if (!oldest || e.lastUsed < oldest.lastUsed) oldest = e;
    if (oldest) this.close(oldest);
  }
}

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

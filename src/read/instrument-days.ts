// One instrument's sources of records (live file, bar histories, his day blocks, finished rt files), opened as the races with the recorder and compaction need, and the records of one trading date read from them by precedence.
//
// PRECEDENCE, per trading date (src/read/segments.ts puts the dates in time order). A
// kind's his/ is either day blocks (ticks, trades) or a bar history (bars), never both
// (src/read/sources.ts):
// - his/ holds the day (a day block, or the day in the bar history): it is taken, and a
//   finished rt file of the same day (left by a compaction killed before it released
//   it; compaction checked that both hold the same records) is not read;
// - else the finished rt files of the day: <CODE>.dmb and <CODE>~<n>.dmb are merged in
//   time-key order, dropping a record byte-identical to one already taken with the same
//   key (compaction's rule, so a day reads the same before and after compaction);
// - the live file, for the trading date in its header, merged in the same way when
//   another source holds that date too (it does not in a root the recorder wrote).
// Day bars: his/day, else built from the day's last tick (finished or live tick files)
// as compaction builds them.
//
// RACES with the recorder and with compaction, which run meanwhile:
// - the live file is opened first; a roll (rename to the dated folder) after that leaves
//   the open file the same inode, whose size is loaded last, after the writer stopped
//   appending to it; a finished file with that inode is skipped;
// - a live file that rolled between the listing and its opening (another inode than the
//   listed one, or no file) makes the instrument be listed again;
// - a finished file removed by compaction after the listing is read from his/ instead
//   (compaction writes and checks his/ before it removes anything).

import path from 'node:path';
import fs from 'node:fs';
import { dayBarFromTicks } from '../his/index.js';
import { Mem, isCalendarDate, mergeByKey, type RecordKind } from '../format/index.js';
import { BarHistory, hisDayFile, hisHistoryFile, readHisBlock } from '../his/index.js';
import { czceContractCode, isCzce3DigitCode, parseHisName, rtFilePath } from '../layout/index.js';
import { RtReader } from '../store/index.js';
import type { ReadKind } from './kinds.js';
import type { KeyRange } from './range.js';
import { listKind, type Listing } from './sources.js';

const EMPTY = new Uint8Array(new ArrayBuffer(0));

/**
 * The open sources of one instrument over a query. `dates` lists the trading dates they
 * hold; read(d) gives the records of one of them. close() releases every file (the
 * constructor releases what it opened when it throws).
 */
export class InstrumentDays {
  readonly kind: ReadKind;
  readonly exchange: string;
  readonly code: string;
  /** Trading dates some source holds, from the range's first date on, ascending. */
  readonly dates: readonly number[];
  private readonly root: string;
  /** Day bars: no rt files of their own; the rt side is the tick files (listing.ticks). */
  private readonly tickSide: boolean;
  private readonly rtKind: RecordKind | undefined;
  private readonly live: RtReader | undefined;
  /** The live file's trading date, when it holds records. */
  private readonly liveDate: number | undefined;
  private readonly hisDays: ReadonlyMap<number, string>;
  private readonly finished: ReadonlyMap<number, readonly string[]>;
  private readonly histories: BarHistory[] = [];
  private readonly historyOf: ReadonlyMap<number, BarHistory>;

  constructor(listing: Listing, code: string, range: KeyRange) {
    const { kind, root, exchange } = listing;
    this.kind = kind;
    this.root = root;
    this.exchange = exchange;
    this.code = code;
    this.tickSide = kind.name === 'day';
    const rtKind = this.tickSide ? listing.ticks!.kind.rt! : kind.rt;
    this.rtKind = rtKind;
    // LIVE FIRST: opened before anything else is looked at, it pins the inode (RACES above).
    this.live = rtKind ? openLive(rtFilePath(root, rtKind, exchange, code), rtKind) : undefined;
    try {
      const rtListing = (l: Listing) => (this.tickSide ? l.ticks! : l);
      const listedIno = rtListing(listing).liveIno.get(code);
      if (listedIno !== undefined && this.live?.ino !== listedIno) {
        // Rolled since the listing (another file, or none yet): its day is in a dated folder the listing may not have seen.
        listing = listKind(root, kind, exchange, code, range);
      }
      const conflict = listing.conflicts.get(code);
      if (conflict) throw conflict;
      this.hisDays = listing.hisDays.get(code) ?? new Map<number, string>();
      this.finished = rtListing(listing).finished.get(code) ?? new Map<number, string[]>();
      // The bar history of the code, and of a CZCE 3-digit code the older contracts' (one file
      // per real contract, src/compact/contract-history.ts): each trading date from the file
      // of the contract the code names on it.
      const historyFiles = [listing.histories.get(code), ...(listing.retired.get(code) ?? [])].filter((f) => f !== undefined);
      for (const f of historyFiles) this.histories.push(BarHistory.open(f, kind.his));
      this.historyOf = historyByDate(this.histories, exchange, code);
      this.liveDate = this.live && this.live.length > 0 ? this.live.date : undefined;
      const all = new Set<number>([...this.hisDays.keys(), ...this.historyOf.keys(), ...this.finished.keys()]);
      if (this.liveDate !== undefined) all.add(this.liveDate);
      this.dates = [...all].filter((d) => d >= range.firstDate).sort((a, b) => a - b);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * The bar history that alone holds trading date d, or undefined: d is read from another
   * source, or merged with the live file (a bar history and a live file of the same date).
   * Day bars of the live date come from his/day when it has them (compaction wrote them).
   */
  historyOnly(d: number): BarHistory | undefined {
    return this.tickSide || d !== this.liveDate ? this.historyOf.get(d) : undefined;
  }

  /** The raw records of trading date d, whole and in time-key order (PRECEDENCE above). */
  read(d: number): Uint8Array {
    const history = this.historyOnly(d);
    if (history) return history.read(d, d);
    return this.tickSide ? this.dayBarFromTickFiles(d) : this.mergedDay(d);
  }

  close(): void {
    this.live?.close();
    for (const h of this.histories) h.close();
  }

  /** Day d of a kind with rt files: his/, else its finished files; and the live file's records of d. */
  private mergedDay(d: number): Uint8Array {
    const parts: Uint8Array[] = [];
    const hd = this.hisDays.get(d);
    if (hd !== undefined) parts.push(readHisBlock(hd, { expected: this.kind.his }).records);
    else if (this.historyOf.has(d)) parts.push(this.historyOf.get(d)!.read(d, d));
    else {
      for (const f of this.finished.get(d) ?? []) {
        const recs = finishedRecords(f, this.rtKind!, this.live?.ino);
        if (recs === undefined) {
          // Compacted meanwhile: the whole day is in his/ now (RACES above).
          parts.length = 0;
          parts.push(this.fromHisAgain(d));
          break;
        }
        parts.push(recs);
      }
    }
    if (this.live && d === this.liveDate) parts.push(this.live.rawRecords(0, this.live.length));
    return mergeDay(this.kind, parts);
  }

  /** Day bar of trading date d that his/day does not hold: from the last tick of the day's tick files, as compaction builds it. */
  private dayBarFromTickFiles(d: number): Uint8Array {
    const tickKind = this.rtKind!;
    const tickRs = tickKind.recordBytes;
    let last: Uint8Array | undefined;
    let lastKey = -Infinity;
    const consider = (recs: Uint8Array) => {
      if (recs.length === 0) return;
      const at = recs.length - tickRs;
      const k = tickKind.keyAt(new Mem(recs), at);
      if (k >= lastKey) {
        lastKey = k;
        last = recs.subarray(at);
      }
    };
    for (const f of this.finished.get(d) ?? []) {
      const recs = finishedRecords(f, tickKind, this.live?.ino);
      if (recs === undefined) return this.fromHisAgain(d); // compacted meanwhile: its day bar is in his/day now
      consider(recs);
    }
    if (this.live && d === this.liveDate) consider(this.live.rawRecords(0, this.live.length));
    return last ? dayBarFromTicks(last, d) : EMPTY;
  }

  /** Re-reads day d from his/ after its finished rt file vanished (compacted meanwhile). */
  private fromHisAgain(d: number): Uint8Array {
    const { root, exchange, code } = this;
    const his = this.kind.his;
    if (his.layout === 'daily') {
      const f = hisDayFile(root, his, exchange, d, code);
      return f !== undefined ? readHisBlock(f, { expected: his }).records : EMPTY;
    }
    const files = [hisHistoryFile(root, his, exchange, code)];
    if (isCzce3DigitCode(exchange, code) && isCalendarDate(d))
      files.unshift(hisHistoryFile(root, his, exchange, czceContractCode(code, d)));
    for (const f of files) {
      if (f === undefined) continue;
      const h = BarHistory.open(f, his);
      try {
        const day = h.readDay(d);
        if (day) return day;
      } finally {
        h.close();
      }
    }
    return EMPTY;
  }
}

/** Merges parts of one day by compaction's rule (src/format/merge.ts): time-key order, stable by part, byte-identical duplicates of a key dropped. */
export function mergeDay(kind: ReadKind, parts: readonly Uint8Array[]): Uint8Array {
  return mergeByKey(kind, parts).records;
}

function isMissing(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === 'ENOENT' || e?.cause?.code === 'ENOENT';
}

function openLive(file: string, kind: RecordKind): RtReader | undefined {
  if (!fs.existsSync(file)) return undefined; // the common case in a history-only root: no error object made
  try {
    return RtReader.open(file, { kind });
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** Published records of a finished rt file, or undefined when the file is gone (compacted meanwhile). */
function finishedRecords(file: string, kind: RecordKind, skipIno: number | undefined): Uint8Array | undefined {
  let r: RtReader;
  try {
    r = RtReader.open(file, { kind });
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  try {
    // EACH RECORD ONCE: the live file, set aside meanwhile, is read through the live reader (RACES above).
    if (skipIno !== undefined && r.ino === skipIno) return EMPTY;
    return r.rawRecords(0, r.length);
  } finally {
    r.close();
  }
}

/**
 * Trading date → the bar history that holds it. One history: each of its days. Several
 * (a CZCE 3-digit code and its retired contracts): a day held by more than one comes
 * from the file of the contract the code names on that date (src/layout/czce.ts), so
 * the datakit-named file never lends a day to another contract.
 */
function historyByDate(histories: readonly BarHistory[], exchange: string, code: string): Map<number, BarHistory> {
  const out = new Map<number, BarHistory>();
  const czce = histories.length > 1 && isCzce3DigitCode(exchange, code);
  for (const h of histories) {
    for (const { date } of h.days()) {
      const had = out.get(date);
      if (had === undefined) out.set(date, h);
      else if (czce && isCalendarDate(date) && parseHisName(path.basename(h.path)) === czceContractCode(code, date)) out.set(date, h);
    }
  }
  return out;
}

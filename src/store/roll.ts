// THE DAY ROLL: when a trading day ends for an instrument, what happens to its files, what a late record gets, what readers see. Every part of tickrec that rolls, refuses or crosses a day calls this module.
//
// WHEN A DAY ENDS (a live file's trading date `D` is over) — three ways, all ending in roll():
//   1. BY THE NEXT RECORD: a record of a later trading date `D' > D` arrives for the
//      instrument (WriterPool.append/appendRaw). The trading date of a record is the
//      recorder's (rule N5, src/calendar/trading-day.ts), never the feed's clock.
//   2. BY THE CLOCK (storage.roll_by_clock, default on): the session's trading date at
//      `now - delay` is later than D (dayOverByClock below). `delay` is
//      storage.roll_grace_ms (default 60 s: a feed behind the recorder's clock still
//      delivers its last records) and, for bar files and closed-event files, LiveBars'
//      rollDelayMs on top (a UTC session's last bar closes just after midnight). An
//      instrument without a session rolls only by 1. Checked at start (before the first
//      record) and every second (the recorder; LiveBars for closed-event files).
//   3. BY AN OUTSIDE WORD: the bus's end-of-day marker on a mirror (WriterPool.finish).
//
// WHAT HAPPENS TO ITS FILES (setAside): the writer msyncs and closes the file, then it is
// renamed, intact, into the dated folder beside it and both folders are fsynced:
//   live:     rt/<folder>/<EXCHG>/<CODE>.dmb
//   finished: rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb     (YYYYMMDD = D, the header's date)
// Closed-bar events (rt/closed/<SESSION>.dmb) roll the same way by their session's date.
// A file with no published record is removed instead (so is a file prepared ahead for a
// day that brought it no record: PREPARED FILES in writer-pool.ts, made for the date the
// clock roll counts as current, src/recorder/prepare-day.ts). An existing finished file is never
// overwritten: a second file of the same day (a replayed day, a clock error) goes next to
// it as <CODE>~<n>.dmb, n = 1, 2, ... (names: src/layout/root.ts finishedPath), and
// setAsideFiles lists them in order. A finished file's records are never rewritten.
//
// WHAT A LATE RECORD GETS: a record of a day already finished for its instrument — set
// aside in rt/…/<D>/ or compacted into his/…/<D>/ (dayFinished below) — is refused
// (append returns false; the recorder counts it as rejection 'out_of_order', bars as a
// bar not written); a finished day is never reopened and never gets a new live file. A
// record of a day EARLIER than the live file's is refused with E_FIELD
// (olderRecordError; the recorder counts a write error): it cannot be appended.
//
// WHAT READERS SEE:
//   - a follower (rt-follow.ts) learns of the roll when the live path no longer names the
//     inode it holds; it loads `size` one last time (the writer appends nothing after the
//     rename, so that load sees every record), delivers the rest, and goes on with the
//     new file at the path from its first record. A file moved over the path that is not
//     a later day of the same instrument is not a roll: E_REPLACED (NOT A ROLL there).
//   - `tickrec publish` (src/bus/publisher.ts) sends the rest of the rolled file, then the
//     end-of-day marker, then the next day's file; a mirror rolls on that marker (3.).
//   - compaction (src/compact) takes only files in dated folders: a finished day is
//     complete, so it is compacted whole, every ~<n> file of the day with it.
//   - bars (src/bars): bar files roll through the writer pool like tick files; a restart
//     replays a day's last ticks from the file it was set aside as (lastSetAside).

import fs from 'node:fs';
import path from 'node:path';
import { localDateTime, tradingDateOf, type Session } from '../calendar/index.js';
import { TickrecError, ioError } from '../errors.js';
import { syncDir } from '../fsync.js';
import { HIS_EXT, TICKREC_HIS_EXT, finishedPath, hisDayPath, rtFinishedPath, type KindFolder } from '../layout/index.js';

/**
 * Moves a closed live file to its finished place and returns where it went. An empty
 * file (no published record) is removed instead: there is nothing to keep. The two
 * folders are fsynced before it returns, or, given `dirs`, added to it for the caller to
 * sync once per batch (ROLL IN A BATCH, WriterPool): a rename that a power loss undoes
 * leaves the file at its live name with its old date, which the next start rolls again.
 */
export function setAside(livePath: string, date: number, published: number, dirs?: Set<string>): string | undefined {
  try {
    if (published === 0) {
      fs.rmSync(livePath, { force: true });
      return undefined;
    }
    let dest = finishedPath(livePath, date);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    for (let n = 1; fs.existsSync(dest); n++) dest = finishedPath(livePath, date, n);
    fs.renameSync(livePath, dest);
    if (dirs) {
      // ROLL IN A BATCH: the caller syncs each folder once for all the files it rolls
      dirs.add(path.dirname(dest));
      dirs.add(path.dirname(livePath));
    } else {
      syncDir(path.dirname(dest));
      syncDir(path.dirname(livePath));
    }
    return dest;
  } catch (err) {
    throw ioError(err, livePath, 'set aside the finished day');
  }
}

/** Every file a live file's day `date` was set aside as, in order (<CODE>.dmb, then ~1, ~2, ...); [] when none. */
export function setAsideFiles(livePath: string, date: number): string[] {
  const out: string[] = [];
  for (let n = 0; ; n++) {
    const p = finishedPath(livePath, date, n);
    if (!fs.existsSync(p)) return out;
    out.push(p);
  }
}

/**
 * Whether a record of file `file` of day `date` (a publisher's day file n, the bus's
 * Tickrec-File) may start a new live file of a day already set aside here: only as that
 * day's next file, i.e. when exactly `file` files of the day are set aside (file > 0).
 * Anything else is a late record of a finished day (WHAT A LATE RECORD GETS).
 */
export function isNextFileOfDay(livePath: string, date: number, file: number): boolean {
  return file > 0 && setAsideFiles(livePath, date).length === file;
}

/** The last file a live file's day `date` was set aside as (the one written last), or undefined. */
export function lastSetAside(livePath: string, date: number): string | undefined {
  const all = setAsideFiles(livePath, date);
  return all[all.length - 1];
}

/**
 * Whether day `date` of an instrument is finished (a late record of it is refused): set
 * aside in rt/ or, by `inHistory` (default: a his day file exists), compacted into his/.
 */
export function dayFinished(
  root: string,
  kind: KindFolder & { readonly name: string },
  exchg: string,
  code: string,
  date: number,
  inHistory?: (kindName: string, exchg: string, code: string, date: number) => boolean,
): boolean {
  if (fs.existsSync(rtFinishedPath(root, kind, exchg, date, code))) return true;
  if (inHistory) return inHistory(kind.name, exchg, code, date);
  // Either name of a day block (src/his/names.ts: datakit's .dsb, tickrec's .tsb).
  return (
    fs.existsSync(hisDayPath(root, kind, exchg, date, code, HIS_EXT)) ||
    fs.existsSync(hisDayPath(root, kind, exchg, date, code, TICKREC_HIS_EXT))
  );
}

/** The refusal of a record older than the live file's day (WHAT A LATE RECORD GETS). */
export function olderRecordError(livePath: string, date: number, liveDate: number): TickrecError {
  return new TickrecError(
    'E_FIELD',
    `${livePath}: a record of trading date ${date} for a file of ${liveDate}; records of a finished day cannot be appended.`,
    { file: livePath },
  );
}

/** The session's trading date by the clock at `nowMs - delayMs` (WHEN A DAY ENDS, 2.): a live file of an earlier date is over. */
export function tradingDateByClock(session: Session, holidays: ReadonlySet<number>, nowMs: number, delayMs: number): number {
  const l = localDateTime(nowMs - delayMs, session.timezone);
  return tradingDateOf(session, l.date, l.time, holidays);
}

/** Whether a live file of trading date `date` is over by the clock (WHEN A DAY ENDS, 2.). */
export function dayOverByClock(session: Session, holidays: ReadonlySet<number>, date: number, nowMs: number, delayMs: number): boolean {
  return date < tradingDateByClock(session, holidays, nowMs, delayMs);
}

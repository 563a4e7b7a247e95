// Preparing a trading day's files before its session opens (storage.prepare_files, issue 18).
//
// At a session open every instrument's first tick of the new trading day arrives within a
// second or two; each used to create its files (tick, trade, bars) on the event loop, which
// put the recorder tens of seconds behind exactly at the open. Between sessions the
// recorder is idle, so it creates those files then (WriterPool.prepare, PREPARED FILES in
// src/store/writer-pool.ts) and the open's first ticks only open and append.
//
// WHICH FILES: each (kind, instrument) whose last finished day had records and that has no
// live file now (WriterPool.preparable: the days this recorder rolled, and after a restart
// the newest dated folder under rt/), sized from that day; plus the tick file of every
// instrument named in a feed's subscription list (not "*") that has no live file, at the
// smallest first size (FIRST_CAPACITY_MIN: it doubles if the day is busy); and beside
// each tick file, the instrument's bar files (alongTicks).
// WHICH DAY: the trading date that the roll rule (Recorder.rollFinished) counts as current
// for that file now, `dateOf`, when it is a trading day. A file of that day is never set
// aside before the day ends, and a record of an earlier day is one the roll rule already
// counts as finished. Nothing is prepared on a weekend or holiday (a 24-hour session
// trades then under the calendar date), nor for an instrument without a session (rolled
// by its first record of a new day). A night session's day begins the evening before
// (day_starts, 20:00 in China): its files are made between that and the open.
// OFF THE HOT PATH: the work is done in slices of at most SLICE_MS, one every PAUSE_MS
// (at most a fifth of the event loop while files are being made); the list of candidates
// is made again every RESCAN_MS while there is nothing left to do. Files unused by their
// day hold no record and are removed at its roll, as any empty live file.

import type { RecordKind } from '../format/index.js';
import { TICK_KIND } from '../format/index.js';
import type { WriterPool } from '../store/index.js';

/** Longest stretch of file making in one turn of the event loop, ms. */
export const PREPARE_SLICE_MS = 10;
/** Pause between two slices, ms. */
export const PREPARE_PAUSE_MS = 40;
/** How often the candidates are listed again once everything listed was done, ms. */
export const PREPARE_RESCAN_MS = 5_000;

interface Candidate {
  kind: RecordKind;
  exchg: string;
  code: string;
  /** Records expected (sizes the file), undefined: the pool's own knowledge. */
  expect: number | undefined;
}

export interface DayPreparerOptions {
  pool: WriterPool;
  /** The trading date the roll rule counts as current for this file at `nowMs`; undefined: no session (never prepared). */
  dateOf: (kind: RecordKind, exchg: string, code: string, nowMs: number) => number | undefined;
  /**
   * Called once per instrument before its tick file is prepared: the recorder writes (or
   * reads back) the instrument's metadata in the data root here, which its first tick
   * would otherwise do on the hot path, with an fsync when volumes are stored in units
   * finer than 1 (src/meta/root.ts).
   */
  instrument?: (exchg: string, code: string) => void;
  /** Instruments named in the feeds' subscription lists (tick files are prepared for them). */
  subscribed: () => Iterable<{ exchg: string; code: string }>;
  /**
   * Kinds made beside each tick file prepared (the bar periods when bars are on): without
   * them the first bar close after the open made every instrument's bar files in one
   * timer turn (5,000 instruments: seconds of stall; issue 18). Sized as the tick file's
   * last day (a day has no more bars than ticks), else their configured first size.
   */
  alongTicks?: readonly RecordKind[];
  now: () => number;
  /** A file that could not be made (the instrument's first record will try again, and say why). */
  onProblem: (message: string) => void;
  /** A pass that made files is over: how many, for which dates, how long it took. */
  onPass: (pass: { files: number; dates: number[]; ms: number }) => void;
}

export class DayPreparer {
  private todo: Candidate[] = [];
  /** Candidates of soon(), done first. */
  private urgent: Candidate[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastScanMs = Number.NEGATIVE_INFINITY;
  private stopped = false;
  /** The pass under way: files made, their dates, when it started. */
  private pass = { files: 0, dates: new Set<number>(), startMs: 0 };
  /** Problems told, by file, so that a failing file is not told every RESCAN_MS. */
  private readonly told = new Set<string>();

  constructor(private readonly opts: DayPreparerOptions) {}

  /**
   * An instrument seen for the first time in this run: its files of `alongTicks` (its bar
   * files) are made in the next slices, before the rest of the list, so that the first bar
   * close after a burst of new instruments does not make them all in one turn.
   */
  soon(exchg: string, code: string): void {
    for (const kind of this.opts.alongTicks ?? []) this.urgent.push({ kind, exchg, code, expect: undefined });
  }

  /** Starts the slices (a timer that does not keep the process alive). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.slice(), PREPARE_PAUSE_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One slice: lists the candidates when due, then prepares files for up to `budgetMs`. Returns files made. */
  slice(budgetMs = PREPARE_SLICE_MS): number {
    const t0 = performance.now();
    let made = 0;
    if (this.urgent.length > 0) {
      made += this.makeUrgent(t0, budgetMs);
      if (this.urgent.length > 0) return made;
    }
    if (this.next >= this.todo.length) {
      if (this.opts.now() - this.lastScanMs < PREPARE_RESCAN_MS) return 0;
      this.list();
      if (this.todo.length === 0) return 0;
      this.pass = { files: 0, dates: new Set(), startMs: t0 };
    }
    const nowMs = this.opts.now();
    const { pool } = this.opts;
    while (this.next < this.todo.length && performance.now() - t0 < budgetMs) {
      const c = this.todo[this.next++]!;
      const date = this.opts.dateOf(c.kind, c.exchg, c.code, nowMs);
      if (date === undefined) continue;
      try {
        if (c.kind === TICK_KIND && pool.liveDate(c.kind, c.exchg, c.code) === 0) this.opts.instrument?.(c.exchg, c.code);
        if (pool.prepare(c.kind, c.exchg, c.code, date, c.expect)) {
          made++;
          this.pass.files++;
          this.pass.dates.add(date);
        }
      } catch (err) {
        const key = `${c.kind.name}/${c.exchg}/${c.code}`;
        if (!this.told.has(key)) {
          this.told.add(key);
          this.opts.onProblem(
            `prepare: the ${c.kind.name} file of ${c.exchg}.${c.code} for ${date} was not made: ${(err as Error).message}`,
          );
        }
      }
    }
    if (this.next >= this.todo.length && this.pass.files > 0) {
      this.opts.onPass({ files: this.pass.files, dates: [...this.pass.dates].sort(), ms: performance.now() - this.pass.startMs });
      this.pass.files = 0;
    }
    return made;
  }

  /** soon()'s candidates for up to `budgetMs` since `t0`; returns files made. */
  private makeUrgent(t0: number, budgetMs: number): number {
    const nowMs = this.opts.now();
    let made = 0;
    let i = 0;
    for (; i < this.urgent.length && performance.now() - t0 < budgetMs; i++) {
      const c = this.urgent[i]!;
      const date = this.opts.dateOf(c.kind, c.exchg, c.code, nowMs);
      if (date === undefined) continue;
      try {
        if (this.opts.pool.prepare(c.kind, c.exchg, c.code, date)) made++;
      } catch (err) {
        this.opts.onProblem(`prepare: the ${c.kind.name} file of ${c.exchg}.${c.code} for ${date} was not made: ${(err as Error).message}`);
      }
    }
    this.urgent = this.urgent.slice(i);
    return made;
  }

  /** Runs slices until everything listed now is done (tests, and a recorder that starts just before an open). */
  drain(): number {
    this.lastScanMs = Number.NEGATIVE_INFINITY;
    let made = this.slice(Number.POSITIVE_INFINITY);
    while (this.next < this.todo.length) made += this.slice(Number.POSITIVE_INFINITY);
    return made;
  }

  private list(): void {
    this.lastScanMs = this.opts.now();
    const todo: Candidate[] = [];
    const seen = new Set<string>();
    const pool = this.opts.pool;
    const along = this.opts.alongTicks ?? [];
    const push = (c: Candidate) => {
      const key = `${c.kind.name}/${c.exchg}.${c.code}`;
      if (seen.has(key)) return;
      seen.add(key);
      todo.push(c);
      if (c.kind !== TICK_KIND) return;
      for (const kind of along) {
        const k = `${kind.name}/${c.exchg}.${c.code}`;
        if (seen.has(k) || pool.liveDate(kind, c.exchg, c.code) !== 0) continue;
        seen.add(k);
        todo.push({ kind, exchg: c.exchg, code: c.code, expect: c.expect });
      }
    };
    for (const p of pool.preparable())
      push({ kind: p.kind, exchg: p.exchg, code: p.code, expect: p.kind === TICK_KIND ? p.lastDayRecords : undefined });
    for (const s of this.opts.subscribed()) {
      try {
        if (pool.liveDate(TICK_KIND, s.exchg, s.code) !== 0) continue;
      } catch {
        continue; // a name tickrec does not store: its ticks are refused by rule N1 anyway
      }
      push({ kind: TICK_KIND, exchg: s.exchg, code: s.code, expect: 0 });
    }
    this.todo = todo;
    this.next = 0;
  }
}

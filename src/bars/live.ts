// LiveBars: the recorder's side of the bars: a BarEngine whose bars go to the writer pool (rt/min1, rt/min5, ...) and whose closed events go to rt/closed/<SESSION>.dmb, plus recovery of the open bars from the tick files after a restart.
//
// LIFECYCLE (the recorder wires it; docs/bars.md "In the recorder"):
//   new LiveBars(...)  after the writer pool has scanned and rolled the finished days;
//   recover(nowMs)     once, before the first tick: for every live tick file, the open
//                      bars are rebuilt from the ticks written after the instrument's last
//                      published bar, so a restart (even after kill -9) neither loses nor
//                      repeats a bar; closed-event files of finished days are rolled;
//   onTick(tick)       after each tick is written (never for a tick that was not);
//   onTimer(nowMs)     every timer_ms (default 250): closes bars due, publishes events;
//   stop(nowMs)        at shutdown: closes the bars whose minute is over (end +
//                      END_TOLERANCE_MS), leaves the current minute's bars open (the next
//                      start rebuilds them from the tick file), closes the event files.
// Bar files roll by trading date through the writer pool like tick files; the recorder's
// day roll must wait `rollDelayMs` for bar kinds (a UTC session's last bar of the day is
// closed after midnight).

import fs from 'node:fs';
import type { SessionBook } from '../calendar/index.js';
import { MIN1_KIND, TICK_KIND, kindByName, minuteBarDate, minuteBarStamp, type Bar, type RecordKind } from '../format/index.js';
import { barsClosedDir, isExchangeName, parseLiveName, rtExchangeDir, rtFilePath, rtKindDir } from '../layout/index.js';
import { RtReader, dayOverByClock, lastSetAside } from '../store/index.js';
import { ClosedEventWriter, closedSessions } from './closed.js';
import {
  BarEngine,
  DEFAULT_GRACE_MS,
  kindNameOfPeriod,
  type BarKey,
  type BarKindName,
  type BarPeriod,
  type BarTick,
  type BarsClosedEvent,
  type TickVerdict,
} from './engine.js';
import { END_TOLERANCE_MS } from './plan.js';

/** What LiveBars needs of the writer pool (src/store/writer-pool.ts WriterPool has it). */
export interface BarPool {
  append(kind: RecordKind, exchg: string, code: string, date: number, rec: object): boolean;
}

export interface LiveBarsOptions {
  root: string;
  pool: BarPool;
  sessions: SessionBook;
  /** Default [1, 5]. */
  periods?: readonly BarPeriod[];
  /** Default 3000. */
  graceMs?: number;
  /** Publish closed events to rt/closed/<SESSION>.dmb. Default true. */
  closedEvents?: boolean;
  /** Told of a bar or event that could not be written, and of recovery problems. */
  onProblem?: (message: string) => void;
  /** Told of a closed-event file set aside. */
  onRoll?: (info: { session: string; date: number; to: string | undefined }) => void;
}

export interface LiveBarsStats {
  ticks: number;
  outside: number;
  late: number;
  noSession: number;
  /** Quotes without a trade price (engine.ts B4b). */
  noPrice: number;
  bars: Record<BarKindName, number>;
  events: number;
  /** Bars the pool refused (a finished day) or failed to write. */
  writeErrors: number;
}

export interface RecoveryReport {
  instruments: number;
  ticksReplayed: number;
  problems: number;
}

const BAR_KIND_NAMES: ReadonlySet<string> = new Set(['min1', 'min5', 'min15', 'min30', 'min60']);

/** Whether records of `kind` are bars that LiveBars writes (their day roll waits rollDelayMs). */
export function isBarKind(kind: RecordKind): boolean {
  return BAR_KIND_NAMES.has(kind.name);
}

export class LiveBars {
  readonly engine: BarEngine;
  /** How long after a trading day ends by the clock its bar files may roll. */
  readonly rollDelayMs: number;
  private readonly kinds = new Map<BarKindName, RecordKind>();
  private readonly closed: ClosedEventWriter | undefined;
  private writeErrors = 0;
  private lastScanMinute = -1;
  private readonly problem: (m: string) => void;

  constructor(private readonly opts: LiveBarsOptions) {
    this.problem = opts.onProblem ?? (() => {});
    this.closed = opts.closedEvents === false ? undefined : new ClosedEventWriter(opts.root, opts.onRoll ? { onRoll: opts.onRoll } : {});
    this.engine = new BarEngine({
      sessions: opts.sessions,
      ...(opts.periods ? { periods: opts.periods } : {}),
      graceMs: opts.graceMs ?? DEFAULT_GRACE_MS,
      emit: (kind, exchg, code, bar) => this.write(kind, exchg, code, bar),
      ...(this.closed ? { barsClosed: (ev: BarsClosedEvent) => this.publish(ev) } : {}),
    });
    for (const p of this.engine.periods) this.kinds.set(kindNameOfPeriod(p), kindByName(kindNameOfPeriod(p))!);
    this.rollDelayMs = this.engine.graceMs + END_TOLERANCE_MS + 2000;
  }

  /** The record kinds of the bar files this writes (one per period). */
  get fileKinds(): RecordKind[] {
    return [...this.kinds.values()];
  }

  get stats(): LiveBarsStats {
    const s = this.engine.stats;
    return {
      ticks: s.ticks,
      outside: s.outside,
      late: s.late,
      noSession: s.noSession,
      noPrice: s.noPrice,
      bars: { ...s.bars },
      events: s.events,
      writeErrors: this.writeErrors,
    };
  }

  /** Rebuilds the open bars of every live tick file and rolls finished closed-event files. Call once, before the first tick. */
  recover(nowMs: number): RecoveryReport {
    const report: RecoveryReport = { instruments: 0, ticksReplayed: 0, problems: 0 };
    if (this.closed) {
      try {
        this.closed.rollFinished((session, date) => this.dayOver(session, date, nowMs), true);
      } catch (err) {
        report.problems++;
        this.problem(`bars: rolling closed-event files: ${(err as Error).message}`);
      }
      for (const session of closedSessions(safeList(barsClosedDir(this.opts.root)))) {
        try {
          const last = this.closed.last(session);
          if (last) this.engine.restoreLastEvent(session, last.time);
        } catch (err) {
          report.problems++;
          this.problem(`bars: closed events of ${session}: ${(err as Error).message}`);
        }
      }
    }
    for (const exchg of safeList(rtKindDir(this.opts.root, TICK_KIND))) {
      if (!isExchangeName(exchg)) continue;
      for (const file of safeList(rtExchangeDir(this.opts.root, TICK_KIND, exchg))) {
        const code = parseLiveName(file);
        if (code === undefined) continue;
        try {
          const n = this.recoverInstrument(exchg, code);
          if (n >= 0) {
            report.instruments++;
            report.ticksReplayed += n;
          }
        } catch (err) {
          report.problems++;
          this.problem(`bars: recovering ${exchg}.${code}: ${(err as Error).message}`);
        }
      }
    }
    return report;
  }

  /** After a tick was written. Never throws: a failure is told to onProblem. */
  onTick(t: BarTick): TickVerdict | 'error' {
    try {
      return this.engine.onTick(t);
    } catch (err) {
      this.problem(`bars: tick ${t.exchg}.${t.code} ${t.action_date} ${t.action_time}: ${(err as Error).message}`);
      return 'error';
    }
  }

  /**
   * Every timer_ms: closes the bars due and publishes closed events; rolls the finished
   * closed-event files (the open ones at every call, every file once a minute).
   */
  onTimer(nowMs: number): number {
    const n = this.engine.onTimer(nowMs);
    if (this.closed) {
      const minute = Math.floor(nowMs / 60_000);
      const scan = minute !== this.lastScanMinute;
      this.lastScanMinute = minute;
      this.closed.rollFinished((session, date) => this.dayOver(session, date, nowMs), scan);
    }
    return n;
  }

  /** At shutdown: closes the bars whose minute is over, keeps the current minute's open (recovered at the next start), closes files. */
  stop(nowMs: number): void {
    this.engine.onTimer(nowMs, END_TOLERANCE_MS);
    this.closed?.close();
  }

  private dayOver(session: string, date: number, nowMs: number): boolean {
    const s = this.opts.sessions.sessions.get(session);
    if (!s) return false;
    return dayOverByClock(s, this.opts.sessions.holidays, date, nowMs, this.rollDelayMs);
  }

  private write(kind: BarKindName, exchg: string, code: string, bar: Bar): void {
    try {
      if (!this.opts.pool.append(this.kinds.get(kind)!, exchg, code, bar.date, bar)) {
        this.writeErrors++;
        this.problem(
          `bars: ${kind} ${exchg}.${code} ${minuteBarStamp(bar.time)}: trading day ${bar.date} is already finished; bar not written`,
        );
      }
    } catch (err) {
      this.writeErrors++;
      this.problem(`bars: ${kind} ${exchg}.${code} ${minuteBarStamp(bar.time)}: ${(err as Error).message}`);
    }
  }

  private publish(ev: BarsClosedEvent): void {
    try {
      this.closed!.append(ev);
    } catch (err) {
      this.writeErrors++;
      this.problem(`bars: closed event ${ev.session} ${minuteBarStamp(ev.time)}: ${(err as Error).message}`);
    }
  }

  /** Restores one instrument from its files; returns the ticks replayed, or -1 when it has no session or no ticks. */
  private recoverInstrument(exchg: string, code: string): number {
    if (!this.opts.sessions.sessionOf(exchg, code)) return -1;
    const tickFile = rtFilePath(this.opts.root, TICK_KIND, exchg, code);
    const ticks = RtReader.open(tickFile, { kind: TICK_KIND });
    try {
      const n = ticks.length;
      if (n === 0) return -1;
      const min1 = lastBarKey(rtFilePath(this.opts.root, MIN1_KIND, exchg, code), MIN1_KIND);
      const derived: Partial<Record<number, BarKey>> = {};
      let oldest = Infinity;
      for (const p of this.engine.periods) {
        if (p === 1) continue;
        const k = lastBarKey(
          rtFilePath(this.opts.root, this.kinds.get(kindNameOfPeriod(p))!, exchg, code),
          this.kinds.get(kindNameOfPeriod(p))!,
        );
        if (k) derived[p] = k;
        oldest = Math.min(oldest, k ? k.time : 0);
      }
      const min1Bars: Bar[] = [];
      if (oldest !== Infinity) {
        const file = rtFilePath(this.opts.root, MIN1_KIND, exchg, code);
        if (fs.existsSync(file)) {
          const r = RtReader.open(file, { kind: MIN1_KIND });
          try {
            const len = r.length;
            for (let i = r.lowerBound(oldest + 1, len); i < len; i++) min1Bars.push(r.get(i) as unknown as Bar);
          } finally {
            r.close();
          }
        }
      }
      this.engine.restore(exchg, code, { ...(min1 ? { min1 } : {}), derived, min1Bars });
      let replayed = 0;
      if (min1 && min1.date < ticks.date) {
        // The day rolled (its first tick written) before its last bar was published: the
        // rest of the previous day is in its finished tick file.
        const prev = lastSetAside(tickFile, min1.date);
        if (prev !== undefined) {
          const old = RtReader.open(prev, { kind: TICK_KIND });
          try {
            replayed += this.replayAfter(old, min1);
          } finally {
            old.close();
          }
        }
      }
      return replayed + this.replayAfter(ticks, min1 && min1.date >= ticks.date ? min1 : undefined);
    } finally {
      ticks.close();
    }
  }

  /** Replays the ticks of `r` from the first one stamped at or after the end of bar `last` (all without it). */
  private replayAfter(r: RtReader, last: BarKey | undefined): number {
    const n = r.length;
    let from = 0;
    if (last) {
      const labelDate = minuteBarDate(last.time);
      from = r.lowerBound(TICK_KIND.keyOf(labelDate, (last.time % 10000) * 100000), n);
    }
    for (let i = from; i < n; i++) this.engine.replay(r.at(i) as unknown as BarTick);
    return n - from;
  }
}

function lastBarKey(file: string, kind: RecordKind): BarKey | undefined {
  if (!fs.existsSync(file)) return undefined;
  const r = RtReader.open(file, { kind });
  try {
    const v = r.last();
    return v ? { date: v['date'] as number, time: v['time'] as number } : undefined;
  } finally {
    r.close();
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

// Closed-bar events on disk: one append-only file per session, rt/closed/<SESSION>.dmb, in the bar layout; the writer (recorder side) and the helpers readers follow it with.
//
// FILE (a tickrec extension, docs/bars.md "Closed-bar events"):
//   <root>/rt/closed/<SESSION>.dmb            live: block type RT_MIN1 (1), bar records
//   <root>/rt/closed/<YYYYMMDD>/<SESSION>.dmb  finished (the roll rule of src/store/roll.ts)
// One record per event: `date` = trading date, `time` = the bar end closed through
// (every bar of every period of the session with time <= it is published), every other
// field 0. The record is appended after the bars it announces, so a reader that sees it
// finds those bars in their files. The file's header date is the trading date; it rolls
// (is set aside) when the session's trading date moves on.
//
// The names are built and parsed by src/layout/root.ts (barsClosedPath, the name rule for sessions).

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError } from '../errors.js';
import { MIN1_KIND, type Bar } from '../format/index.js';
import { SESSION_NAME_MAX_CHARS, barsClosedDir, barsClosedPath, parseFinishedName, parseLiveName } from '../layout/index.js';
import { RtReader, RtWriter, follow, setAside, type FollowOptions, type Follower } from '../store/index.js';
import type { BarsClosedEvent } from './engine.js';

/** The record of an event (bar layout). */
export function closedEventRecord(ev: BarsClosedEvent): Bar {
  return { date: ev.date, time: ev.time, open: 0, high: 0, low: 0, close: 0, settle: 0, money: 0, vol: 0, hold: 0, add: 0 };
}

export interface ClosedEventWriterOptions {
  /** Told of a file set aside (a finished trading day). */
  onRoll?: (info: { session: string; date: number; to: string | undefined }) => void;
}

/** Appends closed events to rt/closed/<SESSION>.dmb, one writer per session, rolling by trading date. */
export class ClosedEventWriter {
  private readonly writers = new Map<string, RtWriter>();

  constructor(
    readonly root: string,
    private readonly opts: ClosedEventWriterOptions = {},
  ) {}

  /** The last event published for a session (from its live file), if any. */
  last(session: string): BarsClosedEvent | undefined {
    const file = barsClosedPath(this.root, session);
    if (!fs.existsSync(file)) return undefined;
    const r = RtReader.open(file, { kind: MIN1_KIND });
    try {
      const v = r.last();
      return v ? { session, date: v['date'] as number, time: v['time'] as number } : undefined;
    } finally {
      r.close();
    }
  }

  /** Appends an event; rolls the live file first when the event's trading date is later. */
  append(ev: BarsClosedEvent): void {
    let w = this.writers.get(ev.session) ?? this.open(ev.session, ev.date);
    if (w.date !== ev.date && w.date !== 0) {
      if (ev.date < w.date) {
        throw new TickrecError('E_FIELD', `${w.path}: a closed event of trading date ${ev.date} for a file of ${w.date}; refused.`, {
          file: w.path,
        });
      }
      this.roll(ev.session, w);
      w = this.open(ev.session, ev.date);
    }
    w.append(closedEventRecord(ev));
  }

  /**
   * Sets aside every live closed-event file whose trading day `isFinished` says is over:
   * the open ones, and with `scan` also the files on disk not open (at start).
   */
  rollFinished(isFinished: (session: string, date: number) => boolean, scan = false): number {
    let rolled = 0;
    let sessions: string[];
    if (scan) {
      try {
        sessions = closedSessions(fs.readdirSync(barsClosedDir(this.root)));
      } catch {
        sessions = [];
      }
    } else {
      sessions = [...this.writers.keys()];
    }
    for (const session of sessions) {
      let w = this.writers.get(session);
      if (!w) {
        const file = barsClosedPath(this.root, session);
        let date: number;
        try {
          const r = RtReader.open(file, { kind: MIN1_KIND });
          date = r.date;
          r.close();
        } catch {
          continue; // damaged: left alone, refused loudly on append
        }
        if (!isFinished(session, date)) continue;
        w = RtWriter.open(file, { kind: MIN1_KIND, date });
      } else if (!isFinished(session, w.date)) {
        continue;
      }
      this.roll(session, w);
      rolled++;
    }
    return rolled;
  }

  close(): void {
    for (const w of this.writers.values()) w.close();
    this.writers.clear();
  }

  private open(session: string, date: number): RtWriter {
    const w = RtWriter.open(barsClosedPath(this.root, session), { kind: MIN1_KIND, date, initialCapacity: 512 });
    this.writers.set(session, w);
    return w;
  }

  private roll(session: string, w: RtWriter): void {
    const size = w.size;
    const date = w.date;
    w.close();
    this.writers.delete(session);
    const to = setAside(w.path, date, size);
    this.opts.onRoll?.({ session, date, to });
  }
}

/** The sessions of the live closed-event files among the names of rt/closed/. */
export function closedSessions(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const s = parseLiveName(name, SESSION_NAME_MAX_CHARS);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** Every event of a closed-event file (live or finished). */
export function readBarsClosed(
  file: string,
  session = parseFinishedName(path.basename(file), SESSION_NAME_MAX_CHARS)?.code ?? path.basename(file),
): BarsClosedEvent[] {
  const r = RtReader.open(file, { kind: MIN1_KIND });
  try {
    const out: BarsClosedEvent[] = [];
    for (const v of r.records()) out.push({ session, date: v['date'] as number, time: v['time'] as number });
    return out;
  } finally {
    r.close();
  }
}

/**
 * Follows a session's closed events live, across trading days (the file rolls like any
 * real-time file). `onEvent` returning false stops following. By default it starts
 * after the events already published when the file exists (`from: 'end'`), and at the
 * first event of a file that does not exist yet.
 */
export function followBarsClosed(
  root: string,
  session: string,
  onEvent: (ev: BarsClosedEvent) => void | boolean,
  opts: FollowOptions = {},
): Follower {
  const file = barsClosedPath(root, session);
  return follow(file, (v) => onEvent({ session, date: v['date'] as number, time: v['time'] as number }), {
    from: fs.existsSync(file) ? 'end' : 'start',
    ...opts,
    kind: MIN1_KIND,
  });
}

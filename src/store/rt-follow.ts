// Following a real-time file live, across the files that replace it.
//
// CROSSING A ROLL (THE DAY ROLL, all of it: src/store/roll.ts): the live file of an
// instrument is at one path; when its trading day ends the writer moves it away intact
// (a rename) and a new file appears at the same path with the first record of the next
// day. A follower
// therefore learns that a file is finished when the path no longer names the inode it
// has open. It then loads `size` one last time, delivers what remains, and goes on with
// the next file from its first record. The writer never appends after the rename, so
// that final load sees every record the file will ever have.
//
// NOT A ROLL: a file moved over the path (`mv OTHER FILE`) or the path written back
// after a deletion is not the next day. The next file must hold a LATER trading date
// than the one left, and (ticks, trades) the same instrument in its first record;
// otherwise the follower stops with E_REPLACED instead of delivering another file's
// records as this instrument's (the probe of docs/reliability.md printed BTCUSDT rows
// as ETHUSDT's).
//
// Polling: 'spin' busy-polls `size` for `spinSliceMs` at a time, then lets the event
// loop run once (lowest latency, one core); 'timer' polls every `intervalMs` while idle
// (low CPU). While idle, the path is checked for a roll every `rollCheckMs`.
//
// NO ALLOCATION WHILE SPINNING: every clock Node offers allocates (performance.now()
// builds an hrtime array, Date.now() and hrtime.bigint() a heap number or BigInt). Read on
// every empty poll, the clock alone made a minor GC every ~25 ms in a spinning follower,
// and the ~1% of records published during one waited 0.2-0.4 ms (measured: p99 60-110 µs).
// So a spinning follower reads the clock once per SPIN_POLLS_PER_CLOCK_READ polls.

import fs from 'node:fs';
import { TickrecError } from '../errors.js';
import type { FieldValue, RecordKind, View } from '../format/index.js';
import { RtReader } from './rt-reader.js';

/** Polls between two clock reads while spinning (an empty poll is ~10-20 ns). */
export const SPIN_POLLS_PER_CLOCK_READ = 4096;

export type RecordView = View & Record<string, FieldValue>;

/** Return false to stop following. */
export type OnRecord = (record: RecordView, index: number, reader: RtReader) => void | boolean;

export interface FileInfo {
  readonly path: string;
  /** Trading date in the header. */
  readonly date: number;
  /** Records in the file when the follower left it (onFileEnd). */
  readonly length: number;
}

export interface FollowOptions {
  /** Where to start in the first file: an index, 'start' (0) or 'end'. Default 'start'. */
  from?: number | 'start' | 'end';
  mode?: 'spin' | 'timer';
  /** Timer mode: poll interval while idle, ms. Default 1. */
  intervalMs?: number;
  /** Spin mode: how long to spin before yielding to the event loop, ms. Default 20. */
  spinSliceMs?: number;
  /** While idle, how often to check whether the file was rolled, ms. Default 100. */
  rollCheckMs?: number;
  /**
   * Hand the callback one view object, re-pointed at each record, instead of a new view
   * per record: no allocation per record, so no minor GC pauses in the latency tail. The
   * view is valid only during the callback (copy what you keep: view.toObject()).
   * Callback mode only. Default false.
   */
  reuseView?: boolean;
  /** Most records handed over per poll (bounds memory of the async iterator). Default 65536. */
  batchMax?: number;
  kind?: RecordKind;
  signal?: AbortSignal;
  onFileStart?: (info: FileInfo) => void;
  /** The file was rolled (moved or replaced) and every record in it was delivered. */
  onFileEnd?: (info: FileInfo) => void;
}

/** The state of one follower: which file, which record next. Used by both drivers. */
export class FollowCursor {
  private reader: RtReader | undefined;
  private index = 0;
  private first = true;
  private lastRollCheck = 0;
  private idlePolls = 0;
  private view: RecordView | undefined;
  /** NOT A ROLL: the file left (its date, its instrument), and whether the next file's first record is still to be compared. */
  private left: { date: number; instrument: string | undefined } | undefined;
  private compareInstrument = false;
  stopped = false;

  constructor(
    readonly path: string,
    private readonly opts: FollowOptions,
  ) {}

  /** Delivers up to batchMax new records; returns how many were delivered. */
  poll(onRecord: OnRecord): number {
    if (this.stopped) return 0;
    const r = this.reader ?? this.openCurrent();
    if (!r) return 0;
    const delivered = this.drain(r, onRecord);
    if (delivered === 0 && !this.stopped) this.checkRoll(r, onRecord);
    return delivered;
  }

  /** NOT A ROLL: the first record of the file after a roll must be of the instrument left. */
  private sameInstrument(r: RtReader): void {
    this.compareInstrument = false;
    const now = instrumentOf(r);
    if (now === undefined || now === this.left!.instrument) return;
    throw new TickrecError(
      'E_REPLACED',
      `${this.path}: the file now at this path holds ${now}, the file just followed held ${this.left!.instrument}: ` +
        "another instrument's file was moved over this path. Stopped rather than deliver its records as this instrument's. " +
        'Find out what touched the data root.',
      { file: this.path },
    );
  }

  close(): void {
    this.stopped = true;
    this.reader?.close();
    this.reader = undefined;
  }

  private drain(r: RtReader, onRecord: OnRecord): number {
    const n = Math.min(r.length, this.index + (this.opts.batchMax ?? 65536));
    if (n > this.index) r.probeUpTo(n, this.index); // FAULT GUARD, CUT AND LENGTHENED: a cut file throws here, before any zero is delivered
    if (this.compareInstrument && n > 0) this.sameInstrument(r);
    let i = this.index;
    const reuse = this.opts.reuseView === true && i < n;
    const view = reuse ? (this.view ??= r.at(i)) : undefined;
    for (; i < n && !this.stopped; i++) {
      let v: RecordView;
      if (view) {
        r.pointView(view, i);
        v = view;
      } else v = r.at(i);
      if (onRecord(v, i, r) === false) {
        this.stopped = true;
        i++;
        break;
      }
    }
    const delivered = i - this.index;
    this.index = i;
    r.check(); // FAULT GUARD: a truncated file stops the follower with E_TRUNCATED (rt-reader.ts)
    return delivered;
  }

  private openCurrent(): RtReader | undefined {
    let r: RtReader;
    try {
      r = RtReader.open(this.path, this.opts.kind ? { kind: this.opts.kind } : {});
    } catch (err) {
      if ((err as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT') return undefined; // not created yet
      throw err;
    }
    if (this.left && r.date <= this.left.date) {
      r.close();
      throw new TickrecError(
        'E_REPLACED',
        `${this.path}: the file now at this path holds trading date ${r.date}, not a day after the ${this.left.date} just followed: ` +
          "it was deleted and written back, or another file was moved over it; not a day roll. Stopped rather than deliver its records as this instrument's. " +
          'Find out what touched the data root, then follow again.',
        { file: this.path },
      );
    }
    this.reader = r;
    const from = this.first ? (this.opts.from ?? 'start') : 'start';
    this.index = from === 'start' ? 0 : from === 'end' ? r.length : Math.max(0, Math.min(from, r.length));
    this.first = false;
    this.opts.onFileStart?.({ path: this.path, date: r.date, length: r.length });
    return r;
  }

  private checkRoll(r: RtReader, onRecord: OnRecord): void {
    // See NO ALLOCATION WHILE SPINNING: a spinning follower looks at the clock rarely.
    if (this.opts.mode === 'spin' && ++this.idlePolls % SPIN_POLLS_PER_CLOCK_READ !== 0) return;
    const now = performance.now();
    if (now - this.lastRollCheck < (this.opts.rollCheckMs ?? 100)) return;
    this.lastRollCheck = now;
    r.checkLength(); // truncated under us: E_TRUNCATED, not a roll (FAULT GUARD)
    let ino: number | undefined;
    try {
      ino = fs.statSync(this.path).ino;
    } catch {
      ino = undefined; // moved away, the next file not there yet
    }
    if (ino === r.ino) return;
    // Rolled: the writer no longer appends here. Deliver the rest, then move on.
    while (!this.stopped && this.drain(r, onRecord) > 0);
    if (this.stopped) return;
    this.left = { date: r.date, instrument: instrumentOf(r) };
    this.compareInstrument = this.left.instrument !== undefined;
    this.opts.onFileEnd?.({ path: this.path, date: r.date, length: r.length });
    r.close();
    this.reader = undefined;
    this.view = undefined; // a view of the next file's kind is made on first use
    this.index = 0;
  }
}

/** "EXCHG.CODE" of record 0 of a tick or trade file, or undefined (bars, an empty file). */
function instrumentOf(r: RtReader): string | undefined {
  if (r.length === 0 || (r.kind.name !== 'tick' && r.kind.name !== 'trade')) return undefined;
  return `${String(r.field(0, 'exchg'))}.${String(r.field(0, 'code'))}`;
}

export interface Follower {
  stop(): void;
  /** Resolves when following stops (stop(), abort, or the callback returned false). */
  readonly done: Promise<void>;
}

/** Follows the file at `path` (and the files that replace it), calling onRecord. */
export function follow(path: string, onRecord: OnRecord, opts: FollowOptions = {}): Follower {
  const cursor = new FollowCursor(path, opts);
  let resolveDone!: () => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const finish = (err?: unknown) => {
    cursor.close();
    opts.signal?.removeEventListener('abort', onAbort);
    if (err === undefined) resolveDone();
    else rejectDone(err);
  };
  const onAbort = () => {
    if (timer) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
    }
    finish();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const spin = opts.mode === 'spin';
  const slice = opts.spinSliceMs ?? 20;
  const interval = opts.intervalMs ?? 1;
  const run = () => {
    timer = undefined;
    try {
      let got = 0;
      if (spin) {
        // See NO ALLOCATION WHILE SPINNING.
        const until = performance.now() + slice;
        for (let k = 1; ; k++) {
          got += cursor.poll(onRecord);
          if (cursor.stopped) break;
          if (k % SPIN_POLLS_PER_CLOCK_READ === 0 && performance.now() >= until) break;
        }
      } else {
        got = cursor.poll(onRecord);
      }
      if (cursor.stopped) return finish();
      timer = spin || got > 0 ? setImmediate(run) : setTimeout(run, interval);
    } catch (err) {
      finish(err);
    }
  };
  if (opts.signal?.aborted) finish();
  else timer = setImmediate(run);
  return {
    stop: () => {
      cursor.stopped = true;
      onAbort();
    },
    done,
  };
}

/** The same as follow(), as an async iterator of record views. */
export async function* followAsync(path: string, opts: FollowOptions = {}): AsyncGenerator<RecordView> {
  const cursor = new FollowCursor(path, { batchMax: 4096, ...opts, reuseView: false }); // views are kept in a batch
  const batch: RecordView[] = [];
  const push: OnRecord = (v) => {
    batch.push(v);
  };
  const interval = opts.intervalMs ?? 1;
  try {
    while (!opts.signal?.aborted) {
      cursor.poll(push);
      if (batch.length > 0) {
        for (const v of batch) yield v;
        batch.length = 0;
        continue;
      }
      await (opts.mode === 'spin' ? new Promise((r) => setImmediate(r)) : new Promise((r) => setTimeout(r, interval)));
    }
  } finally {
    cursor.close();
  }
}

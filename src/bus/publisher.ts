// The bus publisher: one more reader of a data root's real-time files, sending every
// record to a JetStream stream (the wire rules are in wire.ts, the cursors in cursor.ts).
//
// It never touches the recorder: it maps the files read-only and polls their `size`
// (the READ PROTOCOL of src/store/rt-reader.ts), so NATS down for an hour leaves recording
// untouched; when NATS returns the publisher catches up from the files.
//
// ORDER RULE: the records of one file reach the stream in file order. Up to `pipeline`
// records of a file are in flight at once (sent in order on one connection, which the
// server stores in order). They could be stored out of order only if a record were lost
// while a later one is stored; each way that could happen is closed:
//   - the client's reconnect buffer (a record lost with a dying connection, the next one,
//     held by the client, sent on the new connection): the publisher's connection never
//     reconnects by itself (connect.ts, reconnect false). When it closes, every record in
//     flight fails, and a new connection starts again from each file's first
//     unacknowledged record, in order: a connection stores a prefix of what it was sent;
//   - a failed or unanswered publish: the file sends nothing more until all its records
//     in flight have settled; then it starts again from its first unacknowledged record
//     (the ones stored meanwhile come back as duplicates, by id);
//   - a route or stream leader lost and replaced while records are in flight (the next
//     one stored by a new leader while an earlier one died with the old): nothing more
//     is sent on a file while its oldest record in flight is older than PIPELINE_GUARD_MS,
//     far below the time NATS takes to reconnect a route (1 s) or elect a leader (4 s);
//   - and it is checked: the stream sequences JetStream acknowledges must rise in file
//     order (a duplicate gives the sequence of the copy stored). A fall is counted
//     (order_breaks) and logged as an error naming the file and the records.
// `pipeline: 1` is one record in flight per file, each sent after the previous one's
// acknowledgement. Files are published side by side (up to `maxInFlight` records at once).
//
// DAYS: the publisher follows a file across the roll rule (src/store/rt-follow.ts): when
// the live path names another inode, it sends what remains of the old file, then the
// end-of-day marker, then goes on with the next day file. DAY ORDER: after a day file,
// the next one is the same day's next file (<CODE>~<n+1>.dmb, src/store/roll.ts
// setAsideFiles, or the live file of that day), else the oldest one of a later date, set aside (rt/…/<DATE>/) or live: so a
// cursor left in a day that was set aside while the publisher was stopped is finished
// from the dated folder, and the days set aside after it are sent before the live one.
// A file with no cursor (the first run, a new instrument) starts at its oldest day still
// in rt/: the days set aside before the publisher first ran are published too. A day file
// that is gone (compacted before it was published) is logged and counted as a gap.
//
// METADATA (wire.ts INSTRUMENT METADATA): before an instrument's first record of a run
// the publisher sends its root's meta/instruments/<EXCHG>/<CODE>.json (or the word that
// there is none) and sends the instrument's records only once JetStream acknowledged it,
// so in the stream the metadata comes first. Every META_CHECK_MS the files sent are
// looked at again (stat); a changed one is sent again, the records waiting meanwhile. A
// damaged file holds the instrument's records back (logged; its readers here refuse it too).
// Each record carries the volume_decimals of the metadata acknowledged before it (0 for
// none) in Tickrec-Volume-Decimals (wire.ts UNIT OF A RECORD).
//
// CLOSED-BAR EVENTS (rt/closed/<SESSION>.dmb) are published like an instrument's file,
// with one more rule (wire.ts, CLOSED EVENTS AFTER THEIR BARS): an event goes out only
// after every bar record that was in the published bar files when the event was read has
// been acknowledged (the BARRIER of Track).

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { kindByName, type RecordKind } from '../format/index.js';
import {
  SESSION_NAME_MAX_CHARS,
  barsClosedDir,
  barsClosedPath,
  busCursorPath,
  busDir,
  busPublishLockPath,
  finishedPath,
  instrumentMetaPath,
  isExchangeName,
  parseDateFolder,
  parseFinishedName,
  parseLiveName,
  rtFilePath,
  rtKindDir,
} from '../layout/index.js';
import { RtReader, acquireLock, setAsideFiles, type RootLock } from '../store/index.js';
import { parseStoredMeta } from '../meta/index.js';
import { assert } from '../assert.js';
import { RejectLog } from '../reject-log.js';
import { connectBus, ensureStream, type BusAuth, type BusTls, type StreamDefaults } from './connect.js';
import { closedCursorKey, cursorKey, parseCursorKey, readCursorFile, writeCursorFile, type Cursor } from './cursor.js';
import {
  HDR_DATE,
  HDR_END,
  HDR_FILE,
  HDR_FORMAT,
  HDR_INDEX,
  HDR_VOLUME_DECIMALS,
  WIRE_FORMAT,
  CLOSED_NAME,
  closedTarget,
  contentHash,
  endMessageId,
  instrumentProblem,
  instrumentTarget,
  messageId,
  metaMessageId,
  metaSubject,
  sameBefore,
  sessionProblem,
  subjectOf,
  targetText,
  type BusTarget,
} from './wire.js';

export interface PublisherOptions {
  root: string;
  servers: readonly string[];
  stream: string;
  prefix: string;
  /** Record kinds to publish, and 'closed' for the closed-bar events. */
  kinds: readonly string[];
  auth?: BusAuth;
  tls?: BusTls | undefined;
  createStream: StreamDefaults;
  ackTimeoutMs: number;
  cursorFlushMs: number;
  maxInFlight: number;
  /** Records of one file in flight at once (ORDER RULE). Default 1. */
  pipeline?: number;
  log: Logger;
  /** How often new files are looked for, ms. Default 1000. */
  scanIntervalMs?: number;
  /** Poll interval while idle, ms. Default 1. */
  pollIntervalMs?: number;
  /** While caught up, how often a file is checked for a roll, ms. Default 200. */
  rollCheckMs?: number;
  now?: () => number;
}

export interface PublisherStats {
  state: 'connecting' | 'connected' | 'reconnecting' | 'closed';
  files: number;
  published: number;
  duplicates: number;
  endMarkers: number;
  errors: number;
  gaps: number;
  /** Acknowledged stream sequences that fell in file order (ORDER RULE); 0 unless something is badly wrong. */
  orderBreaks: number;
  /** Instrument metadata messages acknowledged (stored, or dropped as duplicates: METADATA). */
  metadata: number;
  /**
   * The mirrors reading the stream, as the server sees them: messages each mirror's
   * durable consumer (tickrec-mirror-…) has not yet acknowledged, by consumer name
   * (refreshed every MIRRORS_REFRESH_MS).
   */
  mirrors: Record<string, number>;
  /** Records in the files not yet acknowledged by JetStream, all files together. */
  lagRecords: number;
  /** The largest lag of one file, records. */
  lagRecordsMax: number;
  /** How long the file furthest behind has been behind, seconds (0 when caught up). */
  lagSeconds: number;
  inFlight: number;
}

/** The cursor file is rewritten at least this often while connected, ms. */
export const CURSOR_HEARTBEAT_MS = 5000;

/** Nothing more is sent on a file while its oldest record in flight is older than this (ORDER RULE), ms. */
export const PIPELINE_GUARD_MS = 250;

/** How often the metadata files sent are looked at again (METADATA), ms. */
export const META_CHECK_MS = 5000;

/** How long an instrument's records wait before its metadata is read or sent again after a failure, ms. */
const META_RETRY_MS = 1000;

/** An instrument's metadata on the bus (METADATA). */
interface MetaState {
  readonly file: string;
  readonly subject: string;
  /** The payload read last and its message id ('' until read). */
  payload: Uint8Array;
  id: string;
  /** The payload's volume_decimals (0: no file), sent on the instrument's records (wire.ts UNIT OF A RECORD). */
  volumeDecimals: number;
  /** The id JetStream acknowledged last ('' none yet). */
  ackedId: string;
  /** The file's size and mtime at the last read ('' when there was none). */
  stamp: string;
  sending: boolean;
  retryAtMs: number;
}

/** How often the mirrors' consumers are read from the server, ms. */
export const MIRRORS_REFRESH_MS = 5000;

/** The name every tickrec mirror's durable consumer starts with (mirror.ts, defaultDurableName). */
const MIRROR_CONSUMER = /^tickrec-mirror-/;

/** Retry delays after a failed publish of one file (doubling between them). */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

interface Flight {
  readonly index: number;
  readonly sentMs: number;
  /** Acknowledged, with its stream sequence (-1: not yet). */
  seq: number;
  duplicate: boolean;
  /** Failed (a retry comes after the flight is empty). */
  failed: boolean;
}

interface Track {
  readonly target: BusTarget;
  readonly key: string;
  readonly subject: string;
  readonly livePath: string;
  cur: Cursor;
  reader: RtReader | undefined;
  /** The reader maps the file at the live path (false: a set-aside day file). */
  readerLive: boolean;
  /** Next record to send (cur.index <= sent): the ones between are in flight. */
  sent: number;
  /** The records in flight, in file order (ORDER RULE). */
  flight: Flight[];
  /** A message of the file failed: nothing is sent until the flight is empty, then from cur.index. */
  failed: boolean;
  /** The end-of-day marker is in flight. */
  ending: boolean;
  /** The stream sequence of the last acknowledged message (ORDER RULE check). */
  lastSeq: number;
  retryAtMs: number;
  backoffMs: number;
  lastRollCheckMs: number;
  /** Since when this file has unpublished records (0: caught up). */
  behindSinceMs: number;
  /** Unpublished records seen at the last poll. */
  behind: number;
  /** Never sent: its name cannot be a subject (logged once). */
  blocked: boolean;
  /**
   * BARRIER (closed-event files only): the event at `forIndex` of day `forDate` waits
   * until every bar file's cursor has passed the length it had when the event was read.
   */
  barrier: { forDate: number; forIndex: number; bars: { t: Track; date: number; file: number; index: number }[] } | undefined;
}

export class Publisher {
  private readonly tracks = new Map<string, Track>();
  private readonly kinds: RecordKind[];
  /** The closed-bar events are published. */
  private readonly closedOn: boolean;
  /** Modification time of each dated folder at its last listing (scan). */
  private readonly datedSeen = new Map<string, number>();
  private readonly cursorFile: string;
  private readonly lock: RootLock;
  private readonly errorsLog: RejectLog;
  private readonly now: () => number;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private state: PublisherStats['state'] = 'connecting';
  private stopped = false;
  private dirty = false;
  private lastFlushMs = 0;
  private inFlight = 0;
  private mirrors: Record<string, number> = {};
  private readingMirrors = false;
  private pollTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly counters = { published: 0, duplicates: 0, endMarkers: 0, errors: 0, gaps: 0, orderBreaks: 0, metadata: 0 };
  /** By "<EXCHG>/<CODE>" (METADATA). */
  private readonly metas = new Map<string, MetaState>();

  private constructor(private readonly o: PublisherOptions) {
    this.now = o.now ?? Date.now;
    this.kinds = o.kinds.filter((k) => k !== CLOSED_NAME).map((k) => kindByName(k)!);
    this.closedOn = o.kinds.includes(CLOSED_NAME);
    this.cursorFile = busCursorPath(o.root, o.stream);
    this.errorsLog = new RejectLog(o.log, 10_000, this.now);
    // One publisher per root and stream: two would each move the same cursors.
    this.lock = acquireLock(busDir(o.root), {
      file: busPublishLockPath(o.root, o.stream),
      refusal: (h, file) =>
        `${o.root}: another publisher to stream ${o.stream} runs on this data root (pid ${h.pid} on ${h.host}, since ${h.since}); ` +
        `stop it first. Lock file: ${file}`,
    });
  }

  /** Takes the publisher lock, loads the cursors, connects (waiting for NATS if it is down) and starts. */
  static async start(o: PublisherOptions): Promise<Publisher> {
    const p = new Publisher(o);
    try {
      p.loadCursors();
      p.scan();
      await p.connect();
      await p.ensureStreamRetrying();
      p.state = 'connected';
    } catch (err) {
      await p.stop();
      throw err;
    }
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => p.guard(fn), ms);
      t.unref();
      p.timers.push(t);
    };
    every(o.scanIntervalMs ?? 1000, () => p.scan());
    every(o.cursorFlushMs, () => p.flushCursors());
    every(1000, () => p.errorsLog.flush());
    every(MIRRORS_REFRESH_MS, () => p.readMirrors());
    every(META_CHECK_MS, () => p.checkMetas());
    p.readMirrors();
    p.schedule(0);
    o.log.info(
      { root: o.root, stream: o.stream, files: p.tracks.size },
      `publishing ${o.root} to stream ${o.stream} (${o.prefix}.<kind>.<EXCHG>.<CODE>): ${p.tracks.size} files`,
    );
    return p;
  }

  /** Since when the file furthest behind has been behind, ms; 0 when every file is caught up. */
  private lagSinceMs(): number {
    let since = 0;
    for (const t of this.tracks.values()) if (t.behindSinceMs > 0 && (since === 0 || t.behindSinceMs < since)) since = t.behindSinceMs;
    return since;
  }

  stats(): PublisherStats {
    let lag = 0;
    let lagMax = 0;
    const since = this.lagSinceMs();
    for (const t of this.tracks.values()) {
      lag += t.behind;
      if (t.behind > lagMax) lagMax = t.behind;
    }
    return {
      state: this.state,
      files: this.tracks.size,
      ...this.counters,
      lagRecords: lag,
      lagRecordsMax: lagMax,
      lagSeconds: since === 0 ? 0 : Math.max(0, (this.now() - since) / 1000),
      inFlight: this.inFlight,
      mirrors: { ...this.mirrors },
    };
  }

  /** Stops sending, waits (bounded) for the messages in flight, writes the cursors, closes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.pollTimer) {
      clearTimeout(this.pollTimer as NodeJS.Timeout);
      clearImmediate(this.pollTimer as NodeJS.Immediate);
    }
    const until = Date.now() + this.o.ackTimeoutMs;
    while (this.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    try {
      this.flushCursors();
    } finally {
      for (const t of this.tracks.values()) t.reader?.close();
      this.state = 'closed';
      await this.nc?.close().catch(() => undefined);
      this.lock.release();
      this.errorsLog.flush();
    }
  }

  private loadCursors(): void {
    const f = readCursorFile(this.cursorFile);
    if (!f) return;
    for (const [key, cur] of Object.entries(f.cursors)) {
      const k = parseCursorKey(key);
      if (!k) continue;
      let t: Track | undefined;
      if (k.exchg === undefined) {
        if (this.closedOn) t = this.trackClosed(k.code);
      } else {
        const kind = kindByName(k.kind);
        if (kind && this.kinds.includes(kind)) t = this.track(kind, k.exchg, k.code);
      }
      if (t) t.cur = { ...cur };
    }
  }

  private flushCursors(): void {
    // Also rewritten, unchanged, every CURSOR_HEARTBEAT_MS while connected: the file's
    // age then tells the recorder's monitor whether a publisher runs (bus/lag.ts).
    const now = this.now();
    if (!this.dirty && !(this.state === 'connected' && now - this.lastFlushMs >= CURSOR_HEARTBEAT_MS)) return;
    this.dirty = false;
    this.lastFlushMs = now;
    const cursors: Record<string, Cursor> = {};
    for (const t of this.tracks.values()) if (t.cur.date !== 0) cursors[t.key] = t.cur;
    try {
      writeCursorFile(this.cursorFile, {
        version: 1,
        stream: this.o.stream,
        prefix: this.o.prefix,
        updatedMs: this.now(),
        lagSinceMs: this.lagSinceMs(),
        cursors,
      });
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  /**
   * Finds the files of the published kinds (new instruments appear at any time): the
   * live ones, and the set-aside ones of the dated folders (a day set aside before the
   * publisher first ran, an instrument with no live file today). A dated folder is
   * listed again only when its modification time changed.
   */
  private scan(): void {
    for (const kind of this.kinds) {
      const dir = rtKindDir(this.o.root, kind);
      for (const exchg of list(dir)) {
        if (!isExchangeName(exchg)) continue;
        for (const name of this.names(path.join(dir, exchg))) {
          const code = parseLiveName(name) ?? parseFinishedName(name)?.code;
          if (code === undefined || this.tracks.has(cursorKey(kind.name, exchg, code))) continue;
          this.track(kind, exchg, code);
        }
      }
    }
    if (!this.closedOn) return;
    for (const name of this.names(barsClosedDir(this.o.root))) {
      const session = parseLiveName(name, SESSION_NAME_MAX_CHARS) ?? parseFinishedName(name, SESSION_NAME_MAX_CHARS)?.code;
      if (session === undefined || this.tracks.has(closedCursorKey(session))) continue;
      this.trackClosed(session);
    }
  }

  /** The file names of a folder of live files and of its dated folders not listed since they last changed. */
  private names(dir: string): string[] {
    const out: string[] = [];
    for (const e of list(dir)) {
      if (parseDateFolder(e) === undefined) {
        out.push(e);
        continue;
      }
      const sub = path.join(dir, e);
      const m = mtime(sub);
      if (m === undefined || this.datedSeen.get(sub) === m) continue;
      this.datedSeen.set(sub, m);
      out.push(...list(sub));
    }
    return out;
  }

  /** The dates of a file's set-aside days in rt/, ascending (its dated folders holding the file). */
  private setAsideDates(t: Track, after: number): number[] {
    const out: number[] = [];
    for (const e of list(path.dirname(t.livePath))) {
      const d = parseDateFolder(e);
      if (d !== undefined && d > after && fs.existsSync(finishedPath(t.livePath, d))) out.push(d);
    }
    return out.sort((x, y) => x - y);
  }

  private track(kind: RecordKind, exchg: string, code: string): Track | undefined {
    const key = cursorKey(kind.name, exchg, code);
    const known = this.tracks.get(key);
    if (known) return known.blocked ? undefined : known;
    const problem = instrumentProblem(exchg, code);
    const target = instrumentTarget(kind, exchg, code);
    if (problem) {
      this.errorsLog.reject('name', `${kind.name} ${exchg}/${code} is not published: ${problem}`, 'publish');
      this.tracks.set(key, { ...this.emptyTrack(target, key, ''), blocked: true }); // remembered, never sent
      return undefined;
    }
    const t = this.emptyTrack(target, key, rtFilePath(this.o.root, kind, exchg, code));
    this.tracks.set(key, t);
    return t;
  }

  private trackClosed(session: string): Track | undefined {
    const key = closedCursorKey(session);
    const known = this.tracks.get(key);
    if (known) return known.blocked ? undefined : known;
    const problem = sessionProblem(session);
    const target = closedTarget(session);
    if (problem) {
      this.errorsLog.reject('name', `closed-bar events of ${session} are not published: ${problem}`, 'publish');
      this.tracks.set(key, { ...this.emptyTrack(target, key, ''), blocked: true });
      return undefined;
    }
    const t = this.emptyTrack(target, key, barsClosedPath(this.o.root, session));
    this.tracks.set(key, t);
    return t;
  }

  private emptyTrack(target: BusTarget, key: string, livePath: string): Track {
    return {
      target,
      key,
      subject: subjectOf(this.o.prefix, target),
      livePath,
      cur: { date: 0, file: 0, index: 0, ended: false },
      reader: undefined,
      readerLive: false,
      sent: 0,
      flight: [],
      failed: false,
      ending: false,
      lastSeq: 0,
      retryAtMs: 0,
      backoffMs: 0,
      lastRollCheckMs: 0,
      behindSinceMs: 0,
      behind: 0,
      blocked: false,
      barrier: undefined,
    };
  }

  private schedule(ms: number): void {
    if (this.stopped || this.pollTimer) return;
    this.pollTimer = ms === 0 ? setImmediate(() => this.poll()) : setTimeout(() => this.poll(), ms);
  }

  private poll(): void {
    this.pollTimer = undefined;
    if (this.stopped) return;
    let sent = 0;
    for (const t of this.tracks.values()) {
      if (this.inFlight >= this.o.maxInFlight) break;
      try {
        if (this.pump(t)) sent++;
      } catch (err) {
        this.fail(t, err);
      }
    }
    this.schedule(sent > 0 ? 0 : (this.o.pollIntervalMs ?? 1));
  }

  /** Sends the next message of a file if one is due; returns whether it sent. */
  private pump(t: Track): boolean {
    const now = this.now();
    if (t.reader && !t.blocked) {
      // The lag is kept current while nothing can be sent too (NATS down for an hour shows as an hour behind).
      t.behind = t.reader.length - t.cur.index;
      if (t.behind > 0 && t.behindSinceMs === 0) t.behindSinceMs = now;
    }
    // While the connection is down nothing is sent: the records wait in the files, not in
    // the client's reconnect buffer.
    if (t.blocked || t.failed || t.ending || !this.js || this.stopped || this.state !== 'connected') return false;
    if (now < t.retryAtMs) return false;
    if (t.flight.length >= (this.o.pipeline ?? 1)) return false;
    if (t.flight.length > 0 && now - t.flight[0]!.sentMs > PIPELINE_GUARD_MS) return false; // ORDER RULE
    const r = t.reader ?? this.open(t);
    if (!r) {
      t.behind = 0;
      t.behindSinceMs = 0;
      t.retryAtMs = now + (this.o.rollCheckMs ?? 200); // no file to read yet: look again later, not every poll
      return false;
    }
    const n = r.length;
    t.behind = n - t.cur.index;
    if (t.sent < t.cur.index) t.sent = t.cur.index;
    if (t.sent < n) {
      if (t.behindSinceMs === 0) t.behindSinceMs = now;
      if (t.target.exchg === undefined ? !this.barsSent(t, t.sent) : !this.metaSent(t.target.exchg, t.target.code, now)) return false;
      this.sendRecord(t, r, t.sent);
      t.sent++;
      return true;
    }
    if (t.flight.length > 0) return false; // the end of the day waits for every record's acknowledgement
    if (t.behind > 0) return false;
    t.behindSinceMs = 0;
    if (t.readerLive) {
      if (now - t.lastRollCheckMs < (this.o.rollCheckMs ?? 200)) return false;
      t.lastRollCheckMs = now;
      if (inode(t.livePath) === r.ino) return false;
      // Rolled: the writer no longer appends to this file (THE DAY ROLL, src/store/roll.ts). Send what remains.
      t.readerLive = false;
      if (r.length > t.cur.index) return false; // sent by the next polls
    }
    this.sendEnd(t, r.length);
    return true;
  }

  /**
   * BARRIER: whether the closed event at t's cursor may go out, i.e. every bar record that
   * was in the bar files when it was first looked at is acknowledged. The recorder appends
   * the bars before the event, so the lengths read after the event hold every bar it
   * announces (and maybe a few later ones: a short wait, never a wrong order).
   */
  private barsSent(t: Track, index: number): boolean {
    const date = t.cur.date;
    if (t.barrier?.forDate !== date || t.barrier.forIndex !== index) {
      // A bar file the recorder made since the last scan (an instrument's first bar of the
      // day, closed with this event) must be a track before the barrier is taken, or its
      // bars would not be waited for and could follow the event (seen: the first 1-minute
      // bar of rb2505 after the event of 09:01, test/bus/bus.test.ts).
      this.scan();
      const bars: { t: Track; date: number; file: number; index: number }[] = [];
      for (const b of this.tracks.values()) {
        if (b.blocked || b.target.exchg === undefined || b.target.kind.name === 'tick' || b.target.kind.name === 'trade') continue;
        // The reader's view only while its file is still the live one: after a roll it has
        // not noticed yet (rollCheckMs), the bars of the new day are in a new live file,
        // and taking the old file's end would let the event go out before them (seen:
        // the event of the next day's first minute before that minute's bar).
        const live = b.reader !== undefined && b.readerLive && inode(b.livePath) === b.reader.ino;
        const end = live ? { date: b.reader!.date, length: b.reader!.length } : fileEnd(b.livePath, b.target.kind);
        if (!end || end.length === 0) continue;
        // The live file is the day's file n = how many of its day are set aside already.
        const file = live ? b.cur.file : setAsideFiles(b.livePath, end.date).length;
        bars.push({ t: b, date: end.date, file, index: end.length });
      }
      t.barrier = { forDate: date, forIndex: index, bars };
    }
    const left = t.barrier.bars.filter(
      ({ t: b, date: d, file: n, index: i }) =>
        !(b.cur.date > d || (b.cur.date === d && (b.cur.file > n || (b.cur.file === n && (b.cur.index >= i || b.cur.ended))))),
    );
    t.barrier.bars = left;
    return left.length === 0;
  }

  /**
   * METADATA: whether the instrument's current metadata is acknowledged, so its records
   * may go out; if not, reads it (first time) and sends it. False while it is on its way.
   */
  private metaSent(exchg: string, code: string, now: number): boolean {
    const key = `${exchg}/${code}`;
    let m = this.metas.get(key);
    if (!m) {
      m = {
        file: instrumentMetaPath(this.o.root, exchg, code),
        subject: metaSubject(this.o.prefix, exchg, code),
        payload: new Uint8Array(0),
        id: '',
        volumeDecimals: 0,
        ackedId: '',
        stamp: '',
        sending: false,
        retryAtMs: 0,
      };
      this.metas.set(key, m);
    }
    if (m.id !== '' && m.ackedId === m.id) return true;
    if (m.sending || now < m.retryAtMs) return false;
    if (m.id === '' && !this.readMeta(m, exchg, code)) return false;
    this.sendMeta(m);
    return false;
  }

  /** Reads an instrument's metadata file into m (payload, id, stamp); false, logged, when it is damaged. */
  private readMeta(m: MetaState, exchg: string, code: string): boolean {
    let bytes: Buffer;
    let stamp = '';
    try {
      bytes = fs.readFileSync(m.file);
      const st = fs.statSync(m.file);
      stamp = `${st.size}/${st.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      bytes = Buffer.alloc(0); // no file: the records read with the defaults here; the mirror is told so
    }
    let volumeDecimals = 0; // no file: whole units
    if (bytes.length > 0) {
      try {
        volumeDecimals = parseStoredMeta(bytes.toString('utf8'), m.file).volume_decimals;
      } catch (err) {
        m.retryAtMs = this.now() + META_CHECK_MS;
        this.errorsLog.reject(
          'meta',
          `${(err as Error).message} The records of ${exchg}.${code} are not published until it is.`,
          'publish',
        );
        return false;
      }
    }
    m.payload = new Uint8Array(bytes);
    m.id = metaMessageId(exchg, code, m.payload);
    m.volumeDecimals = volumeDecimals;
    m.stamp = stamp;
    return true;
  }

  private sendMeta(m: MetaState): void {
    const h = headers();
    h.set(HDR_FORMAT, WIRE_FORMAT);
    const id = m.id;
    m.sending = true;
    this.inFlight++;
    this.js!.publish(m.subject, m.payload, { msgID: id, headers: h, timeout: this.o.ackTimeoutMs }).then(
      () => {
        this.inFlight--;
        m.sending = false;
        m.ackedId = id;
        this.counters.metadata++;
        this.schedule(0);
      },
      (err: unknown) => {
        this.inFlight--;
        m.sending = false;
        m.retryAtMs = this.now() + META_RETRY_MS;
        this.counters.errors++;
        this.errorsLog.reject('publish', `${m.subject}: ${(err as Error)?.message ?? String(err)}; retrying`, 'publish');
      },
    );
  }

  /** Every META_CHECK_MS: a metadata file sent that changed since (size, mtime) is read again, and so sent again. */
  private checkMetas(): void {
    for (const [key, m] of this.metas) {
      if (m.id === '' || m.sending) continue;
      let st: fs.Stats;
      try {
        st = fs.statSync(m.file);
      } catch {
        continue; // gone: what was sent stays (a mirror keeps its file too)
      }
      if (`${st.size}/${st.mtimeMs}` === m.stamp) continue;
      const [exchg, code] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      const before = m.id;
      if (!this.readMeta(m, exchg, code))
        m.id = ''; // damaged now: the records wait until it is readable
      else if (m.id !== before) {
        this.o.log.info({ file: m.file }, `${m.file} changed: sent again, before the next records of ${exchg}.${code}`);
        if (this.js && this.state === 'connected') this.sendMeta(m);
      }
    }
  }

  /** Opens the file a cursor is in, or the next day file (DAYS and DAY ORDER at the top); undefined when there is none yet. */
  private open(t: Track): RtReader | undefined {
    const kind = t.target.kind;
    const c = t.cur;
    if (c.date !== 0 && !c.ended) {
      // Within a day file: the live one (which will be the day's file n = how many are set
      // aside already), or the dated one if it was set aside since. The live file is opened
      // before the listing: a roll between the two shows as one more set-aside file.
      const live = tryOpen(t.livePath, kind);
      const aside = setAsideFiles(t.livePath, c.date);
      if (live && live.date === c.date && aside.length === c.file) return this.use(t, live, true);
      if (live && live.date < c.date) {
        live.close();
        this.errorsLog.reject('cursor', `${t.livePath}: the live file is of ${live.date}, the cursor of ${c.date}; waiting`, 'publish');
        return undefined;
      }
      live?.close();
      const done = aside[c.file] ?? finishedPath(t.livePath, c.date, c.file);
      const old = aside[c.file] === undefined ? undefined : tryOpen(done, kind);
      if (old) return this.use(t, old, false);
      if (!live) return undefined; // moved away and not yet replaced, or not created again
      // The day is gone from rt/ (compacted) before it was published whole.
      this.counters.gaps++;
      this.o.log.error(
        { file: done, date: c.date, from: c.index },
        `${done}: gone before it was published whole (${targetText(t.target)}: records from index ${c.index} of ${c.date} are not on the bus); ` +
          `publish them from history with 'tickrec cat --root ${this.o.root}' if a mirror needs them`,
      );
      t.cur = { date: c.date, file: c.file, index: c.index, ended: true };
      this.dirty = true;
      return undefined;
    }
    const live = tryOpen(t.livePath, kind);
    if (c.date !== 0) {
      // After a day file: the same day's next file (<CODE>~<n+1>.dmb), set aside or live.
      const n = c.file + 1;
      const aside = setAsideFiles(t.livePath, c.date);
      if (aside[n] !== undefined) {
        live?.close();
        const old = tryOpen(aside[n], kind);
        if (!old) return undefined; // moved on (compacted) between the listing and now: looked at again later
        t.cur = { date: c.date, file: n, index: 0, ended: false };
        this.dirty = true;
        return this.use(t, old, false);
      }
      if (live && live.date === c.date && aside.length === n) {
        t.cur = { date: c.date, file: n, index: 0, ended: false };
        this.dirty = true;
        return this.use(t, live, true);
      }
    }
    // Between days (or before the first): the oldest day file of a later date, set aside or live.
    if (live && live.date <= c.date) {
      live.close(); // that day was sent whole: wait for the next day's file
      return undefined;
    }
    const next = this.setAsideDates(t, c.date)[0];
    if (next !== undefined && (!live || next <= live.date)) {
      live?.close();
      const old = tryOpen(finishedPath(t.livePath, next), kind);
      if (!old) return undefined; // moved on (compacted) between the listing and now: looked at again later
      t.cur = { date: next, file: 0, index: 0, ended: false };
      this.dirty = true;
      return this.use(t, old, false);
    }
    if (!live) return undefined;
    t.cur = { date: live.date, file: setAsideFiles(t.livePath, live.date).length, index: 0, ended: false };
    this.dirty = true;
    return this.use(t, live, true);
  }

  private use(t: Track, r: RtReader, live: boolean): RtReader {
    assert(t.flight.length === 0 && !t.ending, `${t.subject}: a new file opened with records in flight`);
    t.sent = t.cur.index;
    t.reader = r;
    t.readerLive = live;
    t.lastRollCheckMs = this.now();
    return r;
  }

  private sendRecord(t: Track, r: RtReader, i: number): void {
    const bytes = r.rawRecords(i, i + 1).slice(); // a copy: the client sends it later
    const same = sameBefore(
      i,
      (j) => r.keyAt(j),
      (j) => r.rawRecords(j, j + 1),
    );
    const { date, file } = t.cur;
    const h = headers();
    h.set(HDR_DATE, String(date));
    if (file > 0) h.set(HDR_FILE, String(file));
    h.set(HDR_INDEX, String(i));
    h.set(HDR_FORMAT, WIRE_FORMAT);
    if (t.target.exchg !== undefined) {
      // UNIT OF A RECORD: the unit of the metadata acknowledged before it (pump sends a record only then).
      const m = this.metas.get(`${t.target.exchg}/${t.target.code}`);
      assert(m !== undefined && m.ackedId === m.id, `${t.subject}: a record sent before its metadata was acknowledged`);
      h.set(HDR_VOLUME_DECIMALS, String(m.volumeDecimals));
    }
    const f: Flight = { index: i, sentMs: this.now(), seq: -1, duplicate: false, failed: false };
    t.flight.push(f);
    this.inFlight++;
    this.js!.publish(t.subject, bytes, {
      msgID: messageId(t.target, date, contentHash(bytes), same, file),
      headers: h,
      timeout: this.o.ackTimeoutMs,
    }).then(
      (ack) => {
        this.inFlight--;
        f.seq = ack.seq;
        f.duplicate = ack.duplicate;
        this.settle(t, date, file);
      },
      (err: unknown) => {
        this.inFlight--;
        if (!f.failed && !t.failed) this.fail(t, err);
        f.failed = true;
        t.failed = true;
        this.settle(t, date, file);
      },
    );
  }

  /**
   * After an answer: moves the cursor over the acknowledged records at the head of the
   * flight (CURSOR RULE), checks their sequences rise (ORDER RULE), and once a failed
   * flight is empty, starts the file again from its first unacknowledged record.
   */
  private settle(t: Track, date: number, file: number): void {
    while (t.flight.length > 0 && t.flight[0]!.seq >= 0) {
      const f = t.flight.shift()!;
      if (f.seq <= t.lastSeq) {
        this.counters.orderBreaks++;
        this.o.log.error(
          { subject: t.subject, date, index: f.index, seq: f.seq, previous: t.lastSeq },
          `${t.subject}: record ${f.index} of ${date} was stored at stream sequence ${f.seq}, before the record ahead of it (${t.lastSeq}): ` +
            'the stream holds this file out of order here; mirrors refuse or misplace it. Report this with the publisher and NATS logs.',
        );
      }
      t.lastSeq = Math.max(t.lastSeq, f.seq);
      if (t.cur.date === date && t.cur.file === file && t.cur.index === f.index) t.cur.index = f.index + 1;
      if (f.duplicate) this.counters.duplicates++;
      else this.counters.published++;
      this.dirty = true;
      t.backoffMs = 0;
    }
    if (t.failed && t.flight.every((f) => f.seq >= 0 || f.failed)) {
      // Everything in flight has answered: again from the first record not acknowledged.
      t.flight = [];
      t.failed = false;
      t.sent = t.cur.index;
    }
    if (!this.stopped) this.chain(t);
  }

  private sendEnd(t: Track, count: number): void {
    const { date, file } = t.cur;
    const h = headers();
    h.set(HDR_DATE, String(date));
    if (file > 0) h.set(HDR_FILE, String(file));
    h.set(HDR_END, String(count));
    h.set(HDR_FORMAT, WIRE_FORMAT);
    t.ending = true;
    this.inFlight++;
    this.js!.publish(t.subject, new Uint8Array(0), {
      msgID: endMessageId(t.target, date, file),
      headers: h,
      timeout: this.o.ackTimeoutMs,
    }).then(
      (ack) => {
        this.inFlight--;
        t.ending = false;
        t.lastSeq = Math.max(t.lastSeq, ack.seq);
        t.backoffMs = 0;
        this.counters.endMarkers++;
        t.cur = { date, file, index: count, ended: true };
        t.reader?.close();
        t.reader = undefined;
        this.dirty = true;
        if (!this.stopped) this.chain(t);
      },
      (err: unknown) => {
        this.inFlight--;
        t.ending = false;
        this.fail(t, err);
      },
    );
  }

  /** After an answer, the next records of the same file go out at once (no poll wait). */
  private chain(t: Track): void {
    try {
      while (this.inFlight < this.o.maxInFlight && this.pump(t));
    } catch (err) {
      this.fail(t, err);
    }
  }

  private fail(t: Track, err: unknown): void {
    this.counters.errors++;
    t.backoffMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, t.backoffMs * 2));
    t.retryAtMs = this.now() + t.backoffMs;
    this.errorsLog.reject('publish', `${t.subject}: ${(err as Error)?.message ?? String(err)}; retrying`, 'publish');
  }

  /** Reads the mirrors' consumers of the stream (their unacknowledged messages); a failure keeps the last figures. */
  private readMirrors(): void {
    const nc = this.nc;
    if (!nc || this.readingMirrors || this.state !== 'connected') return;
    this.readingMirrors = true;
    void (async () => {
      const out: Record<string, number> = {};
      const jsm = await jetstreamManager(nc);
      for await (const c of jsm.consumers.list(this.o.stream)) {
        if (MIRROR_CONSUMER.test(c.name)) out[c.name] = c.num_pending + c.num_ack_pending;
      }
      this.mirrors = out;
    })()
      .catch((err: unknown) => this.o.log.debug(`reading the mirrors' consumers: ${(err as Error).message}`))
      .finally(() => {
        this.readingMirrors = false;
      });
  }

  /**
   * Connects (one attempt at a time, every server in turn, until one answers) with the
   * client's own reconnection off (ORDER RULE); when the connection closes, connects again.
   */
  private async connect(): Promise<void> {
    for (let wait = 250; !this.stopped; wait = Math.min(wait * 2, 5000)) {
      try {
        const nc = await connectBus({
          servers: this.o.servers,
          name: `tickrec-publish ${this.o.root}`,
          auth: this.o.auth ?? {},
          tls: this.o.tls,
          reconnect: false,
        });
        this.nc = nc;
        this.js = jetstream(nc, { timeout: this.o.ackTimeoutMs });
        this.watchStatus(nc);
        void nc.closed().then(() => this.closed(nc));
        return;
      } catch (err) {
        if (this.stopped || (err as { cause?: { code?: string } }).cause?.code === 'AUTHORIZATION_VIOLATION') throw err;
        this.o.log.warn(`${(err as Error).message}; retrying in ${wait} ms; records wait in the files`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private closed(nc: NatsConnection): void {
    if (this.stopped || nc !== this.nc) return;
    this.state = 'reconnecting';
    this.js = undefined;
    this.o.log.warn('NATS: connection closed; records wait in the files; connecting again');
    void (async () => {
      try {
        await this.connect();
        if (this.stopped) return;
        this.state = 'connected';
        this.o.log.info(`NATS: connected again to ${this.nc?.getServer() ?? '?'}`);
        this.schedule(0);
      } catch (err) {
        this.o.log.error({ err }, `NATS: cannot connect again: ${(err as Error).message}`);
      }
    })();
  }

  private async ensureStreamRetrying(): Promise<void> {
    for (let wait = 250; ; wait = Math.min(wait * 2, 10_000)) {
      try {
        await ensureStream(this.nc!, this.o.stream, this.o.prefix, this.o.createStream);
        return;
      } catch (err) {
        // A stream that cannot take our subjects is a configuration error: stop. Anything
        // else (no JetStream leader yet, a cluster starting) is retried.
        if (/takes .* not |overlap/.test((err as Error).message) || this.stopped) throw err;
        this.o.log.warn(`stream ${this.o.stream}: ${(err as Error).message}; retrying in ${wait} ms`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' && nc === this.nc) {
          this.state = 'reconnecting';
          this.o.log.warn(`NATS: disconnected from ${s.server}; records wait in the files`);
        }
      }
    })().catch(() => undefined);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.o.log.error({ err }, `publisher: ${(err as Error).message}`);
    }
  }
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function mtime(dir: string): number | undefined {
  try {
    return fs.statSync(dir).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The date and length of a live file, undefined when there is none. */
function fileEnd(file: string, kind: RecordKind): { date: number; length: number } | undefined {
  const r = tryOpen(file, kind);
  if (!r) return undefined;
  try {
    return { date: r.date, length: r.length };
  } finally {
    r.close();
  }
}

function inode(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

function tryOpen(file: string, kind: RecordKind): RtReader | undefined {
  try {
    return RtReader.open(file, { kind });
  } catch (err) {
    if ((err as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT') return undefined;
    throw err;
  }
}

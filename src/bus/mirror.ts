// The bus mirror: consumes a tickrec stream and writes the same real-time files on this
// host, byte for byte, with the store's writer (WriterPool: same paths, same growth,
// same day roll), so readers here use follow(), tail and compact as on the recorder's host.
//
// POSITION: the stream sequence last handled (written, skipped or refused), kept per
// subject filter in `<root>/bus/mirror-<STREAM>.json`, written after the records (at most
// every `positionFlushMs`). It lives with the files it describes, so it is the truth the
// mirror resumes from (a restored backup of the root resumes where that backup ends).
//
// CONSUMER: one durable pull consumer per subject filter on the server (`durable`, by
// default tickrec-mirror-<HOST>-<hash of the root's real path>), acknowledgements AckAll,
// sent after the records are written. It survives the mirror's restarts and the loss of
// a NATS node (its state is replicated like the stream's), and the server (`nats consumer
// report`, the publisher's /metrics) sees how far each mirror is.
// ORDER RULE: records are written in stream order, never a message after a later one of
// its file. A durable consumer breaks that in two ways, both caught:
//   - a delivery lost on the way (a pull answer dropped with a connection) would be sent
//     again only after its ack wait, behind newer messages: a gap in the consumer's
//     delivery sequence ends the reading, and the consumer is made again from the position;
//   - at start, a consumer whose state is not exactly the mirror's position (messages
//     delivered but never written: a kill -9, a write that failed; or a position older
//     than its acknowledgements: a position file lost) would deliver from elsewhere or
//     redeliver out of order: it is deleted and made again from position + 1.
// A redelivery of a message at or below the position (an acknowledgement that did not
// arrive) is acknowledged and skipped.
//
// RESUME FROM ITS OWN FILES: after any restart the mirror replays from its position; the
// records it already holds are recognised by content and skipped (DEDUPE below), so a
// position older than the files (a crash before the position was written) costs time,
// never a duplicate.
//
// DEDUPE AND ORDER, per file (kind, exchange, code) of trading date D, time key k,
// message-id occurrence N (wire.ts):
//   - a record whose identical copy is already in the file N+1 times or more: skipped,
//     counted as a duplicate (a resend, a second recorder beyond the duplicate window);
//   - ticks and trades: k below the file's last key otherwise is refused (out_of_order);
//   - bars: one bar per time: k at or below the last bar's is refused unless identical;
//   - a record of a day the mirror already set aside is refused (late) unless a duplicate.
// END OF DAY: the publisher's end marker sets the mirror's file of that day aside.
// METADATA (wire.ts INSTRUMENT METADATA): a metadata message is written to
// meta/instruments/<EXCHG>/<CODE>.json, the publisher's bytes, with the recorder's rules
// (src/meta/root.ts: tmp file, fsync when volume_decimals > 0, rename), unless the file
// here says another volume_decimals or timezone (facts about the records stored here:
// refused, `meta`), or, with no file here, records of the instrument are here already
// and it differs from the whole units and bundled zone they read with (UNLABELLED
// RECORDS, src/meta/root.ts: refused, `meta`). NO RECORD WITHOUT ITS METADATA: every record of an instrument (a
// trade's volume unit, every kind's time zone) is written only once the mirror has the
// instrument's metadata: its file here, or the publisher's word that its root has none.
// The stream carries it before the instrument's records; when the mirror's subject
// filters leave it out (or it is gone from the stream), the mirror asks the stream for
// the last one of the instrument before writing the record; a record whose metadata the
// stream does not hold is refused (`meta`), never written with a guessed unit.
// UNIT OF A RECORD (wire.ts): a record whose Tickrec-Volume-Decimals is not the
// volume_decimals of the instrument's metadata here (0 with the publisher's word "none")
// is refused (`unit`), never written: a second recorder whose root has another lot step
// for the instrument (its metadata refused above) sends the same trades in other bytes,
// which JetStream does not drop as duplicates. The unit here is kept per instrument
// (`units`), read from the file once, set whenever the mirror writes or keeps a file.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { NatsConnection } from '@nats-io/transport-node';
import { factsOfPriorRecords, readStoredMeta, writeStoredMetaText } from '../meta/index.js';
import {
  AckPolicy,
  DeliverPolicy,
  ReplayPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { RecordKind } from '../format/index.js';
import { barsClosedPath, busMirrorPositionPath, finishedPath, instrumentMetaPath } from '../layout/index.js';
import { ClosedEventWriter } from '../bars/closed.js';
import { RtReader, WriterPool, acquireRootLock, isNextFileOfDay, setAsideFiles, type RootLock } from '../store/index.js';
import { RejectLog } from '../reject-log.js';
import { checkMessage, type BusEnd, type BusMeta, type BusRecord, type Refusal } from './check.js';
import { busError, connectBus, streamSubject, type BusAuth, type BusTls } from './connect.js';
import { metaSubject, targetStem, targetText, type BusTarget } from './wire.js';

export interface MirrorOptions {
  root: string;
  servers: readonly string[];
  stream: string;
  prefix: string;
  /** Subject filters; default [<prefix>.>]. */
  subjects?: readonly string[];
  auth?: BusAuth;
  tls?: BusTls | undefined;
  log: Logger;
  maxOpenFiles?: number;
  /** The position file is written at most this often, ms. Default 200. */
  positionFlushMs?: number;
  /** Messages asked for at a time. Default 1024. */
  batch?: number;
  /** Name of the durable consumer (one mirror root, one name). Default defaultDurableName(root). */
  durable?: string;
  now?: () => number;
}

export type MirrorRefusal =
  'subject' | 'foreign' | 'size' | 'instrument' | 'date' | 'encoding' | 'out_of_order' | 'late' | 'meta' | 'unit' | 'write';

export interface MirrorStats {
  state: 'connecting' | 'connected' | 'reconnecting' | 'closed';
  written: number;
  duplicates: number;
  refused: Partial<Record<MirrorRefusal, number>>;
  daysEnded: number;
  writeErrors: number;
  /** Instrument metadata files written (METADATA). */
  metadataWritten: number;
  /** Messages of the stream still to read, all filters together (from the last delivery). */
  pendingMessages: number;
  /** Now minus the stream time of the last message written, seconds (0 when none pending). */
  lagSeconds: number;
  lastSeq: number;
  /** The durable consumer (the first filter's). */
  consumer: string;
  /** Consumers made since start: a new one, or one made again because its state was not the position (ORDER RULE). */
  consumersMade: number;
  /** Each subject filter's durable consumer (CONSUMER VIEW). */
  consumers: MirrorConsumerStats[];
}

/**
 * CONSUMER VIEW: how far one durable consumer of the mirror is, as the NATS servers see it
 * (read every CONSUMER_INFO_MS) and as the mirror's files are.
 */
export interface MirrorConsumerStats {
  name: string;
  filter: string;
  /** Messages of the filter not yet acknowledged by the mirror: the consumer's num_pending + num_ack_pending (-1: not read yet). */
  pending: number;
  /** When the servers last answered about the consumer, epoch ms (0: never). */
  readMs: number;
  /** The stream sequence last handled (the position). */
  position: number;
  /** Now minus the publication time (the stream's time stamp) of the last record written, seconds; null before the first. */
  lastRecordAgeSeconds: number | null;
}

interface PositionFile {
  version: 1;
  stream: string;
  updatedMs: number;
  /** Last stream sequence written, by subject filter. */
  positions: Record<string, number>;
}

/** Where the records of one target go (Mirror.sink). */
interface Sink {
  readonly livePath: string;
  /** Trading date of the live file, 0 when there is none. */
  liveDate(): number;
  /** Appends the record; false, writing nothing, when its day is finished here. */
  append(r: BusRecord): boolean;
  /** Sets the live file of `date` aside; whether it did. */
  finish(date: number): boolean;
}

interface FileState {
  /** Trading date of the live file (0: none). */
  date: number;
  /** Which file of its day the live file is (the publisher's Tickrec-File; 0: the first). */
  file: number;
  lastKey: number;
  /** Bytes of the last records with key lastKey (at most RUN_MAX). */
  run: Uint8Array[];
}

/** How often each consumer's state is read from the servers (CONSUMER VIEW), ms. */
const CONSUMER_INFO_MS = 2000;

/** After the stream had no metadata for an instrument, it is asked again after this long, ms (records refused meanwhile). */
const META_ASK_AGAIN_MS = 10_000;

/** How long one pull request lasts, ms (the client's heartbeat is half of it). */
const PULL_EXPIRES_MS = 5000;

/** A consume with no message and no heartbeat for this long is ended and made again, ms. */
const SILENT_MS = 3 * PULL_EXPIRES_MS;

/** Records with the last key kept in memory per file for the duplicate check. */
const RUN_MAX = 4096;

/** A handled message is acknowledged (AckAll) at most this many messages later (and at every position flush). */
const ACK_EVERY = 256;

/** The consumer's ack wait: far above ACK_EVERY messages and a position flush. */
const ACK_WAIT_MS = 60_000;

/** A durable name: letters, digits, '_' and '-' (NATS forbids '.', '*', '>' and spaces). */
const DURABLE = /^[A-Za-z0-9_-]{1,128}$/;

export function durableProblem(name: string): string | null {
  return DURABLE.test(name) ? null : `durable name '${name.slice(0, 40)}': letters, digits, '_' or '-', at most 128`;
}

/**
 * The default durable consumer name of a mirror root: tickrec-mirror-<HOST>-<first 40 bits
 * of SHA-256 of the root's real path>, so two mirrors never share one consumer (they would
 * split its messages between them) unless told to.
 */
export function defaultDurableName(root: string, host = os.hostname()): string {
  let real = path.resolve(root);
  try {
    real = fs.realpathSync(real);
  } catch {
    // not made yet: the resolved path names it
  }
  const hash = crypto.createHash('sha256').update(real).digest('hex').slice(0, 10);
  return `tickrec-mirror-${host.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}-${hash}`;
}

export class Mirror {
  private readonly pool: WriterPool;
  private readonly closed: ClosedEventWriter;
  private readonly lock: RootLock;
  private readonly refusals: RejectLog;
  private readonly now: () => number;
  private readonly files = new Map<string, FileState>();
  private readonly positions = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  /** The last handled message of each filter not yet acknowledged, and how many were handled since the last ack. */
  private readonly toAck = new Map<string, { m: JsMsg; n: number }>();
  private readonly durable: string;
  private readonly consumersMade = { count: 0 };
  private readonly positionFile: string;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly iterators = new Set<ConsumerMessages>();
  private nc: NatsConnection | undefined;
  private state: MirrorStats['state'] = 'connecting';
  private stopped = false;
  private dirty = false;
  private lastStreamMs = 0;
  /** By filter: the publication time (stream time stamp) of the last record written, ms. */
  private readonly lastRecordMs = new Map<string, number>();
  /** By filter: the consumer's unacknowledged messages as the servers said, and when. */
  private readonly serverPending = new Map<string, { pending: number; readMs: number }>();
  private readingConsumers = false;
  private readonly counters = { written: 0, duplicates: 0, daysEnded: 0, writeErrors: 0, metadataWritten: 0 };
  /** By "<EXCHG>/<CODE>": the metadata is here ('file'), the publisher's root has none ('none'), or the stream had none at that time (ms). */
  private readonly metaState = new Map<string, 'file' | 'none' | number>();
  /** By "<EXCHG>/<CODE>": the volume_decimals of the metadata here (UNIT OF A RECORD), or why it could not be read and when. */
  private readonly units = new Map<string, number | { problem: string; atMs: number }>();
  private jsm: Promise<JetStreamManager> | undefined;

  private constructor(private readonly o: MirrorOptions) {
    this.now = o.now ?? Date.now;
    this.refusals = new RejectLog(o.log, 10_000, this.now);
    // The mirror is the one writer of its root, like a recorder.
    this.lock = acquireRootLock(o.root, { onWarning: (m) => o.log.warn(m) });
    this.positionFile = busMirrorPositionPath(o.root, o.stream);
    this.durable = o.durable ?? defaultDurableName(o.root);
    try {
      this.pool = new WriterPool(o.root, {
        maxOpenFiles: o.maxOpenFiles ?? 4096,
        initialCapacity: {},
        onRoll: (r) => o.log.info(r, r.to ? `day ${r.date} of ${r.exchg}.${r.code} (${r.kind}) finished: ${r.to}` : `empty file removed`),
        onRepair: (m) => o.log.warn(`repaired on open: ${m}`),
        onProblem: (m) => o.log.error(m),
      });
      this.pool.scan();
      this.closed = new ClosedEventWriter(o.root, {
        onRoll: (r) => o.log.info(r, r.to ? `closed-bar events of ${r.session} for ${r.date} finished: ${r.to}` : 'empty file removed'),
      });
      this.loadPositions();
    } catch (err) {
      this.lock.release();
      throw err;
    }
  }

  static async start(o: MirrorOptions): Promise<Mirror> {
    const m = new Mirror(o);
    try {
      m.nc = await connectBus({ servers: o.servers, name: `tickrec-mirror ${o.root}`, auth: o.auth ?? {}, tls: o.tls });
      m.watchStatus(m.nc);
      m.state = 'connected';
    } catch (err) {
      await m.stop();
      throw err;
    }
    const t = setInterval(
      () =>
        m.guard(() => {
          m.flushPositions();
          m.ackAll();
        }),
      o.positionFlushMs ?? 200,
    );
    t.unref();
    m.timers.push(t);
    const t3 = setInterval(() => m.readConsumers(), CONSUMER_INFO_MS);
    t3.unref();
    m.timers.push(t3);
    const t2 = setInterval(() => m.refusals.flush(), 1000);
    t2.unref();
    m.timers.push(t2);
    for (const filter of m.filters()) m.loops.push(m.consumeLoop(filter));
    o.log.info(
      { root: o.root, stream: o.stream, durable: m.durable },
      `mirroring stream ${o.stream} (${m.filters().join(', ')}) into ${o.root}, durable consumer ${m.durable}`,
    );
    return m;
  }

  stats(): MirrorStats {
    const refused: Partial<Record<MirrorRefusal, number>> = {};
    for (const [k, v] of this.refusals.counts) refused[k as MirrorRefusal] = v;
    let pending = 0;
    for (const p of this.pending.values()) pending += p;
    let last = 0;
    for (const s of this.positions.values()) last = Math.max(last, s);
    return {
      state: this.state,
      ...this.counters,
      refused,
      pendingMessages: pending,
      lagSeconds: pending > 0 && this.lastStreamMs > 0 ? Math.max(0, (this.now() - this.lastStreamMs) / 1000) : 0,
      lastSeq: last,
      consumer: this.durableFor(this.filters()[0]!),
      consumersMade: this.consumersMade.count,
      consumers: this.filters().map((filter) => {
        const at = this.lastRecordMs.get(filter);
        const sp = this.serverPending.get(filter);
        return {
          name: this.durableFor(filter),
          filter,
          pending: sp?.pending ?? -1,
          readMs: sp?.readMs ?? 0,
          position: this.positions.get(filter) ?? 0,
          lastRecordAgeSeconds: at === undefined ? null : Math.max(0, (this.now() - at) / 1000),
        };
      }),
    };
  }

  /** CONSUMER VIEW: reads every filter's consumer from the servers; a failure keeps the last figures. */
  private readConsumers(): void {
    if (this.readingConsumers || this.stopped || !this.nc || this.nc.isClosed()) return;
    this.readingConsumers = true;
    void (async () => {
      const jsm = await (this.jsm ??= jetstreamManager(this.nc!));
      for (const filter of this.filters()) {
        const c = await jsm.consumers.info(this.o.stream, this.durableFor(filter)).catch(() => undefined);
        if (c) this.serverPending.set(filter, { pending: c.num_pending + c.num_ack_pending, readMs: this.now() });
      }
    })()
      .catch((err: unknown) => this.o.log.debug(`reading the consumers: ${(err as Error).message}`))
      .finally(() => {
        this.readingConsumers = false;
      });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const it of this.iterators) it.stop();
    await Promise.allSettled(this.loops);
    this.ackAll();
    try {
      this.pool.closeAll();
      this.closed.close();
      this.flushPositions();
    } finally {
      this.state = 'closed';
      await this.nc?.close().catch(() => undefined);
      this.lock.release();
      this.refusals.flush();
    }
  }

  private filters(): string[] {
    return this.o.subjects && this.o.subjects.length > 0 ? [...this.o.subjects] : [streamSubject(this.o.prefix)];
  }

  private loadPositions(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.positionFile, 'utf8');
    } catch {
      return; // none yet: from the start of the stream
    }
    try {
      const f = JSON.parse(text) as PositionFile;
      for (const [k, v] of Object.entries(f.positions ?? {})) if (Number.isInteger(v) && v >= 0) this.positions.set(k, v);
    } catch {
      // Replaying the whole stream is safe (DEDUPE), only slower: say so and go on.
      this.o.log.warn(`${this.positionFile}: unreadable; reading the stream from its start (records already here are skipped)`);
    }
  }

  private flushPositions(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const data: PositionFile = { version: 1, stream: this.o.stream, updatedMs: this.now(), positions: Object.fromEntries(this.positions) };
    const tmp = `${this.positionFile}.tmp-${process.pid}`;
    fs.mkdirSync(path.dirname(this.positionFile), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(data) + '\n');
    fs.renameSync(tmp, this.positionFile);
  }

  /** The durable consumer of a filter: the mirror's name, with a hash of the filter when there are several. */
  private durableFor(filter: string): string {
    if (this.filters().length === 1) return this.durable;
    return `${this.durable}-${crypto.createHash('sha256').update(filter).digest('hex').slice(0, 8)}`;
  }

  private async consumeLoop(filter: string): Promise<void> {
    const js = jetstream(this.nc!);
    const jsm = await jetstreamManager(this.nc!);
    const name = this.durableFor(filter);
    for (let wait = 250; !this.stopped; wait = Math.min(wait * 2, 10_000)) {
      try {
        const position = this.positions.get(filter) ?? 0;
        await this.checkGap(jsm, filter, position + 1);
        const info = await this.ensureConsumer(jsm, name, filter, position);
        const c = await js.consumers.get(this.o.stream, name);
        // A pull that expires every 5 s with heartbeats (2.5 s): a consumer lost with a NATS
        // node is noticed within seconds and the loop starts again from the position.
        const it = await c.consume({ max_messages: this.o.batch ?? 1024, expires: PULL_EXPIRES_MS });
        this.iterators.add(it);
        wait = 250;
        const watch = this.watch(filter, it);
        let delivered = info.delivered.consumer_seq;
        try {
          for await (const m of it) {
            if (this.stopped) break;
            watch.active();
            if (m.info.deliverySequence !== delivered + 1) {
              // ORDER RULE: a delivery was lost on the way; what follows cannot be written before it.
              this.o.log.warn(
                `mirror ${filter}: delivery ${m.info.deliverySequence} of consumer ${name} after ${delivered} (a delivery was lost); ` +
                  `reading again from sequence ${(this.positions.get(filter) ?? 0) + 1}`,
              );
              break;
            }
            delivered = m.info.deliverySequence;
            if (m.seq <= (this.positions.get(filter) ?? 0)) {
              m.ack(); // a redelivery of a message handled already
              continue;
            }
            const done = this.handle(filter, m);
            if (!(done === true || (done !== false && (await done)))) break; // a write failed: read again from the position
          }
        } finally {
          watch.stop();
          this.iterators.delete(it);
          it.stop();
          await this.ackConfirmed(filter);
        }
      } catch (err) {
        if (this.stopped) break;
        this.o.log.warn(`mirror ${filter}: ${(err as Error).message}; retrying in ${wait} ms`);
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, wait));
    }
  }

  /**
   * The durable consumer of a filter, ready to deliver the first message after `position`
   * in order (ORDER RULE): kept when its state is exactly the position (nothing delivered
   * beyond it, everything up to it acknowledged), otherwise deleted and made again.
   */
  private async ensureConsumer(jsm: JetStreamManager, name: string, filter: string, position: number): Promise<ConsumerInfo> {
    const stream = this.o.stream;
    let info: ConsumerInfo | undefined;
    try {
      info = await jsm.consumers.info(stream, name);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw busError(err, stream, `read consumer ${name}`);
    }
    if (info) {
      const cfg = info.config;
      const why =
        cfg.filter_subject !== filter
          ? `it takes ${String(cfg.filter_subject)}`
          : cfg.ack_policy !== AckPolicy.All
            ? `its ack policy is ${cfg.ack_policy}`
            : info.delivered.stream_seq !== position || info.ack_floor.stream_seq !== position || info.num_ack_pending !== 0
              ? `it delivered through ${info.delivered.stream_seq} (acknowledged ${info.ack_floor.stream_seq}), the mirror holds through ${position}`
              : undefined;
      if (why === undefined) return info;
      this.o.log.info({ consumer: name, filter, position }, `consumer ${name} made again from sequence ${position + 1}: ${why}`);
      try {
        await jsm.consumers.delete(stream, name);
      } catch (err) {
        if (!/not found/i.test((err as Error).message)) throw busError(err, stream, `delete consumer ${name}`);
      }
    }
    this.consumersMade.count++;
    try {
      return await jsm.consumers.add(stream, {
        durable_name: name,
        description: `tickrec mirror of ${this.o.root} on ${os.hostname()}`,
        filter_subject: filter,
        ack_policy: AckPolicy.All,
        ack_wait: ACK_WAIT_MS * 1e6,
        max_ack_pending: 4 * (this.o.batch ?? 1024) + ACK_EVERY,
        replay_policy: ReplayPolicy.Instant,
        ...(position > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: position + 1 }
          : { deliver_policy: DeliverPolicy.All }),
      });
    } catch (err) {
      throw busError(err, stream, `create consumer ${name}`);
    }
  }

  /**
   * Acknowledges the last handled message of a filter and waits for the server's word, so
   * the consumer's state is the position when the loop looks at it again (and an ack is
   * never sent to a consumer made again since).
   */
  private async ackConfirmed(filter: string): Promise<void> {
    const a = this.toAck.get(filter);
    if (!a) return;
    this.toAck.delete(filter);
    await a.m.ackAck({ timeout: 2000 }).catch(() => false);
  }

  /** Acknowledges (AckAll) the last handled message of every filter. */
  private ackAll(): void {
    for (const [filter, a] of this.toAck) {
      this.toAck.delete(filter);
      a.m.ack();
    }
  }

  /**
   * Ends a consume whose consumer is gone (its NATS node died, the stream was recreated)
   * or that went silent (no message, no heartbeat for SILENT_MS): the loop then reads
   * again, keeping the durable consumer or making it again from the mirror's own position
   * (ensureConsumer). A consume left to itself was seen to stay silent for minutes after a
   * node of a cluster was killed.
   */
  private watch(filter: string, it: ConsumerMessages): { active(): void; stop(): void } {
    let last = Date.now();
    let stopped = false;
    const end = (why: string) => {
      if (stopped) return;
      stopped = true;
      this.o.log.warn(`mirror ${filter}: ${why}; reading again from sequence ${(this.positions.get(filter) ?? 0) + 1}`);
      it.stop();
    };
    void (async () => {
      for await (const s of it.status()) {
        if (s.type === 'heartbeat' || s.type === 'next') last = Date.now();
        else if (s.type === 'heartbeats_missed' && s.count >= 2) end(`${s.count} heartbeats missed`);
        else if (s.type === 'consumer_not_found' || s.type === 'consumer_deleted' || s.type === 'stream_not_found')
          end(s.type.replace(/_/g, ' '));
      }
    })().catch(() => undefined);
    const timer = setInterval(() => {
      if (Date.now() - last > SILENT_MS) end(`nothing from the server for ${SILENT_MS} ms`);
    }, 1000);
    timer.unref();
    return {
      active: () => {
        last = Date.now();
      },
      stop: () => {
        stopped = true;
        clearInterval(timer);
      },
    };
  }

  /** Messages the stream no longer holds (aged out while the mirror was away) are a gap: said loudly. */
  private async checkGap(jsm: Awaited<ReturnType<typeof jetstreamManager>>, filter: string, from: number): Promise<void> {
    if (from <= 1) return;
    let first: number;
    try {
      first = (await jsm.streams.info(this.o.stream)).state.first_seq;
    } catch (err) {
      throw busError(err, this.o.stream, 'read the stream');
    }
    if (first > from) {
      this.o.log.error(
        { filter, from, first },
        `stream ${this.o.stream} starts at ${first}, the mirror's position is ${from - 1}: messages ${from}..${first - 1} are gone ` +
          '(retention) and some of their records may be missing here; copy those days from the recorder host',
      );
    }
  }

  /**
   * Handles one message; false stops reading (a write failed, the message is not written).
   * A record of an instrument whose metadata is not here waits for the stream's answer
   * (NO RECORD WITHOUT ITS METADATA): a promise then.
   */
  private handle(filter: string, m: JsMsg): boolean | Promise<boolean> {
    const v = checkMessage(this.o.prefix, m.subject, m.headers, m.data);
    if (v.type === 'record' && v.target.exchg !== undefined && this.metaOf(v.target.exchg, v.target.code) === undefined)
      return this.askMeta(v.target.exchg, v.target.code).then(() => this.handled(filter, m, v));
    return this.handled(filter, m, v);
  }

  private handled(filter: string, m: JsMsg, v: BusRecord | BusEnd | BusMeta | Refusal): boolean {
    let ok = true;
    const writtenBefore = this.counters.written;
    if (v.type === 'refused') this.refusals.reject(v.reason, v.detail, 'bus');
    else {
      try {
        if (v.type === 'end') this.end(v);
        else if (v.type === 'meta') this.meta(v);
        else this.record(v);
      } catch (err) {
        this.counters.writeErrors++;
        this.refusals.reject('write', `${m.subject}: ${(err as Error).message}`, 'bus');
        ok = false;
      }
    }
    if (ok) {
      const a = this.toAck.get(filter);
      if (a && a.n + 1 >= ACK_EVERY) {
        this.toAck.delete(filter);
        m.ack();
      } else this.toAck.set(filter, { m, n: (a?.n ?? 0) + 1 });
      this.positions.set(filter, m.seq);
      this.pending.set(filter, m.info.pending);
      this.lastStreamMs = Number(m.timestampNanos / 1_000_000n);
      if (this.counters.written > writtenBefore) this.lastRecordMs.set(filter, this.lastStreamMs);
      this.dirty = true;
    }
    return ok;
  }

  /** What the mirror knows of an instrument's metadata (METADATA); undefined: nothing yet, ask the stream. */
  private metaOf(exchg: string, code: string): 'file' | 'none' | 'missing' | undefined {
    const key = `${exchg}/${code}`;
    let s = this.metaState.get(key);
    if (s === undefined && fs.existsSync(instrumentMetaPath(this.o.root, exchg, code))) this.metaState.set(key, (s = 'file'));
    if (typeof s === 'number') return this.now() - s < META_ASK_AGAIN_MS ? 'missing' : undefined;
    return s;
  }

  /**
   * Asks the stream for the last metadata message of an instrument and handles it (the
   * filters left it out, or this mirror started after it). A failure to ask throws: the
   * record is read again from the position.
   */
  private async askMeta(exchg: string, code: string): Promise<void> {
    const subject = metaSubject(this.o.prefix, exchg, code);
    const jsm = await (this.jsm ??= jetstreamManager(this.nc!));
    let sm;
    try {
      sm = await jsm.streams.getMessage(this.o.stream, { last_by_subj: subject });
    } catch (err) {
      if (!/no message found|not found/i.test((err as Error).message)) throw busError(err, this.o.stream, `read ${subject}`);
      sm = null;
    }
    const key = `${exchg}/${code}`;
    if (!sm) {
      this.metaState.set(key, this.now());
      return;
    }
    const v = checkMessage(this.o.prefix, sm.subject, sm.header, sm.data);
    if (v.type === 'meta') this.meta(v);
    else if (v.type === 'refused') this.refusals.reject(v.reason, v.detail, 'bus');
    if (!this.metaState.has(key) || typeof this.metaState.get(key) === 'number') this.metaState.set(key, this.now());
  }

  /** A metadata message: written here before the instrument's first record (METADATA). */
  private meta(v: BusMeta): void {
    const { exchg, code } = v;
    const key = `${exchg}/${code}`;
    const file = instrumentMetaPath(this.o.root, exchg, code);
    if (v.text === undefined || v.meta === undefined) {
      // The publisher's root has no file: its records read with the defaults there, and here.
      if (this.metaOf(exchg, code) !== 'file') {
        this.metaState.set(key, 'none');
        this.units.set(key, 0);
      }
      return;
    }
    let existing;
    try {
      existing = readStoredMeta(this.o.root, exchg, code);
    } catch (err) {
      this.refusals.reject(
        'meta',
        `${(err as Error).message} (the publisher's metadata of ${exchg}.${code} is not written over it)`,
        'bus',
      );
      this.metaState.set(key, 'file');
      this.units.delete(key); // read again by unitOf
      return;
    }
    if (existing && (existing.volume_decimals !== v.meta.volume_decimals || existing.timezone !== v.meta.timezone)) {
      this.refusals.reject(
        'meta',
        `${file}: the publisher's metadata of ${exchg}.${code} says volume_decimals ${v.meta.volume_decimals}, timezone ${String(v.meta.timezone)}; ` +
          `this root's file says ${existing.volume_decimals}, ${String(existing.timezone)}, the unit of the records stored here: not changed. ` +
          'Mirror that instrument into a new root.',
        'bus',
      );
      this.metaState.set(key, 'file');
      this.units.set(key, existing.volume_decimals);
      return;
    }
    const prior = existing ? undefined : factsOfPriorRecords(this.o.root, v.meta);
    if (prior && (prior.unitFile !== undefined || prior.zoneFile !== undefined)) {
      // UNLABELLED RECORDS (src/meta/root.ts): records of the instrument are here without
      // a file (the publisher had none when they came); they read with the defaults, and
      // a file saying otherwise would change what they mean.
      this.refusals.reject(
        'meta',
        `${file}: the publisher's metadata of ${exchg}.${code} says volume_decimals ${v.meta.volume_decimals}, timezone ${String(v.meta.timezone)}; ` +
          `this root holds records of it from before any metadata (${prior.unitFile ?? prior.zoneFile}), read as volume_decimals ` +
          `${prior.volume_decimals}, timezone ${String(prior.timezone)}: not written. Mirror that instrument into a new root.`,
        'bus',
      );
      this.metaState.set(key, 'none');
      this.units.set(key, 0); // what readers here take without a file: records in another unit are refused (unit)
      return;
    }
    if (!existing || fs.readFileSync(file, 'utf8') !== v.text) {
      writeStoredMetaText(this.o.root, exchg, code, v.text, v.meta);
      this.counters.metadataWritten++;
    }
    this.metaState.set(key, 'file');
    this.units.set(key, v.meta.volume_decimals);
  }

  /**
   * UNIT OF A RECORD: the volume_decimals of the instrument's metadata here (0 with the
   * publisher's word "none"), from the cache, else read from the file once; a string when
   * the file cannot be read (read again META_ASK_AGAIN_MS later).
   */
  private unitOf(exchg: string, code: string): number | string {
    const key = `${exchg}/${code}`;
    const u = this.units.get(key);
    if (typeof u === 'number') return u;
    if (u !== undefined && this.now() - u.atMs < META_ASK_AGAIN_MS) return u.problem;
    if (this.metaState.get(key) === 'none') {
      this.units.set(key, 0);
      return 0;
    }
    try {
      const d = readStoredMeta(this.o.root, exchg, code)?.volume_decimals ?? 0;
      this.units.set(key, d);
      return d;
    } catch (err) {
      const problem = (err as Error).message;
      this.units.set(key, { problem, atMs: this.now() });
      return problem;
    }
  }

  private record(r: BusRecord): void {
    if (r.target.exchg !== undefined && this.metaOf(r.target.exchg, r.target.code) === 'missing') {
      return this.refusals.reject(
        'meta',
        `${targetText(r.target)}: a record of ${r.date} before any metadata of the instrument: the stream holds none ` +
          `(${metaSubject(this.o.prefix, r.target.exchg, r.target.code)}: a publisher older than metadata on the bus, or aged out); ` +
          `copy ${path.relative(this.o.root, instrumentMetaPath(this.o.root, r.target.exchg, r.target.code))} from the recorder's root into this one`,
        'bus',
      );
    }
    if (r.target.exchg !== undefined && r.volumeDecimals !== null) {
      const { exchg, code } = r.target;
      const here = this.unitOf(exchg, code);
      if (typeof here === 'string')
        return this.refusals.reject('meta', `${targetText(r.target)}: a record of ${r.date} not written: ${here}`, 'bus');
      if (here !== r.volumeDecimals)
        return this.refusals.reject(
          'unit',
          `${targetText(r.target)}: a record of ${r.date} whose volumes count units of 1e-${r.volumeDecimals} (its publisher's ` +
            `metadata says volume_decimals ${r.volumeDecimals}); ${path.relative(this.o.root, instrumentMetaPath(this.o.root, exchg, code))} ` +
            `here says ${here}, the unit of the records stored here: not written. Two recorders with different lot steps for ` +
            `${exchg}.${code} publish into stream ${this.o.stream}: give their roots the same instrument metadata, or publish them ` +
            'into different streams and mirror each into its own root.',
          'bus',
        );
    }
    const sink = this.sink(r.target);
    const st = this.fileState(r.target, sink);
    const bytes = r.mem.u8;
    if (st.date > r.date) {
      return this.older(r, finishedPath(sink.livePath, r.date, r.file), 'late', `a record of ${r.date}, a day already set aside here`);
    }
    if (st.date === r.date && st.file !== r.file) {
      // Another file of the same day: an earlier one is set aside here; a later one
      // comes only after the end marker of this one (the publisher's order).
      if (r.file < st.file)
        return this.older(
          r,
          finishedPath(sink.livePath, r.date, r.file),
          'late',
          `a record of file ${r.file} of ${r.date}, set aside here`,
        );
      return this.older(r, sink.livePath, 'out_of_order', `a record of file ${r.file} of ${r.date} before the end of file ${st.file}`);
    }
    if (st.date === r.date) {
      const bar = r.kind.name !== 'tick' && r.kind.name !== 'trade'; // one bar (or closed event) per time
      if (r.key < st.lastKey || (bar && r.key === st.lastKey && st.run.length > 0 && !st.run.some((b) => equal(b, bytes)))) {
        return this.older(r, sink.livePath, 'out_of_order', `time key ${r.key} after ${st.lastKey}`);
      }
      if (r.key === st.lastKey) {
        let same = 0;
        for (const b of st.run) if (equal(b, bytes)) same++;
        if (same > r.same || (bar && same > 0)) {
          this.counters.duplicates++;
          return;
        }
      }
    }
    if (!sink.append(r)) {
      return this.older(r, finishedPath(sink.livePath, r.date, r.file), 'late', `a record of ${r.date}, a day already finished here`);
    }
    this.counters.written++;
    if (st.date !== r.date || r.key > st.lastKey) {
      st.date = r.date;
      st.file = r.file;
      st.lastKey = r.key;
      st.run = [];
    }
    if (st.run.length >= RUN_MAX) st.run.shift();
    st.run.push(bytes);
  }

  /** A record behind the file's end: a duplicate when the file holds it already, else refused. */
  private older(r: BusRecord, file: string, reason: MirrorRefusal, detail: string): void {
    if (countIdentical(file, r) > r.same) {
      this.counters.duplicates++;
      return;
    }
    this.refusals.reject(reason, `${targetText(r.target)}: ${detail}`, 'bus');
  }

  private end(e: BusEnd): void {
    const sink = this.sink(e.target);
    const st = this.fileState(e.target, sink);
    if (st.date !== e.date || st.file !== e.file) return; // no file of that day here (already set aside, or none)
    const mine = liveCount(sink.livePath, e.target.kind);
    if (mine !== e.count) {
      this.o.log.warn(
        { target: targetStem(e.target), date: e.date, mirror: mine, publisher: e.count },
        `${targetText(e.target)} day ${e.date}: ${mine} records here, ${e.count} at the publisher`,
      );
    }
    if (sink.finish(e.date)) this.counters.daysEnded++;
    st.date = 0;
    st.file = 0;
    st.lastKey = Number.NEGATIVE_INFINITY;
    st.run = [];
  }

  /** Where a target's records go: the pool's instrument file, or the session's closed-event file. */
  private sink(t: BusTarget): Sink {
    const pool = this.pool;
    if (t.exchg !== undefined) {
      const { kind, exchg, code } = t as BusTarget & { exchg: string };
      return {
        livePath: pool.livePath(kind, exchg, code),
        liveDate: () => pool.liveDate(kind, exchg, code),
        append: (r) => pool.appendRaw(kind, exchg, code, r.date, r.mem.u8, r.file),
        finish: (date) => pool.finish(kind, exchg, code, date),
      };
    }
    const session = t.code;
    const livePath = barsClosedPath(this.o.root, session);
    const closed = this.closed;
    const liveDate = () => fileDate(livePath, t.kind);
    return {
      livePath,
      liveDate,
      append: (r) => {
        // The recorder's writer and its rules (src/bars/closed.ts): an older live file is
        // set aside first; a day already set aside here is never opened again. The record
        // it writes is the message's bytes (check.ts: only date and time set, canonical).
        // A day's next file (the publisher's ~<n>) starts here like the pool's (roll.ts isNextFileOfDay).
        if (liveDate() !== r.date && fs.existsSync(finishedPath(livePath, r.date)) && !isNextFileOfDay(livePath, r.date, r.file))
          return false;
        const ev = t.kind.codec.decode(r.mem, 0) as { date: number; time: number };
        closed.append({ session, date: ev.date, time: ev.time });
        return true;
      },
      finish: (date) => closed.rollFinished((s, d) => s === session && d === date, true) > 0,
    };
  }

  /** The file's date, last key and last same-key records, from the file on first use. */
  private fileState(t: BusTarget, sink: Sink): FileState {
    const key = targetStem(t);
    let st = this.files.get(key);
    if (st) return st;
    st = { date: sink.liveDate(), file: 0, lastKey: Number.NEGATIVE_INFINITY, run: [] };
    if (st.date !== 0) {
      st.file = setAsideFiles(sink.livePath, st.date).length; // the live file is the day's next one
      const r = tryOpen(sink.livePath, t.kind);
      if (r) {
        try {
          const n = r.length;
          if (n > 0) {
            st.lastKey = r.keyAt(n - 1);
            for (let i = n - 1; i >= 0 && st.run.length < RUN_MAX && r.keyAt(i) === st.lastKey; i--)
              st.run.unshift(r.rawRecords(i, i + 1).slice());
          }
        } finally {
          r.close();
        }
      }
    }
    this.files.set(key, st);
    return st;
  }

  private watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.state = 'reconnecting';
          this.o.log.warn(`NATS: disconnected from ${s.server}`);
        } else if (s.type === 'reconnect') {
          this.state = 'connected';
          this.o.log.info(`NATS: reconnected to ${s.server}`);
        }
      }
    })().catch(() => undefined);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.o.log.error({ err }, `mirror: ${(err as Error).message}`);
    }
  }
}

/** Records in a live file, 0 when there is none. */
function liveCount(file: string, kind: RecordKind): number {
  const r = tryOpen(file, kind);
  if (!r) return 0;
  try {
    return r.length;
  } finally {
    r.close();
  }
}

/** The header date of a live file, 0 when there is none. */
function fileDate(file: string, kind: RecordKind): number {
  const r = tryOpen(file, kind);
  if (!r) return 0;
  try {
    return r.date;
  } finally {
    r.close();
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** How many records of `file` equal r (same key, same bytes); 0 when the file does not exist. */
function countIdentical(file: string, r: BusRecord): number {
  const reader = tryOpen(file, r.kind);
  if (!reader) return 0;
  try {
    let n = 0;
    const len = reader.length;
    for (let i = reader.lowerBound(r.key); i < len && reader.keyAt(i) === r.key; i++) if (equal(reader.rawRecords(i, i + 1), r.mem.u8)) n++;
    return n;
  } finally {
    reader.close();
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

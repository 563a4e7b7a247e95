// The recorder: feeds → normalization → the writer pool, plus the timers that keep a
// long-running process healthy (msync, day rolls, log summaries). One per data root.
//
// ORDER per record (the hot path, synchronous, allocation-free after the parse):
//   subscription filter → Normalizer (reject or fill the reused record) →
//   WriterPool.append (publishes) → counters and lag histogram.
// Anything that goes wrong with one record is counted and logged (rate-limited); the
// recorder itself never stops on bad input or on an I/O error of one file.

import fs from 'node:fs';
import type { Logger } from 'pino';
import { LiveBars, isBarKind, type LiveBarsStats } from '../bars/index.js';
import { checkCoverage, isTradingDay, localDateTime, reloadCalendar, type CoverageCheck, type SessionBook } from '../calendar/index.js';
import type { Config } from '../config/index.js';
import { TickrecError } from '../errors.js';
import { type FeedAdapter, type FeedSink, type FeedStats, type RejectReason, type TickInput, type TradeInput } from '../feed/index.js';
import { createFeed, feedName } from './feeds.js';
import { ctpStoredCode } from '../feed/ctp/map.js';
import { TICK_KIND, TRADE_KIND, timeKey, type RecordKind } from '../format/index.js';
import { InstrumentTable, type InstrumentStats, type MonitorView } from '../monitor/index.js';
import { RootMetaWriter, loadMeta, type InstrumentBook } from '../meta/index.js';
import {
  acquireRootLock,
  autoMaxOpenFiles,
  readProcessLimits,
  SPARE_TARGET,
  SpareFiles,
  tradingDateByClock,
  WriterPool,
  type RootLock,
} from '../store/index.js';
import { spareDir } from '../layout/index.js';
import { hisHoldsDay } from '../his/index.js';
import { ExchangeClock } from './exchange-clock.js';
import { LatencyHistogram } from './histogram.js';
import { Normalizer, stateFromTick, stateFromTrade } from './normalize.js';
import { RejectLog } from '../reject-log.js';
import { RollLog } from './roll-log.js';
import { DayPreparer } from './prepare-day.js';

/** Records read back at recovery to rebuild the duplicate check of the last time stamp. */
const RECOVER_SAME_TIME_MAX = 64;

export interface RecorderOptions {
  config: Config;
  log: Logger;
  /** Wall clock, epoch ms (injectable: tests move it across a trading-day boundary). */
  now?: () => number;
  /** Feeds to use instead of those built from config.feeds (tests). */
  feeds?: FeedAdapter[];
  /** How often to check for finished days, ms. Default 1000. */
  rollCheckMs?: number;
  /**
   * When the tick being recorded was received, epoch ms, for N10 (c). Default: `now`
   * when storage.roll_by_clock (the clock is the data's), else none. `tickrec ctp
   * replay` gives each captured record's receive time.
   */
  receivedMs?: () => number;
}

export interface RecorderStats {
  /** Start, on the recorder's clock (simulated under --clock-start). */
  startedMs: number;
  /** Seconds since start by the process's monotonic clock (real time, also under a simulated clock). */
  uptimeSeconds: number;
  ticksReceived: number;
  tradesReceived: number;
  ticksWritten: number;
  tradesWritten: number;
  rejected: Record<string, number>;
  writeErrors: number;
  /** The last write error: when (epoch ms, 0 = none) and what. */
  lastWriteError: { ms: number; message: string };
  /** Records a successful sync put on disk (DURABILITY, src/store/rt-writer.ts); *Written counts published. */
  recordsSynced: number;
  /** Syncs that failed (fdatasync or msync: EIO, EROFS, ...): the records since are not durable. */
  syncErrors: number;
  /** The last failed sync: when (epoch ms, 0 = none) and what. */
  lastSyncError: { ms: number; message: string };
  /** Live files found truncated, deleted or replaced by someone else (and dealt with). */
  filesDamaged: number;
  /** The last of them: when (epoch ms, 0 = none) and what was done. */
  lastDamage: { ms: number; message: string };
  /** Open files whose last sync failed, with their published and durable record counts. */
  notDurable: { path: string; published: number; durable: number; error: string }[];
  volumeRegressions: number;
  rolls: number;
  openFiles: number;
  liveFiles: number;
  feeds: (FeedStats & { name: string })[];
  lagMs: { p50: number; p99: number; max: number; count: number };
  diskFreeBytes: number;
  /** Bars (when bars.enabled). */
  bars?: LiveBarsStats;
  root: string;
  /** Whether the holiday calendar covers today + 30 days (degraded when 'short'). */
  calendar: CoverageCheck;
}

interface Subscription {
  all: boolean;
  byExchg: Map<string, Set<string>>;
}

function subscription(list: readonly string[]): Subscription {
  const byExchg = new Map<string, Set<string>>();
  let all = false;
  for (const s of list) {
    if (s === '*') all = true;
    else {
      const dot = s.indexOf('.');
      const ex = s.slice(0, dot);
      if (!byExchg.has(ex)) byExchg.set(ex, new Set());
      byExchg.get(ex)!.add(s.slice(dot + 1));
    }
  }
  return { all, byExchg };
}

/** A feed's subscriptions under the names records are stored with (a CTP combination "SP m2505&m2509" → "SP_m2505_m2509", docs/ctp.md C8). */
function storedNames(f: Config['feeds'][number]): readonly string[] {
  if (f.type !== 'ctp') return f.subscribe;
  return f.subscribe.map((s) => {
    const dot = s.indexOf('.');
    return s.slice(0, dot + 1) + ctpStoredCode(s.slice(dot + 1));
  });
}

export class Recorder {
  readonly root: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly lock: RootLock;
  private readonly sessions: SessionBook;
  private instrumentBook: InstrumentBook;
  private readonly rootMeta: RootMetaWriter;
  private readonly spare: SpareFiles;
  private readonly pool: WriterPool;
  private readonly normalizer: Normalizer;
  private readonly rejects: RejectLog;
  private readonly writeErrorLog: RejectLog;
  private readonly feeds: FeedAdapter[];
  private subs: Subscription[];
  private readonly lag = new LatencyHistogram();
  private readonly startedMonotonicMs = performance.now();
  private readonly rollLog: RollLog;
  /** A second lag histogram while something measures a window (openLagWindow). */
  private lagWindow: LatencyHistogram | undefined;
  private readonly exClock = new ExchangeClock();
  private readonly instruments = new InstrumentTable();
  /** Per instrument, what each written tick needs after the write: one lookup instead of four (HOT). */
  private readonly hot = new Map<string, Map<string, Hot>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly counters = { ticksReceived: 0, tradesReceived: 0, ticksWritten: 0, tradesWritten: 0, writeErrors: 0, rolls: 0 };
  private readonly startedMs: number;
  private lastWriteError = { ms: 0, message: '' };
  private lastSyncError = { ms: 0, message: '' };
  private lastDamage = { ms: 0, message: '' };
  private stopped = false;
  private feedsStarted = false;
  private readonly rollGraceMs: number;
  private readonly bars: LiveBars | undefined;
  private readonly publishKinds: readonly string[] | undefined;
  /** Makes the coming day's files ahead of the open (storage.prepare_files). */
  private preparer: DayPreparer | undefined;

  private constructor(opts: RecorderOptions) {
    const { config, log } = opts;
    this.log = log;
    this.now = opts.now ?? Date.now;
    this.startedMs = this.now();
    this.rollLog = new RollLog(log);
    this.root = config.root;
    this.rollGraceMs = config.storage.roll_grace_ms;
    this.publishKinds = config.publish?.nats?.kinds;
    const meta = loadMeta(config);
    this.sessions = meta.sessions;
    this.instrumentBook = meta.instruments;
    // META FIRST (src/store/writer-pool.ts): visible at once, durable in the background
    // before any record of the instrument is synced; no fsync on the event loop.
    // SPARE FILES (src/store/spare.ts): new files at an open are renamed spares, not new inodes.
    this.spare = new SpareFiles(spareDir(config.root), SPARE_TARGET, (m) => log.warn(m));
    this.rootMeta = new RootMetaWriter(config.root, {
      afterWrite: (exchg, code, file, dirs) => this.pool.afterMetaWrite(exchg, code, file, dirs),
      spare: this.spare,
    });
    this.lock = acquireRootLock(config.root, { onWarning: (m) => log.warn(m) });
    this.spare.fill(); // the stock, in the background, once the root is ours
    const maxOpenFiles = config.storage.max_open_files === 'auto' ? autoMaxOpenFiles(readProcessLimits()) : config.storage.max_open_files;
    log.info({ maxOpenFiles }, `at most ${maxOpenFiles} real-time files mapped at once (storage.max_open_files)`);
    try {
      this.pool = this.openPool(config, maxOpenFiles);
      this.rejects = new RejectLog(log, config.log.reject_log_interval_ms, this.now);
      this.writeErrorLog = new RejectLog(log, config.log.reject_log_interval_ms, this.now);
      this.normalizer = this.makeNormalizer(opts);
      this.feeds = opts.feeds ?? this.makeFeeds(config);
      this.subs = opts.feeds ? opts.feeds.map(() => subscription(['*'])) : config.feeds.map((f) => subscription(storedNames(f)));
      this.warnCalendar('start');
      const found = this.pool.scan();
      const rolled = config.storage.roll_by_clock ? this.rollFinished() : 0;
      log.info(
        { root: this.root, liveFiles: found, rolledAtStart: rolled },
        `recorder on ${this.root}: ${found} live files, ${rolled} finished days set aside`,
      );
      if (config.bars.enabled) this.bars = this.startBars(config);
      this.startTimers(opts);
    } catch (err) {
      this.lock.release();
      throw err;
    }
  }

  /** The writer pool of the root, its events logged and counted (storage.*). */
  private openPool(config: Config, maxOpenFiles: number): WriterPool {
    const log = this.log;
    return new WriterPool(config.root, {
      maxOpenFiles,
      spare: this.spare,
      onDurabilityError: (err) => this.writeErrorLog.reject('sync', err.message, 'storage'),
      initialCapacity: { tick: config.storage.initial_capacity_ticks, trade: config.storage.initial_capacity_trades },
      onRoll: (r) => {
        this.counters.rolls++;
        this.rollLog.add(
          { kind: r.kind, name: `${r.exchg}.${r.code}`, date: r.date, to: r.to },
          r.to
            ? `day ${r.date} of ${r.exchg}.${r.code} (${r.kind}) finished: ${r.to}`
            : `empty ${r.kind} file of ${r.exchg}.${r.code} removed at roll`,
        );
      },
      onRepair: (m) => log.warn(`repaired on open: ${m}`),
      onProblem: (m) => log.error(m),
      onDamaged: (err) => {
        this.lastDamage = { ms: this.now(), message: `${err.code}: ${err.message}` };
        log.error({ code: err.code, file: err.file }, `${err.code}: ${err.message}`);
      },
      inHistory: (kind, exchg, code, date) => {
        try {
          return hisHoldsDay(config.root, kind, exchg, code, date);
        } catch (err) {
          // A damaged history must not stop today's records: they stay in rt/, and
          // compaction refuses to append to the damaged file (verify names it).
          this.writeErrorLog.reject('history', `${kind} ${exchg}.${code}: ${(err as Error).message}`, 'storage');
          return false;
        }
      },
    });
  }

  /** The normalizer: the checks and bounds a tick or trade passes before it is written (N-rules). */
  private makeNormalizer(opts: RecorderOptions): Normalizer {
    const { config, log } = opts;
    const maxAheadMs = config.limits.max_ahead_ms;
    const clockNow = opts.receivedMs ?? (config.storage.roll_by_clock ? this.now : undefined);
    return new Normalizer({
      sessions: this.sessions,
      // N11's clock bound, when the clock is the data's (as N10 (c)): not while recording a replay.
      ...(clockNow
        ? {
            clock: {
              maxAheadMs,
              limitKey: (exchg: string, code: string) => {
                const l = localDateTime(clockNow() + maxAheadMs, this.sessions.timezoneOf(exchg, code) ?? 'UTC');
                return timeKey(l.date, l.time);
              },
            },
          }
        : {}),
      recover: (kind, exchg, code) => this.recover(kind, exchg, code),
      // Once per instrument and kind per run: the instrument's metadata goes into the
      // data root before its first record (readers need its volume unit and zone).
      instrument: (exchg, code) => {
        const r = this.rootMeta.ensure(this.instrumentBook.metaOf(exchg, code));
        if (r.warning) log.warn(r.warning);
        this.preparer?.soon(exchg, code); // its bar files before the first bar close
        return r.stored.volume_decimals;
      },
      sessionFilter: config.session_filter.enabled,
      sessionGraceMs: config.session_filter.grace_ms,
      sessionFutureMs: config.session_filter.future_ms,
      // N10 (c) compares a tick's time with when it arrived: only when the clock is the data's.
      ...(opts.receivedMs ? { receivedMs: opts.receivedMs } : config.storage.roll_by_clock ? { receivedMs: this.now } : {}),
    });
  }

  /** The feeds of the configuration, their events logged. */
  private makeFeeds(config: Config): FeedAdapter[] {
    const log = this.log;
    return config.feeds.map((f, i) =>
      createFeed(f, i, {
        root: config.root,
        jsonLog: !(config.log.pretty ?? process.stderr.isTTY === true),
        onEvent: (kind, d) => {
          const msg = `feed ${d.feed}: ${kind}${d.reason ? ` (${d.code ?? ''} ${d.reason})` : ''}${d.delayMs !== undefined ? ` in ${d.delayMs} ms` : ''}${d.error ? `: ${d.error}` : ''}`;
          if (kind === 'error' || (kind === 'disconnected' && !d.planned)) log.warn(d, msg);
          else log.info(d, msg);
        },
      }),
    );
  }

  /** Live bars (bars.enabled), their open bars rebuilt from today's ticks. */
  private startBars(config: Config): LiveBars {
    const log = this.log;
    const bars = new LiveBars({
      root: config.root,
      pool: this.pool,
      sessions: this.sessions,
      periods: config.bars.periods,
      graceMs: config.bars.grace_ms,
      closedEvents: config.bars.closed_events,
      onProblem: (m) => this.writeErrorLog.reject('bars', m, 'bars'),
      onRoll: (r) =>
        this.rollLog.add(
          { kind: 'closed', name: r.session, date: r.date, to: r.to },
          r.to
            ? `closed-bar events of ${r.session} for ${r.date} finished: ${r.to}`
            : `empty closed-bar event file of ${r.session} removed`,
        ),
    });
    const rec = bars.recover(this.now());
    log.info(rec, `bars: open bars of ${rec.instruments} instruments rebuilt from ${rec.ticksReplayed} ticks`);
    return bars;
  }

  /** The background work by the clock: file checks and syncs, the roll, preparing the coming day, closing bars, flushing the logs. */
  private startTimers(opts: RecorderOptions): void {
    const { config } = opts;
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => this.guard(fn), ms);
      t.unref();
      this.timers.push(t);
    };
    // In the background: a blocking msync of every file each second cost ~8% of the
    // recorder's time in the benchmark profile, and stalled appends meanwhile.
    const onSyncError = (err: Error) => {
      this.lastSyncError = { ms: this.now(), message: err.message };
      this.writeErrorLog.reject('sync', err.message, 'storage');
    };
    // SOMEONE ELSE'S HANDS (src/store/rt-writer.ts): a share of the open files is checked
    // before each sync (two stat calls per file), every one within CHECK_ROUNDS seconds.
    const checkEvery = config.storage.sync_interval_ms > 0 ? config.storage.sync_interval_ms : 1000;
    every(checkEvery, () => {
      this.pool.checkOpenFiles();
      if (config.storage.sync_interval_ms > 0) this.pool.syncAllInBackground(onSyncError);
    });
    if (config.storage.roll_by_clock) every(opts.rollCheckMs ?? 1000, () => this.rollFinished());
    // PREPARED FILES: the coming day's files made between sessions (prepare-day.ts).
    if (config.storage.roll_by_clock && config.storage.prepare_files) this.startPreparer();
    // Bars close by the clock only when the clock is the data's (not while recording a replay).
    if (this.bars && config.storage.roll_by_clock) every(config.bars.timer_ms, () => this.bars!.onTimer(this.now()));
    every(1000, () => {
      this.rejects.flush();
      this.writeErrorLog.flush();
    });
  }

  /** The preparer of the coming day's files (storage.prepare_files), started. */
  private startPreparer(): void {
    const log = this.log;
    const learnt = this.pool.learnLastDays();
    let clock = { ms: Number.NaN, dateOf: this.rollClock(0) };
    this.preparer = new DayPreparer({
      pool: this.pool,
      // the day the roll counts as current, when it is a trading day. Not on a weekend
      // or holiday: a 24-hour session (crypto) trades then, under that calendar date,
      // and a file prepared for a later day would make its ticks look late. A night
      // session's next day begins the evening before (day_starts): Friday 20:00 prepares Monday.
      dateOf: (kind, exchg, code, nowMs) => {
        if (clock.ms !== nowMs) clock = { ms: nowMs, dateOf: this.rollClock(nowMs) };
        const td = clock.dateOf(kind, exchg, code);
        return td !== undefined && isTradingDay(td, this.sessions.holidays) ? td : undefined;
      },
      // the instrument's metadata in the root before the open, not at its first tick
      instrument: (exchg, code) => {
        const r = this.rootMeta.ensure(this.instrumentBook.metaOf(exchg, code));
        if (r.warning) log.warn(r.warning);
      },
      subscribed: () => this.subscribedNames(),
      ...(this.bars ? { alongTicks: this.bars.fileKinds } : {}),
      now: this.now,
      onProblem: (m) => this.writeErrorLog.reject('prepare', m, 'storage'),
      onPass: (p) =>
        log.info(
          { prepared: p.files, dates: p.dates, ms: Math.round(p.ms) },
          `prepared ${p.files} files for trading date ${p.dates.join(', ')} ahead of their first records in ${Math.round(p.ms)} ms`,
        ),
    });
    if (learnt > 0) log.info({ learnt }, `prepare: the last finished day of ${learnt} instrument files read from rt/`);
    this.preparer.start();
  }

  /** Takes the root lock, recovers the live files, starts the feeds. */
  static start(opts: RecorderOptions): Recorder {
    const r = Recorder.open(opts);
    r.startFeeds();
    return r;
  }

  /** Takes the root lock and recovers the live files, without starting the feeds. */
  static open(opts: RecorderOptions): Recorder {
    return new Recorder(opts);
  }

  /** Starts the feeds (once). */
  startFeeds(): void {
    if (this.feedsStarted || this.stopped) return;
    this.feedsStarted = true;
    this.feeds.forEach((f, i) => f.start(this.sinkFor(i, f.name)));
  }

  /** Logs a warning when the holiday calendar does not cover today + 30 days. */
  private warnCalendar(when: string): CoverageCheck {
    const c = checkCoverage(this.sessions, this.now());
    if (c.status === 'short') this.log.warn({ calendar: c }, `${when}: ${c.message}`);
    else this.log.info(`${when}: ${c.message}`);
    return c;
  }

  /** SIGHUP: new subscription lists, by feed name; the holiday calendar and the instrument metadata read again. */
  reload(config: Config): void {
    try {
      const meta = loadMeta(config);
      const { sessionsChanged } = reloadCalendar(this.sessions, meta.sessions);
      this.normalizer.calendarChanged();
      this.instrumentBook = meta.instruments;
      if (sessionsChanged) this.log.warn('reload: the sessions changed; sessions and products take effect at the next restart');
      this.warnCalendar('reload');
    } catch (err) {
      this.log.error({ err }, `reload: calendar and instruments kept as they were: ${(err as Error).message}`);
    }
    config.feeds.forEach((f, i) => {
      const name = feedName(f, i);
      const idx = this.feeds.findIndex((x) => x.name === name);
      if (idx < 0) {
        this.log.warn(`reload: feed ${name} is new; adding feeds needs a restart`);
        return;
      }
      this.subs[idx] = subscription(storedNames(f));
      this.feeds[idx]!.setSubscriptions(f.subscribe);
      this.log.info(`reload: feed ${name} now subscribes to ${f.subscribe.length} instruments`);
    });
  }

  /** Stops the feeds, then syncs and closes every file and releases the lock. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.preparer?.stop();
    await this.spare.stop(); // one file creation at most: none appears in the root after stop()
    if (this.feedsStarted) await Promise.allSettled(this.feeds.map((f) => f.stop()));
    try {
      try {
        this.bars?.stop(this.now()); // before the pool closes: it appends the bars that are due
      } catch (err) {
        this.log.error({ err }, `bars: stop failed: ${(err as Error).message}`);
      }
      this.pool.closeAll();
    } finally {
      this.rejects.flush();
      this.rollLog.flush();
      this.lock.release();
    }
    this.log.info(this.summary(), 'recorder stopped; every file synced and closed');
  }

  /**
   * Starts measuring the publish lag of a window (e.g. while the end-of-day compaction
   * runs); the returned function ends it and gives p50, p99, max in ms and the count.
   */
  openLagWindow(): () => { p50: number; p99: number; max: number; count: number } {
    const h = new LatencyHistogram();
    this.lagWindow = h;
    return () => {
      if (this.lagWindow === h) this.lagWindow = undefined;
      return { p50: h.quantileUs(0.5) / 1000, p99: h.quantileUs(0.99) / 1000, max: h.maxUs / 1000, count: h.count };
    };
  }

  /** The publish-lag histogram since start: cumulative counts at power-of-two µs edges, sum and count (for /metrics). */
  lagHistogram(): { buckets: { leUs: number; count: number }[]; sumUs: number; count: number } {
    return { buckets: this.lag.cumulativeAtPowersOfTwo(), sumUs: this.lag.sumUs, count: this.lag.count };
  }

  stats(): RecorderStats {
    const rejected: Record<string, number> = {};
    for (const [k, v] of this.rejects.counts) rejected[k] = v;
    let live = 0;
    for (const _ of this.pool.live()) live++;
    return {
      startedMs: this.startedMs,
      uptimeSeconds: (performance.now() - this.startedMonotonicMs) / 1000,
      ...this.counters,
      rejected,
      lastWriteError: { ...this.lastWriteError },
      recordsSynced: this.pool.recordsSynced,
      filesDamaged: this.pool.filesDamaged,
      lastDamage: { ...this.lastDamage },
      syncErrors: this.pool.syncErrors,
      lastSyncError: { ...this.lastSyncError },
      notDurable: [...this.pool.notDurable()].map((f) => ({ ...f, error: f.error.message })),
      volumeRegressions: this.normalizer.volumeRegressions,
      openFiles: this.pool.openFiles,
      liveFiles: live,
      feeds: this.feeds.map((f) => ({ name: f.name, ...f.stats() })),
      lagMs: {
        p50: this.lag.quantileUs(0.5) / 1000,
        p99: this.lag.quantileUs(0.99) / 1000,
        max: this.lag.maxUs / 1000,
        count: this.lag.count,
      },
      diskFreeBytes: diskFree(this.root),
      ...(this.bars ? { bars: this.bars.stats } : {}),
      root: this.root,
      calendar: checkCoverage(this.sessions, this.now()),
    };
  }

  /** Per-instrument statistics and live file sizes for the monitor page (read-only use). */
  monitorView(): MonitorView {
    return {
      instruments: this.instruments,
      liveFileSizes: () => this.pool.liveFileSizes(),
      publishKinds: this.publishKinds,
      zoneOf: (exchg, code) => this.sessions.timezoneOf(exchg, code),
    };
  }

  private summary() {
    const s = this.stats();
    return {
      ticksWritten: s.ticksWritten,
      tradesWritten: s.tradesWritten,
      rejected: s.rejected,
      writeErrors: s.writeErrors,
      rolls: s.rolls,
    };
  }

  private sinkFor(i: number, feed: string): FeedSink {
    return {
      tick: (t) => this.onTick(i, feed, t),
      trade: (t) => this.onTrade(i, feed, t),
      reject: (reason, detail) => this.rejects.reject(reason, detail, feed),
    };
  }

  /** Every instrument named in a feed's subscription list (not "*"). */
  private *subscribedNames(): IterableIterator<{ exchg: string; code: string }> {
    for (const s of this.subs) for (const [exchg, codes] of s.byExchg) for (const code of codes) yield { exchg, code };
  }

  private subscribed(i: number, exchg: string, code: string): boolean {
    const s = this.subs[i]!;
    return s.all || s.byExchg.get(exchg)?.has(code) === true;
  }

  private onTick(i: number, feed: string, t: TickInput): void {
    this.counters.ticksReceived++;
    if (!this.subscribed(i, t.exchg, t.code))
      return this.reject('not_subscribed', `tick ${String(t.exchg)}.${String(t.code)}: not in feed ${feed}'s subscriptions`, feed);
    let v;
    try {
      v = this.normalizer.tick(t); // no closure per tick (normalized() is for the trades)
    } catch (err) {
      return this.normalizeFailed(err, 'tick', t, feed);
    }
    if (!v.ok) return this.reject(v.reason, v.detail, feed);
    const o = this.normalizer.tickOut;
    if (this.write(TICK_KIND, o.exchg, o.code, o.trading_date, o, feed)) {
      this.counters.ticksWritten++;
      this.bars?.onTick(o);
      const hot = this.hotOf(o.exchg, o.code);
      const nowMs = this.now();
      const lagMs = hot.zone === undefined ? Number.NaN : this.recordLag(hot.zone, o.action_date, o.action_time, nowMs);
      hot.stats.tick(nowMs, o.price, o.trading_date, o.action_date, o.action_time, lagMs);
    }
  }

  private onTrade(i: number, feed: string, t: TradeInput): void {
    this.counters.tradesReceived++;
    if (!this.subscribed(i, t.exchg, t.code))
      return this.reject('not_subscribed', `trade ${String(t.exchg)}.${String(t.code)}: not in feed ${feed}'s subscriptions`, feed);
    const v = this.normalized(() => this.normalizer.trade(t), 'trade', t, feed);
    if (v === undefined) return;
    if (!v.ok) return this.reject(v.reason, v.detail, feed);
    const o = this.normalizer.tradeOut;
    if (this.write(TRADE_KIND, o.exchg, o.code, o.trading_date, o, feed)) {
      this.counters.tradesWritten++;
      this.instruments.trade(o.exchg, o.code, o.trading_date);
    }
  }

  /** Runs the normalizer; an error of the metadata file (I/O) is counted as a write error and nothing is stored. */
  private normalized<V>(fn: () => V, what: string, t: TickInput | TradeInput, feed: string): V | undefined {
    try {
      return fn();
    } catch (err) {
      this.normalizeFailed(err, what, t, feed);
      return undefined;
    }
  }

  private normalizeFailed(err: unknown, what: string, t: TickInput | TradeInput, feed: string): void {
    this.counters.writeErrors++;
    const e = err instanceof TickrecError ? err : new TickrecError('E_IO', String((err as Error)?.stack ?? err));
    this.writeErrorLog.reject(e.code, `${what} ${String(t.exchg)}.${String(t.code)}: ${e.message}`, feed);
  }

  private reject(reason: RejectReason, detail: string, feed: string): void {
    this.rejects.reject(reason, detail, feed);
  }

  private write(kind: RecordKind, exchg: string, code: string, date: number, rec: object, feed: string): boolean {
    try {
      if (this.pool.append(kind, exchg, code, date, rec)) return true;
      this.reject('out_of_order', `${kind.name} ${exchg}.${code}: trading day ${date} is already finished`, feed);
      return false;
    } catch (err) {
      this.counters.writeErrors++;
      const e = err instanceof TickrecError ? err : new TickrecError('E_IO', String((err as Error)?.stack ?? err));
      this.lastWriteError = { ms: this.now(), message: `${kind.name} ${exchg}.${code}: ${e.message}` };
      this.writeErrorLog.reject(e.code, `${kind.name} ${exchg}.${code}: ${e.message}`, feed);
      return false;
    }
  }

  /** HOT: an instrument's monitor statistics and session time zone (fixed for the run: sessions change at a restart). */
  private hotOf(exchg: string, code: string): Hot {
    let byCode = this.hot.get(exchg);
    if (byCode === undefined) this.hot.set(exchg, (byCode = new Map<string, Hot>()));
    let h = byCode.get(code);
    if (h === undefined) {
      h = { stats: this.instruments.of(exchg, code), zone: this.sessions.sessionOf(exchg, code)?.timezone };
      byCode.set(code, h);
    }
    return h;
  }

  /** Records the lag of a tick of an instrument whose session is in `zone`; returns it in ms. */
  private recordLag(zone: string, date: number, time: number, nowMs: number): number {
    const lagMs = nowMs - this.exClock.epochMs(date, time, zone);
    this.lag.record(lagMs * 1000);
    this.lagWindow?.record(lagMs * 1000);
    return lagMs;
  }

  /** Normalizer state of an instrument from its live file (after a restart or an eviction). */
  private recover(kind: 'tick' | 'trade', exchg: string, code: string) {
    try {
      if (kind === 'trade') {
        const last = this.pool.lastRecord(TRADE_KIND, exchg, code);
        return last ? stateFromTrade(last) : undefined;
      }
      // The ticks that share the last time stamp: N7 must still recognise them if resent.
      const [last, ...earlier] = this.pool.lastRecords(TICK_KIND, exchg, code, RECOVER_SAME_TIME_MAX);
      if (!last) return undefined;
      const same = earlier.filter((r) => r.action_date === last.action_date && r.action_time === last.action_time);
      return stateFromTick(last, same);
    } catch {
      return undefined; // a file that cannot be opened fails again, loudly, at write
    }
  }

  /** Sets aside every live file whose trading day is over by the session clock (THE DAY ROLL, src/store/roll.ts: WHEN A DAY ENDS, 2.). */
  private rollFinished(): number {
    const current = this.rollClock(this.now());
    return this.pool.rollFinished((kind, exchg, code, date) => {
      const td = current(kind, exchg, code);
      return td !== undefined && date < td; // no session: rolled by the first record of a new day
    });
  }

  /**
   * The ROLL CLOCK at `nowMs`: for a file of (kind, exchg, code), the trading date the roll
   * counts as current (a file of an earlier date is set aside), or undefined when the
   * instrument has no session. Used by the roll and by the files prepared ahead (prepare-day.ts).
   */
  private rollClock(nowMs: number): (kind: RecordKind, exchg: string, code: string) => number | undefined {
    const current = new Map<string, number>();
    // A day is set aside only roll_grace_ms after it ended by the clock: a feed that
    // trails the recorder's clock (skew, a backlog after a reconnect) still delivers its
    // last records, which a finished day would refuse. Bar files wait rollDelayMs more:
    // the last bar of a UTC day is closed just after midnight.
    const grace = this.rollGraceMs;
    const barDelay = this.bars?.rollDelayMs ?? 0;
    return (kind, exchg, code) => {
      const s = this.sessions.sessionOf(exchg, code);
      if (!s) return undefined;
      const delay = grace + (isBarKind(kind) ? barDelay : 0);
      const key = `${s.name}/${delay}`;
      let td = current.get(key);
      if (td === undefined) {
        td = tradingDateByClock(s, this.sessions.holidays, nowMs, delay);
        current.set(key, td);
      }
      return td;
    };
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, `background task failed: ${(err as Error).message}`);
    }
  }
}

/** HOT: what a written tick updates, per instrument. */
interface Hot {
  readonly stats: InstrumentStats;
  /** The time zone of its session; undefined: no session, no lag. */
  readonly zone: string | undefined;
}

function diskFree(dir: string): number {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return -1;
  }
}

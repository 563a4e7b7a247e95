// The monitor's model: samples the recorder once a second and builds the snapshot and update JSON the page reads.
//
// What may appear in a message is chosen field by field here, never by spreading the
// recorder's stats: feed names, states and counters; a down feed's cause with every
// address, URL and path taken out (feed-cause.ts); instrument names (validated by the
// name rule) and numbers; rejection reasons (stable names) and counts; disk numbers; the
// compaction summary's numbers. No URL, header, path or other config value.
//
// Clocks: `nowMs` is the recorder's clock (simulated under --clock-start or a simulator
// `start`), `wallMs` the machine's; `simulatedClock` says which case it is, so the page
// never shows a simulated instant as if it were the time of day. Instrument times are
// exchange-local; each row carries the UTC offset of its exchange's time zone
// (`utcOffsetMin`, from the session book) at that tick's date.
//
// Disk growth is the bytes of records written per minute (the recorder's counters ×
// record sizes), not the growth of the files' sizes: a live file reserves space ahead
// by doubling (fallocate), and a doubling is a step of reserved zeros, not data. What
// the live files hold beyond their records is reported apart as `reservedBytes`.
//
// Costs: sample() once a second reads the recorder's stats (MonitorStats) and one statfs; every
// fileSampleMs it walks the writer pool's live files (sizes of mapped files come from
// the writers; at most statBudget stat calls for the others) and reads the compaction
// summary. update() is O(instruments) and sends only the rows that changed.

import fs from 'node:fs';
import { utcMsOfLocal } from '../calendar/zone.js';
import { MIN1_KIND, RT_HEADER_BYTES, TICK_KIND, TRADE_KIND, kindByName, readRtHeader, rtFileBytes } from '../format/index.js';
import type { MonitorSource, MonitorStats, MonitorView } from './source.js';
import { readCompactionSummary, emptyCompaction, type CompactionSummary } from './compaction.js';
import { feedCause } from './feed-cause.js';
import type { InstrumentStats } from './instruments.js';
import { publishLag, type PublishLag } from '../bus/lag.js';

export type { MonitorSource } from './source.js';

export interface MonitorOptions {
  /** The recorder's clock, epoch ms (instrument rates and ages). Default Date.now. */
  now?: () => number;
  /** The wall clock (feed message ages, the ticks/s sparkline). Default Date.now. */
  wallNow?: () => number;
  /** Below this many free bytes the disk is "nearly full". Default 1 GiB (as /health). */
  diskLowBytes?: number;
  /** How often live file sizes and the compaction summary are sampled, ms. Default 5000. */
  fileSampleMs?: number;
  /** Most stat() calls per file sample, for live files that are not mapped now. Default 256. */
  statBudget?: number;
  /** Points of the ticks/s sparkline (one per second). Default 120. */
  historySeconds?: number;
  /** Whether `now` is a simulated clock. Default: true when a `now` other than Date.now is given. */
  simulatedClock?: boolean;
}

/** A feed with no message for this long is reported silent (the same limit as /health). */
export const FEED_SILENT_MS = 60_000;
export const DISK_LOW_BYTES = 1024 ** 3;
/** A bus publisher with unpublished records whose cursor file is older than this is reported. */
export const BUS_STALE_MS = 30_000;
/** Window of the disk growth figure. */
const GROWTH_WINDOW_MS = 60_000;

/** A CTP feed's waitingForFrontMs when it is waiting (feed stats are per type). */
function waitingMs(f: object): number | null {
  const w = (f as { waitingForFrontMs?: unknown }).waitingForFrontMs;
  return typeof w === 'number' && w > 0 ? w : null;
}

export interface FeedRow {
  name: string;
  state: string;
  reconnects: number;
  messages: number;
  /** ms since the last frame; null when none yet. */
  lastMessageAgeMs: number | null;
  /** A CTP feed waiting for any front to answer: for how long (ms); null otherwise. No address: the page shows no config value. */
  waitingForFrontMs: number | null;
  /** Why a feed that is not up is not: its last error without addresses, URLs or paths (feed-cause.ts); null when up or unknown. */
  cause: string | null;
}

export interface InstrumentRow {
  /** 'EXCHG.CODE'. */
  id: string;
  ex: string;
  code: string;
  /** Last tick price; null before the first tick (a trade-only instrument). */
  price: number | null;
  /** Exchange time of the last tick, YYYYMMDD and HHMMSSmmm (0: none). */
  date: number;
  time: number;
  /** UTC offset of that exchange time, minutes (+480: Asia/Shanghai); null when the instrument has no session (zone unknown). */
  utcOffsetMin: number | null;
  /** Wall clock of the last publication, epoch ms (compare with the message's nowMs). */
  publishedMs: number;
  /** Trading date of the counts. */
  tradingDate: number;
  ticks: number;
  trades: number;
  /** Mean ticks/s over the last 10 complete seconds. */
  rate: number;
  /** Live tick file size, bytes; null when not known yet. */
  fileBytes: number | null;
  /** Exchange time → publication of the last tick, ms; null without a session. */
  lagMs: number | null;
}

export interface Alert {
  level: 'error' | 'warn';
  kind: 'feed' | 'disk' | 'compaction' | 'bus' | 'calendar';
  /** The feed's name for kind 'feed'. */
  feed?: string;
  text: string;
}

export interface MonitorMessage {
  type: 'snapshot' | 'update';
  /** The recorder's clock, epoch ms (simulated when `simulatedClock`). */
  nowMs: number;
  /** The machine's wall clock when the message was built, epoch ms. */
  wallMs: number;
  /** True when the recorder runs on a simulated clock (--clock-start, a simulator `start`). */
  simulatedClock: boolean;
  /** Start, on the recorder's clock. */
  startedMs: number;
  /** Real seconds since the recorder started (monotonic; also under a simulated clock). */
  uptimeSeconds: number;
  totals: {
    ticksWritten: number;
    tradesWritten: number;
    ticksReceived: number;
    tradesReceived: number;
    writeErrors: number;
    volumeRegressions: number;
    rolls: number;
    openFiles: number;
    liveFiles: number;
    instruments: number;
    lagMs: { p50: number; p99: number; max: number; count: number };
  };
  feeds: FeedRow[];
  rejected: { reason: string; count: number }[];
  disk: {
    freeBytes: number | null;
    totalBytes: number | null;
    /** Sum of the live real-time files' sizes (what they take on disk, reservations included). */
    liveBytes: number | null;
    /** Of liveBytes, what the files reserve beyond their records (zeros of the doublings ahead, fallocated). */
    reservedBytes: number | null;
    /** Bytes of records written per minute, over the last minute of wall time; null until two samples. */
    writtenBytesPerMin: number | null;
    /** When the free space is used up at writtenBytesPerMin, ms; null when nothing is written or unknown. */
    fullInMs: number | null;
    low: boolean;
  };
  compaction: CompactionSummary;
  /** The bus publishers of this root (`tickrec publish`, one per stream): cursor lag from their cursor files. */
  bus: PublishLag[];
  /** Ticks written per second, oldest first, one point per second; `now` the newest. */
  rate: { now: number; history: number[] };
  alerts: Alert[];
  /** Every instrument (snapshot) or those that changed since the previous update. */
  instruments: InstrumentRow[];
}

interface Sent {
  version: number;
  rate: number;
  fileBytes: number;
  ticks: number;
}

export class Monitor {
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly diskLowBytes: number;
  private readonly fileSampleMs: number;
  private readonly statBudget: number;
  private readonly historySeconds: number;
  private readonly root: string;
  private readonly view: MonitorView;
  /** Ticks written per second, oldest first. */
  private readonly history: number[] = [];
  private prevWritten = -1;
  private prevSampleMs = 0;
  private lastFileSampleMs = -Infinity;
  private readonly simulated: boolean;
  private liveBytes: number | null = null;
  private reservedBytes: number | null = null;
  /** Bytes of records written since start, sampled once a second: [wall ms, bytes], the last minute. */
  private readonly written: [number, number][] = [];
  /** Last known size and used bytes (header + records; -1 unknown) of every live file, by path. */
  private readonly sizes = new Map<string, { bytes: number; used: number; atMs: number }>();
  /** UTC offset (minutes) by zone and date. */
  private readonly offsets = new Map<string, number>();
  private readonly zones = new Map<InstrumentStats, string | null>();
  private compaction: CompactionSummary = emptyCompaction('none');
  private compactionReading = false;
  private bus: PublishLag[] = [];
  private readonly sent = new Map<InstrumentStats, Sent>();

  constructor(
    private readonly src: MonitorSource,
    opts: MonitorOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.wallNow = opts.wallNow ?? Date.now;
    this.diskLowBytes = opts.diskLowBytes ?? DISK_LOW_BYTES;
    this.fileSampleMs = opts.fileSampleMs ?? 5000;
    this.statBudget = opts.statBudget ?? 256;
    this.historySeconds = opts.historySeconds ?? 120;
    this.simulated = opts.simulatedClock ?? (opts.now !== undefined && opts.now !== Date.now);
    this.view = src.monitorView();
    this.root = src.stats().root;
  }

  /** Once a second: the ticks/s point; every fileSampleMs the file sizes and the compaction summary. */
  sample(stats: MonitorStats = this.src.stats()): void {
    const t = this.wallNow();
    const written = stats.ticksWritten;
    if (this.prevWritten >= 0) {
      const dt = Math.max(1, t - this.prevSampleMs) / 1000;
      this.history.push(Math.round(((written - this.prevWritten) / dt) * 10) / 10);
      if (this.history.length > this.historySeconds) this.history.splice(0, this.history.length - this.historySeconds);
    }
    this.prevWritten = written;
    this.prevSampleMs = t;
    this.written.push([t, writtenBytes(stats)]);
    while (this.written.length > 2 && t - this.written[1]![0] >= GROWTH_WINDOW_MS) this.written.shift();
    if (t - this.lastFileSampleMs >= this.fileSampleMs) {
      this.lastFileSampleMs = t;
      this.sampleFiles(t);
      this.bus = publishLag(this.root, this.view.liveFileSizes(), t, this.view.publishKinds);
      void this.readCompaction();
    }
  }

  /** Everything, for a new client. */
  snapshot(): MonitorMessage {
    const t = this.now();
    const rows: InstrumentRow[] = [];
    for (const s of this.view.instruments) rows.push(this.row(s, t));
    return this.message('snapshot', t, rows);
  }

  /** The top-level figures and the instrument rows that changed since the previous update(). */
  update(): MonitorMessage {
    const t = this.now();
    const rows: InstrumentRow[] = [];
    for (const s of this.view.instruments) {
      const r = this.row(s, t);
      const p = this.sent.get(s);
      if (p === undefined) {
        this.sent.set(s, { version: s.version, rate: r.rate, fileBytes: s.fileBytes, ticks: r.ticks });
        rows.push(r);
      } else if (p.version !== s.version || p.rate !== r.rate || p.fileBytes !== s.fileBytes || p.ticks !== r.ticks) {
        p.version = s.version;
        p.rate = r.rate;
        p.fileBytes = s.fileBytes;
        p.ticks = r.ticks;
        rows.push(r);
      }
    }
    return this.message('update', t, rows);
  }

  private row(s: InstrumentStats, t: number): InstrumentRow {
    return {
      id: s.id,
      ex: s.exchg,
      code: s.code,
      price: Number.isFinite(s.price) ? s.price : null,
      date: s.actionDate,
      time: s.actionTime,
      utcOffsetMin: this.utcOffsetMin(s),
      publishedMs: s.publishedMs,
      tradingDate: s.tradingDate,
      ticks: s.ticks,
      trades: s.tradesToday,
      rate: Math.round(s.rate(t) * 10) / 10,
      fileBytes: s.fileBytes >= 0 ? s.fileBytes : null,
      lagMs: Number.isFinite(s.lagMs) ? Math.round(s.lagMs * 10) / 10 : null,
    };
  }

  /** The UTC offset of the instrument's exchange time at its last tick's date (the session book's zone). */
  private utcOffsetMin(s: InstrumentStats): number | null {
    let zone = this.zones.get(s);
    if (zone === undefined) {
      zone = this.view.zoneOf(s.exchg, s.code) ?? null;
      this.zones.set(s, zone);
    }
    if (zone === null || s.actionDate === 0) return null;
    const key = `${zone}|${s.actionDate}|${Math.floor(s.actionTime / 10000000)}`;
    let off = this.offsets.get(key);
    if (off === undefined) {
      off = Math.round((utcMsOfLocal(s.actionDate, s.actionTime, 'UTC') - utcMsOfLocal(s.actionDate, s.actionTime, zone)) / 60_000);
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(key, off);
    }
    return off;
  }

  private message(type: 'snapshot' | 'update', t: number, instruments: InstrumentRow[]): MonitorMessage {
    const s = this.src.stats();
    const wall = this.wallNow();
    const feeds: FeedRow[] = s.feeds.map((f) => ({
      name: String(f.name),
      state: String(f.state),
      reconnects: f.reconnects,
      messages: f.messages,
      lastMessageAgeMs: f.lastMessageMs > 0 ? Math.max(0, wall - f.lastMessageMs) : null,
      waitingForFrontMs: waitingMs(f),
      cause: f.state === 'up' ? null : feedCause(f.lastError),
    }));
    const rejected = Object.entries(s.rejected)
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
    const disk = this.disk();
    const alerts: Alert[] = [];
    for (const f of feeds) {
      if (f.state !== 'up') {
        const last = f.lastMessageAgeMs === null ? 'no message yet' : `last message ${Math.round(f.lastMessageAgeMs / 1000)} s ago`;
        alerts.push({
          level: 'error',
          kind: 'feed',
          feed: f.name,
          text:
            `Feed ${f.name} is down (${f.state}, ${f.reconnects} reconnects, ${last})` +
            (f.waitingForFrontMs !== null ? `: no CTP front has answered for ${Math.round(f.waitingForFrontMs / 1000)} s` : '') +
            (f.cause !== null ? `: ${f.cause} (\`tickrec status\` shows the full error)` : ''),
        });
      } else if (f.lastMessageAgeMs !== null && f.lastMessageAgeMs > FEED_SILENT_MS) {
        alerts.push({
          level: 'warn',
          kind: 'feed',
          feed: f.name,
          text: `Feed ${f.name} is silent: no message for ${Math.round(f.lastMessageAgeMs / 1000)} s`,
        });
      }
    }
    if (disk.low) alerts.push({ level: 'error', kind: 'disk', text: `Disk nearly full: ${formatBytes(disk.freeBytes ?? 0)} free` });
    if (s.calendar?.status === 'short') alerts.push({ level: 'warn', kind: 'calendar', text: `Degraded: ${s.calendar.message}` });
    if (this.compaction.state === 'ok' && this.compaction.ok === false)
      alerts.push({ level: 'warn', kind: 'compaction', text: 'The last compaction failed' });
    for (const b of this.bus) {
      if (b.lagRecords > 0 && b.cursorAgeMs > BUS_STALE_MS)
        alerts.push({
          level: 'warn',
          kind: 'bus',
          text: `Publisher to ${b.stream} is behind by ${b.lagRecords} records and has not moved for ${Math.round(b.cursorAgeMs / 1000)} s`,
        });
    }
    return {
      type,
      nowMs: t,
      wallMs: wall,
      simulatedClock: this.simulated,
      startedMs: s.startedMs,
      uptimeSeconds: s.uptimeSeconds,
      totals: {
        ticksWritten: s.ticksWritten,
        tradesWritten: s.tradesWritten,
        ticksReceived: s.ticksReceived,
        tradesReceived: s.tradesReceived,
        writeErrors: s.writeErrors,
        volumeRegressions: s.volumeRegressions,
        rolls: s.rolls,
        openFiles: s.openFiles,
        liveFiles: s.liveFiles,
        instruments: this.view.instruments.size,
        lagMs: { p50: s.lagMs.p50, p99: s.lagMs.p99, max: s.lagMs.max, count: s.lagMs.count },
      },
      feeds,
      rejected,
      disk,
      compaction: this.compaction,
      bus: this.bus,
      rate: { now: this.history.length > 0 ? this.history[this.history.length - 1]! : 0, history: this.history.slice() },
      alerts,
      instruments,
    };
  }

  private disk(): MonitorMessage['disk'] {
    let freeBytes: number | null = null;
    let totalBytes: number | null = null;
    try {
      const st = fs.statfsSync(this.root);
      freeBytes = st.bavail * st.bsize;
      totalBytes = st.blocks * st.bsize;
    } catch {
      // an unreadable root: shown as unknown
    }
    let writtenBytesPerMin: number | null = null;
    if (this.written.length >= 2) {
      const first = this.written[0]!;
      const last = this.written[this.written.length - 1]!;
      writtenBytesPerMin = Math.round(((last[1] - first[1]) * 60_000) / Math.max(1, last[0] - first[0]));
    }
    return {
      freeBytes,
      totalBytes,
      liveBytes: this.liveBytes,
      reservedBytes: this.reservedBytes,
      writtenBytesPerMin,
      fullInMs:
        freeBytes !== null && writtenBytesPerMin !== null && writtenBytesPerMin > 0
          ? Math.round((freeBytes / writtenBytesPerMin) * 60_000)
          : null,
      low: freeBytes !== null && freeBytes < this.diskLowBytes,
    };
  }

  private sampleFiles(t: number): void {
    let budget = this.statBudget;
    let total = 0;
    let reserved = 0;
    const seen = new Set<string>();
    const instruments = this.view.instruments;
    for (const f of this.view.liveFileSizes()) {
      seen.add(f.path);
      const prev = this.sizes.get(f.path);
      const rs = kindByName(f.kind)?.recordBytes;
      let bytes = f.bytes;
      let used = f.records >= 0 && rs !== undefined ? rtFileBytes(f.records, rs) : -1;
      if (bytes < 0) {
        // not mapped now: nothing writes it, so a value read earlier stays true
        if (prev !== undefined && (t - prev.atMs < 30_000 || budget <= 0)) {
          bytes = prev.bytes;
          used = prev.used;
        } else if (budget > 0) {
          budget--;
          const read = readUnmapped(f.path, rs);
          bytes = read?.bytes ?? prev?.bytes ?? -1;
          used = read?.used ?? prev?.used ?? -1;
        }
      }
      if (bytes < 0) continue;
      total += bytes;
      if (used >= 0) reserved += Math.max(0, bytes - used);
      if (prev === undefined) this.sizes.set(f.path, { bytes, used, atMs: t });
      else {
        if (bytes !== prev.bytes || f.bytes >= 0) prev.atMs = t;
        prev.bytes = bytes;
        prev.used = used;
      }
      if (f.kind === 'tick') {
        const s = instruments.get(f.exchg, f.code);
        if (s !== undefined) {
          s.fileBytes = bytes;
          // Ticks already in the file when this process started count as today's.
          if (f.records >= 0 && f.date === s.tradingDate && f.records >= s.ticksToday) s.ticksBase = f.records - s.ticksToday;
        }
      }
    }
    for (const p of this.sizes.keys()) if (!seen.has(p)) this.sizes.delete(p); // rolled away
    this.liveBytes = total;
    this.reservedBytes = reserved;
  }

  private async readCompaction(): Promise<void> {
    if (this.compactionReading) return;
    this.compactionReading = true;
    try {
      this.compaction = await readCompactionSummary(this.root);
    } finally {
      this.compactionReading = false;
    }
  }
}

/** Bytes of the records the recorder has written since it started (ticks, trades, bars). */
function writtenBytes(s: MonitorStats): number {
  let bars = 0;
  if (s.bars) for (const n of Object.values(s.bars.bars)) bars += n;
  return s.ticksWritten * TICK_KIND.recordBytes + s.tradesWritten * TRADE_KIND.recordBytes + bars * MIN1_KIND.recordBytes;
}

/** Size and used bytes (header + records) of a live file that is not mapped now, from its header; undefined when unreadable. */
function readUnmapped(file: string, recordBytes: number | undefined): { bytes: number; used: number } | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const bytes = fs.fstatSync(fd).size;
    const head = Buffer.alloc(RT_HEADER_BYTES);
    const n = fs.readSync(fd, head, 0, RT_HEADER_BYTES, 0);
    const size = n === RT_HEADER_BYTES ? readRtHeader(head).size : -1;
    const used = recordBytes !== undefined && size >= 0 ? Math.min(bytes, rtFileBytes(size, recordBytes)) : -1;
    return { bytes, used };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined)
      try {
        fs.closeSync(fd);
      } catch {
        // nothing to do: the descriptor is gone either way
      }
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

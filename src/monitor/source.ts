// What the monitor reads from the recorder, owned here: the recorder satisfies these types; the monitor never imports the recorder.

import type { InstrumentTable } from './instruments.js';

/** A feed's figures as the monitor shows them (the recorder's FeedStats has more). */
export interface MonitorFeedStats {
  readonly name: string;
  readonly state: string;
  readonly reconnects: number;
  readonly messages: number;
  /** When the last message came, epoch ms by the wall clock, 0 = none yet. */
  readonly lastMessageMs: number;
  /** The feed's last error, free of credentials (the page shows it without addresses: feed-cause.ts). */
  readonly lastError?: string;
}

/** The recorder's figures the monitor shows (a subset of the recorder's stats()). */
export interface MonitorStats {
  /** The data root (free disk space, the compaction summary, the bus cursors). */
  readonly root: string;
  readonly startedMs: number;
  readonly uptimeSeconds: number;
  readonly ticksReceived: number;
  readonly tradesReceived: number;
  readonly ticksWritten: number;
  readonly tradesWritten: number;
  readonly rejected: Readonly<Record<string, number>>;
  readonly writeErrors: number;
  readonly volumeRegressions: number;
  readonly rolls: number;
  readonly openFiles: number;
  readonly liveFiles: number;
  readonly feeds: readonly MonitorFeedStats[];
  readonly lagMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly count: number };
  /** Bars written by kind (when bars are on): part of the bytes written per minute. */
  readonly bars?: { readonly bars: Readonly<Record<string, number>> };
  /** The holiday calendar's coverage ('short': degraded, with why). */
  readonly calendar?: { readonly status: string; readonly message: string };
}

/** What the monitor page reads besides stats(). */
export interface MonitorView {
  /** Per-instrument statistics, updated after every successful write. */
  readonly instruments: InstrumentTable;
  /** Live files with their sizes (from the open writers; -1 when not mapped now). */
  liveFileSizes(): Iterable<{ kind: string; exchg: string; code: string; date: number; path: string; bytes: number; records: number }>;
  /** The kinds `tickrec publish` sends (publish.nats.kinds), for its cursor lag; undefined: no publish.nats. */
  readonly publishKinds: readonly string[] | undefined;
  /** The IANA time zone of an instrument's exchange times (its session's); undefined without a session. */
  zoneOf(exchg: string, code: string): string | undefined;
}

/** What the monitor reads: the Recorder satisfies it. */
export interface MonitorSource {
  stats(): MonitorStats;
  monitorView(): MonitorView;
}

// The monitor page of the recorder: per-instrument statistics, the snapshot/update model, the HTTP routes and the page itself.
export { InstrumentStats, InstrumentTable, RATE_WINDOW_SECONDS, RING_SECONDS } from './instruments.js';
export { emptyCompaction, parseCompactionSummary, readCompactionSummary, type CompactionSummary } from './compaction.js';
export {
  DISK_LOW_BYTES,
  FEED_SILENT_MS,
  Monitor,
  formatBytes,
  type Alert,
  type FeedRow,
  type InstrumentRow,
  type MonitorMessage,
  type MonitorOptions,
} from './snapshot.js';
export type { MonitorFeedStats, MonitorSource, MonitorStats, MonitorView } from './source.js';
export { MONITOR_MAX_CLIENTS, startMonitor, type MonitorRoutes, type MonitorServerOptions } from './server.js';
export { PAGE_CSP, PAGE_HTML } from './page.js';

// tickrec ctp replay FILE… --root DIR: runs CTP capture files through the feed's mapping, the session rule and the normalizer into a data root, as the recorder would have stored them.
//
// Each record's receive time is the clock (for N10 (c) and the lag), so a capture
// replays the same way whenever it is replayed. The feed's settings that shape the
// mapping come from --config/--feed: subscribe (the exchange of a code sent with an empty
// ExchangeID), czce_multipliers, czce_turnover; without them every code must carry its
// ExchangeID and CZCE turnover is stored as sent. The target root is written through the
// recorder itself (its lock, writer pool, normalizer and bars): refused while a live
// recorder holds it.

import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, parseConfig, type CtpFeedConfig } from '../config/index.js';
import { BUNDLED_CONFIG_DIR } from '../config/load.js';
import { codeMap, CtpTickMapper, readCapture, type CaptureInfo } from '../feed/ctp/index.js';
import type { FeedAdapter, FeedSink, FeedStats } from '../feed/types.js';
import { createLogger } from '../recorder/logger.js';
import { Recorder } from '../recorder/recorder.js';
import { EXIT_OK, action, usageError } from './run.js';

interface ReplayOptions {
  root: string;
  sessions?: string;
  config?: string;
  feed?: string;
  json?: boolean;
}

/** A feed whose ticks the replay loop pushes: the recorder drives it like any other. */
class ReplayFeed implements FeedAdapter {
  readonly type = 'ctp-replay';
  sink: FeedSink | null = null;
  messages = 0;
  constructor(readonly name: string) {}
  start(sink: FeedSink): void {
    this.sink = sink;
  }
  stop(): Promise<void> {
    this.sink = null;
    return Promise.resolve();
  }
  setSubscriptions(): void {}
  stats(): FeedStats {
    return { state: 'up', messages: this.messages, reconnects: 0, lastMessageMs: 0, lastError: '' };
  }
}

/** The ctp feed of a config file (by name, or the only one); the password need not be set. */
function feedOf(file: string, name: string | undefined): CtpFeedConfig {
  // Secrets are not needed to replay: an unset ${VAR} reads as ''.
  const env = new Proxy(process.env, { get: (t, k) => (typeof k === 'string' ? (t[k] ?? '') : undefined) });
  const cfg = loadConfig(file, env);
  const ctp = cfg.feeds.filter((f): f is CtpFeedConfig => f.type === 'ctp');
  const named = name === undefined ? ctp : ctp.filter((f, i) => (f.name ?? `ctp-${cfg.feeds.indexOf(ctp[i]!)}`) === name);
  if (named.length !== 1) {
    throw usageError(
      `${file}: ${name === undefined ? `${ctp.length} ctp feeds; name one with --feed` : `no ctp feed named "${name}"`} (feeds: ${ctp.map((f, i) => f.name ?? `ctp-${cfg.feeds.indexOf(ctp[i]!)}`).join(', ') || 'none'}).`,
    );
  }
  return named[0]!;
}

export interface ReplaySummary {
  files: { file: string; structBytes: number; records: number; tornBytes: number }[];
  records: number;
  ticksWritten: number;
  rejected: Record<string, number>;
  unknownInstruments: number;
  czceTurnover: Record<string, number | string>;
}

/** Replays capture files into a root; the summary of what was read, written and rejected. */
export async function replayCaptures(files: readonly string[], o: ReplayOptions): Promise<ReplaySummary> {
  if (files.length === 0) throw usageError('ctp replay: give at least one capture file (<root>/capture/ctp/<feed>/<YYYYMMDD>.cap).');
  const feedCfg = o.config !== undefined ? feedOf(o.config, o.feed) : undefined;
  if (o.config === undefined && o.feed !== undefined) throw usageError('--feed needs --config (the file that defines the feed).');
  const sessions =
    o.sessions !== undefined
      ? path.resolve(o.sessions)
      : o.config !== undefined
        ? loadConfig(o.config, new Proxy(process.env, { get: (t, k) => (typeof k === 'string' ? (t[k] ?? '') : undefined) })).sessions!
        : path.join(BUNDLED_CONFIG_DIR, 'sessions.json');
  const config = parseConfig(
    {
      root: path.resolve(o.root),
      sessions,
      feeds: [{ type: 'websocket', url: 'ws://127.0.0.1:1', format: 'tickrec' }],
      metrics: { enabled: false },
      // The wall clock is not the data's: days are set aside by the records themselves.
      storage: { roll_by_clock: false },
    },
    'ctp replay',
  );
  const name = feedCfg?.name ?? 'ctp-replay';
  const codes = feedCfg !== undefined ? codeMap(name, feedCfg.subscribe) : new Map<string, string>();
  const mapper = new CtpTickMapper({
    feed: name,
    exchangeOf: (c) => codes.get(c),
    czceMultipliers: feedCfg?.czce_multipliers ?? {},
    czceTurnover: feedCfg?.czce_turnover ?? 'as_sent',
  });
  const feed = new ReplayFeed(name);
  let clockMs = 0;
  const rec = Recorder.start({
    config,
    log: createLogger({ level: 'error', pretty: false }),
    feeds: [feed],
    now: () => clockMs,
    receivedMs: () => clockMs,
  });
  const summary: ReplaySummary = { files: [], records: 0, ticksWritten: 0, rejected: {}, unknownInstruments: 0, czceTurnover: {} };
  try {
    for (const file of files) {
      let info: CaptureInfo | undefined;
      let n = 0;
      for (const r of readCapture(file, (i) => (info = i))) {
        clockMs = Number(r.receivedNs / 1_000_000n);
        feed.messages++;
        n++;
        mapper.handle(r.field, feed.sink!);
      }
      summary.files.push({ file, structBytes: info!.structBytes, records: n, tornBytes: info!.tornBytes });
      summary.records += n;
    }
  } finally {
    await rec.stop();
  }
  const s = rec.stats();
  summary.ticksWritten = s.ticksWritten;
  summary.rejected = s.rejected;
  summary.unknownInstruments = mapper.unknownInstruments;
  summary.czceTurnover = { mode: mapper.czce.mode, verdict: mapper.czce.verdict ?? '', ...mapper.czce.counts };
  return summary;
}

export function registerCtp(program: Command): void {
  const ctp = program.command('ctp').description('CTP tools (docs/ctp.md)');
  ctp
    .command('replay')
    .description(
      'run CTP capture files through the feed mapping, the session rule and the normalizer into a data root, ' +
        "with each record's receive time as the clock",
    )
    .argument('<files...>', 'capture files <root>/capture/ctp/<feed>/<YYYYMMDD>.cap, in order')
    .requiredOption('--root <dir>', 'the data root to write (a live recorder must not hold it)')
    .option('--sessions <file>', "sessions file (default: the config's, else the bundled one)")
    .option('--config <file>', 'a recorder config whose ctp feed gives subscribe, czce_multipliers and czce_turnover')
    .option('--feed <name>', 'the ctp feed of --config (needed when it has several)')
    .option('--json', 'print the summary as JSON')
    .action(
      action(async (files: string[], opts: ReplayOptions) => {
        const s = await replayCaptures(files, opts);
        if (opts.json === true) {
          process.stdout.write(JSON.stringify(s) + '\n');
          return EXIT_OK;
        }
        for (const f of s.files) {
          process.stdout.write(
            `${f.file}: ${f.records} records of ${f.structBytes} bytes` +
              (f.tornBytes > 0 ? `; a torn last record (${f.tornBytes} bytes, the writer was killed inside a write) was ignored` : '') +
              '\n',
          );
        }
        const rej = Object.entries(s.rejected)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        process.stdout.write(
          `${s.records} records read; ${s.ticksWritten} ticks written to ${path.resolve(opts.root)}; rejected: ${rej || 'none'}\n`,
        );
        return EXIT_OK;
      }),
    );
}

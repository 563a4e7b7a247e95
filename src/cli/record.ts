// tickrec record --config FILE: the always-on recorder.
//
// Exit codes: 0 stopped by SIGTERM/SIGINT with every file synced and closed; 1 a fatal
// runtime error (logged); 2 invalid configuration or usage; 3 the data root is locked
// by another live recorder.

import path from 'node:path';
import type { Command } from 'commander';
import { BUNDLED_CONFIG_DIR, loadConfig, type Config } from '../config/index.js';
import { epochOfLocal } from '../calendar/index.js';
import { parseInstant } from '../format/index.js';
import { createLogger } from '../recorder/logger.js';
import { startMetricsServer, type MetricsServer } from '../recorder/metrics.js';
import { Recorder } from '../recorder/recorder.js';
import { startStatusLine } from '../recorder/status-line.js';
import { formatShanghai, openStartMs, parseStart, startSimulator } from '../sim/index.js';
import { loadSessionBook } from '../calendar/index.js';
import { TickrecError } from '../errors.js';
import { EndOfDayCompaction } from './eod-compaction.js';
import { EXIT_ERROR, reportError, usageError } from './run.js';
import { NODE_FLAGS, missingNodeFlags } from './node-flags.js';
import { fallocateStatus } from '../store/fallocate.js';
import { populateStatus } from '../store/populate.js';

/** Longest a clean shutdown may take before the process exits anyway (exit 1). */
export const SHUTDOWN_LIMIT_MS = 5000;

interface RecordOptions {
  config: string;
  root?: string;
  clockStart?: string;
  clockTz: string;
  clockSpeed: string;
}

/**
 * The injectable clock: real time; or a simulated one from --clock-start; or, with an
 * embedded simulator that has a `start`, the simulator's own simulated time (same start,
 * same speed: the simulator reads its start from this clock at the first subscribe), so
 * the recorder's day rolls, bar closes and lags follow the simulated market.
 */
function makeClock(o: RecordOptions, config: Config): () => number {
  const sim = config.simulator;
  if (o.clockStart === undefined && sim?.start !== undefined) {
    const book = loadSessionBook(config.sessions!);
    const start = sim.start === 'open' ? openStartMs(Date.now(), (ymd) => book.holidays.has(ymd)) : parseStart(sim.start);
    if (start === undefined)
      throw new TickrecError('E_CONFIG', `simulator.start '${sim.start}': use "open" or "YYYYMMDD HH:MM[:SS]" (Asia/Shanghai time).`);
    const t0 = performance.now();
    return () => start + (performance.now() - t0) * sim.speed;
  }
  if (o.clockStart === undefined) return Date.now;
  const at = parseInstant(o.clockStart);
  if (!at || at.date === undefined) throw usageError(`--clock-start '${o.clockStart}': use "YYYYMMDD HH:MM[:SS]".`);
  const speed = Number(o.clockSpeed);
  if (!(speed > 0)) throw usageError(`--clock-speed ${o.clockSpeed}: a number > 0.`);
  const start = epochOfLocal(at.date, at.time, o.clockTz);
  const t0 = Date.now();
  return () => start + (Date.now() - t0) * speed;
}

async function run(o: RecordOptions): Promise<void> {
  let config: Config;
  let now: () => number;
  try {
    config = loadConfig(o.config);
    if (o.root) config.root = path.resolve(o.root);
    now = makeClock(o, config);
  } catch (err) {
    process.exitCode = reportError(err);
    return;
  }
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty });
  let sim: { close(): Promise<void> } | undefined;
  let rec: Recorder | undefined;
  let metrics: MetricsServer | undefined;
  let stopStatus: (() => void) | undefined;
  let eod: EndOfDayCompaction | undefined;
  let starting = true;
  let stopping = false;
  let pending: string | undefined;

  // The handlers exist before anything is started: a signal during startup waits for
  // startup to finish, then stops everything cleanly (the lock is never left behind).
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopStatus?.();
    log.info(`${signal}: stopping feeds, syncing and closing files`);
    const limit = setTimeout(() => {
      log.error(`shutdown took longer than ${SHUTDOWN_LIMIT_MS} ms; exiting anyway (published records are intact)`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    limit.unref();
    try {
      await eod?.stop(); // a running compaction ends and resumes at the next start
      await rec?.stop();
      await metrics?.close();
      await sim?.close();
      clearTimeout(limit);
      process.exit(0);
    } catch (err) {
      log.error({ err }, `shutdown failed: ${(err as Error).message}`);
      process.exit(1);
    }
  };
  const onSignal = (signal: string) => () => {
    if (starting) pending ??= signal;
    else void shutdown(signal);
  };
  process.on('SIGTERM', onSignal('SIGTERM'));
  process.on('SIGINT', onSignal('SIGINT'));
  process.on('SIGHUP', () => {
    if (!rec || stopping) return;
    try {
      rec.reload(loadConfig(o.config));
    } catch (err) {
      log.error(`SIGHUP: configuration not reloaded: ${(err as Error).message}`);
    }
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, `fatal: ${err.message}`);
    try {
      void rec?.stop().finally(() => process.exit(1));
    } catch {
      process.exit(1);
    }
    if (!rec) process.exit(1);
  });

  try {
    // The root lock first: a second recorder is refused before it binds any port.
    rec = Recorder.open({ config, log, now });
    if (config.simulator) sim = await startBuiltInSimulator(config, log, now);
    rec.startFeeds();
    if (config.metrics.enabled) {
      metrics = await startMetricsServer(rec, config.metrics.host, config.metrics.port, now, {
        maxConnections: config.metrics.max_connections,
        idleTimeoutMs: config.metrics.idle_timeout_ms,
      });
      log.info(`metrics and health on ${metrics.url}/metrics and ${metrics.url}/health`);
    }
    if (config.status_line ?? process.stdout.isTTY === true) stopStatus = startStatusLine(rec);
    if (config.compaction.enabled) eod = new EndOfDayCompaction(rec, config, log);
    // After the lock and the ports: a refused start prints its reason first.
    logEnvironmentNotes(log);
  } catch (err) {
    await rec?.stop().catch(() => undefined);
    await metrics?.close();
    await sim?.close();
    process.exitCode = reportError(err);
    return;
  }
  starting = false;
  if (pending) return shutdown(pending);
  await new Promise<never>(() => undefined); // runs until a signal
}

/** What in this machine or this Node makes the recorder slower than it could be, and how to mend it (once, at start). */
function logEnvironmentNotes(log: ReturnType<typeof createLogger>): void {
  const growth = fallocateStatus();
  if (!growth.available) log.info(`file growth writes zeros instead of reserving blocks with fallocate(2): ${growth.reason}`);
  const populate = populateStatus();
  if (!populate.available) log.info(`the writers take their own page faults (no pages populated ahead of them): ${populate.reason}`);
  const missing = missingNodeFlags();
  if (missing.length > 0) {
    log.info(
      `Node was started without ${missing.join(' ')}: under load the garbage collector runs about 3 times as often ` +
        `(src/cli/node-flags.ts). Start the recorder as \`tickrec record\` or \`npm start\`, or put the flag on your own ` +
        `command line: node ${NODE_FLAGS.join(' ')} ${process.argv[1] ?? 'dist/cli/main.js'} record …`,
    );
  }
}

async function startBuiltInSimulator(config: Config, log: ReturnType<typeof createLogger>, now: () => number) {
  const s = config.simulator!;
  const simulated = s.start !== undefined;
  try {
    const started = await startSimulator({
      host: s.host,
      port: s.port,
      instruments: s.instruments,
      rate: s.rate,
      seed: s.seed,
      speed: s.speed,
      trades: s.trades,
      ...(simulated ? { start: now(), clock: now } : {}),
    });
    log.info(
      `built-in simulator on ${started.url}: ${s.instruments} instruments, ${s.rate} ticks/s` +
        (simulated ? `, simulated clock from ${formatShanghai(now())} China time (speed ${s.speed}); the recorder runs on it too` : ''),
    );
    return started;
  } catch (err) {
    throw new TickrecError(
      'E_CONFIG',
      `simulator: cannot start on ${s.host}:${s.port} (${(err as Error).message}); choose another simulator.port or stop what uses it.`,
      { cause: err },
    );
  }
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description(
      'run the recorder: connect the feeds and record into the data root (stops on SIGTERM/SIGINT, reloads subscriptions, the calendar and the instrument metadata on SIGHUP)',
    )
    .option('-c, --config <file>', 'configuration file (JSON)', path.join(BUNDLED_CONFIG_DIR, 'recorder.json'))
    .option('--root <dir>', 'data root (overrides the configuration)')
    .option('--clock-start <time>', 'testing: start a simulated clock at this local instant ("YYYYMMDD HH:MM[:SS]")')
    .option('--clock-tz <zone>', 'testing: time zone of --clock-start', 'Asia/Shanghai')
    .option('--clock-speed <x>', 'testing: the simulated clock runs x times real time', '1')
    .action(async (o: RecordOptions) => {
      try {
        await run(o);
      } catch (err) {
        process.exitCode = reportError(err) || EXIT_ERROR;
      }
    });
}

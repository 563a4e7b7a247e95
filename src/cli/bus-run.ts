// What `tickrec publish` and `tickrec mirror` share: running until SIGTERM/SIGINT with a
// bounded clean stop, and their metrics endpoint.
//
// Exit codes: 0 stopped by a signal after a clean stop; 1 a fatal runtime error or a
// stop that took too long; 2 usage or configuration; 3 the root is held by another process.

import type { Logger } from 'pino';
import { startBusMetricsServer, type BusMetricsServer } from '../bus/metrics.js';
import type { MirrorStats } from '../bus/mirror.js';
import type { PublisherStats } from '../bus/publisher.js';
import { reportError } from './run.js';

/** Longest a clean stop may take before the process exits anyway (exit 1). */
export const BUS_SHUTDOWN_LIMIT_MS = 10_000;

export interface Runnable {
  stats(): PublisherStats | MirrorStats;
  stop(): Promise<void>;
}

export interface RunOptions {
  role: 'publisher' | 'mirror';
  log: Logger;
  metrics: { host: string; port: number } | undefined;
  start: () => Promise<Runnable>;
}

/** Starts, serves metrics, and runs until a signal. */
export async function runUntilSignal(o: RunOptions): Promise<void> {
  let running: Runnable | undefined;
  let metrics: BusMetricsServer | undefined;
  let stopping = false;
  let starting = true;
  let pending: string | undefined;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    o.log.info(`${signal}: stopping the ${o.role}`);
    const limit = setTimeout(() => {
      o.log.error(`stop took longer than ${BUS_SHUTDOWN_LIMIT_MS} ms; exiting anyway (the files are intact)`);
      process.exit(1);
    }, BUS_SHUTDOWN_LIMIT_MS);
    limit.unref();
    try {
      await running?.stop();
      await metrics?.close();
      o.log.info(`${o.role} stopped`);
      process.exit(0);
    } catch (err) {
      o.log.error({ err }, `stop failed: ${(err as Error).message}`);
      process.exit(1);
    }
  };
  const onSignal = (signal: string) => () => {
    if (starting) pending ??= signal;
    else void shutdown(signal);
  };
  process.on('SIGTERM', onSignal('SIGTERM'));
  process.on('SIGINT', onSignal('SIGINT'));
  process.on('uncaughtException', (err) => {
    o.log.fatal({ err }, `fatal: ${err.message}`);
    process.exit(1);
  });
  try {
    running = await o.start();
    if (o.metrics) {
      const r = running;
      metrics = await startBusMetricsServer(o.role, () => r.stats(), o.metrics.host, o.metrics.port);
      o.log.info(`metrics and health on ${metrics.url}/metrics and ${metrics.url}/health`);
    }
  } catch (err) {
    await running?.stop().catch(() => undefined);
    process.exitCode = reportError(err);
    return;
  }
  starting = false;
  if (pending) return shutdown(pending);
  await new Promise<never>(() => undefined); // runs until a signal
}

/** "a,b,c" as a list (blanks dropped). */
export function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

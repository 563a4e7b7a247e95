// tickrec mirror: consumes a tickrec stream from NATS JetStream and writes the same
// real-time files into a data root on this host (src/bus/mirror.ts).

import path from 'node:path';
import type { Command } from 'commander';
import { authFromEnv } from '../bus/connect.js';
import { Mirror, durableProblem } from '../bus/mirror.js';
import { prefixProblem } from '../bus/wire.js';
import { createLogger } from '../recorder/logger.js';
import { EXIT_ERROR, reportError, usageError } from './run.js';
import { runUntilSignal, splitList } from './bus-run.js';

interface MirrorCliOptions {
  servers: string;
  root: string;
  stream: string;
  prefix: string;
  subjects?: string;
  durable?: string;
  metricsHost: string;
  metricsPort: string;
  metrics: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel: string;
}

const SERVER = /^(nats|tls):\/\/[^\s/]+$/;

async function run(o: MirrorCliOptions): Promise<void> {
  const servers = splitList(o.servers);
  try {
    if (servers.length === 0 || servers.some((s) => !SERVER.test(s))) throw usageError(`--servers '${o.servers}': nats://HOST:PORT[,…]`);
    const pp = prefixProblem(o.prefix);
    if (pp) throw usageError(`--prefix: ${pp}`);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.stream)) throw usageError(`--stream '${o.stream}': letters, digits, "_" or "-", at most 64`);
    const dp = o.durable !== undefined ? durableProblem(o.durable) : null;
    if (dp) throw usageError(`--durable: ${dp}`);
    const subjects = splitList(o.subjects);
    for (const s of subjects) if (!s.startsWith(`${o.prefix}.`)) throw usageError(`--subjects: '${s}' does not start with '${o.prefix}.'`);
    const port = Number(o.metricsPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--metrics-port ${o.metricsPort}: a port 0..65535`);
  } catch (err) {
    process.exitCode = reportError(err);
    return;
  }
  const log = createLogger({ level: o.logLevel });
  const tls = o.tlsCa !== undefined || o.tlsCert !== undefined || o.tlsKey !== undefined;
  await runUntilSignal({
    role: 'mirror',
    log,
    metrics: o.metrics ? { host: o.metricsHost, port: Number(o.metricsPort) } : undefined,
    start: () =>
      Mirror.start({
        root: path.resolve(o.root),
        servers,
        stream: o.stream,
        prefix: o.prefix,
        subjects: splitList(o.subjects),
        ...(o.durable !== undefined ? { durable: o.durable } : {}),
        auth: authFromEnv(),
        tls: tls ? { caFile: o.tlsCa, certFile: o.tlsCert, keyFile: o.tlsKey } : undefined,
        log,
      }),
  });
}

export function registerMirror(program: Command): void {
  program
    .command('mirror')
    .description('write the records of a tickrec NATS JetStream stream into a data root on this host (stops on SIGTERM/SIGINT)')
    .requiredOption('--servers <urls>', 'NATS servers nats://HOST:PORT[,…]')
    .requiredOption('--root <dir>', 'data root to write (the mirror is its one writer)')
    .option('--stream <name>', 'JetStream stream', 'TICKREC')
    .option('--prefix <token>', 'subject prefix', 'tickrec')
    .option('--subjects <filters>', 'subject filters [,…], e.g. tickrec.tick.SHFE.> (default <prefix>.>)')
    .option('--durable <name>', 'durable consumer name (default tickrec-mirror-<HOST>-<hash of the root>)')
    .option('--metrics-host <host>', 'address of /metrics and /health', '127.0.0.1')
    .option('--metrics-port <port>', 'port of /metrics and /health (0 = any free port)', '9466')
    .option('--no-metrics', 'no /metrics and /health')
    .option('--tls-ca <file>', 'CA certificate of the NATS servers')
    .option('--tls-cert <file>', 'client certificate')
    .option('--tls-key <file>', 'client key')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace, silent', 'info')
    .action(async (o: MirrorCliOptions) => {
      try {
        await run(o);
      } catch (err) {
        process.exitCode = reportError(err) || EXIT_ERROR;
      }
    });
}

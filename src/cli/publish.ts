// tickrec publish: sends a data root's live records to a NATS JetStream stream
// (src/bus/publisher.ts; why a process of its own: docs/distributed.md).

import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/index.js';
import { NatsPublishSchema, type NatsPublishConfig } from '../config/schema.js';
import { authFromEnv } from '../bus/connect.js';
import { Publisher } from '../bus/publisher.js';
import { createLogger } from '../recorder/logger.js';
import { formatPath } from '../config/load.js';
import { EXIT_ERROR, reportError, usageError } from './run.js';
import { runUntilSignal, splitList } from './bus-run.js';

interface PublishOptions {
  config?: string;
  root?: string;
  servers?: string;
  stream?: string;
  prefix?: string;
  pipeline?: string;
  metricsPort?: string;
  logLevel?: string;
}

/** The publish settings: the config file's publish.nats, with the command line over it. */
export function publishSettings(o: PublishOptions): { root: string; nats: NatsPublishConfig; logLevel: string; pretty?: boolean } {
  let config: Config | undefined;
  if (o.config !== undefined) config = loadConfig(o.config);
  const root = o.root !== undefined ? path.resolve(o.root) : config?.root;
  if (root === undefined) throw usageError('publish: give the data root with --root DIR or a configuration file with -c FILE.');
  const base: Record<string, unknown> = { ...(config?.publish?.nats ?? {}) };
  if (o.servers !== undefined) base['servers'] = splitList(o.servers);
  if (o.stream !== undefined) base['stream'] = o.stream;
  if (o.prefix !== undefined) base['prefix'] = o.prefix;
  if (o.pipeline !== undefined) base['pipeline'] = Number(o.pipeline);
  if (o.metricsPort !== undefined) base['metrics'] = { ...(base['metrics'] as object | undefined), port: Number(o.metricsPort) };
  if (base['servers'] === undefined) {
    throw usageError(
      `publish: no NATS servers: set publish.nats.servers in ${o.config ?? 'the configuration'} or give --servers URL[,URL…].`,
    );
  }
  const r = NatsPublishSchema.safeParse(base);
  if (!r.success) {
    const lines = r.error.issues.slice(0, 5).map((i) => `  publish.nats.${formatPath(i.path)}: ${i.message}`);
    throw usageError(`publish: invalid settings:\n${lines.join('\n')}`);
  }
  return {
    root,
    nats: r.data,
    logLevel: o.logLevel ?? config?.log.level ?? 'info',
    ...(config?.log.pretty !== undefined ? { pretty: config.log.pretty } : {}),
  };
}

async function run(o: PublishOptions): Promise<void> {
  let s: ReturnType<typeof publishSettings>;
  try {
    s = publishSettings(o);
  } catch (err) {
    process.exitCode = reportError(err);
    return;
  }
  const log = createLogger({ level: s.logLevel, pretty: s.pretty });
  const n = s.nats;
  const env = authFromEnv();
  await runUntilSignal({
    role: 'publisher',
    log,
    metrics: n.metrics.enabled ? { host: n.metrics.host, port: n.metrics.port } : undefined,
    start: () =>
      Publisher.start({
        root: s.root,
        servers: n.servers,
        stream: n.stream,
        prefix: n.prefix,
        kinds: n.kinds,
        auth: {
          user: n.user ?? env.user,
          pass: n.pass ?? env.pass,
          token: n.token ?? env.token,
          credsFile: n.creds_file ?? env.credsFile,
        },
        tls: n.tls ? { caFile: n.tls.ca_file, certFile: n.tls.cert_file, keyFile: n.tls.key_file } : undefined,
        createStream: {
          replicas: n.create_stream.replicas,
          maxAgeHours: n.create_stream.max_age_hours,
          maxBytes: n.create_stream.max_bytes,
          duplicateWindowS: n.create_stream.duplicate_window_s,
          storage: n.create_stream.storage,
        },
        ackTimeoutMs: n.ack_timeout_ms,
        cursorFlushMs: n.cursor_flush_ms,
        maxInFlight: n.max_in_flight,
        pipeline: n.pipeline,
        log,
      }),
  });
}

export function registerPublish(program: Command): void {
  program
    .command('publish')
    .description("send a data root's live records to a NATS JetStream stream (beside `tickrec record`; stops on SIGTERM/SIGINT)")
    .option('-c, --config <file>', "the recorder's configuration file: root and publish.nats")
    .option('--root <dir>', 'data root (overrides the configuration)')
    .option('--servers <urls>', 'NATS servers nats://HOST:PORT[,…] (overrides publish.nats.servers)')
    .option('--stream <name>', 'JetStream stream (default TICKREC)')
    .option('--prefix <token>', 'subject prefix (default tickrec)')
    .option('--pipeline <n>', 'records of one file in flight at once (overrides publish.nats.pipeline; default 64)')
    .option('--metrics-port <port>', 'port of /metrics and /health (default 9465; 0 = any free port)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace, silent')
    .action(async (o: PublishOptions) => {
      try {
        await run(o);
      } catch (err) {
        process.exitCode = reportError(err) || EXIT_ERROR;
      }
    });
}

// Connecting to NATS and making sure the JetStream stream exists: one place for the
// connection options (servers, credentials, TLS) and the stream's documented defaults.
//
// Credentials never reach a log: error messages name the servers and the stream only.
// The connection retries forever (maxReconnectAttempts -1, waitOnFirstConnect): a
// publisher or a mirror started while NATS is down waits for it instead of exiting.

import fs from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { jetstreamManager, DiscardPolicy, RetentionPolicy, StorageType, type StreamInfo } from '@nats-io/jetstream';
import { TickrecError } from '../errors.js';

export interface BusAuth {
  user?: string | undefined;
  pass?: string | undefined;
  token?: string | undefined;
  credsFile?: string | undefined;
}

export interface BusTls {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

export interface BusConnectOptions {
  servers: readonly string[];
  /** Connection name the server shows (nats server report connections). */
  name: string;
  auth?: BusAuth;
  tls?: BusTls | undefined;
  /** Between reconnect attempts, ms. Default 500. */
  reconnectWaitMs?: number;
  /**
   * false: one attempt, no reconnection by the client (the caller reconnects): a message
   * the client held while disconnected is then never sent after the reconnect, behind
   * messages published before it was noticed (the publisher's ORDER RULE). Default true.
   */
  reconnect?: boolean;
}

/** Credentials from the environment for the commands that take no config file. */
export function authFromEnv(env: NodeJS.ProcessEnv = process.env): BusAuth {
  return { user: env['NATS_USER'], pass: env['NATS_PASSWORD'], token: env['NATS_TOKEN'], credsFile: env['NATS_CREDS'] };
}

export function connectionOptions(o: BusConnectOptions): NodeConnectionOptions {
  const opts: NodeConnectionOptions = {
    servers: [...o.servers],
    name: o.name,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    ...(o.reconnect === false ? { reconnect: false, waitOnFirstConnect: false } : {}),
    reconnectTimeWait: o.reconnectWaitMs ?? 500,
    pingInterval: 10_000,
    maxPingOut: 3,
  };
  const a = o.auth ?? {};
  if (a.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = fs.readFileSync(a.credsFile);
    } catch (err) {
      throw new TickrecError('E_CONFIG', `${a.credsFile}: cannot read the NATS credentials file (${(err as Error).message}).`, {
        file: a.credsFile,
      });
    }
    opts.authenticator = credsAuthenticator(creds);
  } else if (a.token !== undefined && a.token !== '') opts.token = a.token;
  else if (a.user !== undefined && a.user !== '') {
    opts.user = a.user;
    opts.pass = a.pass ?? '';
  }
  if (o.tls) {
    opts.tls = {
      ...(o.tls.caFile !== undefined ? { caFile: o.tls.caFile } : {}),
      ...(o.tls.certFile !== undefined ? { certFile: o.tls.certFile } : {}),
      ...(o.tls.keyFile !== undefined ? { keyFile: o.tls.keyFile } : {}),
    };
  }
  return opts;
}

export async function connectBus(o: BusConnectOptions): Promise<NatsConnection> {
  try {
    return await connect(connectionOptions(o));
  } catch (err) {
    throw new TickrecError(
      'E_BUS',
      `NATS ${o.servers.join(',')}: cannot connect (${(err as Error).message}); check the servers, the credentials and TLS.`,
      { cause: err },
    );
  }
}

/** The stream made when it is missing (publish.nats.create_stream; docs/distributed.md, sizing). */
export interface StreamDefaults {
  replicas: number;
  maxAgeHours: number;
  /** -1: no limit. */
  maxBytes: number;
  duplicateWindowS: number;
  storage: 'file' | 'memory';
}

export const STREAM_DEFAULTS: StreamDefaults = { replicas: 1, maxAgeHours: 72, maxBytes: -1, duplicateWindowS: 120, storage: 'file' };

/** The subjects a stream must take for a prefix. */
export function streamSubject(prefix: string): string {
  return `${prefix}.>`;
}

/**
 * Returns the stream's info, creating it with `defaults` when it does not exist. An
 * existing stream is used as it is, but it must take `<prefix>.>`: otherwise every
 * publish would fail, so this refuses and says what to change.
 */
export async function ensureStream(nc: NatsConnection, stream: string, prefix: string, defaults: StreamDefaults): Promise<StreamInfo> {
  const jsm = await jetstreamManager(nc);
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(stream);
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw busError(err, stream, 'read the stream');
  }
  const want = streamSubject(prefix);
  if (info) {
    if (!info.config.subjects?.some((s) => s === want || s === '>')) {
      throw new TickrecError(
        'E_BUS',
        `stream ${stream} takes ${JSON.stringify(info.config.subjects)}, not ${want}: add ${want} to its subjects ` +
          `(nats stream edit ${stream}) or choose another stream or prefix.`,
      );
    }
    return info;
  }
  try {
    return await jsm.streams.add({
      name: stream,
      subjects: [want],
      retention: RetentionPolicy.Limits,
      storage: defaults.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: defaults.replicas,
      max_age: Math.round(defaults.maxAgeHours * 3600e9),
      max_bytes: defaults.maxBytes,
      discard: DiscardPolicy.Old,
      duplicate_window: defaults.duplicateWindowS * 1e9,
    });
  } catch (err) {
    if (/overlap/i.test((err as Error).message)) {
      throw new TickrecError(
        'E_BUS',
        `stream ${stream}: cannot be created: another stream already takes subjects of ${want}; publish into that stream ` +
          '(publish.nats.stream) or choose another prefix (publish.nats.prefix).',
        { cause: err },
      );
    }
    throw busError(err, stream, 'create the stream');
  }
}

export function busError(err: unknown, stream: string, doing: string): TickrecError {
  if (err instanceof TickrecError) return err;
  return new TickrecError(
    'E_BUS',
    `stream ${stream}: cannot ${doing} (${(err as Error).message}); check that JetStream is enabled and reachable.`,
    {
      cause: err,
    },
  );
}

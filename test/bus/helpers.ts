// Helpers of the bus tests: a nats-server per suite and a stream per test, source roots written with the store's writer, mirror processes and their endpoints, and the check that a mirror root holds every record of a source root, in order, once, byte for byte.

import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { NatsCluster } from '../../scripts/lib/nats.js';
import { waitFor } from '../../scripts/lib/wait.js';
import { STREAM_DEFAULTS, type MirrorOptions, type PublisherOptions } from '../../src/bus/index.js';
import { MIN1_KIND, Mem, TICK_KIND, TRADE_KIND, minuteBarTime, type RecordKind } from '../../src/format/index.js';
import { RtReader, WriterPool } from '../../src/store/index.js';
import { parseStoredMeta, writeStoredMetaText } from '../../src/meta/index.js';
import { spawnCli, type Proc } from '../e2e/helpers.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

export const silentLog = pino({ level: 'silent' });

/**
 * nats-server nodes (one by default) for the tests of the describe block this is called in:
 * started before them, stopped after them (the temp dirs removed too). The function returns
 * the running cluster; call it inside the tests.
 */
export function natsForSuite(nodes = 1, startTimeoutMs = 60_000): () => NatsCluster {
  let nats: NatsCluster | undefined;
  beforeAll(async () => {
    nats = await NatsCluster.start(makeTempDir('tickrec-nats-'), nodes);
  }, startTimeoutMs);
  afterAll(async () => {
    await nats?.stopAll();
    removeTempDirs();
  });
  return () => {
    if (!nats) throw new Error('natsForSuite: the nats-server is not started (call the returned function inside a test)');
    return nats;
  };
}

/** The base URL (http://HOST:PORT) of a recorder's, `tickrec publish`'s or `tickrec mirror`'s metrics and health endpoint, from its "metrics and health on" log line. */
export async function endpointOf(p: Proc, timeoutMs = 30_000): Promise<string> {
  const l = await p.waitForLog(/^metrics and health on /, timeoutMs);
  return /^metrics and health on (http:\/\/\S+?)\/metrics/.exec(String(l.msg))![1]!;
}

/** `tickrec mirror` of `stream` (subjects `<prefix>.…`) into `root`, its metrics and health on a free port; `extra` arguments after (e.g. --subjects). */
export function spawnMirror(
  servers: readonly string[],
  root: string,
  stream: string,
  prefix: string,
  extra: readonly string[] = [],
  label = 'mirror',
): Proc {
  return spawnCli(
    ['mirror', '--servers', servers.join(','), '--root', root, '--stream', stream, '--prefix', prefix, '--metrics-port', '0', ...extra],
    {
      label,
    },
  );
}

export interface BusSettings {
  /** The publisher's options for a source root: this test's stream, in memory, quick flushes and scans. */
  pub: (root: string) => PublisherOptions;
  /** The mirror's options for a mirror root, on the same stream. */
  mir: (root: string) => MirrorOptions;
  stream: string;
  prefix: string;
}

/**
 * Per-test bus settings of a describe block: each call gives a stream of its own
 * (`<STREAM><n>`, subjects `<stream><n>.…` lower-cased) on the suite's server, publishing `kinds`.
 */
export function busSettings(nats: () => NatsCluster, streamLetter: string, kinds: readonly string[]): () => BusSettings {
  let streamNo = 0;
  return () => {
    streamNo++;
    const stream = `${streamLetter}${streamNo}`;
    const prefix = `${streamLetter.toLowerCase()}${streamNo}`;
    const base = { servers: nats().urls, stream, prefix, log: silentLog };
    const pub = (root: string): PublisherOptions => ({
      ...base,
      root,
      kinds,
      createStream: { ...STREAM_DEFAULTS, storage: 'memory' },
      ackTimeoutMs: 2000,
      cursorFlushMs: 50,
      maxInFlight: 64,
      pipeline: 16,
      scanIntervalMs: 100,
      rollCheckMs: 50,
    });
    const mir = (root: string): MirrorOptions => ({ ...base, root, positionFlushMs: 50 });
    return { pub, mir, stream, prefix };
  };
}

/** Waits until the mirror root holds exactly the source root's records (see rootDifference); `also` adds to the failure's text. */
export async function waitForMirrorEqual(
  source: string,
  mirror: string,
  what: string,
  timeoutMs = 30_000,
  also?: () => string,
): Promise<void> {
  await waitFor(() => rootDifference(source, mirror) === null, what, {
    timeoutMs,
    describe: () => String(rootDifference(source, mirror)) + (also ? `\n${also()}` : ''),
  });
}

/** A tick of instrument `code` at step i of trading date `date` (action time advances 500 ms a step). */
export function tickAt(exchg: string, code: string, date: number, i: number, salt = 0): Record<string, unknown> {
  const ms = 9 * 3600_000 + i * 500;
  const hh = Math.floor(ms / 3600_000);
  const mm = Math.floor(ms / 60_000) % 60;
  const ss = Math.floor(ms / 1000) % 60;
  const time = hh * 10_000_000 + mm * 100_000 + ss * 1000 + (ms % 1000);
  const price = 3500 + ((i * 7 + salt) % 50);
  return {
    exchg,
    code,
    price,
    open: 3500,
    high: 3550,
    low: 3490,
    total_volume: i * 3 + 1,
    volume: 3,
    total_turnover: (i * 3 + 1) * price,
    turn_over: 3 * price,
    open_interest: 1000 + i,
    trading_date: date,
    action_date: date,
    action_time: time,
    bid_prices: [price - 1, price - 2],
    ask_prices: [price + 1, price + 2],
    bid_qty: [10, 20],
    ask_qty: [11, 21],
  };
}

export function tradeAt(exchg: string, code: string, date: number, i: number): Record<string, unknown> {
  return {
    exchg,
    code,
    trading_date: date,
    action_date: date,
    action_time: 90000000 + Math.floor(i / 3) * 1000, // three trades per second, same time stamp
    index: 0,
    ttype: 0,
    side: 66,
    price: 3500 + (i % 3 === 2 ? 0 : i % 5), // some identical trades at the same time
    volume: 1,
  };
}

export function barAt(date: number, i: number): Record<string, unknown> {
  return {
    date,
    time: minuteBarTime(date, 901 + i),
    open: 1,
    high: 2,
    low: 0.5,
    close: 1.5,
    settle: 0,
    money: 100 * i,
    vol: i,
    hold: 7,
    add: 0,
  };
}

/** The bytes of one record of `kind` (as a message payload or a raw append). */
export function encodeRecord(kind: RecordKind, rec: Record<string, unknown>): Uint8Array {
  const m = Mem.alloc(kind.recordBytes);
  kind.codec.encode(rec, m, 0);
  return m.u8;
}

/** The record a payload of `kind` holds (copied into an aligned buffer first). */
export function decodeRecord(kind: RecordKind, bytes: Uint8Array): Record<string, unknown> {
  const m = Mem.alloc(kind.recordBytes);
  m.u8.set(bytes);
  return kind.codec.decode(m, 0);
}

export function openPool(root: string): WriterPool {
  return new WriterPool(root, { maxOpenFiles: 64, initialCapacity: { tick: 16, trade: 16, min1: 16 } });
}

/** Every .dmb file under <root>/rt, relative paths, sorted. */
export function rtFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const dir = path.join(root, 'rt', rel);
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = rel === '' ? e.name : path.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.dmb')) out.push(p);
    }
  };
  walk('');
  return out.sort();
}

export const KIND_OF_FOLDER: Record<string, RecordKind> = { ticks: TICK_KIND, trans: TRADE_KIND, min1: MIN1_KIND };

/** The header date and the published record bytes of a file. */
export function fileRecords(file: string): { date: number; count: number; bytes: Buffer } {
  const r = RtReader.open(file);
  try {
    const n = r.length;
    return { date: r.date, count: n, bytes: Buffer.from(r.rawRecords(0, n)) };
  } finally {
    r.close();
  }
}

/**
 * Why the mirror root does not hold exactly the source root's records (every file, same
 * path, same date, same records in the same order, byte for byte), or null when it does.
 * `folders` limits the comparison (e.g. ['ticks']).
 */
export function rootDifference(source: string, mirror: string, folders?: readonly string[]): string | null {
  const pick = (f: string) => !folders || folders.includes(f.split(path.sep)[0]!);
  const a = rtFiles(source).filter(pick);
  const b = rtFiles(mirror).filter(pick);
  if (a.join('\n') !== b.join('\n')) return `files differ:\n source ${a.join(' ')}\n mirror ${b.join(' ')}`;
  for (const f of a) {
    const x = fileRecords(path.join(source, 'rt', f));
    const y = fileRecords(path.join(mirror, 'rt', f));
    if (x.date !== y.date) return `${f}: date ${x.date} at the source, ${y.date} in the mirror`;
    if (x.count !== y.count) return `${f}: ${x.count} records at the source, ${y.count} in the mirror`;
    if (!x.bytes.equals(y.bytes)) return `${f}: the records differ`;
  }
  return null;
}

/** The bars of a bar file `<folder>/<EXCHG>/<CODE>` of a root: the live file's and its set-aside days'. */
export function barsOf(root: string, rel: string): { date: number; time: number }[] {
  const [folder, exchg, ...code] = rel.split('/');
  const dir = path.join(root, 'rt', folder!, exchg!);
  const name = code.join('/') + '.dmb';
  const files = [path.join(dir, name)];
  if (fs.existsSync(dir)) for (const e of fs.readdirSync(dir)) if (/^\d{8}$/.test(e)) files.push(path.join(dir, e, name));
  const out: { date: number; time: number }[] = [];
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    const r = RtReader.open(f);
    try {
      for (const v of r.records()) out.push({ date: v['date'] as number, time: v['time'] as number });
    } finally {
      r.close();
    }
  }
  return out;
}

/** BINANCE.BTCUSDT's metadata as a recorder writes it (lot step 0.000001, volume_decimals 6), with `o` over it: the file's whole text. */
export function btcMetaText(o: Record<string, unknown> = {}): string {
  const meta = {
    format: 1,
    exchg: 'BINANCE',
    code: 'BTCUSDT',
    product: 'BTCUSDT',
    price_tick: 0.01,
    price_decimals: 2,
    lot_step: 0.000001,
    volume_decimals: 6,
    multiplier: null,
    session: 'UTC24',
    timezone: 'UTC',
    session_close: '24:00',
    ...o,
  };
  return JSON.stringify(meta, null, 2) + '\n';
}

/** Writes BINANCE.BTCUSDT's metadata into `root` with the recorder's rules, its trades counted in units of 10^-decimals. */
export function writeBtcMeta(root: string, decimals: number): void {
  const text = btcMetaText({ lot_step: 10 ** -decimals, volume_decimals: decimals });
  writeStoredMetaText(root, 'BINANCE', 'BTCUSDT', text, parseStoredMeta(text, 'test metadata'));
}

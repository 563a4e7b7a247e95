// The built-in market simulator: a websocket server that paces seeded ticks to subscribed clients in the tickrec JSON protocol.
//
// Protocol (docs: the tickrec JSON format). A client sends
//   {"type":"subscribe","instruments":["SHFE.rb2505", ...]}   or ["*"] for everything
// (subscribes add up; {"type":"unsubscribe",...} removes) and then receives frames, each
// a JSON array of {"type":"tick",...} objects (and {"type":"trade",...} after each tick
// when trades are on), only for what it subscribed. Nothing is sent before a subscribe.
// A subscribed client that got no frame for heartbeatMs receives {"type":"heartbeat"}.
//
// The parts: the clock and the tick pump (pump.ts: when each tick is due and what it is,
// the same sequence of good ticks whatever the timers, load or clients), the clients
// (clients.ts: subscriptions, heartbeats, backpressure, delivery and the faults injected
// per client), the batch frame they share (batch.ts). This file checks the options and
// wires the parts to a listening websocket server.
//
// Faults never change the sequence of good ticks: every injected frame is extra
// (malformed, duplicate and disconnect: clients.ts; regress: pump.ts). With `count`, the
// simulator stops after that many ticks and stays connected, idle, with heartbeats.

import { WebSocketServer, type WebSocket } from 'ws';
import { parseStart } from './calendar.js';
import { Clients } from './clients.js';
import { SIMULATOR_DEFAULTS } from './defaults.js';
import { createGenerator, type SimTick, type SimTrade } from './generator.js';
import { TickPump } from './pump.js';
import { buildUniverse, type Instrument } from './universe.js';

export interface SimulatorFaults {
  /** One malformed frame after every N-th data frame of a client. */
  malformedEvery?: number;
  /** Every N-th data frame of a client is sent twice. */
  duplicateEvery?: number;
  /** A tick with a regressed total_volume after every N-th good tick. */
  regressEvery?: number;
  /** Drop a client's connection after its N-th data frame. */
  disconnectEvery?: number;
}

export interface SimulatorOptions {
  /** Default SIMULATOR_DEFAULTS.host. */
  host?: string;
  /** Default 0 (an ephemeral port; read it from the result). */
  port?: number;
  /** An instrument count for buildUniverse (default SIMULATOR_DEFAULTS.instruments) or an explicit list. */
  instruments?: number | readonly Instrument[];
  /** Tick slots per real second, all instruments together. Default SIMULATOR_DEFAULTS.rate. */
  rate?: number;
  /** PRNG seed (uint32). Default SIMULATOR_DEFAULTS.seed. */
  seed?: number;
  /** Simulated start: epoch ms or 'YYYYMMDD HH:MM[:SS]' in Asia/Shanghai time. Default: the real time of the first subscribe. */
  start?: number | string;
  /** Simulated seconds per real second. Default SIMULATOR_DEFAULTS.speed. */
  speed?: number;
  /**
   * A clock to read the simulated start from at the first subscribe, instead of `start`
   * (a recorder that embeds the simulator shares its simulated clock this way, so its
   * day rolls and lags see the simulator's time). `start` still seeds the generator.
   */
  clock?: () => number;
  /** Stop after this many good ticks (then idle with heartbeats). Default: never. */
  count?: number;
  /** Most ticks in one frame. Default SIMULATOR_DEFAULTS.batchMax. */
  batchMax?: number;
  /** Send a trade print after each tick. Default SIMULATOR_DEFAULTS.trades. */
  trades?: boolean;
  faults?: SimulatorFaults;
  /** Keep every good tick (and trade) in memory: sentTicks / sentTrades. Default false. */
  keepSent?: boolean;
  /** Idle time after which a subscribed client gets a heartbeat. Default 1000 ms. */
  heartbeatMs?: number;
  /** Pause the pump while a client has more than this many bytes queued. Default 8 MiB. */
  highWaterBytes?: number;
  /** Drop a client that stays above highWaterBytes this long. Default 10000 ms. */
  stallTimeoutMs?: number;
}

export interface SimulatorStats {
  /** Good ticks emitted (a tick counts once, however many clients get it). */
  sent: number;
  /** Trade prints emitted (with trades on). */
  trades: number;
  /** Data frames written, summed over clients (injected frames not included). */
  frames: number;
  /** Bytes of all frames written, summed over clients. */
  bytes: number;
  heartbeats: number;
  /** Connected clients, and how many of them have subscribed. */
  clients: number;
  subscribed: number;
  /** Injected fault frames / disconnects, summed over clients. */
  injected: { malformed: number; duplicate: number; regress: number; disconnect: number };
  /** Clients dropped for staying behind (see stallTimeoutMs). */
  slowDisconnects: number;
  /** Client messages that were not a valid subscribe/unsubscribe. */
  badRequests: number;
  /** Simulated epoch ms of the last slot; NaN before the clock started. */
  simTimeMs: number;
  started: boolean;
  /** `count` ticks have been emitted. */
  done: boolean;
}

export interface Simulator {
  port: number;
  /** ws://host:port */
  url: string;
  instruments: readonly Instrument[];
  /** Resolves once `count` ticks have been emitted (never without count). */
  done: Promise<void>;
  stats(): SimulatorStats;
  /** Stops pacing, drops every client, closes the listener; leaves no handle behind. */
  close(): Promise<void>;
  /** Every good tick in order, when keepSent. */
  sentTicks?: SimTick[];
  sentTrades?: SimTrade[];
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}

const posInt = (v: number | undefined): boolean => v === undefined || (Number.isInteger(v) && v >= 1);

/** Validates options and fills defaults; throws RangeError naming the option. */
export function resolveSimulatorOptions(o: SimulatorOptions) {
  const rate = o.rate ?? SIMULATOR_DEFAULTS.rate;
  const speed = o.speed ?? SIMULATOR_DEFAULTS.speed;
  const seed = o.seed ?? SIMULATOR_DEFAULTS.seed;
  const batchMax = o.batchMax ?? SIMULATOR_DEFAULTS.batchMax;
  const port = o.port ?? 0;
  check(Number.isFinite(rate) && rate > 0, `rate ${rate}: ticks per second, a number > 0`);
  check(Number.isFinite(speed) && speed > 0, `speed ${speed}: a number > 0`);
  check(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff, `seed ${seed}: a whole number from 0 to 4294967295`);
  check(Number.isInteger(batchMax) && batchMax >= 1, `batchMax ${batchMax}: a whole number >= 1`);
  check(Number.isInteger(port) && port >= 0 && port <= 65535, `port ${port}: a whole number from 0 to 65535`);
  check(o.count === undefined || (Number.isInteger(o.count) && o.count >= 0), `count ${o.count}: a whole number >= 0`);
  const faults = o.faults ?? {};
  for (const k of ['malformedEvery', 'duplicateEvery', 'regressEvery', 'disconnectEvery'] as const) {
    check(posInt(faults[k]), `faults.${k} ${faults[k]}: a whole number >= 1`);
  }
  let startMs: number | undefined;
  if (typeof o.start === 'string') {
    startMs = parseStart(o.start);
    check(startMs !== undefined, `start '${o.start}': use "YYYYMMDD HH:MM[:SS]" (Asia/Shanghai time)`);
  } else if (o.start !== undefined) {
    check(Number.isFinite(o.start), `start ${o.start}: epoch milliseconds`);
    startMs = o.start;
  }
  const instruments =
    typeof o.instruments === 'object' ? [...o.instruments] : buildUniverse(o.instruments ?? SIMULATOR_DEFAULTS.instruments);
  check(instruments.length > 0, 'instruments: at least one');
  const heartbeatMs = o.heartbeatMs ?? 1000;
  check(Number.isFinite(heartbeatMs) && heartbeatMs > 0, `heartbeatMs ${heartbeatMs}: a number > 0`);
  return {
    host: o.host ?? SIMULATOR_DEFAULTS.host,
    port,
    instruments,
    rate,
    speed,
    seed,
    startMs,
    count: o.count,
    batchMax,
    trades: o.trades ?? SIMULATOR_DEFAULTS.trades,
    faults,
    keepSent: o.keepSent ?? false,
    heartbeatMs,
    highWaterBytes: o.highWaterBytes ?? 8 * 1024 * 1024,
    stallTimeoutMs: o.stallTimeoutMs ?? 10_000,
  };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const o = resolveSimulatorOptions(options);
  const gen = createGenerator({ seed: o.seed, instruments: o.instruments, startMs: o.startMs });
  const wss = await listen(o.host, o.port);
  const addr = wss.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const hostInUrl = o.host.includes(':') ? `[${o.host}]` : o.host;

  // The clock starts at the first subscribe of any client.
  const clients = new Clients(o, () => pump.start());
  const pump = new TickPump({ ...o, regressEvery: o.faults.regressEvery, clock: options.clock }, gen, clients);
  wss.on('connection', (ws: WebSocket) => clients.accept(ws));

  let closing: Promise<void> | undefined;
  const sim: Simulator = {
    port,
    url: `ws://${hostInUrl}:${port}`,
    instruments: o.instruments,
    done: pump.done,
    stats(): SimulatorStats {
      const c = clients.counters;
      return {
        sent: pump.sent,
        trades: pump.trades,
        frames: c.frames,
        bytes: c.bytes,
        heartbeats: c.heartbeats,
        injected: { ...c.injected },
        slowDisconnects: c.slowDisconnects,
        badRequests: c.badRequests,
        clients: clients.size,
        subscribed: clients.subscribed(),
        simTimeMs: pump.simTimeMs,
        started: pump.started,
        done: pump.finished,
      };
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        pump.stop();
        clients.close();
        wss.close(() => resolve());
      });
      return closing;
    },
  };
  if (pump.sentTicks) sim.sentTicks = pump.sentTicks;
  if (pump.sentTrades) sim.sentTrades = pump.sentTrades;
  return sim;
}

/** A WebSocketServer listening on host:port; refuses with the address when it cannot. */
async function listen(host: string, port: number): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ host, port, perMessageDeflate: false, clientTracking: false, maxPayload: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      wss.off('listening', onListening);
      reject(new Error(`simulator: cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    };
    const onListening = () => {
      wss.off('error', onError);
      resolve();
    };
    wss.once('error', onError);
    wss.once('listening', onListening);
  });
  wss.on('error', () => {}); // after listening: nothing left to fail that is not per client
  return wss;
}

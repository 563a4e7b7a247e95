// The built-in market simulator: a websocket server that paces seeded ticks to subscribed clients in the tickrec JSON protocol.
//
// Protocol (docs: the tickrec JSON format). A client sends
//   {"type":"subscribe","instruments":["SHFE.rb2505", ...]}   or ["*"] for everything
// (subscribes add up; {"type":"unsubscribe",...} removes) and then receives frames, each
// a JSON array of {"type":"tick",...} objects (and {"type":"trade",...} after each tick
// when trades are on), only for what it subscribed. Nothing is sent before a subscribe.
// A subscribed client that got no frame for heartbeatMs receives {"type":"heartbeat"}.
//
// Clock. The simulated clock starts at the first subscribe of any client. Tick slot k
// (k = 0, 1, 2, ...) is due at real time k/rate seconds after that and happens at
// simulated time start + k/rate × speed seconds (slotTimeMs). Each slot asks the
// generator for one tick at that time: one tick when some instrument is in session,
// nothing otherwise. So the sequence of good ticks depends only on (seed, instruments,
// start, rate, speed), never on timers, load or clients: a slow machine or a slow
// client (backpressure pauses the pump) only delays the slots. With `count`, the
// simulator stops after that many ticks and stays connected, idle, with heartbeats.
//
// Faults. They never change the sequence of good ticks: every injected frame is extra.
// Frame-based faults count the data frames each client receives (its own counter):
// - malformedEvery N: after the client's N-th, 2N-th... data frame, one bad frame, in
//   turn broken JSON, a string price, code "../../x", price DBL_MAX (see json.ts);
// - duplicateEvery N: the client's N-th, 2N-th... data frame is sent twice (a resent snapshot);
// - disconnectEvery N: the connection is dropped (terminate, no close handshake) right
//   after the client's N-th data frame (and its injected extras);
// Tick-based:
// - regressEvery N: after the N-th, 2N-th... good tick (global count), an extra frame
//   holding a copy of that tick whose total_volume went backwards, to the clients
//   subscribed to that instrument.

import { WebSocketServer, type WebSocket } from 'ws';
import { JsonBytes } from './bytes.js';
import { parseStart } from './calendar.js';
import { SIMULATOR_DEFAULTS } from './defaults.js';
import { createGenerator, slotTimeMs, type SimTick, type SimTrade } from './generator.js';
import { HEARTBEAT_JSON, MALFORMED_KINDS, malformedFrame, regressedTick, tickJson, tradeJson } from './json.js';
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

interface Client {
  ws: WebSocket;
  all: boolean;
  subs: Set<string>;
  frames: number;
  lastSendMs: number;
  malformedNext: number;
  stalledSince: number;
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
  const { rate, speed, batchMax, faults } = o;
  const gen = createGenerator({ seed: o.seed, instruments: o.instruments, startMs: o.startMs });

  const wss = await listen(o.host, o.port);
  const addr = wss.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const hostInUrl = o.host.includes(':') ? `[${o.host}]` : o.host;

  const clients = new Set<Client>();
  const st = {
    sent: 0,
    trades: 0,
    frames: 0,
    bytes: 0,
    heartbeats: 0,
    injected: { malformed: 0, duplicate: 0, regress: 0, disconnect: 0 },
    slowDisconnects: 0,
    badRequests: 0,
  };
  const sentTicks: SimTick[] | undefined = o.keepSent ? [] : undefined;
  const sentTrades: SimTrade[] | undefined = o.keepSent && o.trades ? [] : undefined;

  let closed = false;
  let started = false;
  let finished = o.count === 0;
  let startMs = 0;
  let t0Real = 0;
  let slot = 0;
  let simTimeMs = NaN;
  let pumpTimer: NodeJS.Timeout | undefined;
  let pumpImmediate: NodeJS.Immediate | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  if (finished) resolveDone();

  const write = (c: Client, data: string | Buffer, len: number): void => {
    c.ws.send(data, { binary: false });
    c.lastSendMs = performance.now();
    st.bytes += len;
  };

  const heartbeat = setInterval(
    () => {
      const now = performance.now();
      for (const c of clients) {
        if (!(c.all || c.subs.size > 0) || c.ws.readyState !== c.ws.OPEN) continue;
        if (now - c.lastSendMs >= o.heartbeatMs) {
          write(c, HEARTBEAT_JSON, HEARTBEAT_JSON.length);
          st.heartbeats++;
        }
      }
    },
    Math.max(10, Math.min(250, o.heartbeatMs / 4)),
  );

  function startClock(): void {
    if (started || closed) return;
    started = true;
    startMs = options.clock?.() ?? o.startMs ?? Date.now();
    t0Real = performance.now();
    if (!finished) schedule(0);
  }

  function schedule(ms: number): void {
    if (closed || finished || pumpTimer || pumpImmediate) return;
    if (ms <= 0) pumpImmediate = setImmediate(pump);
    else pumpTimer = setTimeout(pump, ms);
  }

  /** A client with too much queued: pause; drop it if it stays so too long. */
  function backpressured(now: number): boolean {
    let blocked = false;
    for (const c of clients) {
      if (c.ws.bufferedAmount > o.highWaterBytes) {
        if (c.stalledSince === 0) c.stalledSince = now;
        else if (now - c.stalledSince > o.stallTimeoutMs) {
          st.slowDisconnects++;
          c.ws.terminate();
          clients.delete(c);
          continue;
        }
        blocked = true;
      } else c.stalledSince = 0;
    }
    return blocked;
  }

  function pump(): void {
    pumpTimer = undefined;
    pumpImmediate = undefined;
    if (closed || finished) return;
    const now = performance.now();
    let target = Math.floor(((now - t0Real) * rate) / 1000);
    // Far behind (a stall, a slow client): forgive the lag instead of bursting.
    const maxLag = Math.max(batchMax, rate * 0.1);
    if (target - slot > maxLag) {
      t0Real += ((target - slot - maxLag) * 1000) / rate;
      target = slot + Math.floor(maxLag);
    }
    const deadline = now + 20;
    while (slot < target && !finished) {
      if (backpressured(performance.now())) {
        schedule(1);
        return;
      }
      emitBatch(target);
      if (performance.now() > deadline) {
        schedule(0);
        return;
      }
    }
    if (finished) return;
    const nextDue = t0Real + ((slot + 1) * 1000) / rate - performance.now();
    schedule(Math.max(1, Math.min(10, Math.ceil(nextDue))));
  }

  const batch = new Batch(Math.min(1 << 22, batchMax * (o.trades ? 1400 : 1100) + 4096));
  const { out, regress } = batch;

  function emitBatch(target: number): void {
    batch.reset();
    let nTicks = 0;
    while (nTicks < batchMax && slot < target) {
      const t = slotTimeMs(startMs, slot, rate, speed);
      slot++;
      simTimeMs = t;
      const tick = gen.next(t);
      if (!tick) continue;
      nTicks++;
      st.sent++;
      sentTicks?.push(tick);
      const id = tick.exchg + '.' + tick.code;
      batch.add(id, tick, 1, (b) => gen.writeLast(b)); // writeLast makes room for the tick itself
      if (o.trades) {
        const trade = gen.lastTrade()!;
        st.trades++;
        sentTrades?.push(trade);
        const json = tradeJson(trade);
        batch.add(id, tick, json.length, (b) => b.str(json));
      }
      if (faults.regressEvery && st.sent % faults.regressEvery === 0) {
        regress.push({ id, frame: '[' + tickJson(regressedTick(tick)) + ']' });
      }
      if (o.count !== undefined && st.sent >= o.count) {
        finished = true;
        break;
      }
    }
    batch.end();
    if (batch.size > 0) deliver();
    if (finished) resolveDone();
  }

  function deliver(): void {
    // Clients of '*' share one frame: the batch's bytes, handed over without a copy
    // once the filtered frames (copies) have been cut from them.
    let allBuf: Buffer | undefined;
    let allWanted = false;
    for (const c of clients) if (c.all) allWanted = true;
    const filtered = new Map<Client, { frame: Buffer; lastTick: SimTick }>();
    for (const c of clients) {
      if (c.all || c.subs.size === 0) continue;
      const f = batch.filteredFrame(c.subs);
      if (f) filtered.set(c, f);
    }
    if (allWanted) allBuf = out.detach();
    for (const c of clients) {
      if (c.ws.readyState !== c.ws.OPEN) continue;
      let frame: Buffer;
      let lastTick: SimTick;
      if (c.all && allBuf) {
        frame = allBuf;
        lastTick = batch.lastTick();
      } else {
        const f = filtered.get(c);
        if (!f) continue;
        ({ frame, lastTick } = f);
      }
      write(c, frame, frame.length);
      st.frames++;
      c.frames++;
      if (faults.duplicateEvery && c.frames % faults.duplicateEvery === 0) {
        write(c, frame, frame.length);
        st.injected.duplicate++;
      }
      if (faults.malformedEvery && c.frames % faults.malformedEvery === 0) {
        const kind = MALFORMED_KINDS[c.malformedNext++ % MALFORMED_KINDS.length]!;
        const bad = malformedFrame(kind, lastTick);
        write(c, bad, bad.length);
        st.injected.malformed++;
      }
      for (const r of regress) {
        if (c.all || c.subs.has(r.id)) {
          write(c, r.frame, r.frame.length);
          st.injected.regress++;
        }
      }
      if (faults.disconnectEvery && c.frames % faults.disconnectEvery === 0) {
        st.injected.disconnect++;
        c.ws.terminate();
        clients.delete(c);
      }
    }
  }

  function onMessage(c: Client, data: unknown): void {
    const m = parseSubscription(data);
    if (m === undefined) {
      st.badRequests++;
      return;
    }
    applySubscription(c, m);
    if (m.type === 'subscribe') {
      c.lastSendMs = performance.now();
      startClock();
    }
  }

  wss.on('connection', (ws: WebSocket) => {
    if (closed) {
      ws.terminate();
      return;
    }
    const c: Client = { ws, all: false, subs: new Set(), frames: 0, lastSendMs: performance.now(), malformedNext: 0, stalledSince: 0 };
    clients.add(c);
    ws.on('message', (data) => onMessage(c, data));
    ws.on('close', () => clients.delete(c));
    ws.on('error', () => clients.delete(c));
  });

  let closing: Promise<void> | undefined;
  const sim: Simulator = {
    port,
    url: `ws://${hostInUrl}:${port}`,
    instruments: o.instruments,
    done,
    stats(): SimulatorStats {
      let subscribed = 0;
      for (const c of clients) if (c.all || c.subs.size > 0) subscribed++;
      return {
        ...st,
        injected: { ...st.injected },
        clients: clients.size,
        subscribed,
        simTimeMs,
        started,
        done: finished,
      };
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        clearInterval(heartbeat);
        if (pumpTimer) clearTimeout(pumpTimer);
        if (pumpImmediate) clearImmediate(pumpImmediate);
        pumpTimer = undefined;
        pumpImmediate = undefined;
        for (const c of clients) c.ws.terminate();
        clients.clear();
        wss.close(() => resolve());
      });
      return closing;
    },
  };
  if (sentTicks) sim.sentTicks = sentTicks;
  if (sentTrades) sim.sentTrades = sentTrades;
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

/** A client's request: (un)subscribe a list of instrument ids ('*': all). */
interface Subscription {
  type: 'subscribe' | 'unsubscribe';
  instruments: string[];
}

/** The request in a client's message, or undefined when it is not one the simulator takes. */
function parseSubscription(data: unknown): Subscription | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(String(data));
  } catch {
    return undefined;
  }
  const m = msg as { type?: unknown; instruments?: unknown };
  const list = m?.instruments;
  if ((m?.type !== 'subscribe' && m?.type !== 'unsubscribe') || !Array.isArray(list) || !list.every((x) => typeof x === 'string'))
    return undefined;
  return { type: m.type, instruments: list };
}

function applySubscription(c: Client, m: Subscription): void {
  for (const id of m.instruments) {
    if (m.type === 'subscribe') {
      if (id === '*') c.all = true;
      else c.subs.add(id);
    } else if (id === '*') {
      c.all = false;
      c.subs.clear();
    } else c.subs.delete(id);
  }
}

/**
 * One batch frame '[e1,e2,...]' of ticks and trades, reused from batch to batch, with
 * each element's byte range, instrument id and tick, so that a client of a few
 * instruments gets a frame cut from it.
 */
class Batch {
  readonly out: JsonBytes;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly ids: string[] = [];
  private readonly ticks: SimTick[] = [];
  /** The regressed copies of this batch's ticks to send after it (fault injection). */
  readonly regress: { id: string; frame: string }[] = [];

  constructor(capacity: number) {
    this.out = new JsonBytes(capacity);
  }

  get size(): number {
    return this.starts.length;
  }

  reset(): void {
    this.out.reset();
    this.out.byte(0x5b); // [
    this.starts.length = 0;
    this.ends.length = 0;
    this.ids.length = 0;
    this.ticks.length = 0;
    this.regress.length = 0;
  }

  /** Appends one element written by `write` (after room for `bytes` of it and the comma). */
  add(id: string, tick: SimTick, bytes: number, write: (out: JsonBytes) => void): void {
    this.out.ensure(bytes + 1);
    if (this.starts.length > 0) this.out.byte(0x2c); // ,
    this.starts.push(this.out.pos);
    write(this.out);
    this.ends.push(this.out.pos);
    this.ids.push(id);
    this.ticks.push(tick);
  }

  /** Closes the frame. */
  end(): void {
    this.out.ensure(1);
    this.out.byte(0x5d); // ]
  }

  lastTick(): SimTick {
    return this.ticks[this.ticks.length - 1]!;
  }

  /** The frame of the elements of the instruments in `subs`, or undefined when none. */
  filteredFrame(subs: ReadonlySet<string>): { frame: Buffer; lastTick: SimTick } | undefined {
    let bytes = 0;
    let n = 0;
    let lastTick: SimTick | undefined;
    for (let i = 0; i < this.ids.length; i++) {
      if (!subs.has(this.ids[i]!)) continue;
      bytes += this.ends[i]! - this.starts[i]!;
      n++;
      lastTick = this.ticks[i];
    }
    if (n === 0 || !lastTick) return undefined;
    const frame = Buffer.allocUnsafe(bytes + n + 1);
    let p = 0;
    for (let i = 0; i < this.ids.length; i++) {
      if (!subs.has(this.ids[i]!)) continue;
      frame[p++] = 0x2c; // the first one becomes '[' below
      p += this.out.buf.copy(frame, p, this.starts[i], this.ends[i]);
    }
    frame[0] = 0x5b;
    frame[p] = 0x5d;
    return { frame, lastTick };
  }
}

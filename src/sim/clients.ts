// The simulator's connected clients: what each subscribed to, heartbeats to the idle ones, backpressure, and the delivery of each batch with the faults injected per client.
//
// Subscriptions. A client sends {"type":"subscribe","instruments":[...]} (["*"]: every
// instrument); subscribes add up, {"type":"unsubscribe",...} removes (["*"]: everything).
// Any other message counts as a bad request and changes nothing. A client gets data
// frames only for what it subscribed, nothing before its first subscribe; a subscribed
// client that got no frame for heartbeatMs receives {"type":"heartbeat"}.
//
// Frame-based faults count the data frames each client receives (its own counter);
// every injected frame is extra, the good ones are never changed:
// - malformedEvery N: after the client's N-th, 2N-th... data frame, one bad frame, in
//   turn broken JSON, a string price, code "../../x", price DBL_MAX (see json.ts);
// - duplicateEvery N: the client's N-th, 2N-th... data frame is sent twice (a resent snapshot);
// - disconnectEvery N: the connection is dropped (terminate, no close handshake) right
//   after the client's N-th data frame (and its injected extras).
// The batch's regressed ticks (tick-based, made by the pump) go to each client subscribed
// to their instrument, after its data frame.

import type { WebSocket } from 'ws';
import type { Batch } from './batch.js';
import type { SimTick } from './generator.js';
import { HEARTBEAT_JSON, MALFORMED_KINDS, malformedFrame } from './json.js';

export interface ClientOptions {
  heartbeatMs: number;
  /** A client with more bytes queued holds the pump (backpressured). */
  highWaterBytes: number;
  /** A client that stays above highWaterBytes this long is dropped. */
  stallTimeoutMs: number;
  faults: { malformedEvery?: number; duplicateEvery?: number; disconnectEvery?: number };
}

/** Counters summed over clients (SimulatorStats). */
export interface ClientCounters {
  frames: number;
  bytes: number;
  heartbeats: number;
  injected: { malformed: number; duplicate: number; regress: number; disconnect: number };
  slowDisconnects: number;
  badRequests: number;
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

export class Clients {
  readonly counters: ClientCounters = {
    frames: 0,
    bytes: 0,
    heartbeats: 0,
    injected: { malformed: 0, duplicate: 0, regress: 0, disconnect: 0 },
    slowDisconnects: 0,
    badRequests: 0,
  };
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  /** `onSubscribe` is called at each subscribe (the clock starts at the first one). */
  constructor(
    private readonly o: ClientOptions,
    private readonly onSubscribe: () => void,
  ) {
    this.heartbeat = setInterval(() => this.sendHeartbeats(), Math.max(10, Math.min(250, o.heartbeatMs / 4)));
  }

  /** Connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Connected clients that subscribed to something. */
  subscribed(): number {
    let n = 0;
    for (const c of this.clients) if (c.all || c.subs.size > 0) n++;
    return n;
  }

  /** Takes a new connection (refused once closed). */
  accept(ws: WebSocket): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const c: Client = { ws, all: false, subs: new Set(), frames: 0, lastSendMs: performance.now(), malformedNext: 0, stalledSince: 0 };
    this.clients.add(c);
    ws.on('message', (data) => this.onMessage(c, data));
    ws.on('close', () => this.clients.delete(c));
    ws.on('error', () => this.clients.delete(c));
  }

  /** Stops the heartbeats and drops every client (no close handshake). */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
  }

  /** Whether a client has too much queued (hold the pump); a client that stays so longer than stallTimeoutMs is dropped. */
  backpressured(nowMs: number): boolean {
    let blocked = false;
    for (const c of this.clients) {
      if (c.ws.bufferedAmount > this.o.highWaterBytes) {
        if (c.stalledSince === 0) c.stalledSince = nowMs;
        else if (nowMs - c.stalledSince > this.o.stallTimeoutMs) {
          this.counters.slowDisconnects++;
          c.ws.terminate();
          this.clients.delete(c);
          continue;
        }
        blocked = true;
      } else c.stalledSince = 0;
    }
    return blocked;
  }

  /** Sends the batch's frame to each subscribed client (cut to its instruments), with the faults due. */
  deliver(batch: Batch): void {
    const { clients, counters: st } = this;
    const { faults } = this.o;
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
    if (allWanted) allBuf = batch.out.detach();
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
      this.write(c, frame, frame.length);
      st.frames++;
      c.frames++;
      if (faults.duplicateEvery && c.frames % faults.duplicateEvery === 0) {
        this.write(c, frame, frame.length);
        st.injected.duplicate++;
      }
      if (faults.malformedEvery && c.frames % faults.malformedEvery === 0) {
        const kind = MALFORMED_KINDS[c.malformedNext++ % MALFORMED_KINDS.length]!;
        const bad = malformedFrame(kind, lastTick);
        this.write(c, bad, bad.length);
        st.injected.malformed++;
      }
      for (const r of batch.regress) {
        if (c.all || c.subs.has(r.id)) {
          this.write(c, r.frame, r.frame.length);
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

  private write(c: Client, data: string | Buffer, len: number): void {
    c.ws.send(data, { binary: false });
    c.lastSendMs = performance.now();
    this.counters.bytes += len;
  }

  private sendHeartbeats(): void {
    const now = performance.now();
    for (const c of this.clients) {
      if (!(c.all || c.subs.size > 0) || c.ws.readyState !== c.ws.OPEN) continue;
      if (now - c.lastSendMs >= this.o.heartbeatMs) {
        this.write(c, HEARTBEAT_JSON, HEARTBEAT_JSON.length);
        this.counters.heartbeats++;
      }
    }
  }

  private onMessage(c: Client, data: unknown): void {
    const m = parseSubscription(data);
    if (m === undefined) {
      this.counters.badRequests++;
      return;
    }
    applySubscription(c, m);
    if (m.type === 'subscribe') {
      c.lastSendMs = performance.now();
      this.onSubscribe();
    }
  }
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

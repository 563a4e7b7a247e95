// Real servers for WsFeed tests on 127.0.0.1: a recording ws server (restartable on its port), raw servers that never answer, a recording mapper and sink, and bounded polling.

import crypto from 'node:crypto';
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FeedSink, MessageMapper, RejectReason, TickInput, TradeInput } from '../../../src/feed/types.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms; throws naming `what` after `timeoutMs` (a bound, not a pass criterion). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

// ---- mapper and sink ----------------------------------------------------------------

/**
 * Records every frame it is given. Subscribe frames are {"op":"subscribe","args":[...]}.
 * A frame {"seq":n} or {"c":k,"i":n} yields a tick (so WsFeed sees data); anything else
 * is only recorded.
 */
export class RecordingMapper implements MessageMapper {
  readonly frames: string[] = [];
  readonly subscribeCalls: string[][] = [];
  throwOn: string | null = null;

  parse(data: string, sink: FeedSink): void {
    this.frames.push(data);
    if (this.throwOn !== null && data.includes(this.throwOn)) throw new Error(`test mapper refuses ${this.throwOn}`);
    if (data.startsWith('{')) {
      const o = JSON.parse(data) as { seq?: number; i?: number };
      const n = o.seq ?? o.i;
      if (typeof n === 'number') sink.tick({ exchg: 'TEST', code: 'X', price: n, action_date: 20240102, action_time: 93000000 });
    }
  }

  subscribeFrames(instruments: readonly string[]): string[] {
    this.subscribeCalls.push([...instruments]);
    return [JSON.stringify({ op: 'subscribe', args: instruments })];
  }

  /** The seq numbers of {"seq":n} frames, in arrival order. */
  seqs(): number[] {
    const out: number[] = [];
    for (const f of this.frames) {
      if (f.startsWith('{"seq"')) out.push((JSON.parse(f) as { seq: number }).seq);
    }
    return out;
  }
}

export class RecordingSink implements FeedSink {
  readonly ticks: TickInput[] = [];
  readonly trades: TradeInput[] = [];
  readonly rejects: { reason: RejectReason; detail: string }[] = [];
  tick(t: TickInput): void {
    this.ticks.push(t);
  }
  trade(t: TradeInput): void {
    this.trades.push(t);
  }
  reject(reason: RejectReason, detail: string): void {
    this.rejects.push({ reason, detail });
  }
}

// ---- recording ws server ------------------------------------------------------------

export interface ServerConn {
  id: number;
  ws: WebSocket;
  /** Every text message received, in order. */
  received: string[];
  /** Subscribe frames received. */
  subscribes: number;
  /** ws-level pings received. */
  pings: number;
  closed: boolean;
  closeCode: number;
  closeReason: string;
}

export interface TestServerOptions {
  port?: number;
  /** Called after a connection's subscribe frame was recorded. */
  onSubscribe?: (c: ServerConn, server: TestServer) => void;
  /** Called for every text message (after recording). */
  onMessage?: (c: ServerConn, text: string, server: TestServer) => void;
  /** Refuse every upgrade with this HTTP status. */
  refuseStatus?: number;
  /** Refuse upgrade attempt n (1-based) with the returned HTTP status; undefined accepts. */
  refuseAttempt?: (n: number) => number | undefined;
}

export class TestServer {
  readonly conns: ServerConn[] = [];
  /** 'open <id> <openCount>', 'sub <id> <openCount>', 'close <id> <code>'. */
  readonly log: string[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private seq = 0;

  private constructor(
    readonly wss: WebSocketServer,
    readonly port: number,
    private readonly opts: TestServerOptions,
  ) {}

  static async start(opts: TestServerOptions = {}): Promise<TestServer> {
    let attempts = 0;
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: opts.port ?? 0,
      verifyClient: (_info: unknown, cb: (ok: boolean, code?: number, msg?: string) => void) => {
        const status = opts.refuseStatus ?? opts.refuseAttempt?.(++attempts);
        if (status === undefined) cb(true);
        else cb(false, status, 'Refused');
      },
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    const addr = wss.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    const server = new TestServer(wss, addr.port, opts);
    wss.on('connection', (ws) => server.accept(ws));
    return server;
  }

  private accept(ws: WebSocket): void {
    const c: ServerConn = {
      id: this.conns.length + 1,
      ws,
      received: [],
      subscribes: 0,
      pings: 0,
      closed: false,
      closeCode: 0,
      closeReason: '',
    };
    this.conns.push(c);
    this.log.push(`open ${c.id} ${this.openCount()}`);
    ws.on('ping', () => c.pings++);
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      c.closed = true;
      c.closeCode = code;
      c.closeReason = reason.toString();
      this.log.push(`close ${c.id} ${code}`);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      c.received.push(text);
      if (text.startsWith('{"op":"subscribe"')) {
        c.subscribes++;
        this.log.push(`sub ${c.id} ${this.openCount()}`);
        this.opts.onSubscribe?.(c, this);
      }
      this.opts.onMessage?.(c, text, this);
    });
  }

  openCount(): number {
    return this.conns.filter((c) => !c.closed).length;
  }

  /** Open connections that have subscribed. */
  subscribed(): ServerConn[] {
    return this.conns.filter((c) => !c.closed && c.subscribes > 0);
  }

  /** Every `intervalMs`, sends {"seq":n} (one shared counter) to every subscribed open connection. */
  startTicker(intervalMs = 2): void {
    this.ticker = setInterval(() => {
      const subs = this.subscribed();
      if (subs.length === 0) return;
      const frame = JSON.stringify({ seq: ++this.seq });
      for (const c of subs) if (c.ws.readyState === c.ws.OPEN) c.ws.send(frame);
    }, intervalMs);
  }

  stopTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Like a process dying: every client socket destroyed, listener closed. */
  async close(): Promise<void> {
    this.stopTicker();
    for (const c of this.conns) if (!c.closed) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

// ---- raw servers that never answer ----------------------------------------------------

export interface RawServer {
  port: number;
  /** TCP connections accepted. */
  accepted: number;
  /** Upgrades answered with 101 (only when `handshake`). */
  upgraded: number;
  close(): Promise<void>;
}

/**
 * A TCP server that, with `handshake`, answers the HTTP upgrade with a valid 101 and then
 * pauses the socket forever (never reads, never answers a ping, never sends); without
 * it, never answers at all (the client stays in the handshake).
 */
export async function startRawServer(handshake: boolean): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const state = { accepted: 0, upgraded: 0 };
  const srv = net.createServer((sock) => {
    state.accepted++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    if (!handshake) return;
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      sock.pause();
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      const accept = crypto
        .createHash('sha1')
        .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
        .digest('base64');
      sock.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      state.upgraded++;
    };
    sock.on('data', onData);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address() as net.AddressInfo;
  return {
    port: addr.port,
    get accepted() {
      return state.accepted;
    },
    get upgraded() {
      return state.upgraded;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 with nothing listening (taken, then released). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Counts of active libuv resources by kind (Timeout, TCPSocketWrap, Immediate...). */
export function activeResources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/** Kinds whose count in `now` exceeds `base`, as 'Kind: base -> now'; empty when none grew. */
export function grownResources(base: Map<string, number>, now: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, n] of now) {
    const b = base.get(k) ?? 0;
    if (n > b) out.push(`${k}: ${b} -> ${n}`);
  }
  return out;
}

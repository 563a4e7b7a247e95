// The control server the CTP stand-in connects to as its "front": records what the API sent, answers logins and subscriptions, and tells it which ticks to replay and when to drop.
//
// Protocol: test/fixtures/ctp-standin/standin.cpp. By default every LOGIN is answered with
// success (trading day `tradingDay`) and every SUB with one RSPSUB per code; set
// `loginReplies` to script failures.

import net from 'node:net';

export interface FrontLine {
  /** 1-based serial of the connection the line came on. */
  conn: number;
  verb: string;
  args: string[];
  line: string;
}

export type TickFields = Record<string, string | number>;

/** "TICK k=v ..." arguments: numbers as decimals, 'MAX' for DBL_MAX, '' for an empty text. */
export function tickArgs(f: TickFields): string {
  return Object.entries(f)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'MAX') : v}`)
    .join(' ');
}

export const hex = (b: Uint8Array | string): string => (b.length === 0 ? '-' : Buffer.from(b).toString('hex'));
export const unhex = (h: string): string => (h === '-' ? '' : Buffer.from(h, 'hex').toString('utf8'));

export class Front {
  readonly lines: FrontLine[] = [];
  tradingDay = '20250106';
  /** Scripted answers to the next LOGINs: an error id and GBK message bytes; then success. */
  loginReplies: { errorId: number; message: Uint8Array }[] = [];
  autoSubscribe = true;
  /**
   * 'answer' (default) speaks the protocol; 'close' accepts each connection and closes it
   * at once (the library then loops connect/close); 'silent' accepts and never answers
   * anything (a login is never answered; the library's heartbeat timeout follows).
   */
  mode: 'answer' | 'close' | 'silent' = 'answer';
  private readonly sockets: net.Socket[] = [];
  private current: net.Socket | null = null;
  private serial = 0;
  private pingSerial = 0;
  private waiters: { pred: (l: FrontLine) => boolean; resolve: (l: FrontLine) => void }[] = [];

  private constructor(private readonly server: net.Server) {}

  static async start(): Promise<Front> {
    const server = net.createServer();
    const front = new Front(server);
    server.on('connection', (s) => front.onConnection(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return front;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.serial;
  }

  private onConnection(s: net.Socket): void {
    const conn = ++this.serial;
    if (this.mode === 'close') {
      s.on('error', () => undefined);
      s.destroy();
      return;
    }
    this.sockets.push(s);
    this.current = s;
    s.setNoDelay(true);
    s.setEncoding('latin1');
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.onLine(s, conn, line);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.current === s) this.current = null;
    });
  }

  private onLine(s: net.Socket, conn: number, line: string): void {
    const [verb = '', ...args] = line.split(' ');
    const l: FrontLine = { conn, verb, args, line };
    this.lines.push(l);
    if (this.mode === 'silent') {
      // records what came, answers nothing
    } else if (verb === 'LOGIN') {
      const r = this.loginReplies.shift();
      if (r) s.write(`RSPLOGIN ${args[0]} ${r.errorId} - ${hex(r.message)}\n`);
      else s.write(`RSPLOGIN ${args[0]} 0 ${this.tradingDay} -\n`);
    } else if ((verb === 'SUB' || verb === 'UNSUB') && this.autoSubscribe) {
      const ids = args.slice(1);
      ids.forEach((id, i) => s.write(`RSP${verb} 0 0 ${id} - ${i === ids.length - 1 ? 1 : 0}\n`));
    }
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(l)) return true;
      w.resolve(l);
      return false;
    });
  }

  /** The first line (received or to come) that matches. */
  waitFor(pred: (l: FrontLine) => boolean, what: string, timeoutMs = 15_000): Promise<FrontLine> {
    const seen = this.lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `front: timed out waiting for ${what}; got:\n${this.lines.map((x) => `${x.conn}: ${x.line.slice(0, 120)}`).join('\n')}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
    });
  }

  /** Resolves when `n` lines of `verb` came on connection `conn`. */
  async waitCount(verb: string, conn: number, n: number): Promise<void> {
    await this.waitFor(() => this.of(verb, conn).length >= n, `${n} ${verb} lines on connection ${conn}`);
  }

  /** Lines of one verb, optionally only on one connection. */
  of(verb: string, conn?: number): FrontLine[] {
    return this.lines.filter((l) => l.verb === verb && (conn === undefined || l.conn === conn));
  }

  /** Sends raw command lines on the newest connection. */
  send(...lines: string[]): void {
    if (this.current === null) throw new Error('front: no connection');
    this.current.write(lines.map((l) => l + '\n').join(''));
  }

  tick(f: TickFields): void {
    this.send(`TICK ${tickArgs(f)}`);
  }

  flood(n: number, f: TickFields): void {
    this.send(`FLOOD ${n} ${tickArgs(f)}`);
  }

  /** The stand-in closes the connection and reports OnFrontDisconnected(reason). */
  drop(reason: number): void {
    this.send(`DROP ${reason}`);
  }

  /** Closes the newest connection from this side (the API sees a read failure). */
  hangUp(): void {
    this.current?.destroy();
    this.current = null;
  }

  /** Resolves when the stand-in has run every command sent before. */
  async ping(): Promise<void> {
    const token = `p${++this.pingSerial}`;
    const conn = this.serial;
    this.send(`PING ${token}`);
    await this.waitFor((l) => l.verb === 'PONG' && l.args[0] === token && l.conn === conn, `PONG ${token}`);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nobody listens on (for a dead first front). */
export async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

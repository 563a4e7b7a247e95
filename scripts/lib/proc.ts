// A child process with its output parsed as JSON lines: the one implementation behind the
// soak scenarios (scripts/soak), the reliability tests and the end-to-end tests (test/e2e).

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One JSON line of a child (pino log line on stderr, or a message on stdout). */
export type Line = Record<string, unknown> & { msg?: string; event?: string; level?: number; time?: number };

export interface ProcOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group (we run as root: permission tests drop to `nobody`). */
  uid?: number;
  gid?: number;
  /** Run under `ulimit -f <blocks>` (bash's 1024-byte blocks). */
  ulimitFileBlocks?: number;
  /** An IPC channel (process.send in the child). */
  ipc?: boolean;
}

const running = new Set<Proc>();

/** A child process with its stdout and stderr parsed as JSON lines. */
export class Proc {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  /** JSON lines of stderr (the recorder's pino log). */
  readonly logs: Line[] = [];
  /** JSON lines of stdout, and IPC messages. */
  readonly messages: Line[] = [];
  /** stderr lines that are not JSON (a recorder logs only JSON: anything else is a stray print). */
  readonly otherLines: string[] = [];
  readonly exit: Promise<Exit>;
  exited: Exit | undefined;
  private bufs = { out: '', err: '' };
  private watchers: { pred: (l: Line) => boolean; stream: 'log' | 'msg'; resolve: (l: Line) => void; reject: (e: Error) => void }[] = [];

  constructor(
    readonly label: string,
    file: string,
    args: readonly string[],
    opts: ProcOptions = {},
  ) {
    const so: SpawnOptions = {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    };
    this.proc =
      opts.ulimitFileBlocks === undefined
        ? spawn(file, [...args], so)
        : spawn('bash', ['-c', `ulimit -f ${opts.ulimitFileBlocks} && exec "$0" "$@"`, file, ...args], so);
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => this.onData(d, 'out'));
    this.proc.stderr!.on('data', (d: string) => this.onData(d, 'err'));
    this.proc.on('message', (m) => {
      if (m && typeof m === 'object') this.push(m as Line, 'msg');
    });
    running.add(this);
    this.exit = new Promise<Exit>((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.exited = { code, signal };
        running.delete(this);
        for (const w of this.watchers.splice(0))
          w.reject(new Error(`${this.label} (pid ${this.pid}) exited (${code ?? signal}) before the expected line.\n${this.tail()}`));
        resolve(this.exited);
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Last lines of output, for failure messages. */
  tail(n = 25): string {
    return `--- ${this.label}: stderr (last ${n} lines) ---\n${this.stderr.split('\n').slice(-n).join('\n')}\n--- stdout ---\n${this.stdout.slice(-1500)}`;
  }

  private onData(d: string, which: 'out' | 'err'): void {
    if (which === 'out') this.stdout += d;
    else this.stderr += d;
    if (this.stderr.length > 4_000_000) this.stderr = this.stderr.slice(-1_000_000); // bounded
    if (this.stdout.length > 4_000_000) this.stdout = this.stdout.slice(-1_000_000);
    this.bufs[which] += d;
    let nl: number;
    while ((nl = this.bufs[which].indexOf('\n')) >= 0) {
      const line = this.bufs[which].slice(0, nl);
      this.bufs[which] = this.bufs[which].slice(nl + 1);
      let v: unknown;
      try {
        v = line.startsWith('{') ? JSON.parse(line) : undefined;
      } catch {
        v = undefined; // not a JSON line
      }
      if (v && typeof v === 'object' && !Array.isArray(v)) this.push(v as Line, which === 'err' ? 'log' : 'msg');
      else if (which === 'err' && this.otherLines.length < 100_000) this.otherLines.push(line);
    }
  }

  private push(l: Line, stream: 'log' | 'msg'): void {
    const list = stream === 'log' ? this.logs : this.messages;
    list.push(l);
    if (list.length > 200_000) list.splice(0, 100_000); // bounded
    this.watchers = this.watchers.filter((w) => {
      if (w.stream !== stream || !w.pred(l)) return true;
      w.resolve(l);
      return false;
    });
  }

  private wait(stream: 'log' | 'msg', pred: RegExp | ((l: Line) => boolean), timeoutMs: number): Promise<Line> {
    const p =
      pred instanceof RegExp
        ? (l: Line) => typeof (stream === 'log' ? l.msg : l.event) === 'string' && pred.test(String(stream === 'log' ? l.msg : l.event))
        : pred;
    const seen = (stream === 'log' ? this.logs : this.messages).find(p);
    if (seen) return Promise.resolve(seen);
    if (this.exited)
      return Promise.reject(
        new Error(`${this.label} already exited (${JSON.stringify(this.exited)}) without ${String(pred)}.\n${this.tail()}`),
      );
    return new Promise<Line>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers = this.watchers.filter((x) => x !== w);
        reject(new Error(`${this.label} (pid ${this.pid}): no line ${String(pred)} within ${timeoutMs} ms.\n${this.tail()}`));
      }, timeoutMs);
      const w = {
        pred: p,
        stream,
        resolve: (l: Line) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.watchers.push(w);
    });
  }

  /** The first log line (stderr JSON, seen or to come) matching; a RegExp tests `msg`. */
  waitForLog(pred: RegExp | ((l: Line) => boolean), timeoutMs = 20_000): Promise<Line> {
    return this.wait('log', pred, timeoutMs);
  }

  /** The first message (stdout JSON or IPC, seen or to come) matching; a RegExp tests `event`. */
  waitForMessage(pred: RegExp | ((l: Line) => boolean), timeoutMs = 20_000): Promise<Line> {
    return this.wait('msg', pred, timeoutMs);
  }

  send(msg: object): void {
    if (!this.exited && this.proc.connected) this.proc.send(msg);
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.proc.kill(sig);
  }

  /** The exit, or an error after timeoutMs (the child is then killed). */
  async waitExit(timeoutMs = 20_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        reject(new Error(`${this.label} (pid ${this.pid}) did not exit within ${timeoutMs} ms.\n${this.tail()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exit, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Kills every child still running (cleanup). */
export async function killAll(): Promise<void> {
  const all = [...running];
  for (const p of all) p.signal('SIGKILL'); // works on a stopped (SIGSTOP) child too
  await Promise.all(all.map((p) => p.exit));
}

// Spawning TypeScript helper scripts as real child processes and talking to them by JSON lines on stdout/stdin.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of a script in test/helpers. */
export function helper(name: string): string {
  return path.join(REPO_ROOT, 'test', 'helpers', name);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type Message = Record<string, unknown> & { event?: string };

/** A running helper: its JSON messages, its stderr, and its exit. */
export class Child {
  readonly proc: ChildProcess;
  readonly messages: Message[] = [];
  /** stdout lines that were not JSON. */
  readonly otherLines: string[] = [];
  stderr = '';
  readonly exit: Promise<Exit>;
  exited: Exit | undefined;
  private waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  private buf = '';

  constructor(
    proc: ChildProcess,
    readonly label: string,
  ) {
    this.proc = proc;
    proc.stdout!.setEncoding('utf8');
    proc.stderr!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => this.onData(d));
    proc.stderr!.on('data', (d: string) => {
      this.stderr += d;
    });
    this.exit = new Promise<Exit>((resolve) => {
      proc.on('close', (code, signal) => {
        this.exited = { code, signal };
        for (const w of this.waiters.splice(0)) {
          w.reject(
            new Error(
              `${this.label} (pid ${proc.pid}) exited (code ${code}, signal ${signal}) before the expected message; stderr:\n${this.stderr}`,
            ),
          );
        }
        resolve(this.exited);
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let msg: Message | undefined;
      try {
        const v: unknown = JSON.parse(line);
        if (v && typeof v === 'object' && !Array.isArray(v)) msg = v as Message;
      } catch {
        msg = undefined;
      }
      if (!msg) {
        this.otherLines.push(line);
        continue;
      }
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(msg)) return true;
        w.resolve(msg);
        return false;
      });
    }
  }

  /** Resolves with the first message (already received or to come) matching; rejects if the child exits first. */
  waitFor(pred: string | ((m: Message) => boolean)): Promise<Message> {
    const p = typeof pred === 'string' ? (m: Message) => m.event === pred : pred;
    const seen = this.messages.find(p);
    if (seen) return Promise.resolve(seen);
    if (this.exited) {
      return Promise.reject(new Error(`${this.label} already exited (${JSON.stringify(this.exited)}); stderr:\n${this.stderr}`));
    }
    return new Promise((resolve, reject) => this.waiters.push({ pred: p, resolve, reject }));
  }

  send(line: string): void {
    this.proc.stdin!.write(line + '\n');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.proc.kill(signal);
  }
}

export interface SpawnOptions {
  /** Run under `ulimit -f <blocks>` (bash's units). */
  ulimitFileBlocks?: number;
  env?: NodeJS.ProcessEnv;
}

const running = new Set<Child>();

/** Starts `node --import tsx test/helpers/<script> ...args`. */
export function spawnHelper(script: string, args: readonly string[], opts: SpawnOptions = {}): Child {
  const file = helper(script);
  const nodeArgs = ['--import', 'tsx', file, ...args];
  const env = { ...process.env, ...opts.env };
  const proc =
    opts.ulimitFileBlocks === undefined
      ? spawn(process.execPath, nodeArgs, { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -f ${opts.ulimitFileBlocks} && exec "$0" "$@"`, process.execPath, ...nodeArgs], {
          cwd: REPO_ROOT,
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
  const child = new Child(proc, `${script} ${args.join(' ')}`);
  running.add(child);
  void child.exit.then(() => running.delete(child));
  return child;
}

/** Kills every helper still running (for afterEach/afterAll). */
export async function killAllHelpers(): Promise<void> {
  const all = [...running];
  for (const c of all) c.kill('SIGKILL');
  await Promise.all(all.map((c) => c.exit));
}

// Shared helpers of the reliability scenarios (scripts/soak.ts and test/reliability): child processes (recorder, CLI, helper scripts), /health polling, bounded waits, /proc sampling, temp folders.

import { coveredSessionsFile } from '../lib/sessions.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from '../../src/config/schema.js';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { Proc, type Exit, type Line, type ProcOptions } from '../lib/proc.js';
import { getHealth } from '../lib/health.js';
import { waitFor } from '../lib/wait.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI as users run it: `npm run build` must have built it. */
export const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
export const SOAK_DIR = path.dirname(fileURLToPath(import.meta.url));

export function requireBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`);
}

// ---- temp folders ------------------------------------------------------------------

const madeDirs: string[] = [];

export function makeTempDir(prefix = 'tickrec-rel-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  madeDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of madeDirs.splice(0)) {
    try {
      fs.chmodSync(d, 0o755);
    } catch {
      // already gone
    }
    fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Every file under `dir` (absolute paths), recursively; [] when it does not exist. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

// ---- child processes, waits, /health (shared with the e2e tests: scripts/lib) -------

export { Proc, killAll, type Exit, type Line, type ProcOptions } from '../lib/proc.js';
export { sleep, waitFor } from '../lib/wait.js';
export { getHealth, waitHealth, type HealthBody, type HealthStats } from '../lib/health.js';

/** `node --import tsx scripts/soak/<script> args` with an IPC channel. */
export function spawnScript(script: string, args: readonly string[], opts: ProcOptions = {}): Proc {
  return new Proc(
    `${script} ${args.join(' ').slice(0, 120)}`,
    process.execPath,
    ['--import', 'tsx', path.join(SOAK_DIR, script), ...args],
    { ipc: true, ...opts },
  );
}

/** A running `tickrec record`. */
export class RecorderProc extends Proc {
  /** http://127.0.0.1:PORT from the "metrics and health on ..." log line. */
  async metricsUrl(timeoutMs = 30_000): Promise<string> {
    const l = await this.waitForLog(/^metrics and health on /, timeoutMs);
    const m = /^metrics and health on (http:\/\/\S+?)\/metrics/.exec(String(l.msg));
    if (!m) throw new Error(`cannot read the metrics URL from: ${String(l.msg)}`);
    return m[1]!;
  }

  /** The metrics URL once /health answers. */
  async ready(timeoutMs = 30_000): Promise<string> {
    const base = await this.metricsUrl(timeoutMs);
    await waitFor(() => getHealth(base), `${this.label}: /health`, { timeoutMs });
    return base;
  }

  async stop(timeoutMs = 20_000): Promise<Exit> {
    this.signal('SIGTERM');
    return this.waitExit(timeoutMs);
  }
}

export interface RecorderSpawn extends ProcOptions {
  /** Extra arguments after `record --config FILE` (--clock-start ...). */
  args?: readonly string[];
  /** Node options before the CLI (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
}

export function startRecorder(configFile: string, o: RecorderSpawn = {}): RecorderProc {
  requireBuilt();
  // Started as the tickrec bin starts it: with its Node flags (src/cli/node-flags.ts).
  return new RecorderProc(
    `tickrec record ${path.basename(configFile)}`,
    process.execPath,
    [...NODE_FLAGS, ...(o.nodeArgs ?? []), CLI, 'record', '--config', configFile, ...(o.args ?? [])],
    {
      cwd: path.dirname(configFile),
      ...o,
    },
  );
}

/** Runs `tickrec <args>` to completion. */
export async function runCli(
  args: readonly string[],
  o: ProcOptions & { timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string; ms: number }> {
  requireBuilt();
  const t0 = Date.now();
  const p = new Proc(`tickrec ${args.join(' ')}`, process.execPath, [CLI, ...args], o);
  const e = await p.waitExit(o.timeoutMs ?? 120_000);
  return { ...e, stdout: p.stdout, stderr: p.stderr, ms: Date.now() - t0 };
}

// ---- the recorder's configuration and /health -------------------------------------------

export interface ConfigOpts {
  root: string;
  url: string;
  subscribe?: string[];
  storage?: Record<string, unknown>;
  bars?: Record<string, unknown>;
  log?: Record<string, unknown>;
  feed?: Record<string, unknown>;
}

/** A recorder configuration: one tickrec-protocol websocket feed, metrics on an ephemeral loopback port. */
export function recorderConfig(o: ConfigOpts): Record<string, unknown> {
  return {
    root: o.root,
    feeds: [
      {
        type: 'websocket',
        format: 'tickrec',
        name: 'sim',
        url: o.url,
        subscribe: o.subscribe ?? ['*'],
        reconnect_min_ms: 20,
        reconnect_max_ms: 200,
        ...o.feed,
      },
    ],
    metrics: { port: 0 },
    storage: { ...o.storage },
    // The soak checks finished days in rt/: the recorder's own end-of-day compaction would move them to his/.
    ...('compaction' in ConfigSchema.shape ? { compaction: { enabled: false } } : {}),
    ...(o.bars ? { bars: o.bars } : {}),
    log: { level: 'info', ...o.log },
    // the bundled calendar ends where the exchanges' notices end: a soak is not about it (scripts/lib/sessions.ts)
    sessions: coveredSessionsFile(),
  };
}

/** Whether this build's configuration knows `storage.<key>` (unknown keys are errors). */
export function storageHasKey(key: string): boolean {
  const storage = ConfigSchema.shape.storage as unknown as { unwrap?: () => { shape: Record<string, unknown> } };
  return key in (storage.unwrap?.().shape ?? {});
}

export function writeConfig(dir: string, config: unknown, name = 'recorder.json'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
  return file;
}

/** Log lines of rejected writes (the recorder's write-error log: reason = an error code). */
export function writeErrorLines(logs: readonly Line[]): Line[] {
  return logs.filter(
    (l) => typeof l.reason === 'string' && /^E_/.test(l.reason) && typeof l.msg === 'string' && l.msg.startsWith('rejected ('),
  );
}

// ---- /proc ---------------------------------------------------------------------------

export interface ProcSample {
  /** Resident set, KiB: all, anonymous (heap, stacks), file-backed (mapped block files, code). */
  rssKb: number;
  rssAnonKb: number;
  rssFileKb: number;
  /** utime + stime, clock ticks (USER_HZ, 100 on Linux). */
  cpuTicks: number;
}

export const CLOCK_TICKS_PER_S = 100;

/** RSS from /proc/<pid>/status and CPU time from /proc/<pid>/stat; undefined when the process is gone. */
export function procSample(pid: number): ProcSample | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rssKb: kb('VmRSS'), rssAnonKb: kb('RssAnon'), rssFileKb: kb('RssFile'), cpuTicks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** Write syscalls (failed ones included) and bytes written by a process, from /proc/<pid>/io. */
export function procWrites(pid: number): { syscalls: number; bytes: number } | undefined {
  try {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    const v = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(io)?.[1] ?? NaN);
    return { syscalls: v('syscw'), bytes: v('wchar') };
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

// ---- small statistics --------------------------------------------------------------------

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---- the simulator child -------------------------------------------------------------------

export interface SimChildSpec {
  instruments: number;
  rate: number;
  seed: number;
  startMs: number;
  speed: number;
  count?: number;
  faults?: Record<string, number>;
  highWaterBytes?: number;
}

export interface SimStats {
  sent: number;
  frames: number;
  bytes: number;
  clients: number;
  subscribed: number;
  simTimeMs: number;
  started: boolean;
  done: boolean;
  injected: Record<string, number>;
  slowDisconnects: number;
}

/** The simulator in its own process (scripts/soak/sim-child.ts). */
export class SimChild {
  private nextId = 1;
  private constructor(
    readonly proc: Proc,
    readonly url: string,
    readonly spec: SimChildSpec,
  ) {}

  static async start(spec: SimChildSpec): Promise<SimChild> {
    const p = spawnScript('sim-child.ts', [JSON.stringify(spec)]);
    const l = await p.waitForMessage(/^listening$/, 30_000);
    return new SimChild(p, String(l.url), spec);
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Real time (epoch ms) at which the simulated clock started (the first subscribe). */
  async started(timeoutMs = 30_000): Promise<number> {
    return Number((await this.proc.waitForMessage(/^started$/, timeoutMs)).now);
  }

  /** Resolves when `count` ticks went out. */
  async done(timeoutMs: number): Promise<{ now: number; sent: number }> {
    const l = await this.proc.waitForMessage(/^done$/, timeoutMs);
    return { now: Number(l.now), sent: Number(l.sent) };
  }

  async stats(): Promise<SimStats & { now: number }> {
    const id = this.nextId++;
    this.proc.send({ cmd: 'stats', id });
    const l = await this.proc.waitForMessage((m) => m.event === 'stats' && m.id === id, 30_000);
    return { ...(l.stats as SimStats), now: Number(l.now) };
  }

  async close(): Promise<void> {
    if (this.proc.exited) return;
    this.proc.send({ cmd: 'close' });
    await this.proc.waitExit(10_000).catch(() => undefined);
  }
}

// ---- problems, grouped by check ----------------------------------------------------------

/** Problems found by a scenario, grouped by the check that found them (tests assert each group). */
export class Problems {
  readonly byCheck: Record<string, string[]> = {};
  private current = 'setup';

  /** The check the next problems belong to. */
  check(name: string): void {
    this.current = name;
    this.byCheck[name] ??= [];
  }

  push(...msgs: string[]): void {
    (this.byCheck[this.current] ??= []).push(...msgs);
  }

  /** Every problem, prefixed with its check. */
  get all(): string[] {
    return Object.entries(this.byCheck).flatMap(([k, v]) => v.map((m) => `[${k}] ${m}`));
  }
}

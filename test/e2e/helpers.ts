// Shared helpers of the end-to-end tests: temp dirs, free ports, config files, recorder child processes (dist/cli/main.js), log waits, /health polling, file checks.

import { coveredSessionsFile } from '../helpers/sessions.js';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHealth, waitHealth, type HealthBody, type HealthStats } from '../../scripts/lib/health.js';
import { Proc, killAll, type Exit, type Line } from '../../scripts/lib/proc.js';
import { sleep, waitFor } from '../../scripts/lib/wait.js';
import type { SimTick } from '../../src/sim/index.js';
import { inspectFile } from '../../src/cli/inspect.js';
import { RtReader } from '../../src/store/index.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI as users run it: `npm run build` (or `npm test`) must have built it. */
export const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

export function requireBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the e2e tests (npm test does it).`);
}

// ---- temp dirs ---------------------------------------------------------------------

const madeDirs: string[] = [];

export function makeTempDir(prefix = 'tickrec-e2e-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  madeDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of madeDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Every path under `dir` (files and folders), relative to it, sorted. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === '' ? e.name : path.join(rel, e.name);
      out.push(p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk('');
  return out.sort();
}

/** Every .dmb file under `root` (absolute paths). */
export function blockFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return listTree(root)
    .filter((p) => p.endsWith('.dmb'))
    .map((p) => path.join(root, p));
}

/** The .dmb files of one record kind folder under rt/ (ticks, trans, min1, ...), live and set aside. */
export function kindFiles(root: string, folder: string): string[] {
  return blockFiles(path.join(root, 'rt', folder));
}

// ---- ports and configs -------------------------------------------------------------

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address() as net.AddressInfo;
      srv.close(() => resolve(a.port));
    });
  });
}

export interface FeedOpts {
  url: string;
  name?: string;
  subscribe?: string[];
  [key: string]: unknown;
}

export interface ConfigOpts {
  root: string;
  feeds: FeedOpts[];
  /** false: metrics off; true or omitted: on, on port 0 (the log line names the port). */
  metrics?: boolean | { host?: string; port?: number };
  storage?: Record<string, unknown>;
  log?: Record<string, unknown>;
  simulator?: Record<string, unknown>;
  /** Sessions file; default: the bundled one with a calendar claimed to 2099 (test/helpers/sessions.ts). */
  sessions?: string;
  /** The recorder's own end-of-day compaction: off unless a test turns it on (the tests inspect rt/ after day rolls). */
  compaction?: Record<string, unknown>;
}

/** A recorder configuration object with test-friendly defaults. */
export function recorderConfig(o: ConfigOpts): Record<string, unknown> {
  const metrics =
    o.metrics === false ? { enabled: false } : o.metrics === true || o.metrics === undefined ? { port: 0 } : { port: 0, ...o.metrics };
  return {
    root: o.root,
    feeds: o.feeds.map((f) => ({
      type: 'websocket',
      format: 'tickrec',
      subscribe: ['*'],
      reconnect_min_ms: 20,
      reconnect_max_ms: 200,
      ...f,
    })),
    metrics,
    storage: { roll_by_clock: false, ...o.storage },
    log: { level: 'info', ...o.log },
    sessions: o.sessions ?? coveredSessionsFile(),
    compaction: { enabled: false, ...o.compaction },
    ...(o.simulator ? { simulator: o.simulator } : {}),
  };
}

export function writeConfig(dir: string, config: unknown, name = 'recorder.json'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
  return file;
}

// ---- child processes ---------------------------------------------------------------

/** One JSON log line of the recorder (pino). */
export type LogLine = Line;
export { Proc, killAll, type Exit, getHealth, waitHealth, type HealthBody, type HealthStats, sleep, waitFor };

/** `node dist/cli/main.js <args>`. */
export function spawnCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; label?: string } = {}): Proc {
  requireBuilt();
  return new Proc(opts.label ?? `tickrec ${args.join(' ')}`, process.execPath, [CLI, ...args], {
    ...(opts.env ? { env: opts.env } : {}),
    cwd: opts.cwd ?? REPO_ROOT,
  });
}

/** Runs a CLI command to completion. */
export async function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const p = spawnCli(args, opts);
  const e = await p.waitExit(opts.timeoutMs ?? 30_000);
  return { ...e, stdout: p.stdout, stderr: p.stderr };
}

export class Recorder extends Proc {
  /** http://127.0.0.1:PORT from the "metrics and health on ..." log line. */
  async metricsUrl(timeoutMs = 20_000): Promise<string> {
    const l = await this.waitForLog(/^metrics and health on /, timeoutMs);
    const m = /^metrics and health on (http:\/\/\S+?)\/metrics/.exec(String(l.msg));
    if (!m) throw new Error(`cannot read the metrics URL from: ${String(l.msg)}`);
    return m[1]!;
  }

  /**
   * The metrics URL, once the recorder is fully started: /health has answered, which
   * happens in a later event-loop turn than the installation of the signal handlers
   * (the "metrics and health on" log line comes a few statements before it).
   */
  async ready(timeoutMs = 20_000): Promise<string> {
    const base = await this.metricsUrl(timeoutMs);
    await getHealth(base);
    return base;
  }

  /** Resolves once the recorder logged that it runs (lock taken, files scanned). */
  started(timeoutMs = 20_000): Promise<LogLine> {
    return this.waitForLog(/^recorder on /, timeoutMs);
  }

  /** SIGTERM and the exit (bounded). */
  async stop(timeoutMs = 20_000): Promise<Exit> {
    this.signal('SIGTERM');
    return this.waitExit(timeoutMs);
  }
}

/** `tickrec record --config <file> [extra...]` as a child process. */
export function startRecorder(configFile: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Recorder {
  requireBuilt();
  const args = [CLI, 'record', '--config', configFile, ...extra];
  return new Recorder(`tickrec record ${path.basename(configFile)}`, process.execPath, args, { env, cwd: path.dirname(configFile) });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---- records -----------------------------------------------------------------------

/** A stored tick as a plain object with plain arrays. */
export type TickRow = Record<string, number | string | number[]>;

export function readTicks(file: string): TickRow[] {
  const r = RtReader.open(file);
  try {
    const out: TickRow[] = [];
    const n = r.length;
    for (let i = 0; i < n; i++) {
      const rec = r.get(i) as Record<string, unknown>;
      const row: TickRow = {};
      for (const [k, v] of Object.entries(rec)) {
        if (typeof v === 'number' || typeof v === 'string') row[k] = v;
        else if (v && typeof v === 'object' && 'length' in v) row[k] = Array.from(v as ArrayLike<number>);
      }
      out.push(row);
    }
    return out;
  } finally {
    r.close();
  }
}

export function tickFile(root: string, exchg: string, code: string, date?: number): string {
  return date === undefined
    ? path.join(root, 'rt', 'ticks', exchg, `${code}.dmb`)
    : path.join(root, 'rt', 'ticks', exchg, String(date), `${code}.dmb`);
}

/** Trading date in a file's header. */
export function fileDate(file: string): number {
  const r = RtReader.open(file);
  try {
    return r.date;
  } finally {
    r.close();
  }
}

/** Records in a file (0 when it does not exist). */
export function recordCount(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const r = RtReader.open(file);
  try {
    return r.length;
  } finally {
    r.close();
  }
}

const EXACT_FIELDS = [
  'price',
  'open',
  'high',
  'low',
  'settle_price',
  'upper_limit',
  'lower_limit',
  'total_volume',
  'total_turnover',
  'open_interest',
  'diff_interest',
  'trading_date',
  'action_date',
  'action_time',
  'pre_close',
  'pre_settle',
  'pre_interest',
] as const;

/** Fields the recorder derives from cumulative totals (N8): equal up to float rounding. */
const DERIVED_FIELDS = ['volume', 'turn_over'] as const;

const close = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Why the stored tick differs from the tick the simulator sent, or null when it matches field by field. */
export function tickMismatch(stored: TickRow, sent: SimTick): string | null {
  if (stored.exchg !== sent.exchg || stored.code !== sent.code)
    return `instrument ${String(stored.exchg)}.${String(stored.code)} != ${sent.exchg}.${sent.code}`;
  for (const f of EXACT_FIELDS) {
    if (stored[f] !== sent[f]) return `${f}: stored ${String(stored[f])}, sent ${String(sent[f])}`;
  }
  for (const f of DERIVED_FIELDS) {
    if (!close(stored[f] as number, sent[f])) return `${f}: stored ${String(stored[f])}, sent ${String(sent[f])}`;
  }
  for (const f of ['bid_prices', 'ask_prices', 'bid_qty', 'ask_qty'] as const) {
    const a = stored[f] as number[];
    const b = sent[f];
    for (let i = 0; i < 10; i++) {
      const want = i < b.length ? b[i]! : 0;
      if (a[i] !== want) return `${f}[${i}]: stored ${a[i]}, sent ${want}`;
    }
  }
  return null;
}

/** The simulator's sent ticks grouped by 'EXCHG.CODE', in order. */
export function groupSent(ticks: readonly SimTick[]): Map<string, SimTick[]> {
  const m = new Map<string, SimTick[]>();
  for (const t of ticks) {
    const id = `${t.exchg}.${t.code}`;
    let a = m.get(id);
    if (!a) m.set(id, (a = []));
    a.push(t);
  }
  return m;
}

/**
 * Checks that `stored` is exactly `sent` (same length, field by field, in order).
 * Returns a list of problems (empty when equal), at most `max`.
 */
export function compareExactly(label: string, stored: readonly TickRow[], sent: readonly SimTick[], max = 5): string[] {
  const problems: string[] = [];
  if (stored.length !== sent.length) problems.push(`${label}: ${stored.length} records stored, ${sent.length} sent`);
  const n = Math.min(stored.length, sent.length);
  for (let i = 0; i < n && problems.length < max; i++) {
    const m = tickMismatch(stored[i]!, sent[i]!);
    if (m) problems.push(`${label} record ${i}: ${m}`);
  }
  return problems;
}

/**
 * Matches `stored` as an in-order subsequence of `sent` (every stored record is a sent
 * tick, each sent tick used at most once, order kept). Returns the matched indices into
 * `sent`, or a problem.
 */
export function matchSubsequence(stored: readonly TickRow[], sent: readonly SimTick[]): { indices: number[] } | { problem: string } {
  const indices: number[] = [];
  let j = 0;
  for (let i = 0; i < stored.length; i++) {
    const s = stored[i]!;
    // volume/turn_over of the first tick after a gap are recomputed from totals: match on the exact fields
    while (j < sent.length && exactMismatch(s, sent[j]!) !== null) j++;
    if (j >= sent.length) {
      return {
        problem: `record ${i} (${String(s.action_date)} ${String(s.action_time)} total_volume ${String(s.total_volume)}) is not a sent tick after sent index ${indices[indices.length - 1] ?? -1}`,
      };
    }
    indices.push(j);
    j++;
  }
  return { indices };
}

function exactMismatch(stored: TickRow, sent: SimTick): string | null {
  if (stored.exchg !== sent.exchg || stored.code !== sent.code) return 'instrument';
  for (const f of EXACT_FIELDS) if (stored[f] !== sent[f]) return f;
  for (const f of ['bid_prices', 'ask_prices', 'bid_qty', 'ask_qty'] as const) {
    const a = stored[f] as number[];
    const b = sent[f];
    for (let i = 0; i < 10; i++) if (a[i] !== (i < b.length ? b[i]! : 0)) return f;
  }
  return null;
}

/** Basic sanity of one stored tick (a torn or garbage record fails it). */
export function tickProblem(t: TickRow, exchg: string, code: string, fileDate: number): string | null {
  if (t.exchg !== exchg || t.code !== code) return `instrument ${String(t.exchg)}.${String(t.code)} in the file of ${exchg}.${code}`;
  const price = t.price as number;
  if (!Number.isFinite(price) || price <= 0 || price >= 1e300) return `price ${price}`;
  if (t.trading_date !== fileDate) return `trading_date ${String(t.trading_date)} in a file of ${fileDate}`;
  const d = t.action_date as number;
  if (!(d >= 19900101 && d <= 20991231)) return `action_date ${d}`;
  const tm = t.action_time as number;
  if (!(tm >= 0 && tm <= 235959999)) return `action_time ${tm}`;
  for (const f of ['total_volume', 'volume', 'total_turnover', 'open_interest'] as const) {
    const v = t[f] as number;
    if (!Number.isFinite(v) || v < 0) return `${f} ${v}`;
  }
  return null;
}

export interface InspectResult {
  file: string;
  /** Exit code of `tickrec inspect` (null when only inspected in-process). */
  code: number | null;
  problems: string[];
  size?: number;
  date?: number;
}

/**
 * Inspects every file with inspectFile() (the code of `tickrec inspect`, in this
 * process) and `cliSample` of them with the real CLI (`tickrec inspect --json`, whose
 * exit code must be 0): a CLI start costs ~0.3 s of CPU, too much for every file.
 */
export async function inspectAll(files: readonly string[], cliSample = 3): Promise<InspectResult[]> {
  const out: InspectResult[] = files.map((file) => {
    const r = inspectFile(file);
    return {
      file,
      code: null,
      problems: r.problems,
      ...(r.size !== undefined ? { size: r.size } : {}),
      ...(r.date !== undefined ? { date: r.date } : {}),
    };
  });
  const picks = out.filter((_, i) => i % Math.max(1, Math.ceil(out.length / cliSample)) === 0).slice(0, cliSample);
  await Promise.all(
    picks.map(async (o) => {
      const r = await runCli(['inspect', o.file, '--json']);
      o.code = r.code;
      try {
        const rep = JSON.parse(r.stdout) as { problems?: string[] };
        o.problems = [...o.problems, ...(rep.problems ?? [])];
      } catch {
        o.problems.push(`tickrec inspect printed no JSON: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 500)}`);
      }
    }),
  );
  return out;
}

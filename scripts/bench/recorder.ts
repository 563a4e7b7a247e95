// End to end on loopback: simulator → websocket → storage; tickrec's recorder against a Redis and a SQLite recorder on the same messages.
//
// Every run is fresh processes: one simulator (`tickrec simulate`, same seed, start and
// count every time, so each recorder receives the same N ticks in the same frames), one
// recorder process (tickrec's `record`, or a peer from scripts/bench/peers/), and for the
// Redis peer its own redis-server. Throughput counts from the first to the last tick
// stored, as seen from this process: tickrec by polling the published size of every
// live tick file (a mapped read, no syscall, nothing asked of the recorder), a peer by
// its "first"/"done" lines. CPU per message: utime+stime of the recorder process from
// /proc/<pid>/stat, sampled at those two moments, over the ticks stored between them.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RtReader as RtReaderT } from '../../src/index.js';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { fixed, median, target, tempDir, type Row, type Suite } from './common.js';
import { lib } from './lib.js';

const N = Number(process.env.TICKREC_BENCH_RECORDER_TICKS) || 1_000_000; // ticks per run (env: shorter trial runs)
const RUNS = Number(process.env.TICKREC_BENCH_RECORDER_RUNS) || 3; // env: shorter trial runs
const INSTRUMENTS = 50;
const SEED = 1;
const START = '20250106 21:05'; // Monday night session, Asia/Shanghai
const RATE = 10_000_000; // slots per real second: far ahead of any client, so the simulator sends at full speed
const SPEED = 50_000; // 5 ms of simulated time per slot: about 4 ticks/s per instrument, 21:05 to 22:28 for 1 M ticks
const BATCH = 100; // ticks per frame (the simulator's default)
/**
 * Goal (issue 18): what recording costs beyond receiving and parsing: the recorder (bars on,
 * the default) at least this share of the parse-only client's rate in the same round of
 * runs. The peers stay in the table for context (the older "5x Redis and SQLite" goal is
 * withdrawn: those peers are bounded by the same receive-and-parse cost).
 */
const GOAL_VS_PARSE = 0.8;

/** env: extra Node flags for the tickrec recorder process (profiling: `--cpu-prof --cpu-prof-dir=DIR`). */
const EXTRA_FLAGS = (process.env.TICKREC_BENCH_RECORDER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** env TICKREC_BENCH_RECORDER_THREADS=1: each run also prints the CPU of every thread of the recorder and of the simulator, µs/msg. */
const THREADS = process.env.TICKREC_BENCH_RECORDER_THREADS === '1';

const POLL_MS = 2;
const FIRST_TIMEOUT_MS = 30_000;
const IDLE_MS = 2000; // tickrec: no new tick for this long after the last = finished
const RUN_TIMEOUT_MS = 600_000;
const USER_HZ = 100;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const PEERS = fileURLToPath(new URL('./peers/', import.meta.url));
const base = tempDir('recorder');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nowNs = () => process.hrtime.bigint();

// ---- processes -------------------------------------------------------------------------

/** A child process: its stdout lines, the tail of its stderr, its exit. */
class Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  private stderrTail = '';
  private exitCode: number | null | undefined;
  private readonly lineWaiters: ((line: string) => void)[] = [];

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
  ) {
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    if (this.child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
      });
      this.child.once('error', () => resolve(null));
    });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      for (const w of this.lineWaiters) w(line);
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4000);
    });
  }

  onLine(fn: (line: string) => void): void {
    this.lineWaiters.push(fn);
  }

  /** Resolves with the first stdout line that matches. */
  waitLine(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms; stderr: ${this.stderr}`)),
        timeoutMs,
      );
      this.onLine((line) => {
        const m = re.exec(line);
        if (m) {
          clearTimeout(t);
          resolve(m);
        }
      });
      void this.exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`${this.name} exited (${code}) before printing ${re}; stderr: ${this.stderr}`));
      });
    });
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  get stderr(): string {
    return this.stderrTail.trim().split('\n').slice(-6).join(' | ');
  }

  /** Signal, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    if (!this.alive) return this.exitCode ?? null;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** utime, stime of a process in clock ticks (USER_HZ); all its threads. */
interface Cpu {
  user: number;
  sys: number;
}

function cpuOf(pid: number | undefined, thread?: number): Cpu {
  if (pid === undefined) return { user: 0, sys: 0 };
  try {
    const s = fs.readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]), sys: Number(f[12]) };
  } catch {
    return { user: NaN, sys: NaN };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function hasRedisServer(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d !== '' && fs.existsSync(path.join(d, 'redis-server')));
}

async function startSimulator(): Promise<{ proc: Proc; url: string }> {
  const proc = new Proc('simulator', process.execPath, [
    ...NODE_FLAGS,
    MAIN,
    'simulate',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--instruments',
    String(INSTRUMENTS),
    '--seed',
    String(SEED),
    '--start',
    START,
    '--rate',
    String(RATE),
    '--speed',
    String(SPEED),
    '--count',
    String(N),
    '--batch-max',
    String(BATCH),
  ]);
  const m = await proc.waitLine(/^simulator listening on (ws:\/\/\S+)/, 30_000);
  return { proc, url: m[1]! };
}

async function startRedisServer(dir: string): Promise<{ proc: Proc; port: number }> {
  const port = await freePort();
  const proc = new Proc('redis-server', 'redis-server', [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--logfile',
    '',
    '--daemonize',
    'no',
  ]);
  await proc.waitLine(/Ready to accept connections/, 30_000);
  return { proc, port };
}

function peer(script: string, args: string[]): Proc {
  return new Proc(script, process.execPath, [...NODE_FLAGS, '--import', 'tsx', path.join(PEERS, script), ...args]);
}

// ---- progress ----------------------------------------------------------------------------

/** One moment of a run: ticks stored, monotonic time, CPU of the recorder (all threads, and its main thread: the event loop), and of its server. */
interface Mark {
  count: number;
  ns: bigint;
  cpu: Cpu;
  mainCpu: Cpu;
  serverCpu: Cpu;
  /** THREADS: clock ticks (user + sys) per thread of the recorder ("tid comm") and of the simulator ("simulator"). */
  threads?: Map<string, number>;
}

/** THREADS: the recorder's CPU in the first and the second half of the last run's ticks. */
let halves: () => string = () => '';

/** The simulator of the run being watched (THREADS). */
let simPid: number | undefined;

/** user + sys clock ticks of every thread of `pid`, keyed "tid comm". */
function threadTicks(pid: number, into: Map<string, number>, prefix = ''): void {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      into.set(`${prefix}${tid === String(pid) ? 'main' : tid} ${comm}`, Number(f[11]) + Number(f[12]));
    } catch {
      // the thread ended
    }
  }
}

/** THREADS: the CPU of each thread between two marks, µs per message, largest first. */
function threadReport(w: Watched): string {
  const a = w.first.threads;
  const b = w.last.threads;
  if (!a || !b) return '';
  const n = w.last.count - w.first.count;
  const rows = [...b].map(([k, t]) => [k, (((t - (a.get(k) ?? 0)) / USER_HZ) * 1e6) / n] as const).filter(([, us]) => us > 0);
  rows.sort((x, y) => y[1] - x[1]);
  return rows.map(([k, us]) => `${k} ${us.toFixed(2)}`).join(', ');
}

interface Watched {
  first: Mark;
  last: Mark;
}

/** `threads`: with THREADS, also every thread's CPU (not at every poll: reading them costs the machine some CPU too). */
function mark(count: number, ns: bigint, pid: number, serverPid: number | undefined, threads = true): Mark {
  const m: Mark = { count, ns, cpu: cpuOf(pid), mainCpu: cpuOf(pid, pid), serverCpu: cpuOf(serverPid) };
  if (THREADS && threads) {
    m.threads = new Map();
    threadTicks(pid, m.threads);
    if (simPid !== undefined) {
      const c = cpuOf(simPid);
      m.threads.set('simulator (all threads)', c.user + c.sys);
    }
  }
  return m;
}

/** tickrec: the sum of the published sizes of every live tick file under root, polled. */
class TickFiles {
  private readonly readers = new Map<string, RtReaderT>();
  private lastScanMs = 0;

  constructor(private readonly dir: string) {}

  total(): number {
    if (performance.now() - this.lastScanMs > 50) this.scan();
    let n = 0;
    for (const r of this.readers.values()) n += r.length;
    return n;
  }

  private scan(): void {
    this.lastScanMs = performance.now();
    let exchanges: string[];
    try {
      exchanges = fs.readdirSync(this.dir);
    } catch {
      return; // not created yet
    }
    for (const ex of exchanges) {
      for (const f of fs.readdirSync(path.join(this.dir, ex))) {
        const file = path.join(this.dir, ex, f);
        if (!f.endsWith(lib.RT_EXT) || this.readers.has(file)) continue;
        try {
          this.readers.set(file, lib.RtReader.open(file));
        } catch {
          // being created: next scan
        }
      }
    }
  }

  close(): void {
    for (const r of this.readers.values()) r.close();
    this.readers.clear();
  }
}

/** THREADS: the threads' CPU added to the last mark, read now (the recorder is idle once the last tick is stored). */
function withThreads(m: Mark, pid: number): Mark {
  return THREADS ? { ...mark(m.count, m.ns, pid, undefined), cpu: m.cpu, mainCpu: m.mainCpu } : m;
}

async function watchPolled(files: TickFiles, rec: Proc): Promise<Watched> {
  const t0 = performance.now();
  let first: Mark | undefined;
  let last: Mark | undefined;
  let half: Mark | undefined;
  for (;;) {
    const n = files.total();
    const ns = nowNs();
    if (n !== (last?.count ?? 0)) {
      last = mark(n, ns, rec.pid, undefined, first === undefined);
      first ??= last;
      if (THREADS && half === undefined && n >= N / 2) {
        half = last;
        const us = (a: Mark, b: Mark) =>
          ((b.mainCpu.user + b.mainCpu.sys - a.mainCpu.user - a.mainCpu.sys) / USER_HZ / (b.count - a.count)) * 1e6;
        const all = (a: Mark, b: Mark) => ((b.cpu.user + b.cpu.sys - a.cpu.user - a.cpu.sys) / USER_HZ / (b.count - a.count)) * 1e6;
        halves = () =>
          `first half: main ${us(first!, half!).toFixed(2)}, process ${all(first!, half!).toFixed(2)}; second half: main ${us(half!, last!).toFixed(2)}, process ${all(half!, last!).toFixed(2)} µs/msg`;
      }
      if (n >= N) return { first, last: withThreads(last, rec.pid) };
    } else if (first && last && Number(ns - last.ns) / 1e6 > IDLE_MS) {
      return { first, last: withThreads(last, rec.pid) };
    }
    if (!rec.alive) throw new Error(`recorder exited; stderr: ${rec.stderr}`);
    if (!first && performance.now() - t0 > FIRST_TIMEOUT_MS)
      throw new Error(`no tick written within ${FIRST_TIMEOUT_MS} ms; stderr: ${rec.stderr}`);
    if (performance.now() - t0 > RUN_TIMEOUT_MS) throw new Error(`run longer than ${RUN_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

/** A peer: its "first" and "done" lines; CPU sampled when each line arrives. */
function watchLines(p: Proc, serverPid: number | undefined): Promise<Watched> {
  return new Promise((resolve, reject) => {
    let first: Mark | undefined;
    const timer = setTimeout(() => reject(new Error(`${p.name}: not done within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
    const firstTimer = setTimeout(() => {
      if (!first) reject(new Error(`${p.name}: no tick stored within ${FIRST_TIMEOUT_MS} ms; stderr: ${p.stderr}`));
    }, FIRST_TIMEOUT_MS);
    p.onLine((line) => {
      const [what, count, ns, why] = line.split(' ');
      if (what === 'first') first = mark(Number(count), nowNs(), p.pid, serverPid);
      if (what === 'done' && first) {
        clearTimeout(timer);
        clearTimeout(firstTimer);
        // Idle: the peer noticed the end a second late; its own clock has the last store.
        const last = mark(Number(count), why === 'idle' ? BigInt(ns!) : nowNs(), p.pid, serverPid);
        resolve({ first, last });
      }
    });
    void p.exited.then((code) => reject(new Error(`${p.name} exited (${code}); stderr: ${p.stderr}`)));
  });
}

// ---- cases -------------------------------------------------------------------------------

interface Run {
  watched: Watched;
  /** Ticks the store holds after the run (read back). */
  stored: number;
  note?: string;
  load: number[];
}

interface Case {
  readonly name: string;
  readonly id: string;
  /** Has a server process whose CPU is reported apart. */
  readonly server?: boolean;
  readonly goal?: boolean;
  readonly skip?: () => string | undefined;
  run(url: string, dir: string, procs: Proc[]): Promise<Omit<Run, 'load'>>;
}

function tickrecCase(bars: boolean): Case {
  return {
    name: `tickrec record, bars ${bars ? 'on (default)' : 'off'}`,
    id: bars ? 'tickrec-bars' : 'tickrec-nobars',
    goal: bars, // the issue's goal is with bars on, the default
    async run(url, dir, procs) {
      const root = path.join(dir, 'data');
      const metricsPort = await freePort();
      const config = path.join(dir, 'recorder.json');
      fs.writeFileSync(
        config,
        JSON.stringify({
          root,
          feeds: [{ type: 'websocket', url, format: 'tickrec', subscribe: ['*'] }],
          metrics: { enabled: true, host: '127.0.0.1', port: metricsPort },
          log: { level: 'warn', pretty: false },
          storage: { roll_by_clock: false },
          bars: { enabled: bars },
          status_line: false,
        }),
      );
      const rec = new Proc('tickrec record', process.execPath, [...NODE_FLAGS, ...EXTRA_FLAGS, MAIN, 'record', '--config', config]); // as the tickrec bin starts it
      procs.push(rec);
      const files = new TickFiles(lib.rtKindDir(root, lib.TICK_KIND));
      try {
        const watched = await watchPolled(files, rec);
        const res = await fetch(`http://127.0.0.1:${metricsPort}/health`);
        const h = (await res.json()) as { stats: { ticksWritten: number; rejected: Record<string, number>; writeErrors: number } };
        const rejected = Object.entries(h.stats.rejected).filter(([, n]) => n > 0);
        const problems = [
          ...(h.stats.ticksWritten !== files.total() ? [`/health says ${h.stats.ticksWritten} written, files hold ${files.total()}`] : []),
          ...(rejected.length > 0 ? [`rejected ${rejected.map(([r, n]) => `${r} ${n}`).join(', ')}`] : []),
          ...(h.stats.writeErrors > 0 ? [`${h.stats.writeErrors} write errors`] : []),
        ];
        return { watched, stored: files.total(), ...(problems.length > 0 ? { note: problems.join('; ') } : {}) };
      } finally {
        files.close();
        const code = await rec.stop();
        if (code !== 0) console.error(`tickrec record exited ${code}: ${rec.stderr}`);
      }
    },
  };
}

const redisCase: Case = {
  name: 'Redis peer: HSET JSON per tick, 1 pipeline per frame',
  id: 'redis',
  server: true,
  skip: () => (hasRedisServer() ? undefined : 'redis-server not found: apt-get install redis-server'),
  async run(url, dir, procs) {
    const server = await startRedisServer(dir);
    procs.push(server.proc);
    const p = peer('redis-recorder.ts', ['--url', url, '--expect', String(N), '--redis-port', String(server.port)]);
    procs.push(p);
    const watched = await watchLines(p, server.proc.pid);
    await p.stop();
    const { Redis } = await import('ioredis');
    const r = new Redis({ host: '127.0.0.1', port: server.port });
    let stored = 0;
    try {
      for (const key of await r.keys('tick:*')) stored += await r.hlen(key);
    } finally {
      r.disconnect();
    }
    logPeer(p);
    return { watched, stored };
  },
};

const sqliteCase: Case = {
  name: 'SQLite peer: vn.py DbTickData row per tick, WAL, 1 transaction per frame',
  id: 'sqlite',
  async run(url, dir, procs) {
    const file = path.join(dir, 'ticks.db');
    const p = peer('sqlite-recorder.ts', ['--url', url, '--expect', String(N), '--db', file]);
    procs.push(p);
    const watched = await watchLines(p, undefined);
    await p.stop();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file, { readonly: true });
    const stored = (db.prepare('SELECT count(*) AS n FROM dbtickdata').get() as { n: number }).n;
    db.close();
    logPeer(p);
    return { watched, stored };
  },
};

const parseOnlyCase: Case = {
  name: 'reference: same ws client + JSON.parse, ticks dropped',
  id: 'parse-only',
  async run(url, _dir, procs) {
    const p = peer('parse-only.ts', ['--url', url, '--expect', String(N)]);
    procs.push(p);
    const watched = await watchLines(p, undefined);
    logPeer(p);
    return { watched, stored: watched.last.count };
  },
};

/** The peer's own count and timing (stderr), as a cross-check of what the bench measured. */
function logPeer(p: Proc): void {
  const own = p.stderr.split(' | ').find((l) => l.includes('ticks/s (own clock)'));
  if (own) console.log(`  ${own}`);
}

const ALL_CASES: Case[] = [tickrecCase(true), tickrecCase(false), redisCase, sqliteCase, parseOnlyCase];
/** env TICKREC_BENCH_RECORDER_CASES=tickrec-bars,redis: trial runs of some cases (ids as in ALL_CASES). */
const only = process.env.TICKREC_BENCH_RECORDER_CASES?.split(',').filter(Boolean);
const CASES = only ? ALL_CASES.filter((c) => only.includes(c.id)) : ALL_CASES;

async function runCase(c: Case): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(base, `${c.id}-`));
  const procs: Proc[] = [];
  const load = [os.loadavg()[0]!];
  try {
    const sim = await startSimulator();
    procs.push(sim.proc);
    simPid = sim.proc.pid;
    const r = await c.run(sim.url, dir, procs);
    load.push(os.loadavg()[0]!);
    return { ...r, load };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- results -----------------------------------------------------------------------------

interface Summary {
  rate: number;
  rates: number[];
  cpuUs: number;
  mainUs: number;
  kernel: number;
  cores: number;
  serverUs: number;
  stored: string;
  load: number[];
  notes: string[];
  error?: string;
}

function summarize(runs: (Run | Error)[]): Summary {
  const ok = runs.filter((r): r is Run => !(r instanceof Error));
  const errors = runs.filter((r): r is Error => r instanceof Error).map((e) => e.message.split('\n')[0]!);
  const per = ok.map(({ watched: { first, last } }) => {
    const n = last.count - first.count;
    const s = Number(last.ns - first.ns) / 1e9;
    const user = last.cpu.user - first.cpu.user;
    const sys = last.cpu.sys - first.cpu.sys;
    const cpuS = (user + sys) / USER_HZ;
    const mainS = (last.mainCpu.user - first.mainCpu.user + last.mainCpu.sys - first.mainCpu.sys) / USER_HZ;
    const serverS = (last.serverCpu.user - first.serverCpu.user + last.serverCpu.sys - first.serverCpu.sys) / USER_HZ;
    return {
      rate: n / s,
      cpuUs: (cpuS * 1e6) / n,
      mainUs: (mainS * 1e6) / n,
      kernel: user + sys > 0 ? sys / (user + sys) : 0,
      cores: cpuS / s,
      serverUs: (serverS * 1e6) / n,
    };
  });
  const pick = (f: (x: (typeof per)[number]) => number) => (per.length > 0 ? median(per.map(f)) : NaN);
  const storedCounts = [...new Set(ok.map((r) => r.stored))];
  return {
    rate: pick((x) => x.rate),
    rates: per.map((x) => x.rate),
    cpuUs: pick((x) => x.cpuUs),
    mainUs: pick((x) => x.mainUs),
    kernel: pick((x) => x.kernel),
    cores: pick((x) => x.cores),
    serverUs: pick((x) => x.serverUs),
    stored: storedCounts.map((n) => n.toLocaleString('en-US')).join(' / '),
    load: ok.flatMap((r) => r.load),
    notes: [...new Set(ok.flatMap((r) => (r.note ? [r.note] : [])))],
    ...(errors.length > 0 ? { error: `${errors.length} of ${runs.length} runs failed: ${errors[0]}` } : {}),
  };
}

const k = (x: number) => `${fixed(x / 1000, 1)} k`;
let loadNote = '';

export const suite: Suite = {
  title: 'Recorder end to end (websocket → storage, loopback)',
  get about(): string {
    return (
      `The simulator (\`tickrec simulate\`, its own process, started like the recorder with the Node flags of the tickrec bin, ${INSTRUMENTS} instruments, seed ${SEED}, start ${START} Asia/Shanghai, ` +
      `rate ${RATE.toLocaleString('en-US')} slots/s so that it sends as fast as the recorder takes, speed ${SPEED.toLocaleString('en-US')}: ` +
      `simulated time 21:05 to about 22:30) sends N = ${N.toLocaleString('en-US')} ticks in frames of ${BATCH} ` +
      '(about 550 bytes of JSON per tick, 5 book levels) to one recorder process; a fresh simulator and recorder per run, so every recorder gets the same messages. ' +
      `tickrec: \`node ${NODE_FLAGS.join(' ')} dist/cli/main.js record\` (the Node flags of the tickrec bin and \`npm start\`, src/cli/node-flags.ts) with one tickrec websocket feed, metrics on, log level warn, roll_by_clock false ` +
      '(frames of ticks are read by its byte scanner, src/feed/formats/tickrec-scan.ts, not JSON.parse); ' +
      'its rate is counted from the first to the last tick published, polling the size of every live tick file. ' +
      `Peers (scripts/bench/peers/, \`node ${NODE_FLAGS.join(' ')} --import tsx\`): ` +
      'the same ws client and JSON.parse, then Redis as in the Omega design ' +
      '(HSET tick:<EXCHG>.<CODE> <date><time> JSON.stringify(tick), one ioredis pipeline per frame, up to 16 frames in flight; ' +
      "redis-server from Debian started by the bench per run with --save '' --appendonly no), or SQLite as in vn.py's default " +
      '(DbTickData columns and index, WAL, synchronous NORMAL, better-sqlite3, one transaction per frame); ' +
      'a peer counts a frame when Redis has replied / the transaction has committed. ' +
      `Messages/s: median of ${RUNS} runs (min-max), runs interleaved. CPU µs/msg: utime+stime of the recorder process (/proc/<pid>/stat, all threads) ` +
      'between the first and the last stored tick, over those ticks; "main thread" the same for its main thread alone (/proc/<pid>/task/<pid>/stat: the event loop, ' +
      'which bounds the rate; the rest is V8\'s helper threads, libuv\'s pool and tickrec\'s helpers); "in kernel" is the stime share; "cores" = CPU time / wall time of the recorder; ' +
      '"server" is redis-server\'s CPU per message on top. The simulator and the recorder (and redis-server) share the 2 cores. ' +
      '"stored" is read back from the store after each run. "vs parse-only" divides by the same run\'s parse-only reference: ' +
      'the speed of this host moves by 10-20% within an hour (the parse-only client itself has ranged 314-390 k msg/s), so compare that column across runs. ' +
      `"vs parse-only" is the median over rounds of the ratio to the parse-only run of the same round (the cases of a round run one after the other). ` +
      `Target (issue 18): ≥ ${GOAL_VS_PARSE}× the parse-only client with bars on (the default); the peers are context.` +
      (loadNote ? ` ${loadNote}` : '')
    );
  },
  async run(): Promise<Row[]> {
    if (!fs.existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
    const runs = new Map<Case, (Run | Error)[]>(CASES.map((c) => [c, []]));
    const skipped = new Map<Case, string>();
    for (const c of CASES) {
      const why = c.skip?.();
      if (why) skipped.set(c, why);
    }
    for (let r = 0; r < RUNS; r++) {
      for (const c of CASES) {
        if (skipped.has(c)) continue;
        const t0 = performance.now();
        try {
          const res = await runCase(c);
          runs.get(c)!.push(res);
          const { first, last } = res.watched;
          const rate = (last.count - first.count) / (Number(last.ns - first.ns) / 1e9);
          console.log(
            `  run ${r + 1}/${RUNS} ${c.id}: ${k(rate)} msg/s, stored ${res.stored}, ${((performance.now() - t0) / 1000).toFixed(1)} s, loadavg ${res.load.map((x) => x.toFixed(2)).join('→')}`,
          );
          if (THREADS) console.log(`    CPU µs/msg by thread: ${threadReport(res.watched)}\n    ${halves()}`);
          halves = () => '';
        } catch (err) {
          runs.get(c)!.push(err as Error);
          console.log(`  run ${r + 1}/${RUNS} ${c.id}: FAILED ${(err as Error).message}`);
        }
      }
    }
    const sums = new Map<Case, Summary>([...runs].map(([c, rs]) => [c, summarize(rs)]));
    const redis = sums.get(redisCase)?.rate ?? NaN;
    const sqlite = sums.get(sqliteCase)?.rate ?? NaN;
    // per round: the case's rate over the parse-only client's rate of the same round
    const rateOf = (x: Run | Error | undefined) => {
      if (x === undefined || x instanceof Error) return NaN;
      const { first, last } = x.watched;
      return (last.count - first.count) / (Number(last.ns - first.ns) / 1e9);
    };
    const vsParse = (c: Case) => {
      const mine = runs.get(c)!;
      const ref = runs.get(parseOnlyCase) ?? [];
      const ratios = mine.map((x, i) => rateOf(x) / rateOf(ref[i])).filter((v) => Number.isFinite(v));
      return { median: ratios.length > 0 ? median(ratios) : NaN, all: ratios };
    };
    const loads = [...sums.values()].flatMap((s) => s.load);
    loadNote =
      loads.length > 0
        ? `Load average (1 min) at the start and end of the runs: ${fixed(Math.min(...loads))}-${fixed(Math.max(...loads))} on ${os.availableParallelism()} cores.`
        : '';
    return CASES.map((c): Row => {
      const s = sums.get(c)!;
      const why = skipped.get(c);
      const vp = vsParse(c);
      const goal = c.goal
        ? target(
            vp.median >= GOAL_VS_PARSE,
            `≥ ${GOAL_VS_PARSE}× parse-only`,
            `${fixed(vp.median)}×; rounds ${vp.all.map((x) => fixed(x)).join(' ')}`,
          )
        : '';
      const notes = [...(why ? [`skipped: ${why}`] : []), ...(s.error ? [s.error] : []), ...s.notes];
      return {
        case: c.name + (notes.length > 0 ? ` (${notes.join('; ')})` : ''),
        'msg/s (median)': k(s.rate),
        'min-max': s.rates.length > 0 ? `${k(Math.min(...s.rates))}-${k(Math.max(...s.rates))}` : 'n/a',
        'CPU µs/msg': fixed(s.cpuUs),
        'main thread µs/msg': fixed(s.mainUs),
        'in kernel': Number.isFinite(s.kernel) ? `${Math.round(s.kernel * 100)}%` : 'n/a',
        cores: fixed(s.cores),
        'server µs/msg': c.server ? fixed(s.serverUs) : '',
        stored: s.stored || 'n/a',
        'vs Redis': `${fixed(s.rate / redis)}×`,
        'vs SQLite': `${fixed(s.rate / sqlite)}×`,
        // The same run's ws + JSON.parse client: a yardstick of the machine's speed at the time.
        'vs parse-only': `${fixed(vp.median)}×`,
        'loadavg 1m': s.load.length > 0 ? `${fixed(Math.min(...s.load), 1)}-${fixed(Math.max(...s.load), 1)}` : 'n/a',
        target: goal,
      };
    });
  },
};

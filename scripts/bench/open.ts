// The session-open burst (issue 18): the first tick of N new instruments within one second,
// then 10 ticks/s each, into the real recorder; beside the same burst once the files exist;
// and the same open on a root where the recorder prepared the day's files beforehand
// (storage.prepare_files: instruments seen the day before).

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { SPARE_TARGET } from '../../src/store/spare.js';
import { Proc } from '../lib/proc.js';
import { fixed, median, target, tempDir, type Row, type Suite } from './common.js';
import { lib } from './lib.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const FEED = fileURLToPath(new URL('./open-feed.ts', import.meta.url));
const SIZES = (process.env.TICKREC_BENCH_OPEN_SIZES ?? '5000,20000').split(',').map(Number);
const RUNS = Number(process.env.TICKREC_BENCH_OPEN_RUNS ?? 3);
const FLOW_S = 10;
const SAMPLED = 256;
const POLL_MS = 2;
/** Extra node flags for the recorder, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the open (whitespace-separated). */
const REC_NODE_ARGS = (process.env.TICKREC_BENCH_OPEN_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const code = (k: number) => `B${String(k).padStart(5, '0')}`;

interface PhaseResult {
  lags: number[];
  /** ms from the phase's start until the N-th tick file exists (its first tick is appended in the same turn). */
  allFilesMs: number;
}

interface RunResult {
  open: PhaseResult;
  steady: PhaseResult;
  /** ms from the recorder's start until every file of the day was prepared (prepared runs). */
  prepareMs: number;
  /** Bytes the root's rt/ files take on disk at the end (allocated blocks). */
  diskBytes: number;
  load: number[];
  note: string;
}

/** Records per instrument on "the day before" of a prepared run (a quiet option's day). */
const DAY_BEFORE_TICKS = 8;

/** The UTC date YYYYMMDD `days` days from now. */
function utcDate(days: number): number {
  const d = new Date(Date.now() + days * 86_400_000);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/**
 * The day before of a prepared run: each instrument's finished tick file of yesterday
 * (rt/ticks/BINANCE/<DATE>/<CODE>.dmb) holding DAY_BEFORE_TICKS ticks, written directly
 * (header + encoded records), as a recorder's roll would have left them.
 */
function writeDayBefore(root: string, n: number): void {
  const kind = lib.TICK_KIND;
  const date = utcDate(-1);
  const buf = Buffer.alloc(lib.rtFileBytes(DAY_BEFORE_TICKS, kind.recordBytes));
  lib.writeRtHeader(buf, { type: kind.rtType, version: lib.BLOCK_VERSION_RAW, size: DAY_BEFORE_TICKS, capacity: DAY_BEFORE_TICKS, date });
  const mem = new lib.Mem(buf);
  fs.mkdirSync(path.dirname(lib.rtFinishedPath(root, kind, 'BINANCE', date, code(0))), { recursive: true });
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < DAY_BEFORE_TICKS; i++) {
      const t = {
        exchg: 'BINANCE',
        code: code(k),
        price: 100,
        trading_date: date,
        action_date: date,
        action_time: 120000000 + i * 1000,
        total_volume: i + 1,
      };
      kind.codec.encode(t, mem, lib.RT_HEADER_BYTES + i * kind.recordBytes);
    }
    fs.writeFileSync(lib.rtFinishedPath(root, kind, 'BINANCE', date, code(k)), buf);
  }
}

/** Allocated bytes of the live files (rt/<kind>/<EXCHG>/*.dmb: ticks and bars; not the dated folders). */
function liveDiskBytes(root: string): number {
  let sum = 0;
  const rt = lib.rtDir(root);
  for (const kind of fs.readdirSync(rt))
    for (const ex of fs.readdirSync(path.join(rt, kind), { withFileTypes: true })) {
      if (!ex.isDirectory()) continue;
      for (const f of fs.readdirSync(path.join(rt, kind, ex.name), { withFileTypes: true }))
        if (f.isFile() && f.name.endsWith(lib.RT_EXT)) sum += fs.statSync(path.join(rt, kind, ex.name, f.name)).blocks * 512;
    }
  return sum;
}

const liveCount = (dir: string, ext = lib.RT_EXT) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((x) => x.endsWith(ext)).length : 0);

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

function epochMs(date: number, time: number): number {
  return Date.UTC(
    Math.floor(date / 10000),
    (Math.floor(date / 100) % 100) - 1,
    date % 100,
    Math.floor(time / 10_000_000),
    Math.floor(time / 100_000) % 100,
    Math.floor(time / 1000) % 100,
    time % 1000,
  );
}

async function runOnce(n: number, base: string, prepared: boolean): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(base, `n${n}-`));
  const root = path.join(dir, 'data');
  const ticks = lib.rtExchangeDir(root, lib.TICK_KIND, 'BINANCE');
  const go = path.join(dir, 'go');
  const load = [os.loadavg()[0]!];
  if (prepared) writeDayBefore(root, n);
  const feed = new Proc('open feed', process.execPath, [
    '--import',
    'tsx',
    FEED,
    '--instruments',
    String(n),
    '--flow',
    String(FLOW_S),
    '--go-file',
    go,
  ]);
  let rec: Proc | undefined;
  const readers = new Map<number, { r: ReturnType<typeof lib.RtReader.open> | undefined; seen: number }>();
  try {
    const port = Number((await feed.waitForMessage(/listening/, 60_000)).port);
    const metricsPort = await freePort();
    const config = path.join(dir, 'recorder.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        root,
        feeds: [{ type: 'websocket', url: `ws://127.0.0.1:${port}/`, format: 'tickrec', subscribe: ['*'], max_payload_bytes: 64 << 20 }],
        metrics: { enabled: true, host: '127.0.0.1', port: metricsPort },
        log: { level: 'warn', pretty: false },
        status_line: false,
        compaction: { enabled: false }, // the day before of a prepared run stays in rt/: no compaction beside the measure
      }),
    );
    const recStart = Date.now();
    rec = new Proc('tickrec record', process.execPath, [...NODE_FLAGS, ...REC_NODE_ARGS, MAIN, 'record', '--config', config]);
    let prepareMs = Number.NaN;
    // a recorder up before the open: its stock of spare files made (SPARE FILES, src/store/spare.ts)
    for (const until = Date.now() + 120_000; liveCount(path.join(root, 'spare'), '') < SPARE_TARGET && Date.now() < until;) {
      if (rec.exited) throw new Error(`the recorder exited (${JSON.stringify(rec.exited)}): ${rec.stderr.slice(-2000)}`);
      await sleep(50);
    }
    if (!prepared) fs.writeFileSync(go, '');
    if (prepared) {
      // the recorder prepares today's files from yesterday's instruments; the open waits for that
      const until = Date.now() + 300_000;
      while (liveCount(ticks) < n && Date.now() < until) {
        if (rec.exited) throw new Error(`the recorder exited (${JSON.stringify(rec.exited)}): ${rec.stderr.slice(-2000)}`);
        await sleep(50);
      }
      if (liveCount(ticks) >= n) prepareMs = Date.now() - recStart;
      await sleep(1000); // the last files' background fsyncs
      fs.writeFileSync(go, '');
    }
    const phaseStart: number[] = [];
    void feed.waitForMessage((l) => l.event === 'phase' && l.phase === 0, 120_000).then((l) => (phaseStart[0] = Number(l.startMs)));
    void feed.waitForMessage((l) => l.event === 'phase' && l.phase === 1, 300_000).then((l) => (phaseStart[1] = Number(l.startMs)));
    let done = false;
    void feed.waitForMessage(/done/, 300_000).then(() => (done = true));
    for (let i = 0; i < SAMPLED; i++) readers.set(Math.floor((i * n) / SAMPLED), { r: undefined, seen: 0 });
    const lags: [number[], number[]] = [[], []];
    const allFiles: [number, number] = [NaN, NaN];
    let lastCount = 0;
    let doneAt = 0;
    let nextListing = 0;
    for (;;) {
      const now = Date.now();
      for (const [k, s] of readers) {
        if (!s.r) {
          const f = lib.rtFilePath(root, lib.TICK_KIND, 'BINANCE', code(k));
          if (!fs.existsSync(f)) continue;
          s.r = lib.RtReader.open(f);
        }
        const len = s.r.length;
        for (let i = s.seen; i < len; i++) {
          const v = s.r.get(i) as { action_date: number; action_time: number };
          const t = epochMs(v.action_date, v.action_time);
          const phase = phaseStart[1] !== undefined && t >= phaseStart[1] ? 1 : 0;
          lags[phase].push(now - t);
        }
        s.seen = len;
      }
      if (phaseStart[0] !== undefined && Number.isNaN(allFiles[0]) && !prepared && now >= nextListing) {
        nextListing = now + 100;
        lastCount = liveCount(ticks);
        if (lastCount >= n) allFiles[0] = now - phaseStart[0];
      }
      // prepared: every file exists before the open; the time until every sampled file holds its first tick
      if (phaseStart[0] !== undefined && Number.isNaN(allFiles[0]) && prepared && [...readers.values()].every((x) => x.seen > 0)) {
        allFiles[0] = now - phaseStart[0];
      }
      if (phaseStart[1] !== undefined && Number.isNaN(allFiles[1])) allFiles[1] = 0; // the files exist: nothing to wait for
      if (done && doneAt === 0) doneAt = now;
      if (doneAt > 0 && now - doneAt > 3000) break;
      if (rec.exited) throw new Error(`the recorder exited (${JSON.stringify(rec.exited)}): ${rec.stderr.slice(-2000)}`);
      await sleep(POLL_MS);
    }
    const h = (await (await fetch(`http://127.0.0.1:${metricsPort}/health`)).json()) as {
      stats: { ticksWritten: number; rejected: Record<string, number> };
    };
    const sent = 2 * n * (1 + FLOW_S * 10);
    const rejected = Object.entries(h.stats.rejected).filter(([, c]) => c > 0);
    const notes = [
      ...(h.stats.ticksWritten !== sent ? [`${h.stats.ticksWritten} of ${sent} ticks written by the end`] : []),
      ...(rejected.length > 0 ? [`rejected ${rejected.map(([r, c]) => `${r} ${c}`).join(', ')}`] : []),
      ...(Number.isNaN(allFiles[0]) && !prepared ? [`only ${lastCount} of ${n} files`] : []),
      ...(prepared && Number.isNaN(prepareMs) ? [`only ${liveCount(ticks)} of ${n} files prepared (not a trading day?)`] : []),
    ];
    load.push(os.loadavg()[0]!);
    return {
      open: { lags: lags[0], allFilesMs: allFiles[0] },
      steady: { lags: lags[1], allFilesMs: allFiles[1] },
      prepareMs,
      diskBytes: liveDiskBytes(root),
      load,
      note: notes.join('; '),
    };
  } finally {
    for (const s of readers.values()) s.r?.close();
    for (const p of [rec, feed]) {
      if (!p || p.exited) continue;
      p.signal('SIGTERM');
      await p.waitExit(30_000).catch(() => undefined);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export const suite: Suite = {
  title: 'Session open: the first tick of thousands of new instruments within a second',
  about:
    `A websocket feed (scripts/bench/open-feed.ts, its own process) sends the first tick of N instruments within one second, then one tick per instrument every 100 ms for ${FLOW_S} s ("open"); ` +
    `after a 3 s pause it sends the same burst again, now that every file exists and is open ("steady state", same recorder). The recorder runs as \`npm start\` runs it (bars on, defaults; compaction off). ` +
    `Two kinds of run, interleaved: "new files", a fresh root (instruments never seen: each first tick makes its metadata and tick file, 64 records, from the recorder's spare files; the feed opens once the recorder is up with its ${SPARE_TARGET} spare files made, as a recorder running before an open is); ` +
    `"files prepared", a root holding yesterday's finished files of the N instruments (${DAY_BEFORE_TICKS} ticks each): the recorder prepares today's files from them after it starts (storage.prepare_files) and the feed opens once all N exist ("prepared in"). ` +
    `Lag = the instant a reader in this process sees the tick published (polling ${SAMPLED} sampled instruments every ${POLL_MS} ms) minus the instant the feed sent it (its action time); p50/p99/max over every tick of those instruments in the phase, median over ${RUNS} runs. ` +
    '"first ticks in" = from the burst\'s start until the N-th tick file exists (new files: its first tick is appended in the same turn), or until every sampled prepared file holds its first tick. ' +
    '"live files on disk" = blocks allocated to the live files (ticks and bars) at the end of the run. loadavg: 1-minute load at the start and end of the runs (2 cores). ' +
    "Goal (issue 18): the open's p99 within 3x the same run's steady state, and no tick later than 1 s.",
  async run(): Promise<Row[]> {
    const base = tempDir('open');
    const rows: Row[] = [];
    for (const n of SIZES) {
      const runs: Record<'new' | 'prepared', RunResult[]> = { new: [], prepared: [] };
      for (let i = 0; i < RUNS; i++) {
        for (const variant of ['new', 'prepared'] as const) {
          const t0 = performance.now();
          const r = await runOnce(n, base, variant === 'prepared');
          runs[variant].push(r);
          console.error(
            `  open ${n} ${variant} run ${i + 1}/${RUNS}: open p99 ${fixed(quantile(r.open.lags, 0.99), 1)} ms, steady p99 ${fixed(quantile(r.steady.lags, 0.99), 1)} ms, ` +
              `open max ${fixed(Math.max(...r.open.lags), 0)} ms, ${((performance.now() - t0) / 1000).toFixed(0)} s, loadavg ${r.load.map((x) => x.toFixed(2)).join('→')}${r.note ? `, ${r.note}` : ''}`,
          );
        }
      }
      for (const variant of ['new', 'prepared'] as const) {
        const rs = runs[variant];
        const stat = (pick: (r: RunResult) => PhaseResult, q: number | 'max') =>
          median(rs.map((r) => (q === 'max' ? Math.max(...pick(r).lags) : quantile(pick(r).lags, q))));
        const openP99 = stat((r) => r.open, 0.99);
        const steadyP99 = stat((r) => r.steady, 0.99);
        const openMax = stat((r) => r.open, 'max');
        const loads = rs.flatMap((r) => r.load);
        const label = variant === 'new' ? 'new files' : 'files prepared';
        for (const [phase, pick] of [
          [`open, ${label}`, (r: RunResult) => r.open],
          [`steady state after it (files exist)`, (r: RunResult) => r.steady],
        ] as const) {
          const isOpen = phase.startsWith('open');
          rows.push({
            case: `${n} instruments, ${phase}`,
            'lag p50 ms': fixed(stat(pick, 0.5), 1),
            'lag p99 ms': fixed(stat(pick, 0.99), 1),
            'lag max ms': fixed(stat(pick, 'max'), 1),
            'first ticks in ms': isOpen ? fixed(median(rs.map((r) => r.open.allFilesMs)), 0) : '',
            'prepared in s': isOpen && variant === 'prepared' ? fixed(median(rs.map((r) => r.prepareMs)) / 1000, 1) : '',
            'live files on disk MB': isOpen ? fixed(median(rs.map((r) => r.diskBytes)) / 1e6, 0) : '',
            'ticks sampled': String(median(rs.map((r) => pick(r).lags.length))),
            'loadavg 1m': `${fixed(Math.min(...loads), 1)}-${fixed(Math.max(...loads), 1)}`,
            target: isOpen
              ? target(
                  openP99 <= 3 * steadyP99 && openMax <= 1000,
                  'p99 <= 3x steady, max <= 1 s',
                  `${fixed(openP99 / steadyP99, 1)}x, max ${fixed(openMax, 0)} ms`,
                )
              : '',
            notes: [...new Set(rs.map((r) => r.note).filter(Boolean))].join('; '),
          });
        }
      }
    }
    fs.rmSync(base, { recursive: true, force: true });
    return rows;
  },
};

// The session-open burst (issue 18): the first tick of N new instruments within one second,
// then 10 ticks/s each, into the real recorder; beside the same burst once the files exist.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
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
  note: string;
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

async function runOnce(n: number, base: string): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(base, `n${n}-`));
  const root = path.join(dir, 'data');
  const ticks = path.join(root, 'rt', 'ticks', 'BINANCE');
  const feed = new Proc('open feed', process.execPath, ['--import', 'tsx', FEED, '--instruments', String(n), '--flow', String(FLOW_S)]);
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
      }),
    );
    rec = new Proc('tickrec record', process.execPath, [...NODE_FLAGS, MAIN, 'record', '--config', config]);
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
          const f = path.join(ticks, `${code(k)}.dmb`);
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
      if (phaseStart[0] !== undefined && Number.isNaN(allFiles[0]) && now >= nextListing) {
        nextListing = now + 100;
        lastCount = fs.existsSync(ticks) ? fs.readdirSync(ticks).filter((x) => x.endsWith('.dmb')).length : 0;
        if (lastCount >= n) allFiles[0] = now - phaseStart[0];
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
      ...(Number.isNaN(allFiles[0]) ? [`only ${lastCount} of ${n} files`] : []),
    ];
    return { open: { lags: lags[0], allFilesMs: allFiles[0] }, steady: { lags: lags[1], allFilesMs: allFiles[1] }, note: notes.join('; ') };
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
    `A websocket feed (scripts/bench/open-feed.ts, its own process) sends the first tick of N new instruments within one second, then one tick per instrument every 100 ms for ${FLOW_S} s ("open"); ` +
    `after a 3 s pause it sends the same burst again, now that every file exists and is open ("steady state"). The recorder runs as \`npm start\` runs it (bars on, defaults). ` +
    `Lag = the instant a reader in this process sees the tick published (polling ${SAMPLED} sampled instruments every ${POLL_MS} ms) minus the instant the feed sent it (its action time); p50/p99/max over every tick of those instruments in the phase, median over ${RUNS} runs. ` +
    "\"all files\" = from the burst's start until the N-th tick file exists. Goal (issue 18): the open's p99 within 3x the steady state's, and no tick later than 1 s.",
  async run(): Promise<Row[]> {
    const base = tempDir('open');
    const rows: Row[] = [];
    for (const n of SIZES) {
      const runs: RunResult[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await runOnce(n, base));
      const stat = (pick: (r: RunResult) => PhaseResult, q: number | 'max') =>
        median(runs.map((r) => (q === 'max' ? Math.max(...pick(r).lags) : quantile(pick(r).lags, q))));
      const openP99 = stat((r) => r.open, 0.99);
      const steadyP99 = stat((r) => r.steady, 0.99);
      const openMax = stat((r) => r.open, 'max');
      for (const [phase, pick] of [
        ['open (new files)', (r: RunResult) => r.open],
        ['steady state (files exist)', (r: RunResult) => r.steady],
      ] as const) {
        rows.push({
          case: `${n} instruments, ${phase}`,
          'lag p50 ms': fixed(stat(pick, 0.5), 1),
          'lag p99 ms': fixed(stat(pick, 0.99), 1),
          'lag max ms': fixed(stat(pick, 'max'), 1),
          'all files ms': phase.startsWith('open') ? fixed(median(runs.map((r) => r.open.allFilesMs)), 0) : '',
          'ticks sampled': String(median(runs.map((r) => pick(r).lags.length))),
          target: phase.startsWith('open')
            ? target(
                openP99 <= 3 * steadyP99 && openMax <= 1000,
                'p99 <= 3x steady, max <= 1 s',
                `${fixed(openP99 / steadyP99, 1)}x, max ${fixed(openMax, 0)} ms`,
              )
            : '',
          notes: [...new Set(runs.map((r) => r.note).filter(Boolean))].join('; '),
        });
      }
    }
    fs.rmSync(base, { recursive: true, force: true });
    return rows;
  },
};

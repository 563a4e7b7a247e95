// In-process replay of the recorder bench's frames: the recorder's CPU per tick without the websocket and the simulator (A/B of hot-path changes).
//
//   node --initial-heap-size=128 --import tsx scripts/bench/replay.ts [--ticks N] [--rounds R] [--tree DIR] [--bars off]
//
// 1. Capture (once, cached in the system's temp dir): `tickrec simulate` with the
//    recorder bench's arguments (scripts/bench/recorder.ts: 50 instruments, seed 1,
//    frames of 100) sends N ticks over a websocket; the frames are kept as they came.
// 2. Replay, R rounds: a Recorder as `tickrec record` runs it with the bench's config
//    (bars on unless --bars off, roll_by_clock false), in a fresh root per round, fed by
//    the tickrec mapper's parseBytes, one frame per event-loop turn (so the recorder's
//    timers and background syncs run as they do live). Printed per round: CPU µs per
//    tick of the main thread (/proc/self/task/<pid>/stat) and of the whole process
//    (every thread: V8's, libuv's pool, the addon's helper), and the other threads apart.
// `--tree DIR`: the source tree to load (src/ of another worktree: an A/B of two trees in
// alternation, each run its own process). Add `--cpu-prof` to the Node flags for a
// profile of the main thread.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import type { FeedAdapter, FeedSink, FeedStats } from '../../src/feed/index.js';
import type * as RecorderModule from '../../src/recorder/recorder.js';
import type * as ConfigModule from '../../src/config/index.js';
import type * as TickrecFormat from '../../src/feed/formats/tickrec.js';
import type * as LoggerModule from '../../src/recorder/logger.js';

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const N = Number(args.get('ticks') ?? 300_000);
const ROUNDS = Number(args.get('rounds') ?? 3);
const BARS = args.get('bars') !== 'off';
const HERE = fileURLToPath(new URL('../../', import.meta.url));
const TREE = path.resolve(args.get('tree') ?? HERE);
const USER_HZ = 100;

const mod = <T>(p: string): Promise<T> => import(pathToFileURL(path.join(TREE, p)).href) as Promise<T>;

/** The frames of N ticks as the bench's simulator sends them (cached). */
async function capture(): Promise<Buffer[]> {
  const file = path.join(os.tmpdir(), `tickrec-replay-frames-${N}.bin`);
  if (fs.existsSync(file)) return splitFrames(fs.readFileSync(file));
  const sim = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(HERE, 'src/cli/main.ts'),
      'simulate',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--instruments',
      '50',
      '--seed',
      '1',
      '--start',
      '20250106 21:05',
      '--rate',
      '10000000',
      '--speed',
      '50000',
      '--count',
      String(N),
      '--batch-max',
      '100',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: HERE },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      sim.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /simulator listening on (ws:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      sim.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
    });
    const frames: Buffer[] = [];
    let ticks = 0;
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: 4 * 1024 * 1024 });
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', instruments: ['*'] })));
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => {
        frames.push(Buffer.from(data));
        const text = data.toString('latin1');
        for (let at = text.indexOf('"type":"tick"'); at >= 0; at = text.indexOf('"type":"tick"', at + 1)) ticks++;
        if (ticks >= N) {
          ws.terminate();
          resolve();
        }
      });
    });
    const parts: Buffer[] = [];
    for (const f of frames) {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(f.length);
      parts.push(len, f);
    }
    fs.writeFileSync(file, Buffer.concat(parts));
    console.log(`captured ${frames.length} frames, ${ticks} ticks -> ${file}`);
    return frames;
  } finally {
    sim.kill('SIGKILL');
  }
}

function splitFrames(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < b.length;) {
    const n = b.readUInt32LE(at);
    out.push(Buffer.from(b.subarray(at + 4, at + 4 + n))); // its own memory, as a socket read gives
    at += 4 + n;
  }
  return out;
}

/** user + sys clock ticks per thread of this process ("main" or "tid comm"). */
function threads(): Map<string, number> {
  const m = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const s = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      m.set(tid === String(process.pid) ? 'main' : `${tid} ${comm}`, Number(f[11]) + Number(f[12]));
    } catch {
      // ended
    }
  }
  return m;
}

class Feed implements FeedAdapter {
  readonly type = 'replay';
  readonly name = 'replay';
  sink: FeedSink | null = null;
  start(sink: FeedSink): void {
    this.sink = sink;
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  setSubscriptions(): void {}
  stats(): FeedStats {
    return { state: 'up', messages: 0, reconnects: 0, lastMessageMs: 0, lastError: '' };
  }
}

const frames = await capture();
const { Recorder } = await mod<typeof RecorderModule>('src/recorder/recorder.ts');
const { parseConfig } = await mod<typeof ConfigModule>('src/config/index.ts');
const { createTickrecMapper } = await mod<typeof TickrecFormat>('src/feed/formats/tickrec.ts');
const { createLogger } = await mod<typeof LoggerModule>('src/recorder/logger.ts');
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

for (let round = 1; round <= ROUNDS; round++) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-replay-'));
  try {
    const config = parseConfig(
      {
        root: path.join(dir, 'data'),
        feeds: [{ type: 'websocket', url: 'ws://127.0.0.1:1', format: 'tickrec', subscribe: ['*'] }],
        metrics: { enabled: false },
        log: { level: 'warn', pretty: false },
        storage: { roll_by_clock: false },
        bars: { enabled: BARS },
        status_line: false,
      },
      'replay',
    );
    const feed = new Feed();
    const rec = Recorder.start({ config, log: createLogger({ level: 'warn', pretty: false }), feeds: [feed] });
    const mapper = createTickrecMapper();
    const sink = feed.sink!;
    // The first frames open the files (not the steady state): measured from the 20th.
    const warm = Math.min(20, frames.length >> 2);
    for (let i = 0; i < warm; i++) {
      mapper.parseBytes!(frames[i]!, sink);
      await yieldTurn();
    }
    const w0 = rec.stats().ticksWritten;
    const t0 = threads();
    const c0 = process.cpuUsage();
    const ns0 = process.hrtime.bigint();
    for (let i = warm; i < frames.length; i++) {
      mapper.parseBytes!(frames[i]!, sink);
      await yieldTurn();
    }
    const ns = Number(process.hrtime.bigint() - ns0);
    const c = process.cpuUsage(c0);
    const t1 = threads();
    const s = rec.stats();
    const n = s.ticksWritten - w0;
    await rec.stop();
    const rejected = Object.entries(s.rejected).filter(([, v]) => v > 0);
    const per = (ticks: number) => ((ticks / USER_HZ) * 1e6) / n;
    const others = [...t1]
      .filter(([k]) => k !== 'main')
      .map(([k, v]) => [k, per(v - (t0.get(k) ?? 0))] as const)
      .filter(([, us]) => us > 0)
      .sort((a, b) => b[1] - a[1]);
    console.log(
      `round ${round}: ${n} ticks in ${(ns / 1e9).toFixed(2)} s; CPU µs/tick: main ${per(t1.get('main')! - t0.get('main')!).toFixed(2)}, ` +
        `process ${((c.user + c.system) / n).toFixed(2)} (kernel ${((c.system / (c.user + c.system)) * 100).toFixed(0)}%); ` +
        `others: ${others.map(([k, us]) => `${k} ${us.toFixed(2)}`).join(', ') || 'none'}` +
        (rejected.length > 0 ? `; REJECTED ${JSON.stringify(rejected)}` : '') +
        (s.writeErrors > 0 ? `; ${s.writeErrors} WRITE ERRORS` : ''),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

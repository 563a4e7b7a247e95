// The bus suite (issue 16): records per second through tickrec publish → NATS JetStream →
// tickrec mirror on this machine, and the latency from the local publication to the
// mirror's file, with the local follow() latency measured beside it in the same run.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { NatsCluster, natsServerAvailable } from '../lib/nats.js';
import { Proc } from '../lib/proc.js';
import { sleep, waitFor } from '../lib/wait.js';
import { fixed, median, tempDir, type Row, type Suite } from './common.js';
import { lib } from './lib.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const WRITER = fileURLToPath(new URL('./bus-writer.ts', import.meta.url));
const INSTRUMENTS = Number(process.env.TICKREC_BENCH_BUS_INSTRUMENTS ?? 20);
const BURST = Number(process.env.TICKREC_BENCH_BUS_BURST ?? 30_000);
const RATE = Number(process.env.TICKREC_BENCH_BUS_RATE ?? 1000);
const SECONDS = Number(process.env.TICKREC_BENCH_BUS_SECONDS ?? 10);
const RUNS = Number(process.env.TICKREC_BENCH_BUS_RUNS ?? 2);
/** The publisher's records in flight per file (publish.nats.pipeline); unset: the default. */
const PIPELINE = process.env.TICKREC_BENCH_BUS_PIPELINE;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function writer(root: string, args: string[]): Proc {
  return new Proc('bus-writer', process.execPath, ['--import', 'tsx', WRITER, root, String(INSTRUMENTS), ...args], { cwd: ROOT });
}

function cli(args: string[], label: string): Proc {
  return new Proc(label, process.execPath, [...NODE_FLAGS, MAIN, ...args], { cwd: ROOT });
}

/** Records in the tick files of a root. */
function count(root: string): number {
  let n = 0;
  for (let k = 0; k < INSTRUMENTS; k++) {
    const f = lib.rtFilePath(root, lib.TICK_KIND, 'BENCH', `C${k}`);
    if (!fs.existsSync(f)) continue;
    const r = lib.RtReader.open(f);
    n += r.length;
    r.close();
  }
  return n;
}

interface RunResult {
  rate: number;
  bytesPerMsg: number;
  local: number[];
  bus: number[];
}

async function runOnce(nats: NatsCluster, base: string, i: number): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(base, `run${i}-`));
  const src = path.join(dir, 'src');
  const dst = path.join(dir, 'dst');
  const stream = `BENCH${i}`;
  const prefix = `bench${i}`;
  const procs: Proc[] = [];
  try {
    // Throughput: a backlog of BURST records, then the publisher and the mirror drain it.
    const w = writer(src, ['burst', String(BURST)]);
    await w.waitExit(120_000);
    const common = ['--stream', stream, '--prefix', prefix, '--metrics-port', '0', '--log-level', 'warn'];
    const t0 = performance.now();
    const pipeline = PIPELINE !== undefined ? ['--pipeline', PIPELINE] : [];
    procs.push(cli(['publish', '--root', src, '--servers', nats.urls.join(','), ...pipeline, ...common], 'publish'));
    procs.push(cli(['mirror', '--root', dst, '--servers', nats.urls.join(','), ...common], 'mirror'));
    await waitFor(() => count(dst) >= BURST, 'the backlog mirrored', { timeoutMs: 600_000, intervalMs: 20 });
    const rate = BURST / ((performance.now() - t0) / 1000);
    const nc = await connect({ servers: nats.urls });
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    await nc.close();
    const bytesPerMsg = info.state.bytes / info.state.messages;

    // Latency: RATE ticks/s for SECONDS; a follower per file on each root, in this process.
    const local: number[] = [];
    const bus: number[] = [];
    const followers = [];
    for (let k = 0; k < INSTRUMENTS; k++) {
      for (const [root, out] of [
        [src, local],
        [dst, bus],
      ] as const) {
        const f = lib.rtFilePath(root, lib.TICK_KIND, 'BENCH', `C${k}`);
        followers.push(
          lib.follow(f, (t) => void out.push(performance.timeOrigin + performance.now() - (t['open_interest'] as number)), {
            from: 'end',
            mode: 'timer',
            intervalMs: 1,
            reuseView: true,
          }),
        );
      }
    }
    await sleep(200);
    const before = count(src);
    const paced = writer(src, ['paced', String(RATE), String(SECONDS)]);
    await paced.waitExit(SECONDS * 1000 + 60_000);
    const total = count(src);
    await waitFor(() => count(dst) >= total, 'the paced records mirrored', { timeoutMs: 120_000 });
    await sleep(100);
    for (const f of followers) f.stop();
    if (local.length !== total - before) throw new Error(`local follower saw ${local.length} of ${total - before} records`);
    if (bus.length !== total - before) throw new Error(`mirror follower saw ${bus.length} of ${total - before} records`);
    return { rate, bytesPerMsg, local, bus };
  } finally {
    for (const p of procs) p.signal('SIGTERM');
    await Promise.all(procs.map((p) => p.waitExit(20_000).catch(() => undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const suite: Suite = {
  title: 'Bus: tickrec publish → NATS JetStream → tickrec mirror',
  about:
    `nats-server (JetStream, file storage) on 127.0.0.1 — one node, and a 3-node cluster with a replicated stream (R3) — with \`tickrec publish\` and \`tickrec mirror\` as their own processes (dist/, the bin's Node flags), all on this machine. ` +
    `Throughput: a recorder stand-in (scripts/bench/bus-writer.ts, its own process) first writes ${BURST.toLocaleString('en-US')} ticks over ${INSTRUMENTS} instruments; records/s = that backlog over the time from starting the publisher and the mirror until the mirror's files hold all of it. ` +
    `Latency: the stand-in then publishes ${RATE} ticks/s for ${SECONDS} s, each stamped with its publication instant; a follow() per file on each root, in the bench process (timer mode, 1 ms polls: four processes share the 2 cores, so none spins), records seen − stamp: "local follow()" on the recorder's root, "mirror" on the mirror's root. ` +
    `Every record is checked to arrive. Median over ${RUNS} runs; bytes/msg = the stream's bytes over its messages (payload, subject, headers and JetStream's framing).`,
  async run(): Promise<Row[]> {
    if (!natsServerAvailable()) return [{ case: 'nats-server not installed (apt install nats-server)' }];
    const base = tempDir('bus');
    const rows: Row[] = [];
    for (const size of [1, 3]) {
      const nats = await NatsCluster.start(fs.mkdtempSync(path.join(base, `nats${size}-`)), size);
      try {
        const runs: RunResult[] = [];
        for (let i = 0; i < RUNS; i++) runs.push(await runOnce(nats, base, size * 10 + i));
        const q = (pick: (r: RunResult) => number[], p: number) => median(runs.map((r) => quantile(pick(r), p)));
        rows.push({
          case: size === 1 ? 'one node' : '3 nodes, R3 stream',
          'records/s': fixed(median(runs.map((r) => r.rate)), 0),
          'bytes/msg': fixed(median(runs.map((r) => r.bytesPerMsg)), 0),
          'local follow() p50 ms': fixed(
            q((r) => r.local, 0.5),
            2,
          ),
          'p99 ms': fixed(
            q((r) => r.local, 0.99),
            2,
          ),
          'p99.9 ms': fixed(
            q((r) => r.local, 0.999),
            2,
          ),
          'mirror p50 ms': fixed(
            q((r) => r.bus, 0.5),
            2,
          ),
          'mirror p99 ms': fixed(
            q((r) => r.bus, 0.99),
            2,
          ),
          'mirror p99.9 ms': fixed(
            q((r) => r.bus, 0.999),
            2,
          ),
        });
      } finally {
        await nats.stopAll();
      }
    }
    return rows;
  },
};

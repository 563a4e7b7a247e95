// A probe of the session open's cost on the recorder's main thread (issue 18), in process:
// the CPU and wall time of N instruments' first ticks when their files are new, when they
// were prepared (storage.prepare_files), and of their second ticks (files open: steady
// state). Less sensitive to a busy machine than the open suite's lag (the ratio of the
// three is what it gives). Run: node --import tsx scripts/bench/open-probe.ts [N]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../src/config/index.js';
import type { FeedAdapter, FeedSink, TickInput } from '../../src/feed/index.js';
import { MIN1_KIND, MIN5_KIND, TICK_KIND } from '../../src/format/index.js';
import { RT_EXT, finishedPath, rtDayDir, rtExchangeDir, rtKindDir } from '../../src/layout/index.js';
import { Recorder } from '../../src/recorder/recorder.js';

const N = Number(process.argv[2] ?? 2000);
const code = (k: number) => `P${String(k).padStart(5, '0')}`;

class Feed implements FeedAdapter {
  readonly type = 'probe';
  readonly name = 'probe';
  sink: FeedSink | undefined;
  start(sink: FeedSink): void {
    this.sink = sink;
  }
  async stop(): Promise<void> {}
  setSubscriptions(): void {}
  stats() {
    return { state: 'up' as const, messages: 0, reconnects: 0, lastMessageMs: 0, lastError: '' };
  }
}

function tick(k: number, seq: number, ms: number): TickInput {
  const d = new Date(ms);
  return {
    exchg: 'BINANCE',
    code: code(k),
    price: 100 + seq,
    total_volume: seq,
    action_date: d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate(),
    action_time: d.getUTCHours() * 10_000_000 + d.getUTCMinutes() * 100_000 + d.getUTCSeconds() * 1000 + d.getUTCMilliseconds(),
  };
}

function start(root: string, prepare: boolean) {
  const config = parseConfig(
    {
      root,
      feeds: [{ type: 'websocket', name: 'probe', url: 'ws://127.0.0.1:9/', format: 'tickrec' }],
      storage: { prepare_files: prepare },
      log: { level: 'silent' },
      compaction: { enabled: false },
    },
    'probe',
  );
  const feed = new Feed();
  const rec = Recorder.start({ config, log: pino({ level: 'silent' }), feeds: [feed] });
  return { rec, feed };
}

/** Sends tick `seq` of every instrument; returns [wall ms, cpu ms] of the loop. */
function burst(feed: Feed, seq: number): [number, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const now = Date.now();
  for (let k = 0; k < N; k++) feed.sink!.tick(tick(k, seq, now));
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [wall, (c.user + c.system) / 1000];
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-open-probe-'));
try {
  const out: string[] = [];
  for (let round = 0; round < 3; round++) {
    // new files: a fresh root
    const a = start(path.join(base, `new${round}`), false);
    const first = burst(a.feed, 1);
    const second = burst(a.feed, 2);
    if (a.rec.stats().ticksWritten !== 2 * N) throw new Error(`new: ${a.rec.stats().ticksWritten} written`);
    await a.rec.stop();
    // prepared: yesterday's files of the same instruments, today's prepared by the recorder
    const root = path.join(base, `prep${round}`);
    const y = new Date(Date.now() - 86_400_000);
    const yday = y.getUTCFullYear() * 10000 + (y.getUTCMonth() + 1) * 100 + y.getUTCDate();
    {
      const p = start(root, false);
      for (let k = 0; k < N; k++) {
        const t = tick(k, 1, Date.now() - 86_400_000);
        p.feed.sink!.tick({ ...t, trading_date: yday });
      }
      await p.rec.stop();
      // set yesterday aside as the roll does: into rt/ticks/BINANCE/<yday>/
      const dir = rtExchangeDir(root, TICK_KIND, 'BINANCE');
      fs.mkdirSync(rtDayDir(root, TICK_KIND, 'BINANCE', yday));
      for (const f of fs.readdirSync(dir)) if (f.endsWith(RT_EXT)) fs.renameSync(path.join(dir, f), finishedPath(path.join(dir, f), yday));
      fs.rmSync(rtKindDir(root, MIN1_KIND), { recursive: true, force: true });
      fs.rmSync(rtKindDir(root, MIN5_KIND), { recursive: true, force: true });
    }
    const b = start(root, true);
    const dir = rtExchangeDir(root, TICK_KIND, 'BINANCE');
    const t0 = Date.now();
    while (fs.readdirSync(dir).filter((f) => f.endsWith(RT_EXT)).length < N) await new Promise((r) => setTimeout(r, 50));
    const preparedIn = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    const pfirst = burst(b.feed, 3);
    const psecond = burst(b.feed, 4);
    if (b.rec.stats().ticksWritten !== 2 * N) throw new Error(`prepared: ${b.rec.stats().ticksWritten} written`);
    await b.rec.stop();
    const us = (x: [number, number]) => `${((x[0] * 1000) / N).toFixed(1)} µs wall / ${((x[1] * 1000) / N).toFixed(1)} µs CPU`;
    out.push(
      `round ${round + 1} (N=${N}, loadavg ${os.loadavg()[0]!.toFixed(1)}): first tick, new files ${us(first)}; ` +
        `first tick, prepared files ${us(pfirst)} (prepared in ${preparedIn} ms); second tick (steady) ${us(second)} / ${us(psecond)}`,
    );
    console.log(out[out.length - 1]);
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}

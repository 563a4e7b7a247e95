// End to end: the recorder's /metrics (Prometheus text) and /health (JSON) on loopback, `tickrec status --url`, and a feed secret from ${ENV} that never reaches logs, /health, /metrics or status.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import {
  freePort,
  getHealth,
  killAll,
  makeTempDir,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  runCli,
  startRecorder,
  waitHealth,
  writeConfig,
} from './helpers.js';

let sim: Simulator | undefined;
let quiet: WebSocketServer | undefined;

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
  await sim?.close();
  sim = undefined;
  for (const c of quiet?.clients ?? []) c.terminate();
  await new Promise<void>((r) => (quiet ? quiet.close(() => r()) : r()));
  quiet = undefined;
});

/** A tickrec-protocol server with nothing to trade: a heartbeat every 200 ms to each client. */
async function heartbeatServer(port: number): Promise<WebSocketServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    const t = setInterval(() => ws.send('{"type":"heartbeat"}'), 200);
    ws.on('close', () => clearInterval(t));
    ws.on('error', () => undefined);
  });
  return wss;
}
afterAll(() => removeTempDirs());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (no escapes needed for our labels). */
function parseProm(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1)) as string;
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

describe('metrics, health, status, secrets', () => {
  it('serves /metrics and /health on 127.0.0.1, `tickrec status --url` summarizes them, and the feed token never shows', async () => {
    const token = `tok-${randomBytes(12).toString('hex')}`;
    const env = { TICKREC_TEST_TOKEN: token };
    const port = await freePort(); // the servers come up later: the feeds first fail to connect
    const port2 = await freePort();
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const cfg = writeConfig(
      dir,
      recorderConfig({
        root,
        feeds: [
          {
            name: 'main',
            url: `ws://127.0.0.1:${port}/stream?token=\${TICKREC_TEST_TOKEN}&depth=5`,
            headers: { 'X-Api-Key': '${TICKREC_TEST_TOKEN}' },
          },
          { name: 'second', url: `ws://user:\${TICKREC_TEST_TOKEN}@127.0.0.1:${port2}/?api_key=\${TICKREC_TEST_TOKEN}` },
        ],
      }),
    );
    const rec = startRecorder(cfg, [], env);
    const base = await rec.ready();
    // loopback by default
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // the connection errors are logged (with the URL, redacted) before the simulator is there
    await rec.waitForLog((l) => l.level === 40 && String(l.msg).startsWith('feed main:'));

    quiet = await heartbeatServer(port2);
    sim = await startSimulator({
      port,
      start: '20250106 21:05',
      rate: 3000,
      count: 3000,
      instruments: 10,
      seed: 8,
      // At most 10 ticks a frame: at least 300 frames, so the 4 kinds of malformed frame
      // (one every 10 frames, in turn) all come, however the host's load batches them.
      batchMax: 10,
      faults: { malformedEvery: 10 },
    });
    await sim.done;
    const sent = sim.stats();
    const stats = await waitHealth(
      base,
      (s) =>
        s.ticksWritten === sent.sent &&
        s.feeds.every((f) => f.state === 'up') &&
        Object.values(s.rejected).reduce((a, b) => a + b, 0) === sent.injected.malformed,
      'every tick written, every malformed frame counted',
    );

    // /health: JSON, ok, the counters
    const hres = await fetch(`${base}/health`);
    expect(hres.status).toBe(200);
    expect(hres.headers.get('content-type')).toContain('application/json');
    const healthText = await hres.text();
    const health = JSON.parse(healthText) as Awaited<ReturnType<typeof getHealth>>;
    expect(health.status).toBe('ok');
    expect(health.problems).toEqual([]);
    expect(health.stats.root).toBe(root);
    expect(health.stats.feeds.map((f) => [f.name, f.state])).toEqual([
      ['main', 'up'],
      ['second', 'up'],
    ]);
    expect(health.stats.feeds[0]!.reconnects).toBeGreaterThan(0);
    expect(health.stats.ticksWritten).toBe(sent.sent);

    // /metrics: Prometheus text with the recorder's series, agreeing with /health
    const mres = await fetch(`${base}/metrics`);
    expect(mres.status).toBe(200);
    expect(mres.headers.get('content-type')).toMatch(/^text\/plain/);
    const metricsText = await mres.text();
    const { samples, types } = parseProm(metricsText);
    const one = (name: string, labels: Record<string, string> = {}) => {
      const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      expect(found.length, `${name} ${JSON.stringify(labels)}`).toBe(1);
      return found[0]!.value;
    };
    expect(types.get('tickrec_ticks_written_total')).toBe('counter');
    expect(one('tickrec_ticks_written_total')).toBe(stats.ticksWritten);
    expect(types.get('tickrec_rejected_total')).toBe('counter');
    const rejected = samples.filter((s) => s.name === 'tickrec_rejected_total');
    expect(Object.fromEntries(rejected.map((s) => [s.labels.reason, s.value]))).toEqual(stats.rejected);
    expect(Object.keys(stats.rejected).sort()).toEqual(['bad_name', 'bad_price', 'bad_type', 'malformed_json']);
    expect(types.get('tickrec_feed_state')).toBe('gauge');
    expect(one('tickrec_feed_state', { feed: 'main' })).toBe(2);
    expect(one('tickrec_feed_state', { feed: 'second' })).toBe(2);
    // the publish lag: a histogram (cumulative buckets, +Inf = count), not a gauge with quantile labels
    expect(types.get('tickrec_publish_lag_seconds')).toBe('histogram');
    const lagBuckets = samples.filter((s) => s.name === 'tickrec_publish_lag_seconds_bucket');
    expect(lagBuckets.length).toBeGreaterThan(20);
    for (let i = 1; i < lagBuckets.length; i++) expect(lagBuckets[i]!.value).toBeGreaterThanOrEqual(lagBuckets[i - 1]!.value);
    expect(one('tickrec_publish_lag_seconds_bucket', { le: '+Inf' })).toBe(one('tickrec_publish_lag_seconds_count'));
    expect(one('tickrec_publish_lag_seconds_count')).toBeGreaterThanOrEqual(sent.sent);
    // the standard names of the Node.js process metrics (no tickrec_ prefix), no gauge named *_total
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    for (const [name, type] of types) if (name.endsWith('_total')) expect(type, name).toBe('counter');
    expect([...types.keys()].filter((n) => n.startsWith('tickrec_process_'))).toEqual([]);
    // per feed: the time of the last message (wall clock, epoch seconds)
    const lastMsg = one('tickrec_feed_last_message_timestamp_seconds', { feed: 'main' });
    expect(Math.abs(lastMsg * 1000 - health.stats.feeds[0]!.lastMessageMs)).toBeLessThan(1);
    // bars: written per period (the simulated ticks at 21:05 close minute bars)
    expect(types.get('tickrec_bars_written_total')).toBe('counter');
    expect(one('tickrec_bars_written_total', { period: 'min1' })).toBe(health.stats.bars!.bars.min1);
    expect(types.get('tickrec_bar_events_total')).toBe('counter');
    // no compaction yet: time 0
    expect(types.get('tickrec_compaction_last_finished_timestamp_seconds')).toBe('gauge');
    expect(one('tickrec_compaction_last_finished_timestamp_seconds')).toBe(0);
    // Prometheus's own linter accepts the exposition
    const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: metricsText, encoding: 'utf8' });
    expect(lint.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined();
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.status).toBe(0);
    expect(one('tickrec_disk_free_bytes')).toBeGreaterThan(0);
    expect(one('tickrec_feed_reconnects_total', { feed: 'main' })).toBe(health.stats.feeds[0]!.reconnects);

    // a read-only endpoint
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);

    // tickrec status --url: a summary, exit 0 (healthy); --json the raw /health
    const st = await runCli(['status', '--url', base], { env });
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/^status\s+ok/m);
    expect(st.stdout).toMatch(new RegExp(`^root\\s+${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(st.stdout).toMatch(/^published\s+.*ticks/m);
    expect(st.stdout).toMatch(/^feed\s+main: up/m);
    expect(st.stdout).toMatch(/^feed\s+second: up/m);
    const stj = await runCli(['status', '--url', base, '--json'], { env });
    expect(stj.code, stj.stderr).toBe(0);
    expect((JSON.parse(stj.stdout) as { status: string }).status).toBe('ok');

    expect(await rec.stop(), rec.tail()).toEqual({ code: 0, signal: null });

    // the secret: nowhere, while the (redacted) URL was logged
    const logged = rec.logs.filter((l) => typeof l.url === 'string').map((l) => String(l.url));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.some((u) => u.includes(`127.0.0.1:${port}`))).toBe(true);
    for (const [what, text] of [
      ['recorder stderr', rec.stderr],
      ['recorder stdout', rec.stdout],
      ['/health', healthText],
      ['/metrics', metricsText],
      ['status', st.stdout + st.stderr],
      ['status --json', stj.stdout + stj.stderr],
    ] as const) {
      expect(text.includes(token), `${what} shows the token`).toBe(false);
    }
  });
});

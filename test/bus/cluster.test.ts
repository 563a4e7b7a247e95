// The bus end to end with real processes: a 3-node JetStream cluster on 127.0.0.1, `tickrec record` on the simulator, `tickrec publish` and `tickrec mirror`; NATS nodes, the publisher and the mirror are killed (-9) and restarted under flow, the whole cluster is stopped and started again; at the end the mirror root holds every record of the source root, in order, once, byte for byte. And two recorders of the same market publishing into one stream: the mirror holds each tick once.

import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { sleep, waitFor } from '../../scripts/lib/wait.js';
import {
  Proc,
  killAll,
  makeTempDir,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  spawnCli,
  startRecorder,
  freePort,
  writeConfig,
} from '../e2e/helpers.js';
import { endpointOf, fileRecords, natsForSuite, rootDifference, rtFiles, spawnMirror } from './helpers.js';

const describeNats = natsServerAvailable() ? describe : describe.skip;

/** The folders the publisher sends: every one the recorder writes here (closed-bar events included). */
const FOLDERS = ['ticks', 'trans', 'min1', 'min5', 'closed'];

interface BusStats {
  state: string;
  written?: number;
  published?: number;
  duplicates?: number;
  lagRecords?: number;
  orderBreaks?: number;
  refused?: Record<string, number>;
}

/** /health's stats of a publisher or a mirror (the URL from its "metrics and health on" log line). */
async function busStats(p: Proc): Promise<BusStats> {
  const r = await fetch(`${await endpointOf(p)}/health`);
  return ((await r.json()) as { stats: BusStats }).stats;
}

/** Records in the source root's files of the published folders. */
function sourceCount(root: string, folders: readonly string[] = FOLDERS): number {
  let n = 0;
  for (const f of rtFiles(root)) if (folders.includes(f.split(path.sep)[0]!)) n += fileRecords(path.join(root, 'rt', f)).count;
  return n;
}

describeNats('bus: a 3-node JetStream cluster, kills and restarts (real processes)', () => {
  beforeAll(() => requireBuilt());
  const nats = natsForSuite(3, 90_000);
  afterEach(async () => {
    await killAll();
  });
  afterAll(() => removeTempDirs()); // the e2e helpers' temp dirs (natsForSuite removes its own)

  const publishConfig = (stream: string) => ({
    servers: nats().urls,
    stream,
    prefix: stream.toLowerCase(),
    create_stream: { replicas: 3 },
    ack_timeout_ms: 2000,
    cursor_flush_ms: 100,
    metrics: { port: 0 },
  });

  it('every published record of the source root reaches the mirror root, in order, once, byte for byte', async () => {
    const dir = makeTempDir();
    const src = path.join(dir, 'src');
    const dst = path.join(dir, 'dst');
    const simPort = await freePort();
    const cfg = writeConfig(dir, {
      ...recorderConfig({
        root: src,
        feeds: [{ url: `ws://127.0.0.1:${simPort}` }],
        // a fixed simulated start: on the wall clock, China's markets are closed half the day (off_session)
        simulator: { port: simPort, instruments: 6, rate: 300, trades: true, seed: 7, start: '20250106 09:30' },
      }),
      publish: { nats: publishConfig('CLUSTER') },
    });
    const rec = startRecorder(cfg);
    await rec.ready();
    const publish = () => spawnCli(['publish', '-c', cfg], { label: 'publish' });
    const mirror = () => spawnMirror(nats().urls, dst, 'CLUSTER', 'cluster');
    let pub = publish();
    let mir = mirror();
    const t0 = Date.now();
    const trace = (m: string) => {
      if (process.env['BUS_TEST_TRACE']) console.log(m);
    };
    const grows = async (p: () => Proc, what: string, by = 300) => {
      trace(`${Date.now() - t0} ms: waiting for ${what}`);
      const s0 = await busStats(p());
      const from = s0.written ?? s0.published ?? 0;
      let last: BusStats[] = [];
      await waitFor(
        async () => {
          last = [await busStats(pub), await busStats(mir)];
          const s = await busStats(p());
          return (s.written ?? s.published ?? 0) >= from + by;
        },
        what,
        {
          timeoutMs: 60_000,
          intervalMs: 200,
          describe: () => `stats ${JSON.stringify(last)}\npublisher ${pub.stderr.slice(-2000)}\nmirror ${mir.stderr.slice(-2000)}`,
        },
      );
    };
    await grows(() => mir, 'the first records in the mirror');
    // The lags on the endpoints: the recorder's (from the cursor file), the publisher's and the mirror's.
    const text = async (p: Proc, route: string) => (await fetch((await endpointOf(p)) + route)).text();
    await waitFor(
      async () => /^tickrec_bus_publish_lag_records\{stream="CLUSTER"\} \d+$/m.test(await text(rec, '/metrics')),
      'the recorder showing the lag',
      {
        timeoutMs: 30_000,
      },
    );
    expect(await text(pub, '/metrics')).toMatch(/^tickrec_publisher_cursor_lag_records \d+$/m);
    // The mirror's lag as the servers see it (its durable consumer), on the publisher's endpoint too.
    await waitFor(
      async () => /^tickrec_publisher_mirror_pending_messages\{consumer="tickrec-mirror-[^"]+"\} \d+$/m.test(await text(pub, '/metrics')),
      "the mirror's consumer on the publisher's /metrics",
      { timeoutMs: 30_000 },
    );
    expect(await text(mir, '/metrics')).toMatch(/^tickrec_mirror_pending_messages \d+$/m);
    expect(await text(mir, '/')).toMatch(/<h1>tickrec mirror<\/h1>.*pendingMessages/s);

    // One NATS node killed and started again under flow (R3: the stream keeps a quorum).
    await nats().nodes[1]!.kill();
    await grows(() => mir, 'records mirrored with one node down');
    nats().nodes[1]!.start();
    await nats().nodes[1]!.ready();

    // The publisher killed -9: the recorder goes on; the restarted publisher resumes from its cursors.
    pub.proc.kill('SIGKILL');
    await pub.waitExit();
    const before = sourceCount(src);
    await waitFor(() => sourceCount(src) > before + 300, 'the recorder recording while the publisher is down', { timeoutMs: 30_000 });
    pub = publish();
    await grows(() => mir, 'records mirrored after the publisher restart');

    // The mirror killed -9 and restarted: it resumes from its own files and position.
    mir.proc.kill('SIGKILL');
    await mir.waitExit();
    await sleep(300);
    mir = mirror();
    await grows(() => mir, 'records mirrored after the mirror restart');

    // The whole cluster down for a while: recording goes on, the publisher waits, then catches up.
    await nats().stopAll();
    const down = sourceCount(src);
    await waitFor(() => sourceCount(src) > down + 300, 'the recorder recording while NATS is down', { timeoutMs: 30_000 });
    await nats().startAll();
    await grows(() => mir, 'records mirrored after the cluster came back');

    // The end: the recorder stops (its last bars are written), the publisher drains, the mirror equals the source.
    expect((await rec.stop()).code).toBe(0);
    await waitFor(
      async () => (await busStats(pub)).lagRecords === 0 && rootDifference(src, dst, FOLDERS) === null,
      'the mirror equal to the source',
      {
        timeoutMs: 90_000,
        intervalMs: 250,
        describe: () => String(rootDifference(src, dst, FOLDERS)),
      },
    );
    const m = await busStats(mir);
    expect(m.refused).toEqual({});
    expect((await busStats(pub)).orderBreaks).toBe(0);
    expect(sourceCount(dst)).toBe(sourceCount(src));
    for (const p of [pub, mir]) {
      p.signal('SIGTERM');
      expect((await p.waitExit(20_000)).code).toBe(0);
    }
  }, 300_000);

  it('two recorders of the same market publish into one stream; the mirror holds each tick once', async () => {
    const dir = makeTempDir();
    const dst = path.join(dir, 'dst');
    const recs: ReturnType<typeof startRecorder>[] = [];
    const pubs: Proc[] = [];
    const roots: string[] = [];
    const TICKS = 2000;
    for (const name of ['a', 'b']) {
      const root = path.join(dir, name);
      roots.push(root);
      // The simulator's ticks depend only on seed, instruments, start, rate and speed: two
      // recorders of the same market, each on its own copy of it.
      const simPort = await freePort();
      spawnCli(
        [
          'simulate',
          '--port',
          String(simPort),
          '--instruments',
          '4',
          '--rate',
          '500',
          '--seed',
          '11',
          '--start',
          '20250102 09:30',
          '--count',
          String(TICKS),
          '--trades',
        ],
        {
          label: `simulate ${name}`,
        },
      );
      const cfg = writeConfig(
        dir,
        {
          ...recorderConfig({ root, feeds: [{ url: `ws://127.0.0.1:${simPort}` }] }),
          publish: { nats: publishConfig('TWO') },
        },
        `${name}.json`,
      );
      const rec = startRecorder(cfg);
      recs.push(rec);
      pubs.push(spawnCli(['publish', '-c', cfg], { label: `publish ${name}` }));
    }
    const mir = spawnMirror(nats().urls, dst, 'TWO', 'two');
    const ticks = (root: string) =>
      rtFiles(root)
        .filter((f) => f.startsWith('ticks'))
        .reduce((n, f) => n + fileRecords(path.join(root, 'rt', f)).count, 0);
    await waitFor(() => ticks(roots[0]!) === TICKS && ticks(roots[1]!) === TICKS, 'both recorders recording every tick', {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    for (const r of recs) expect((await r.stop()).code).toBe(0); // the last bars are written at stop
    expect(rootDifference(roots[0]!, roots[1]!, FOLDERS)).toBeNull(); // the same market, recorded twice
    await waitFor(
      async () => {
        for (const p of pubs) if ((await busStats(p)).lagRecords !== 0) return false;
        return rootDifference(roots[0]!, dst, FOLDERS) === null;
      },
      'the mirror equal to the recorders',
      { timeoutMs: 90_000, intervalMs: 250, describe: () => String(rootDifference(roots[0]!, dst, FOLDERS)) },
    );
    // Every record went to the stream twice; one copy of each was dropped, by JetStream or by the mirror.
    // The publishers count a copy when its acknowledgement is handled, which may come after the
    // mirror holds the record: wait for the counts to settle, then assert them.
    const counts = async () => {
      const [a, b, m] = [await busStats(pubs[0]!), await busStats(pubs[1]!), await busStats(mir)];
      return {
        published: a.published! + b.published!,
        duplicates: a.duplicates! + b.duplicates! + (m.duplicates ?? 0),
        mirrorDuplicates: m.duplicates ?? 0,
      };
    };
    const want = sourceCount(dst, FOLDERS);
    const c = await waitFor(
      async () => {
        const x = await counts();
        return x.duplicates === want && x.published === want + x.mirrorDuplicates ? x : undefined;
      },
      'the publishers and the mirror to count every copy',
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch(async () => counts());
    expect(c.published).toBe(want + c.mirrorDuplicates);
    expect(c.duplicates).toBe(want);
    const m = await busStats(mir);
    expect(m.refused).toEqual({});
  }, 240_000);
});

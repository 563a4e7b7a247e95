// End to end: feeds that drop the connection again and again, resend snapshots and duplicate frames — the recorder reconnects each time and the files hold every sent tick exactly once.

import path from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { buildUniverse, createGenerator, parseStart, startSimulator, tickJson, type SimTick, type Simulator } from '../../src/sim/index.js';
import {
  kindFiles,
  compareExactly,
  groupSent,
  killAll,
  makeTempDir,
  matchSubsequence,
  readTicks,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  startRecorder,
  tickFile,
  waitFor,
  waitHealth,
  writeConfig,
} from './helpers.js';

let sim: Simulator | undefined;
let server: DroppingFeed | undefined;

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
  await sim?.close();
  await server?.close();
  sim = undefined;
  server = undefined;
});
afterAll(() => removeTempDirs());

/** `n` deterministic ticks of the simulator's generator, 2 ms of simulated time apart. */
function generateTicks(n: number, seed: number, start: string, instruments = 10): SimTick[] {
  const startMs = parseStart(start)!;
  const gen = createGenerator({ seed, instruments: buildUniverse(instruments), startMs });
  const out: SimTick[] = [];
  for (let t = startMs; out.length < n; t += 2) {
    const tick = gen.next(t);
    if (tick) out.push(tick);
  }
  return out;
}

/**
 * A tickrec-protocol feed that drops its client every `dropEvery` frames (no close
 * handshake: the TCP connection just ends after the frames already written), and, like a
 * real front, sends a snapshot (the last tick of every instrument) after each
 * (re)subscribe before it continues where it stopped. It never loses a tick it wrote.
 */
class DroppingFeed {
  readonly wss: WebSocketServer;
  pos = 0;
  drops = 0;
  connections = 0;
  snapshotTicks = 0;
  private readonly last = new Map<string, SimTick>();

  private constructor(
    wss: WebSocketServer,
    private readonly ticks: readonly SimTick[],
    private readonly batch: number,
    private readonly dropEvery: number,
    private readonly maxDrops: number,
  ) {
    this.wss = wss;
    wss.on('connection', (ws) => {
      this.connections++;
      ws.on('error', () => undefined);
      ws.once('message', () => void this.pump(ws)); // the subscribe
    });
  }

  static async start(ticks: readonly SimTick[], batch: number, dropEvery: number, maxDrops: number): Promise<DroppingFeed> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    return new DroppingFeed(wss, ticks, batch, dropEvery, maxDrops);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as { port: number }).port}`;
  }

  private send(ws: WebSocket, text: string): Promise<void> {
    return new Promise((resolve, reject) => ws.send(text, (err) => (err ? reject(err) : resolve())));
  }

  private async pump(ws: WebSocket): Promise<void> {
    try {
      if (this.last.size > 0) {
        await this.send(ws, '[' + [...this.last.values()].map(tickJson).join(',') + ']');
        this.snapshotTicks += this.last.size;
      }
      let frames = 0;
      while (this.pos < this.ticks.length && ws.readyState === ws.OPEN) {
        const slice = this.ticks.slice(this.pos, this.pos + this.batch);
        await this.send(ws, '[' + slice.map(tickJson).join(',') + ']');
        for (const t of slice) this.last.set(`${t.exchg}.${t.code}`, t);
        this.pos += slice.length;
        if (++frames % this.dropEvery === 0 && this.drops < this.maxDrops && this.pos < this.ticks.length) {
          this.drops++;
          // every frame is written to the kernel (send callbacks ran): end the TCP stream, no close frame
          (ws as unknown as { _socket: Socket })._socket.end();
          return;
        }
      }
    } catch {
      // the client went away; it reconnects and we continue from `pos`
    }
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

describe('reconnects', () => {
  it('a feed that drops the connection 12 times: 12 reconnects, snapshots removed as duplicates, every tick exactly once', async () => {
    const ticks = generateTicks(6000, 21, '20250106 21:05');
    server = await DroppingFeed.start(ticks, 40, 10, 12);
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const cfg = writeConfig(
      dir,
      recorderConfig({ root, feeds: [{ url: server.url, name: 'drop', reconnect_min_ms: 5, reconnect_max_ms: 50 }] }),
    );
    const rec = startRecorder(cfg);
    const base = await rec.ready();
    // every tick and every snapshot tick received (the snapshots all go out before the last tick)
    const final = await waitHealth(
      base,
      (s) => server!.pos === ticks.length && s.ticksReceived === ticks.length + server!.snapshotTicks,
      'every tick and snapshot tick received',
    );

    expect(server.drops).toBe(12);
    expect(server.connections).toBe(13);
    expect(final.feeds[0]!.reconnects).toBeGreaterThanOrEqual(12);
    expect(final.feeds[0]!.connections).toBe(13);
    expect(final.ticksWritten).toBe(ticks.length);
    expect(final.rejected).toEqual({ duplicate: server.snapshotTicks });
    expect(final.writeErrors).toBe(0);
    expect(rec.logs.filter((l) => /^feed drop: disconnected/.test(String(l.msg))).length).toBeGreaterThanOrEqual(12);

    expect(await rec.stop(), rec.tail()).toEqual({ code: 0, signal: null });
    const sent = groupSent(ticks);
    for (const [id, want] of sent) {
      const [exchg, code] = id.split('.') as [string, string];
      expect(compareExactly(id, readTicks(tickFile(root, exchg, code)), want)).toEqual([]);
    }
    expect(kindFiles(root, 'ticks').length).toBe(sent.size);
  });

  it("the simulator's disconnect fault: the recorder reconnects every time; what it recorded is the sent sequence, in order, without a duplicate", async () => {
    // The simulator does not buffer for a client that is away: ticks emitted while the
    // recorder reconnects are gone, so only order and uniqueness can be asserted here.
    // It runs until it has dropped the recorder 10 times (not a fixed tick count: on a
    // loaded machine most of a fixed count can pass while the recorder is away).
    sim = await startSimulator({
      start: '20250106 21:05',
      rate: 4000,
      batchMax: 20,
      keepSent: true,
      instruments: 10,
      seed: 5,
      faults: { disconnectEvery: 25 },
    });
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const cfg = writeConfig(
      dir,
      recorderConfig({ root, feeds: [{ url: sim.url, name: 'sim', reconnect_min_ms: 5, reconnect_max_ms: 50 }] }),
    );
    const rec = startRecorder(cfg);
    const base = await rec.ready();
    await waitFor(() => sim!.stats().injected.disconnect >= 10, '10 disconnects injected by the simulator', { timeoutMs: 120_000 });
    const atLeast = sim.stats().injected.disconnect;
    await waitHealth(base, (s) => s.feeds[0]!.reconnects >= atLeast && s.feeds[0]!.state === 'up', 'a reconnect per disconnect', 120_000);
    await sim.close(); // no tick after this; the recorder handles every frame it got before the close
    const stats = await waitHealth(base, (s) => s.feeds[0]!.state !== 'up', 'the recorder to see the simulator gone', 60_000);
    expect(stats.rejected).toEqual({});
    expect(await rec.stop(), rec.tail()).toEqual({ code: 0, signal: null });

    const sent = groupSent(sim.sentTicks!);
    let total = 0;
    for (const file of kindFiles(root, 'ticks')) {
      const rows = readTicks(file);
      const id = `${String(rows[0]!.exchg)}.${String(rows[0]!.code)}`;
      const m = matchSubsequence(rows, sent.get(id) ?? []);
      expect('problem' in m ? m.problem : null, id).toBeNull();
      total += rows.length;
    }
    expect(total).toBe(stats.ticksWritten);
    expect(total).toBeGreaterThan(0);
  });

  it("the simulator's duplicate and malformed faults: every sent tick exactly once, every bad frame counted by its reason", async () => {
    // duplicateEvery sends a whole data frame twice ("a resent snapshot"); a frame holds
    // several ticks of one instrument, SHFE/INE ones often with the same action_time.
    sim = await startSimulator({
      start: '20250106 21:05',
      rate: 4000,
      batchMax: 50,
      count: 6000,
      keepSent: true,
      instruments: 10,
      seed: 9,
      faults: { duplicateEvery: 7, malformedEvery: 5 },
    });
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const cfg = writeConfig(dir, recorderConfig({ root, feeds: [{ url: sim.url, name: 'sim' }] }));
    const rec = startRecorder(cfg);
    const base = await rec.ready();
    await sim.done;
    const st = sim.stats();
    const malformed = st.injected.malformed;
    // every frame the simulator wrote has been parsed: data frames, their duplicates, the malformed ones
    const stats = await waitHealth(
      base,
      (s) => s.feeds[0]!.messages >= st.frames + st.injected.duplicate + malformed,
      'every frame received',
    );
    expect(await rec.stop(), rec.tail()).toEqual({ code: 0, signal: null });

    const per = (k: number) => Math.floor(malformed / 4) + (k < malformed % 4 ? 1 : 0); // round robin
    expect({
      malformed_json: stats.rejected.malformed_json,
      bad_type: stats.rejected.bad_type,
      bad_name: stats.rejected.bad_name,
      bad_price: stats.rejected.bad_price,
    }).toEqual({ malformed_json: per(0), bad_type: per(1), bad_name: per(2), bad_price: per(3) });

    const problems: string[] = [];
    for (const [id, want] of groupSent(sim.sentTicks!)) {
      const [exchg, code] = id.split('.') as [string, string];
      problems.push(...compareExactly(id, readTicks(tickFile(root, exchg, code)), want, 2));
    }
    expect({ ticksWritten: stats.ticksWritten, problems }).toEqual({ ticksWritten: sim.sentTicks!.length, problems: [] });
  });
});

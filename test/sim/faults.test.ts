// Fault modes: malformed, duplicated, regressing and disconnecting frames are injected as extras and never change the good tick sequence.

import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimTick } from '../../src/sim/index.js';
import { SimClient } from './helpers/client.js';

const opened: Simulator[] = [];
const clients: SimClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const BASE = {
  port: 0,
  rate: 20000,
  seed: 12,
  start: '20250106 10:00',
  instruments: 20,
  batchMax: 10,
  keepSent: true,
  heartbeatMs: 200,
} as const;

async function run(options: Parameters<typeof startSimulator>[0]): Promise<{ s: Simulator; c: SimClient }> {
  const s = await startSimulator({ ...BASE, ...options });
  opened.push(s);
  const c = await SimClient.connect(s.url);
  clients.push(c);
  c.subscribe(['*']);
  await s.done;
  await c.waitFor(() => c.heartbeats > 0, 'the heartbeat after the last tick');
  return { s, c };
}

const idOf = (t: SimTick) => `${t.exchg}.${t.code}`;

describe('simulator faults', () => {
  it('injects malformed frames of every kind after every N-th frame; the good ticks are the full sequence', async () => {
    const { s, c } = await run({ count: 400, faults: { malformedEvery: 3 } });
    const data = c.dataFrames();
    const { frames, injected } = s.stats();
    expect(frames).toBeGreaterThanOrEqual(40); // 400 ticks, at most 10 a frame
    expect(injected.malformed).toBe(Math.floor(frames / 3));
    expect(data.length).toBe(frames + injected.malformed);
    const broken = data.filter((f) => !f.ok);
    const ticks = data.filter((f) => f.ok).flatMap((f) => f.parsed as Record<string, unknown>[]);
    const stringPrice = ticks.filter((t) => typeof t.price === 'string');
    const hostile = ticks.filter((t) => t.code === '../../x');
    const dblMax = ticks.filter((t) => t.price === 1.7976931348623157e308);
    // round robin: broken JSON, string price, hostile code, DBL_MAX
    const k = injected.malformed;
    expect([broken.length, stringPrice.length, hostile.length, dblMax.length]).toEqual(
      [0, 1, 2, 3].map((i) => Math.floor((k - i + 3) / 4)),
    );
    expect(data.findIndex((f) => !f.ok)).toBe(3); // after the 3rd good frame
    expect(data.some((f) => f.raw.includes('1.7976931348623157e308'))).toBe(true);
    const valid = c.ticks.filter((t) => typeof t.price === 'number' && t.price < 1e300 && t.code !== '../../x');
    expect(valid).toEqual(s.sentTicks);
  });

  it('sends every N-th frame twice (a resent snapshot)', async () => {
    const { s, c } = await run({ count: 400, faults: { duplicateEvery: 4 } });
    const raws = c.dataFrames().map((f) => f.raw);
    const { frames, injected } = s.stats();
    expect(injected.duplicate).toBe(Math.floor(frames / 4));
    expect(raws.length).toBe(frames + injected.duplicate);
    const dupAt = raws.flatMap((r, i) => (i > 0 && r === raws[i - 1] ? [i] : []));
    expect(dupAt.length).toBe(injected.duplicate);
    expect(dupAt[0]).toBe(4); // the 4th frame, again
    const deduped = raws
      .filter((_, i) => !dupAt.includes(i))
      .flatMap((r) => (JSON.parse(r) as SimTick[]).map(({ type: _t, ...t }: SimTick & { type?: string }) => t));
    expect(deduped).toEqual(s.sentTicks);
  });

  it('after every N-th tick, sends a copy whose total_volume went backwards', async () => {
    const { s, c } = await run({ count: 1000, faults: { regressEvery: 100 } });
    expect(c.ticks.length).toBe(1010);
    const last = new Map<string, SimTick>();
    const good: SimTick[] = [];
    const regressed: SimTick[] = [];
    for (const t of c.ticks) {
      const prev = last.get(idOf(t));
      if (prev && t.trading_date === prev.trading_date && t.total_volume < prev.total_volume) {
        regressed.push(t);
        continue;
      }
      good.push(t);
      last.set(idOf(t), t);
    }
    expect(regressed.length).toBe(10);
    expect(s.stats().injected.regress).toBe(10);
    expect(good).toEqual(s.sentTicks);
    // each regressed copy is of the 100th, 200th... good tick
    regressed.forEach((r, i) =>
      expect({ ...r, total_volume: 0, volume: 0, total_turnover: 0, turn_over: 0 }).toEqual({
        ...s.sentTicks![(i + 1) * 100 - 1]!,
        total_volume: 0,
        volume: 0,
        total_turnover: 0,
        turn_over: 0,
      }),
    );
  });

  it('drops the connection after every N-th frame of a client; a reconnecting client resumes', async () => {
    const s = await startSimulator({ ...BASE, rate: 2000, batchMax: 5, keepSent: false, faults: { disconnectEvery: 6 } });
    opened.push(s);
    const perConnection: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await SimClient.connect(s.url);
      clients.push(c);
      c.subscribe(['*']);
      const code = await c.closed;
      expect(code).toBe(1006); // no close frame: the server dropped the connection
      perConnection.push(c.dataFrames().length);
    }
    expect(perConnection.every((n) => n <= 6)).toBe(true);
    expect(perConnection.some((n) => n === 6)).toBe(true);
    expect(s.stats().injected.disconnect).toBe(3);
    expect(s.stats().clients).toBe(0);
  });

  it('all faults together still carry the whole good sequence', async () => {
    const { s, c } = await run({ count: 600, faults: { malformedEvery: 4, duplicateEvery: 5, regressEvery: 70 } });
    const inj = s.stats().injected;
    expect(inj.malformed).toBeGreaterThan(0);
    expect(inj.duplicate).toBeGreaterThan(0);
    expect(inj.regress).toBe(8);
    // recorder-like cleanup: drop unparseable frames, repeated frames, bad fields and regressions
    const raws = c.dataFrames();
    const last = new Map<string, SimTick>();
    const good: SimTick[] = [];
    raws.forEach((f, i) => {
      if (!f.ok || (i > 0 && f.raw === raws[i - 1]!.raw)) return;
      for (const { type: _t, ...t } of f.parsed as (SimTick & { type: string })[]) {
        if (typeof t.price !== 'number' || t.price > 1e300 || t.code === '../../x') continue;
        const prev = last.get(idOf(t));
        if (prev && t.trading_date === prev.trading_date && t.total_volume < prev.total_volume) continue;
        good.push(t);
        last.set(idOf(t), t);
      }
    });
    expect(good).toEqual(s.sentTicks);
  });
});

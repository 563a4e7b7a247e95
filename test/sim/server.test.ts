// The simulator server over real loopback websockets: exact counts, determinism, subscriptions, clock crossing midnight, heartbeats, close().

import { afterEach, describe, expect, it } from 'vitest';
import {
  buildUniverse,
  createGenerator,
  parseStart,
  slotTimeMs,
  startSimulator,
  type Simulator,
  type SimTick,
} from '../../src/sim/index.js';
import { SimClient } from './helpers/client.js';
import { hhmm, sequenceProblems, tickProblems } from './helpers/check.js';

const opened: Simulator[] = [];
const clients: SimClient[] = [];
async function sim(options: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  // Short heartbeats: the tests wait for the one after the last tick.
  const s = await startSimulator({ host: '127.0.0.1', port: 0, heartbeatMs: 200, ...options });
  opened.push(s);
  return s;
}
async function client(s: Simulator): Promise<SimClient> {
  const c = await SimClient.connect(s.url);
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const byId = new Map(buildUniverse(100).map((i) => [i.id, i]));
const idOf = (t: SimTick) => `${t.exchg}.${t.code}`;

/** Receives everything of a count-limited simulator on '*': until done, then one heartbeat (after the last frame). */
async function receiveAll(s: Simulator): Promise<SimClient> {
  const c = await client(s);
  c.subscribe(['*']);
  await s.done;
  await c.waitFor(() => c.heartbeats > 0, 'the idle heartbeat after the last tick');
  return c;
}

describe('simulator server', () => {
  it('sends exactly `count` ticks to a client on "*", the generator sequence, then idles with heartbeats', async () => {
    const start = '20250106 10:00';
    const s = await sim({ rate: 5000, count: 1234, seed: 3, start, keepSent: true, instruments: 20 });
    const c = await receiveAll(s);
    expect(c.ticks.length).toBe(1234);
    expect(s.stats()).toMatchObject({ sent: 1234, done: true, started: true, clients: 1, subscribed: 1 });
    expect(c.ticks).toEqual(s.sentTicks);
    // the same as the generator at the documented slot times
    const g = createGenerator({ seed: 3, instruments: buildUniverse(20) });
    const replay: SimTick[] = [];
    for (let k = 0; replay.length < 1234; k++) {
      const t = g.next(slotTimeMs(parseStart(start)!, k, 5000, 1));
      if (t) replay.push(t);
    }
    expect(c.ticks).toEqual(replay);
    expect(c.ticks.flatMap((t) => tickProblems(t, byId.get(idOf(t))!))).toEqual([]);
    expect(sequenceProblems(c.ticks)).toEqual([]);
    // frames hold at most batchMax (100) ticks; nothing but heartbeats after the last tick
    expect(Math.max(...c.dataFrames().map((f) => (f.parsed as unknown[]).length))).toBeLessThanOrEqual(100);
    expect(c.kinds.slice(c.kinds.lastIndexOf('tick') + 1).every((k) => k === 'heartbeat')).toBe(true);
  });

  it('is deterministic across servers: same seed, same ticks; another seed, other ticks', async () => {
    const opts = { rate: 8000, count: 800, start: '20250107 21:30', speed: 30, instruments: 12 } as const;
    const [a, b, c] = await Promise.all([sim({ ...opts, seed: 5 }), sim({ ...opts, seed: 5 }), sim({ ...opts, seed: 6 })]);
    const [ca, cb, cc] = await Promise.all([receiveAll(a), receiveAll(b), receiveAll(c)]);
    expect(ca.ticks.length).toBe(800);
    expect(cb.ticks).toEqual(ca.ticks);
    expect(cc.ticks).not.toEqual(ca.ticks);
  });

  it('sends a client only the instruments it subscribed, and nothing before a subscribe', async () => {
    const s = await sim({ rate: 10000, count: 3000, seed: 8, start: '20250106 10:00', keepSent: true, instruments: 20 });
    const two = await client(s);
    const all = await client(s);
    const silent = await client(s);
    const wanted = ['SHFE.rb2505', 'BINANCE.BTCUSDT'];
    two.subscribe([...wanted, 'SHFE.nosuch']);
    all.subscribe(['*']);
    await s.done;
    await two.waitFor(() => two.heartbeats > 0, 'heartbeat');
    await all.waitFor(() => all.heartbeats > 0, 'heartbeat');
    const expected = s.sentTicks!.filter((t) => wanted.includes(idOf(t)));
    expect(expected.length).toBeGreaterThan(100);
    expect(new Set(two.ticks.map(idOf))).toEqual(new Set(wanted));
    expect(two.ticks).toEqual(expected);
    // the '*' client subscribed a moment later: it gets a suffix of the sequence
    expect(all.ticks).toEqual(s.sentTicks!.slice(3000 - all.ticks.length));
    expect(silent.frames).toEqual([]);
    expect(s.stats()).toMatchObject({ clients: 3, subscribed: 2 });
  });

  it('heartbeats a subscribed client while its instruments do not trade', async () => {
    // Saturday: no futures. The default heartbeat interval (1 s).
    const s = await sim({ rate: 1000, seed: 1, start: '20250111 10:00', instruments: 7, heartbeatMs: undefined });
    const c = await client(s);
    c.subscribe(['SHFE.rb2505']);
    await c.waitFor(() => c.heartbeats >= 1, 'a heartbeat');
    expect(c.ticks).toEqual([]);
    expect(c.frames.every((f) => f.raw === '{"type":"heartbeat"}')).toBe(true);
    expect(s.stats().simTimeMs).toBeGreaterThan(parseStart('20250111 10:00')!);
  });

  it('crosses midnight and the trading-day boundary of a Friday night in seconds (speed)', async () => {
    // Friday 2025-01-10 20:59 Shanghai; 1 slot = 3.6 simulated s; 8000 ticks ≈ 8 simulated hours.
    const s = await sim({ rate: 8000, speed: 28800, count: 8000, seed: 2, start: '20250110 20:59', instruments: 20 });
    const c = await receiveAll(s);
    expect(c.ticks.length).toBe(8000);
    expect(c.ticks.flatMap((t) => tickProblems(t, byId.get(idOf(t))!)).slice(0, 5)).toEqual([]);
    expect(sequenceProblems(c.ticks).slice(0, 5)).toEqual([]);
    const futures = c.ticks.filter((t) => t.exchg !== 'BINANCE');
    expect(new Set(futures.map((t) => t.trading_date))).toEqual(new Set([20250113]));
    expect(new Set(futures.map((t) => t.action_date))).toEqual(new Set([20250110, 20250111]));
    const saturday = futures.filter((t) => t.action_date === 20250111);
    expect(new Set(saturday.filter((t) => hhmm(t.action_time) >= 100).map((t) => t.code.replace(/\d+$/, '')))).toEqual(
      new Set(['au', 'ag', 'sc']),
    );
    expect(saturday.some((t) => hhmm(t.action_time) >= 200)).toBe(true);
    expect(saturday.every((t) => hhmm(t.action_time) < 230)).toBe(true);
    // crypto keeps going after the night session, dated in UTC
    const crypto = c.ticks.filter((t) => t.exchg === 'BINANCE');
    expect(crypto.at(-1)!.action_time).toBeGreaterThan(200000000);
    expect(crypto.every((t) => t.trading_date === 20250110 && t.action_date === 20250110)).toBe(true);
  });

  it('sends each tick followed by its trade print when trades are on, and the same ticks as without', async () => {
    const opts = { rate: 5000, count: 500, seed: 4, start: '20250106 10:00', instruments: 20 } as const;
    const [withTrades, without] = await Promise.all([sim({ ...opts, trades: true }), sim(opts)]);
    const [a, b] = await Promise.all([receiveAll(withTrades), receiveAll(without)]);
    expect(a.ticks).toEqual(b.ticks);
    expect(a.trades.length).toBe(500);
    expect(a.kinds.filter((k) => k !== 'heartbeat')).toEqual(Array.from({ length: 1000 }, (_, i) => (i % 2 ? 'trade' : 'tick')));
    a.trades.forEach((tr, i) => {
      const t = a.ticks[i]!;
      expect(tr).toMatchObject({
        exchg: t.exchg,
        code: t.code,
        price: t.price,
        volume: t.volume,
        action_time: t.action_time,
        trading_date: t.trading_date,
      });
      expect(tr.side).toBe(t.price === t.ask_prices[0] ? 'B' : 'S');
    });
    expect(withTrades.stats().trades).toBe(500);
  });

  it('rejects bad options with a message naming the option', async () => {
    await expect(startSimulator({ rate: 0 })).rejects.toThrow(/rate/);
    await expect(startSimulator({ speed: -1 })).rejects.toThrow(/speed/);
    await expect(startSimulator({ start: '20251301 09:00' })).rejects.toThrow(/start/);
    await expect(startSimulator({ faults: { malformedEvery: 0 } })).rejects.toThrow(/malformedEvery/);
    await expect(startSimulator({ count: 1.5 })).rejects.toThrow(/count/);
    const s = await sim({});
    await expect(startSimulator({ port: s.port })).rejects.toThrow(new RegExp(`cannot listen on 127.0.0.1:${s.port}`));
  });

  it('close() drops clients and leaves no handle behind', async () => {
    const kinds = () => {
      const m = new Map<string, number>();
      for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
      return m;
    };
    const before = kinds();
    const s = await startSimulator({ rate: 2000, seed: 1, start: '20250106 10:00' });
    const c = await SimClient.connect(s.url);
    c.subscribe(['*']);
    await c.waitFor(() => c.ticks.length > 50, 'some ticks');
    await s.close();
    await c.closed;
    await s.close(); // idempotent
    await new Promise((r) => setTimeout(r, 20));
    const after = kinds();
    for (const kind of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'Immediate']) {
      expect(after.get(kind) ?? 0, kind).toBeLessThanOrEqual(before.get(kind) ?? 0);
    }
  });
});

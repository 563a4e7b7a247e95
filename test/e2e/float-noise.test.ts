// A simulated trading day (night session to the close, crypto around the clock) through `tickrec record`: no derived value carries float noise. Per-tick volume and turnover, the day totals, open-interest changes, the bars' vol, money and add, and the trades' volumes are all short decimals at the instrument's precision (lot step decimals; price decimals + lot decimals for money).

import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decimalsOf } from '../../src/format/index.js';
import { listInstruments, readBars, readTicks, readTrades } from '../../src/read/index.js';
import { buildUniverse, startSimulator, type Simulator } from '../../src/sim/index.js';
import { killAll, makeTempDir, recorderConfig, removeTempDirs, requireBuilt, startRecorder, waitHealth, writeConfig } from './helpers.js';

let sim: Simulator | undefined;
beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
  await sim?.close();
  sim = undefined;
});
afterAll(() => removeTempDirs());

const INSTRUMENTS = 20;
/** 20:55 Monday night to 15:05 Tuesday, Asia/Shanghai: one trading day of every session, 18 h of crypto. */
const START = '20250106 20:55';
const SIM_SECONDS = 18 * 3600 + 10 * 60;
const RATE = 2500;
const SPEED = 2500; // one simulated second per tick slot

describe('a simulated day shows no float noise', () => {
  it('every derived volume, turnover, open-interest change and bar sum is a short decimal at the instrument precision', async () => {
    sim = await startSimulator({
      start: START,
      rate: RATE,
      speed: SPEED,
      count: SIM_SECONDS,
      instruments: INSTRUMENTS,
      seed: 11,
      trades: true,
    });
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const rec = startRecorder(writeConfig(dir, recorderConfig({ root, feeds: [{ url: sim.url, name: 'sim' }] })));
    const base = await rec.ready();
    await sim.done;
    const sent = sim.stats();
    const stats = await waitHealth(
      base,
      (s) => s.ticksWritten + s.tradesWritten >= sent.sent + sent.trades,
      'every tick and trade written',
      120_000,
    );
    expect(stats.rejected).toEqual({});
    expect((await rec.stop()).code).toBe(0);

    const universe = new Map(buildUniverse(INSTRUMENTS).map((i) => [`${i.exchg}.${i.code}`, i]));
    const problems: string[] = [];
    let checked = 0;
    /** v must be a decimal with at most `max` fractional digits (decimalsOf: -1 for a value with float noise). */
    const check = (what: string, v: number, max: number) => {
      checked++;
      const d = decimalsOf(v);
      if ((d < 0 || d > max) && problems.length < 20)
        problems.push(`${what} = ${v} (${d < 0 ? 'not a short decimal' : `${d} decimals`}, at most ${max})`);
    };
    const kinds = new Set<string>();
    for (const { exchange, code } of listInstruments(root, 'tick')) {
      const inst = universe.get(`${exchange}.${code}`)!;
      kinds.add(inst.kind);
      const volDec = decimalsOf(inst.lot);
      const moneyDec = decimalsOf(inst.tickSize) + volDec + decimalsOf(inst.multiplier);
      const id = `${exchange}.${code}`;
      for (const t of readTicks({ root, exchange, code }).objects()) {
        check(`${id} tick ${t.action_time} volume`, t.volume, volDec);
        check(`${id} tick ${t.action_time} total_volume`, t.total_volume, volDec);
        check(`${id} tick ${t.action_time} turn_over`, t.turn_over, moneyDec);
        check(`${id} tick ${t.action_time} total_turnover`, t.total_turnover, moneyDec);
        check(`${id} tick ${t.action_time} diff_interest`, t.diff_interest, 0);
      }
      for (const period of ['min1', 'min5'] as const) {
        for (const b of readBars({ root, exchange, code, period }).objects()) {
          check(`${id} ${period} ${b.time} vol`, b.vol, volDec);
          check(`${id} ${period} ${b.time} money`, b.money, moneyDec);
          check(`${id} ${period} ${b.time} add`, b.add, 0);
        }
      }
      for (const t of readTrades({ root, exchange, code }).objects()) check(`${id} trade ${t.index} volume`, t.volume, volDec);
    }
    expect(problems).toEqual([]);
    expect(kinds).toEqual(new Set(['future', 'crypto']));
    expect(checked).toBeGreaterThan(SIM_SECONDS * 5);
  }, 240_000);
});

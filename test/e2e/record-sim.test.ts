// End to end: the simulator sends N deterministic ticks, a `tickrec record` child writes them; every sent tick is in the files exactly once, field by field, and SIGTERM leaves clean, inspectable files.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { RtReader } from '../../src/store/index.js';
import {
  blockFiles,
  compareExactly,
  getHealth,
  groupSent,
  inspectAll,
  kindFiles,
  killAll,
  makeTempDir,
  readTicks,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  startRecorder,
  tickFile,
  waitHealth,
  writeConfig,
} from './helpers.js';

let sim: Simulator | undefined;

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
  await sim?.close();
  sim = undefined;
});
afterAll(() => removeTempDirs());

describe('tickrec record against the simulator', () => {
  it('records every sent tick exactly once, field by field, in order; SIGTERM exits 0 and leaves valid files', async () => {
    const N = 5000;
    sim = await startSimulator({ start: '20250106 21:05', count: N, keepSent: true, rate: 5000, instruments: 20, seed: 7 });
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const cfg = writeConfig(dir, recorderConfig({ root, feeds: [{ url: sim.url, name: 'sim' }] }));
    const rec = startRecorder(cfg);
    const base = await rec.ready();

    const stats = await waitHealth(base, (s) => s.ticksWritten >= N, `${N} ticks written`);
    await sim.done;
    expect(stats.ticksWritten).toBe(N);
    expect(stats.ticksReceived).toBe(N);
    expect(stats.rejected).toEqual({});
    expect(stats.writeErrors).toBe(0);
    expect(stats.feeds.map((f) => [f.name, f.state])).toEqual([['sim', 'up']]);

    const sent = groupSent(sim.sentTicks!);
    expect([...sent.values()].reduce((n, a) => n + a.length, 0)).toBe(N);

    // While the recorder runs: a reader process sees every published tick, field by field.
    const live = new Set<string>();
    for (const [id, ticks] of sent) {
      const [exchg, code] = id.split('.') as [string, string];
      const file = tickFile(root, exchg, code);
      live.add(file);
      expect(compareExactly(id, readTicks(file), ticks)).toEqual([]);
    }
    // No tick file for an instrument that got no tick, none anywhere else.
    expect(new Set(kindFiles(root, 'ticks'))).toEqual(live);

    // A second look at /health still says N (nothing written twice after the fact).
    expect((await getHealth(base)).stats.ticksWritten).toBe(N);

    const exit = await rec.stop();
    // exit code 0 means the shutdown finished inside the recorder's own 5 s limit (else it exits 1)
    expect(exit, rec.tail()).toEqual({ code: 0, signal: null });
    expect(rec.logs.some((l) => l.msg === 'recorder stopped; every file synced and closed')).toBe(true);
    expect(fs.existsSync(path.join(root, 'tickrec.lock'))).toBe(false);

    // After the stop: the same content, every file opens and inspects clean.
    for (const [id, ticks] of sent) {
      const [exchg, code] = id.split('.') as [string, string];
      const file = tickFile(root, exchg, code);
      const r = RtReader.open(file);
      try {
        expect(r.length, id).toBe(ticks.length);
        expect(r.date, id).toBe(ticks[0]!.trading_date);
      } finally {
        r.close();
      }
      expect(compareExactly(id, readTicks(file), ticks)).toEqual([]);
    }
    // every block file under the root (ticks, and bars when they are on) opens and inspects clean
    for (const f of blockFiles(root)) RtReader.open(f).close();
    const reports = await inspectAll(blockFiles(root));
    for (const rep of reports) {
      expect(rep.problems, rep.file).toEqual([]);
      if (rep.code !== null) expect(rep.code, rep.file).toBe(0);
    }
    expect(reports.filter((r) => r.code === 0).length).toBeGreaterThan(0);
    expect(reports.filter((r) => live.has(r.file)).reduce((n, r) => n + (r.size ?? 0), 0)).toBe(N);
  });
});

// The recorder's own end-of-day compaction: a finished day in rt/ is compacted by a running recorder (on by default), which logs the lag measured meanwhile; with compaction.enabled false it stays in rt/.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyRoot } from '../../src/compact/index.js';
import { loadSessionBook } from '../../src/calendar/index.js';
import { BUNDLED_CONFIG_DIR } from '../../src/config/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { INSTRUMENTS, makeRoot } from '../compact/helpers/root.js';
import {
  killAll,
  makeTempDir,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  sleep,
  startRecorder,
  waitFor,
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

const sessions = loadSessionBook(path.join(BUNDLED_CONFIG_DIR, 'sessions.json'));

async function recorderOn(root: string, compaction: Record<string, unknown>) {
  sim = await startSimulator({ start: '20250108 09:30', rate: 200, instruments: 4, seed: 5 });
  const dir = path.dirname(root);
  const cfg = writeConfig(dir, recorderConfig({ root, feeds: [{ url: sim.url, name: 'sim' }], compaction }), `c-${Date.now()}.json`);
  return startRecorder(cfg, ['--clock-start', '20250108 09:30']);
}

describe("the recorder's own end-of-day compaction", () => {
  it('compacts the finished days by itself while recording, and logs the publish lag meanwhile', async () => {
    const root = path.join(makeTempDir('tickrec-eod-'), 'data');
    makeRoot(root, { dates: [20250106, 20250107], instruments: INSTRUMENTS.slice(0, 3) });
    const finished = path.join(root, 'rt', 'ticks', 'SHFE', '20250106');
    expect(fs.existsSync(finished)).toBe(true);
    const rec = await recorderOn(root, { enabled: true, check_interval_ms: 500 }); // the default; the test helper turns it off
    await rec.ready();
    const done = await rec.waitForLog(/^end-of-day compaction: done in /, 100_000);
    expect(String(done.msg)).toMatch(/compacted 24 instrument-days of 2 trading days/);
    expect(String(done.msg)).toMatch(/publish lag meanwhile p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms over \d+ ticks/);
    expect((done as { lagMs?: { count: number } }).lagMs).toBeDefined();
    // his/ holds the days, rt/ no longer, last.json says so; the recorder kept recording
    expect(fs.existsSync(path.join(root, 'his', 'ticks', 'SHFE', '20250106', 'rb2505.tsb'))).toBe(true);
    expect(fs.existsSync(finished)).toBe(false);
    const last = JSON.parse(fs.readFileSync(path.join(root, 'compact', 'last.json'), 'utf8')) as { ok: boolean; days: number };
    expect(last).toMatchObject({ ok: true, days: 2 });
    const health = await waitFor(async () => {
      const h = (await (await fetch(`${await rec.metricsUrl()}/health`)).json()) as { stats: { ticksWritten: number } };
      return h.stats.ticksWritten > 100 && h;
    }, 'ticks recorded');
    expect(health.stats.ticksWritten).toBeGreaterThan(100);
    expect(await rec.stop(), rec.tail()).toEqual({ code: 0, signal: null });
    // today's live day was not touched; everything verifies
    expect(fs.existsSync(path.join(root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb'))).toBe(true);
    expect(verifyRoot({ root, sessions, deep: true }).problems).toEqual([]);
  });

  it('with compaction.enabled false, the finished days stay in rt/ for tickrec compact', async () => {
    const root = path.join(makeTempDir('tickrec-eod-off-'), 'data');
    makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 1) });
    const rec = await recorderOn(root, { enabled: false, check_interval_ms: 100 });
    await rec.ready();
    await sleep(3000); // several check intervals: nothing may start (a wait for an absence)
    expect(rec.logs.some((l) => String(l.msg).startsWith('end-of-day compaction'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'rt', 'ticks', 'SHFE', '20250106', 'rb2505.dmb'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'his'))).toBe(false);
    expect(await rec.stop(), rec.tail()).toEqual({ code: 0, signal: null });
  });
});

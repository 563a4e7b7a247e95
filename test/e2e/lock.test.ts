// End to end: one recorder per data root — a second `tickrec record` exits 3 naming the holder; after kill -9 of the holder a new recorder takes the stale lock over, warns, and continues the files.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import {
  fileDate,
  freePort,
  groupSent,
  isAlive,
  kindFiles,
  killAll,
  makeTempDir,
  matchSubsequence,
  readTicks,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  startRecorder,
  tickProblem,
  waitFor,
  waitHealth,
  writeConfig,
  type TickRow,
} from './helpers.js';

let sim: Simulator | undefined;

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
  await sim?.close();
  sim = undefined;
});
afterAll(() => removeTempDirs());

/** exchg/code/date of a live tick file from its path. */
function idOf(root: string, file: string): { exchg: string; code: string; id: string } {
  const rel = path.relative(path.join(root, 'rt', 'ticks'), file).split(path.sep);
  const exchg = rel[0]!;
  const code = path.basename(file, '.dmb');
  return { exchg, code, id: `${exchg}.${code}` };
}

function snapshot(root: string): Map<string, TickRow[]> {
  const m = new Map<string, TickRow[]>();
  for (const f of kindFiles(root, 'ticks')) m.set(f, readTicks(f));
  return m;
}

describe('the root lock', () => {
  it('refuses a second recorder (exit 3, names the holder); after kill -9 a new recorder takes over with a warning and appends after the last record', async () => {
    sim = await startSimulator({ start: '20250106 21:05', rate: 2000, keepSent: true, instruments: 8, seed: 11 });
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const cfg = writeConfig(dir, recorderConfig({ root, feeds: [{ url: sim.url, name: 'sim' }] }));
    const a = startRecorder(cfg);
    const baseA = await a.ready();
    await waitHealth(baseA, (s) => s.ticksWritten >= 500, 'recorder A wrote 500 ticks');
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'tickrec.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(a.pid);

    // the same root, once by the same config and once spelled differently in another config
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    const cfg2 = writeConfig(
      other,
      recorderConfig({ root: path.join(dir, 'other', '..', 'data') + path.sep, feeds: [{ url: sim.url, name: 'sim' }] }),
    );
    for (const c of [cfg, cfg2]) {
      const b = startRecorder(c);
      const exit = await b.waitExit();
      expect(exit, b.tail()).toEqual({ code: 3, signal: null });
      expect(b.stderr).toContain(`pid ${a.pid}`);
      expect(b.stderr).toContain('tickrec.lock');
      expect(b.stderr).not.toContain('internal error');
    }
    expect(isAlive(a.pid)).toBe(true);
    const before = (await waitHealth(baseA, () => true, 'health of A')).ticksWritten;
    await waitHealth(baseA, (s) => s.ticksWritten > before, 'recorder A still writing after the refused starts');

    // kill -9: the lock stays behind, naming a dead process
    a.signal('SIGKILL');
    expect(await a.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(JSON.parse(fs.readFileSync(path.join(root, 'tickrec.lock'), 'utf8')).pid).toBe(a.pid);

    // every published record of the killed writer is intact and is a sent tick, in order, once
    const sentA = groupSent(sim.sentTicks!);
    const afterKill = snapshot(root);
    expect(afterKill.size).toBeGreaterThan(0);
    for (const [file, rows] of afterKill) {
      const { exchg, code, id } = idOf(root, file);
      const date = fileDate(file);
      rows.forEach((r, i) => expect(tickProblem(r, exchg, code, date), `${id} #${i}`).toBeNull());
      const m = matchSubsequence(rows, sentA.get(id) ?? []);
      expect('problem' in m ? m.problem : null, id).toBeNull();
    }

    const c = startRecorder(cfg);
    const warn = await c.waitForLog((l) => l.level === 40 && /took over a stale lock/.test(String(l.msg)));
    expect(String(warn.msg)).toContain(`pid ${a.pid}`);
    const baseC = await c.ready();
    await waitHealth(baseC, (s) => s.ticksWritten >= 1000, 'recorder C wrote 1000 ticks');
    expect(JSON.parse(fs.readFileSync(path.join(root, 'tickrec.lock'), 'utf8')).pid).toBe(c.pid);
    expect(await c.stop(), c.tail()).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(root, 'tickrec.lock'))).toBe(false);

    // C continued each file after A's last record: A's records unchanged, then new ones, no duplicate
    const sent = groupSent(sim.sentTicks!);
    const final = snapshot(root);
    let grew = 0;
    for (const [file, rowsA] of afterKill) {
      const rows = final.get(file)!;
      const { id } = idOf(root, file);
      expect(rows.slice(0, rowsA.length), id).toEqual(rowsA);
      if (rows.length > rowsA.length) grew++;
      const m = matchSubsequence(rows, sent.get(id) ?? []);
      expect('problem' in m ? m.problem : null, id).toBeNull();
    }
    expect(grew).toBeGreaterThan(0);
  });

  it('also refuses a second recorder whose config starts the built-in simulator (like config/recorder.json): exit 3 naming the holder', async () => {
    const dir = makeTempDir();
    const port = await freePort();
    const cfg = writeConfig(
      dir,
      recorderConfig({
        root: path.join(dir, 'data'),
        simulator: { port, instruments: 5, rate: 500, start: '20250106 21:05' },
        feeds: [{ url: `ws://127.0.0.1:${port}`, name: 'sim' }],
      }),
    );
    const a = startRecorder(cfg);
    const base = await a.ready();
    await waitHealth(base, (s) => s.ticksWritten >= 100, 'recorder A wrote 100 ticks');

    const b = startRecorder(cfg);
    const exit = await b.waitExit();
    // The promise: "a second `tickrec record` on the same root is refused with a clear
    // message naming the holder". Today the second process first starts its own
    // simulator on the configured port and dies on EADDRINUSE (exit 2, "internal error").
    expect({ exit, stderr: b.stderr.split('\n')[0] }).toEqual({
      exit: { code: 3, signal: null },
      stderr: expect.stringContaining(`pid ${a.pid}`),
    });
    await waitFor(() => isAlive(a.pid), 'recorder A alive');
    expect(await a.stop()).toEqual({ code: 0, signal: null });
  });
});

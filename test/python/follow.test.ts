// A Python follower in its own process follows a live tick file while the real recorder writes it from the simulator: every record once, in order, across growths of the file and a day roll (Friday 20250110 → Monday 20250113's night session, simulated clocks).

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildUniverse, startSimulator, type Simulator } from '../../src/sim/index.js';
import { RtReader } from '../../src/store/index.js';
import {
  groupSent,
  killAll,
  makeTempDir,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  startRecorder,
  tickFile,
  waitFor,
  waitHealth,
  writeConfig,
} from '../e2e/helpers.js';
import { PYTHON, PY_DIR, REPO_ROOT } from './helpers.js';

const FRIDAY = 20250110;
const MONDAY = 20250113;
const INITIAL_CAPACITY = 64;

const sims: Simulator[] = [];
let child: ChildProcess | undefined;

beforeAll(() => requireBuilt());
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await killAll();
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
afterAll(() => removeTempDirs());

/** The published records of a finished or live file, as hex of their bytes. */
function fileRecords(file: string): string[] {
  const r = RtReader.open(file);
  try {
    const rs = r.kind.recordBytes;
    const raw = r.rawRecords(0, r.length);
    const out: string[] = [];
    for (let i = 0; i < r.length; i++) out.push(Buffer.from(raw.buffer, raw.byteOffset + i * rs, rs).toString('hex'));
    return out;
  } finally {
    r.close();
  }
}

describe('python follow()', () => {
  it('sees every record once and in order while the recorder writes, across growths and a day roll', async () => {
    const futures = buildUniverse(21).filter((i) => i.kind === 'future' && i.exchg === 'SHFE');
    const rb = futures.find((i) => i.code === 'rb2505')!;
    const instruments = [rb, ...futures.filter((i) => i !== rb && i.code !== 'hc2505').slice(0, 2)];
    expect(instruments.length).toBe(3);

    const dir = makeTempDir('tickrec-python-follow-');
    const root = path.join(dir, 'data');
    const live = tickFile(root, 'SHFE', 'rb2505');

    // The follower starts before the file exists: it must wait for it, then read it from its first record.
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    child = spawn(PYTHON, ['-u', '-m', 'tests.follow_child', live], {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONPATH: PY_DIR, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b: Buffer) => {
      const s = partial + b.toString();
      const parts = s.split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
    });
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await waitFor(() => lines.includes('ready'), 'the Python follower started', { describe: () => stderr });
    const recs = () => lines.filter((l) => l.startsWith('rec '));

    const storage = { roll_by_clock: true, initial_capacity_ticks: INITIAL_CAPACITY };
    // Friday's day session from 14:59.
    const s1 = await startSimulator({ start: '20250110 14:59', speed: 1, rate: 1500, count: 1500, keepSent: true, instruments, seed: 3 });
    sims.push(s1);
    const cfg1 = writeConfig(dir, recorderConfig({ root, feeds: [{ url: s1.url, name: 'sim' }], storage }), 'friday.json');
    const r1 = startRecorder(cfg1, ['--clock-start', '20250110 14:59', '--clock-speed', '1']);
    await waitHealth(await r1.ready(), (s) => s.ticksWritten >= 1500, "Friday's ticks written");
    expect(await r1.stop(), r1.tail()).toEqual({ code: 0, signal: null });
    const friday = groupSent(s1.sentTicks!).get('SHFE.rb2505')!;
    expect(friday.length).toBeGreaterThan(2 * INITIAL_CAPACITY); // the Friday file grew at least twice
    await waitFor(() => recs().length >= friday.length, "the follower read Friday's ticks", {
      describe: () => `seen ${recs().length} of ${friday.length}; ${stderr}`,
    });

    // Monday's night session: the recorder's clock passes 20:00 (the roll), the simulator trades from 21:00.
    const s2 = await startSimulator({
      start: '20250110 20:59',
      speed: 60,
      rate: 1500,
      count: 2000,
      keepSent: true,
      instruments,
      seed: 4,
    });
    sims.push(s2);
    // the recorder's clock runs an hour behind the simulator's (to see the 20:00 roll by the clock): N11 must allow it
    const cfg2 = writeConfig(
      dir,
      { ...recorderConfig({ root, feeds: [{ url: s2.url, name: 'sim' }], storage }), limits: { max_ahead_ms: 7_200_000 } },
      'monday.json',
    );
    const r2 = startRecorder(cfg2, ['--clock-start', '20250110 19:59', '--clock-speed', '60']);
    await waitHealth(await r2.ready(), (s) => s.ticksWritten >= 2000, "Monday's ticks written");
    const monday = groupSent(s2.sentTicks!).get('SHFE.rb2505')!;
    for (const t of s2.sentTicks!) expect(t.trading_date).toBe(MONDAY);
    expect(monday.length).toBeGreaterThan(2 * INITIAL_CAPACITY);
    const total = friday.length + monday.length;
    await waitFor(() => recs().length >= total, 'the follower crossed into Monday', {
      describe: () => `seen ${recs().length} of ${total}; ${stderr}`,
    });
    expect(await r2.stop(), r2.tail()).toEqual({ code: 0, signal: null });

    // What the files hold: Friday set aside, Monday live; the follower saw exactly that, in order, once.
    const fridayFile = tickFile(root, 'SHFE', 'rb2505', FRIDAY);
    expect(fs.existsSync(fridayFile)).toBe(true);
    const want = [...fileRecords(fridayFile), ...fileRecords(live)];
    expect(want.length).toBe(total);
    await new Promise((r) => setTimeout(r, 300)); // nothing more may come
    const seen = recs();
    expect(seen.length).toBe(want.length);
    seen.forEach((l, i) => {
      const [, n, hex] = l.split(' ');
      expect(Number(n)).toBe(i);
      if (hex !== want[i]) expect.fail(`record ${i}: the follower saw other bytes than the file holds`);
    });
    // It opened Friday's file, noticed the roll by itself (all of Friday delivered), then Monday's.
    const events = lines.filter((l) => l.startsWith('file-'));
    expect(events.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      `file-start ${FRIDAY}`,
      `file-end ${FRIDAY}`,
      `file-start ${MONDAY}`,
    ]);
    const end = events[1]!.split(' ');
    expect(Number(end[2])).toBe(friday.length);
    expect(Number(end[3])).toBeGreaterThanOrEqual(4 * INITIAL_CAPACITY); // the follower remapped after the growths
    expect(Number(events[0]!.split(' ')[2])).toBe(INITIAL_CAPACITY); // it opened the file before it grew
  });
});

// End to end: a trading-day rollover during a run (Friday 20250110 → Monday 20250113 night session) with simulated clocks: finished days set aside intact, new files dated 20250113, a live follower crosses the roll, day-only CFFEX rolls by its own rule.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildUniverse, startSimulator, type SimTick, type Simulator } from '../../src/sim/index.js';
import { follow, RtReader, type FileInfo, type Follower } from '../../src/store/index.js';
import {
  blockFiles,
  compareExactly,
  fileDate,
  groupSent,
  inspectAll,
  killAll,
  makeTempDir,
  readTicks,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  startRecorder,
  tickFile,
  waitFor,
  waitHealth,
  writeConfig,
  type TickRow,
} from './helpers.js';

const sims: Simulator[] = [];
let follower: Follower | undefined;

beforeAll(() => requireBuilt());
afterEach(async () => {
  follower?.stop();
  follower = undefined;
  await killAll();
  await Promise.all(sims.splice(0).map((s) => s.close()));
});
afterAll(() => removeTempDirs());

const FRIDAY = 20250110;
const SATURDAY = 20250111;
const MONDAY = 20250113;

describe('day rollover during a run', () => {
  it('Friday 20250110 → Monday 20250113: Friday set aside intact, new files of 20250113, a follower sees both days once and in order, CFFEX rolls at its calendar day', async () => {
    // China futures only (crypto trades around the clock on UTC dates: not this test's subject)
    const futures = buildUniverse(21).filter((i) => i.kind === 'future');
    const hc = futures.find((i) => i.code === 'hc2505')!; // trades Friday only: rolled by the clock alone
    const cffex = futures.filter((i) => i.exchg === 'CFFEX');
    expect(hc).toBeDefined();
    expect(cffex.length).toBeGreaterThan(0);

    const dir = makeTempDir();
    const root = path.join(dir, 'data');

    // Friday's day session, 14:59:00 on: recorded by a recorder whose clock says Friday 14:59.
    const s1 = await startSimulator({
      start: '20250110 14:59',
      speed: 1,
      rate: 2000,
      count: 1500,
      keepSent: true,
      instruments: futures,
      seed: 1,
    });
    sims.push(s1);
    const cfg1 = writeConfig(
      dir,
      recorderConfig({ root, feeds: [{ url: s1.url, name: 'sim' }], storage: { roll_by_clock: true } }),
      'friday.json',
    );
    const r1 = startRecorder(cfg1, ['--clock-start', '20250110 14:59', '--clock-speed', '1']);
    await waitHealth(await r1.ready(), (s) => s.ticksWritten >= 1500, "Friday's 1500 ticks written");
    expect(await r1.stop(), r1.tail()).toEqual({ code: 0, signal: null });
    const friday = groupSent(s1.sentTicks!);
    expect(friday.size).toBe(futures.length);
    for (const t of s1.sentTicks!) expect(t.trading_date).toBe(FRIDAY);
    const rbLive = tickFile(root, 'SHFE', 'rb2505');
    expect(fileDate(rbLive)).toBe(FRIDAY);

    // A follower of rt/ticks/SHFE/rb2505.dmb from its first record, in this process.
    const seen: TickRow[] = [];
    const files: { start: FileInfo[]; end: FileInfo[] } = { start: [], end: [] };
    follower = follow(
      rbLive,
      (v) => {
        const row: TickRow = {};
        for (const k of ['exchg', 'code', 'price', 'total_volume', 'volume', 'trading_date', 'action_date', 'action_time', 'open_interest'])
          row[k] = v[k] as number | string;
        for (const k of ['bid_prices', 'ask_prices', 'bid_qty', 'ask_qty']) row[k] = Array.from(v[k] as ArrayLike<number>);
        seen.push(row);
      },
      {
        from: 'start',
        mode: 'timer',
        intervalMs: 2,
        rollCheckMs: 20,
        onFileStart: (i) => files.start.push(i),
        onFileEnd: (i) => files.end.push(i),
      },
    );
    await waitFor(() => seen.length === friday.get('SHFE.rb2505')!.length, "the follower read Friday's ticks");

    // Monday's night session: the recorder's clock starts Friday 19:59 (before the 20:00
    // day start of the night sessions) and runs 60x, like the simulator, which starts
    // at 20:59 and trades from 21:00 with trading date 20250113. hc2505 is not in it.
    const s2 = await startSimulator({
      start: '20250110 20:59',
      speed: 60,
      rate: 2000,
      count: 4000,
      keepSent: true,
      instruments: futures.filter((i) => i !== hc),
      seed: 2,
    });
    sims.push(s2);
    const cfg2 = writeConfig(
      dir,
      // the recorder's clock runs an hour behind the simulator's here (to see the 20:00 day
      // start by the clock): the N10 bound must allow that hour
      {
        // each file's roll is logged at debug (one INFO summary per roll: src/recorder/roll-log.ts)
        ...recorderConfig({ root, feeds: [{ url: s2.url, name: 'sim' }], storage: { roll_by_clock: true }, log: { level: 'debug' } }),
        limits: { max_ahead_ms: 7_200_000 },
      },
      'monday.json',
    );
    const r2 = startRecorder(cfg2, ['--clock-start', '20250110 19:59', '--clock-speed', '60']);
    const started = await r2.started();
    expect(started.rolledAtStart).toBe(0); // 19:59: Friday is still the trading day
    const base2 = await r2.ready();
    await waitHealth(base2, (s) => s.ticksWritten >= 4000, "Monday's 4000 ticks written");
    const monday = groupSent(s2.sentTicks!);
    for (const t of s2.sentTicks!) expect(t.trading_date).toBe(MONDAY);
    // hc2505 gets no Monday tick: only the clock (20:00 = day start) sets its Friday aside
    await r2.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith(`day ${FRIDAY} of SHFE.hc2505 (tick) finished`));

    const rbAll = [...friday.get('SHFE.rb2505')!, ...monday.get('SHFE.rb2505')!];
    await waitFor(() => seen.length >= rbAll.length, 'the follower crossed into Monday', {
      describe: () => `seen ${seen.length} of ${rbAll.length}`,
    });
    // hc2505's Monday file is made ahead of its first tick (storage.prepare_files)
    await waitFor(() => fs.existsSync(tickFile(root, hc.exchg, hc.code)), "hc2505's Monday file prepared");
    expect(await r2.stop(), r2.tail()).toEqual({ code: 0, signal: null });

    // the follower: both days, every tick once, in order, and it noticed the roll by itself
    expect(compareRows(seen, rbAll)).toEqual([]);
    expect(files.start.map((f) => f.date)).toEqual([FRIDAY, MONDAY]);
    expect(files.end.map((f) => [f.date, f.length])).toEqual([[FRIDAY, friday.get('SHFE.rb2505')!.length]]);
    follower.stop();

    // night-session instruments: Friday set aside intact, Monday in a new live file
    for (const inst of futures.filter((i) => i.exchg !== 'CFFEX')) {
      const aside = tickFile(root, inst.exchg, inst.code, FRIDAY);
      expect(fs.existsSync(aside), aside).toBe(true);
      expect(fileDate(aside), aside).toBe(FRIDAY);
      expect(compareExactly(`${inst.id} Friday`, readTicks(aside), friday.get(inst.id)!)).toEqual([]);
      const live = tickFile(root, inst.exchg, inst.code);
      if (inst === hc) {
        // no Monday tick: its live file is the one prepared for Monday after the roll
        // (storage.prepare_files, src/recorder/prepare-day.ts), still empty
        expect([fileDate(live), readTicks(live).length], live).toEqual([MONDAY, 0]);
        continue;
      }
      expect(fileDate(live), live).toBe(MONDAY);
      expect(compareExactly(`${inst.id} Monday`, readTicks(live), monday.get(inst.id)!)).toEqual([]);
    }
    // CFFEX (09:30-15:00, no night session): its trading day is the calendar day, so
    // Friday evening leaves its Friday file live, and no Monday file appears.
    for (const inst of cffex) {
      const live = tickFile(root, inst.exchg, inst.code);
      expect(fileDate(live), live).toBe(FRIDAY);
      expect(compareExactly(`${inst.id} Friday (live)`, readTicks(live), friday.get(inst.id)!)).toEqual([]);
      expect(monday.has(inst.id)).toBe(false);
      expect(fs.existsSync(path.join(root, 'rt', 'ticks', 'CFFEX', String(FRIDAY)))).toBe(false);
    }

    // Saturday 09:00: CFFEX's Friday is over (set aside at start); Monday's night files stay live.
    const r3 = startRecorder(cfg2, ['--clock-start', '20250111 09:00', '--clock-speed', '1']);
    const s3 = await r3.started();
    expect(s3.rolledAtStart as number).toBeGreaterThanOrEqual(cffex.length);
    await r3.ready(); // fully started, signal handlers installed (SIGTERM during startup: signals.test.ts)
    expect(await r3.stop(), r3.tail()).toEqual({ code: 0, signal: null });
    for (const inst of cffex) {
      const aside = tickFile(root, inst.exchg, inst.code, FRIDAY);
      expect(fileDate(aside), aside).toBe(FRIDAY);
      expect(compareExactly(`${inst.id} Friday (set aside)`, readTicks(aside), friday.get(inst.id)!)).toEqual([]);
      // no Monday record: if the recorder prepared Monday's file before it stopped, it is empty
      const live = tickFile(root, inst.exchg, inst.code);
      if (fs.existsSync(live)) expect([fileDate(live), readTicks(live).length], live).toEqual([MONDAY, 0]);
    }
    expect(fileDate(rbLive)).toBe(MONDAY);
    expect(readTicks(rbLive).length).toBe(monday.get('SHFE.rb2505')!.length);
    expect(fs.existsSync(tickFile(root, 'SHFE', 'rb2505', SATURDAY))).toBe(false);

    // every file under the root (ticks, bars, set aside or live) is a valid block file
    const all = blockFiles(root);
    for (const f of all) RtReader.open(f).close();
    for (const r of await inspectAll(all, 3)) {
      expect(r.problems, r.file).toEqual([]);
      if (r.code !== null) expect(r.code, r.file).toBe(0);
    }
  });
});

/** Followed rows against sent ticks: same length, same fields, in order. */
function compareRows(rows: readonly TickRow[], sent: readonly SimTick[]): string[] {
  const problems: string[] = [];
  if (rows.length !== sent.length) problems.push(`${rows.length} records followed, ${sent.length} sent`);
  for (let i = 0; i < Math.min(rows.length, sent.length) && problems.length < 5; i++) {
    const r = rows[i]!;
    const t = sent[i]!;
    for (const k of ['exchg', 'code', 'price', 'total_volume', 'trading_date', 'action_date', 'action_time', 'open_interest'] as const) {
      if (r[k] !== t[k]) problems.push(`#${i} ${k}: followed ${String(r[k])}, sent ${String(t[k])}`);
    }
    for (const k of ['bid_prices', 'ask_prices', 'bid_qty', 'ask_qty'] as const) {
      const want = [...t[k], ...new Array<number>(10 - t[k].length).fill(0)];
      if (JSON.stringify(r[k]) !== JSON.stringify(want))
        problems.push(`#${i} ${k}: followed ${JSON.stringify(r[k])}, sent ${JSON.stringify(want)}`);
    }
  }
  return problems;
}

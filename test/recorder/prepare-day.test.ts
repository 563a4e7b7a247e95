// Tests of the recorder's prepared files (src/recorder/prepare-day.ts, storage.prepare_files): after the day session's roll the next trading day's files are made ahead of the night open, and the open's first ticks go into them; real files, the recorder in process on a moved clock.

import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { MIN1_KIND, MIN5_KIND, TICK_KIND } from '../../src/format/index.js';
import { instrumentMetaPath, rtFilePath, rtFinishedPath } from '../../src/layout/index.js';
import { Recorder } from '../../src/recorder/recorder.js';
import { RtReader } from '../../src/store/index.js';
import { FIRST_CAPACITY_MIN, firstCapacity } from '../../src/store/writer-pool.js';
import { FakeFeed, removeTempDirs, tempDir, waitFor } from '../monitor/helpers.js';
import { coveredSessionsFile } from '../helpers/sessions.js';
import { diskHeader } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

/** Epoch ms of a China (UTC+8) wall time. */
const cst = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => Date.UTC(y, mo - 1, d, h - 8, mi, s);

/** A SHFE tick of the night session of calendar day `actionDate` (trading day `tradingDate`) at 21:00:00 + i s. */
function nightTick(code: string, i: number, actionDate: number, tradingDate: number) {
  const time = 21 * 10000000 + Math.floor(i / 60) * 100000 + (i % 60) * 1000;
  return {
    exchg: 'SHFE',
    code,
    price: 3500 + i,
    total_volume: 10 * (i + 1),
    trading_date: tradingDate,
    action_date: actionDate,
    action_time: time,
  };
}

function start(root: string, clock: { ms: number }, o: { prepare?: boolean; subscribe?: string[]; bars?: boolean } = {}) {
  const config = parseConfig(
    {
      root,
      feeds: [{ type: 'websocket', name: 'fake', url: 'ws://127.0.0.1:9/', format: 'tickrec', subscribe: o.subscribe ?? ['*'] }],
      storage: {
        roll_by_clock: true,
        roll_grace_ms: 1000,
        sync_interval_ms: 0,
        initial_capacity_ticks: 2500,
        prepare_files: o.prepare ?? true,
      },
      bars: { enabled: o.bars ?? false },
      log: { level: 'silent' },
      sessions: coveredSessionsFile(),
    },
    'test',
  );
  const feed = new FakeFeed('fake');
  const rec = o.subscribe
    ? Recorder.open({ config, log: pino({ level: 'silent' }), now: () => clock.ms, rollCheckMs: 20 })
    : Recorder.start({ config, log: pino({ level: 'silent' }), feeds: [feed], now: () => clock.ms, rollCheckMs: 20 });
  return { rec, feed };
}

describe('prepared files (storage.prepare_files)', () => {
  it("after the day's roll, the next trading day's files exist before the open, sized from the day; the open's ticks go into them", async () => {
    const root = tempDir();
    const clock = { ms: cst(2025, 1, 6, 21, 0, 30) };
    const { rec, feed } = start(root, clock);
    // trading day 20250107: the night of the 6th, then nothing more until the day ends
    for (let i = 0; i < 30; i++) feed.tick(nightTick('rb2505', i, 20250106, 20250107));
    feed.tick(nightTick('cu2503', 0, 20250106, 20250107));
    expect(rec.stats().ticksWritten).toBe(31);
    const rb = rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505');
    const cu = rtFilePath(root, TICK_KIND, 'SHFE', 'cu2503');
    const inoDay1 = fs.statSync(rb).ino;

    // 20:05 on the 7th: trading day 20250108 has begun (day_starts 20:00), the files of
    // 20250107 are set aside, and those of 20250108 (whose night opens at 21:00) are made
    clock.ms = cst(2025, 1, 7, 20, 5);
    await waitFor('the finished day set aside', () => fs.existsSync(rtFinishedPath(root, TICK_KIND, 'SHFE', 20250107, 'rb2505')));
    await waitFor('the next day prepared', () => fs.existsSync(rb) && fs.existsSync(cu));
    expect(diskHeader(rb)).toMatchObject({ date: 20250108, size: 0, capacity: firstCapacity(2500, 30) });
    expect(diskHeader(cu)).toMatchObject({ date: 20250108, size: 0, capacity: FIRST_CAPACITY_MIN });
    expect(fs.statSync(rb).ino).not.toBe(inoDay1);
    const inoPrepared = fs.statSync(rb).ino;
    expect(rec.stats().openFiles).toBe(2); // made and mapped: the open's first ticks only append

    // the night open of 20250108: the first ticks append to the prepared files
    clock.ms = cst(2025, 1, 7, 21, 0, 5);
    for (let i = 0; i < 5; i++) feed.tick(nightTick('rb2505', i, 20250107, 20250108));
    // a late tick of the finished day is refused, not written into the prepared file
    feed.tick(nightTick('cu2503', 1, 20250106, 20250107));
    expect(rec.stats().ticksWritten).toBe(36);
    await rec.stop();
    expect(fs.statSync(rb).ino).toBe(inoPrepared);
    const r = RtReader.open(rb);
    try {
      expect(r.length).toBe(5);
      expect(r.date).toBe(20250108);
      expect(r.get(0)['trading_date']).toBe(20250108);
    } finally {
      r.close();
    }
    expect(diskHeader(cu)).toMatchObject({ date: 20250108, size: 0 });
  });

  it("with bars on: each prepared tick file gets its bar files beside it; a new instrument's bar files are made after its first tick, before its first bar closes", async () => {
    const root = tempDir();
    const clock = { ms: cst(2025, 1, 7, 20, 30) };
    const { rec, feed } = start(root, clock, { subscribe: ['SHFE.al2503'], bars: true });
    const bars = (code: string) => [MIN1_KIND, MIN5_KIND].map((k) => rtFilePath(root, k, 'SHFE', code));
    await waitFor('the bar files prepared beside the tick file', () => bars('al2503').every((f) => fs.existsSync(f)));
    for (const f of bars('al2503')) expect(diskHeader(f)).toMatchObject({ date: 20250108, size: 0 });
    await rec.stop();

    // a recorder taking every instrument ("*"): rb2505 is new at the night open
    const root2 = tempDir();
    const clock2 = { ms: cst(2025, 1, 7, 21, 0, 1) };
    const two = start(root2, clock2, { bars: true });
    two.feed.tick(nightTick('rb2505', 0, 20250107, 20250108));
    const bars2 = [MIN1_KIND, MIN5_KIND].map((k) => rtFilePath(root2, k, 'SHFE', 'rb2505'));
    await waitFor('its bar files made in the background', () => bars2.every((f) => fs.existsSync(f)));
    const ino = fs.statSync(bars2[0]!).ino;
    expect(diskHeader(bars2[0]!)).toMatchObject({ date: 20250108, size: 0 }); // no bar closed yet
    // the minute ends (and its grace): the bar goes into that file
    clock2.ms = cst(2025, 1, 7, 21, 1, 10);
    await waitFor('the first bar closed', () => diskHeader(bars2[0]!).size === 1);
    expect(fs.statSync(bars2[0]!).ino).toBe(ino);
    await two.rec.stop();
    void feed;
  });

  it('prepares the tick files of instruments named in a subscription list, at the smallest size, and nothing with prepare_files off', async () => {
    const root = tempDir();
    const clock = { ms: cst(2025, 1, 7, 20, 30) };
    const { rec } = start(root, clock, { subscribe: ['SHFE.al2503', 'SHFE.rb2505'] });
    const al = rtFilePath(root, TICK_KIND, 'SHFE', 'al2503');
    await waitFor(
      'subscribed instruments prepared',
      () => fs.existsSync(al) && fs.existsSync(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505')),
    );
    expect(diskHeader(al)).toMatchObject({ date: 20250108, size: 0, capacity: FIRST_CAPACITY_MIN });
    // the instrument's metadata is in the root before its first tick (not written on the hot path)
    expect(fs.existsSync(instrumentMetaPath(root, 'SHFE', 'al2503'))).toBe(true);
    await rec.stop();

    // Friday 20:30: Monday's trading day has begun for the night session (day_starts 20:00)
    const friday = tempDir();
    const fri = start(friday, { ms: cst(2025, 1, 10, 20, 30) }, { subscribe: ['SHFE.al2503', 'BINANCE.BTCUSDT'] });
    const alLive = rtFilePath(friday, TICK_KIND, 'SHFE', 'al2503');
    const btcLive = rtFilePath(friday, TICK_KIND, 'BINANCE', 'BTCUSDT');
    await waitFor('Monday prepared on Friday evening', () => fs.existsSync(alLive) && fs.existsSync(btcLive));
    expect([diskHeader(alLive).date, diskHeader(btcLive).date]).toEqual([20250113, 20250110]);
    await fri.rec.stop();
    // on a Saturday nothing is prepared: crypto (a 24-hour session) trades under Saturday's
    // date, and a file of a later day would make its ticks look late; day sessions wait for Monday
    const weekend = tempDir();
    const sat = start(weekend, { ms: cst(2025, 1, 11, 9, 0) }, { subscribe: ['CFFEX.IF2503', 'BINANCE.BTCUSDT', 'SHFE.al2503'] });
    await new Promise((r) => setTimeout(r, 500));
    await sat.rec.stop();
    expect(fs.existsSync(path.join(weekend, 'rt'))).toBe(false);

    const root2 = tempDir();
    const off = start(root2, clock, { subscribe: ['SHFE.al2503'], prepare: false });
    await new Promise((r) => setTimeout(r, 300));
    await off.rec.stop();
    expect(fs.existsSync(rtFilePath(root2, TICK_KIND, 'SHFE', 'al2503'))).toBe(false);
  });
});

// The monitor's snapshot and update JSON against an in-process Recorder: rows, diffs, file sizes, alerts, compaction summary, and no secret or config value.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Monitor, type MonitorMessage } from '../../src/monitor/index.js';
import { PAGE_HTML } from '../../src/monitor/page.js';
import { writeCursorFile } from '../../src/bus/cursor.js';
import { busCursorPath } from '../../src/layout/index.js';
import { acquireCompactLock } from '../../src/compact/index.js';
import { TICK_KIND, rtFileBytes } from '../../src/format/index.js';
import { freePort, removeTempDirs, shfeTick, startRecorder, waitFor, type TestRecorder } from './helpers.js';

const T0 = 1_736_168_400_000; // 2025-01-06 21:00:00 Asia/Shanghai, a whole second
const started: TestRecorder[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) await r.stop();
  removeTempDirs();
});

function recorderWithClock(root?: string) {
  const clock = { ms: T0 };
  const r = startRecorder({ now: () => clock.ms, ...(root ? { root } : {}) });
  started.push(r);
  return { ...r, clock };
}

const row = (m: MonitorMessage, id: string) => m.instruments.find((r) => r.id === id);

describe('Monitor snapshot', () => {
  it('lists each instrument with its last price and time, counts, ticks/s, file size and lag', () => {
    const { rec, feed, root, clock } = recorderWithClock();
    for (let i = 0; i < 30; i++) {
      clock.ms = T0 + Math.floor(i / 3) * 1000 + 100; // 3 ticks in each of 10 seconds
      feed.tick(shfeTick('rb2505', i));
      if (i % 3 === 0) feed.tick(shfeTick('cu2505', i, 70000 + i));
    }
    clock.ms = T0 + 10_000;
    const m = new Monitor(rec, { now: () => clock.ms, fileSampleMs: 0 });
    m.sample();
    const s = m.snapshot();
    expect(s.type).toBe('snapshot');
    expect(s.nowMs).toBe(T0 + 10_000);
    expect(s.totals.ticksWritten).toBe(40);
    expect(s.totals.instruments).toBe(2);
    const rb = row(s, 'SHFE.rb2505')!;
    expect(rb).toMatchObject({
      ex: 'SHFE',
      code: 'rb2505',
      ticks: 30,
      trades: 0,
      tradingDate: 20250107,
      date: 20250106,
      time: shfeTick('rb2505', 29).action_time,
    });
    expect(rb.price).toBe(shfeTick('rb2505', 29).price);
    expect(rb.utcOffsetMin).toBe(480); // SHFE's session zone, Asia/Shanghai
    expect(rb.publishedMs).toBe(T0 + 9100);
    expect(rb.rate).toBe(3);
    expect(rb.fileBytes).toBe(fs.statSync(path.join(root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb')).size);
    // lag: the recorder's clock minus the exchange time 21:00:14.5 of tick 29
    expect(rb.lagMs).toBe(T0 + 9100 - (T0 + 14_500));
    const cu = row(s, 'SHFE.cu2505')!;
    expect(cu.ticks).toBe(10);
    expect(cu.rate).toBe(1);
    expect(cu.price).toBe(70027);
    expect(s.feeds).toEqual([
      {
        name: 'fake',
        state: 'up',
        reconnects: 0,
        messages: 40,
        lastMessageAgeMs: expect.any(Number) as unknown,
        waitingForFrontMs: null,
        cause: null,
      },
    ]);
    expect(s.alerts).toEqual([]);
    expect(s.disk.freeBytes).toBeGreaterThan(0);
    expect(s.disk.liveBytes).toBeGreaterThan(0);
    expect(s.compaction.state).toBe('none');
  });

  it('an update carries only the rows that changed since the previous update', () => {
    const { rec, feed, clock } = recorderWithClock();
    clock.ms = T0 + 500;
    feed.tick(shfeTick('rb2505', 0));
    feed.tick(shfeTick('cu2505', 0));
    const m = new Monitor(rec, { now: () => clock.ms, fileSampleMs: 60_000 });
    expect(
      m
        .update()
        .instruments.map((r) => r.id)
        .sort(),
    ).toEqual(['SHFE.cu2505', 'SHFE.rb2505']);
    expect(m.update().instruments).toEqual([]);
    feed.tick(shfeTick('rb2505', 1, 3600));
    const u = m.update();
    expect(u.type).toBe('update');
    expect(u.instruments.map((r) => r.id)).toEqual(['SHFE.rb2505']);
    expect(u.instruments[0]!.price).toBe(3600);
    expect(u.totals.ticksWritten).toBe(3);
    // the rate changes as the clock moves on with no tick: the row is sent again, until it is 0
    clock.ms = T0 + 2000;
    expect(
      m
        .update()
        .instruments.map((r) => r.id)
        .sort(),
    ).toEqual(['SHFE.cu2505', 'SHFE.rb2505']);
    clock.ms = T0 + 20_000;
    expect(m.update().instruments.every((r) => r.rate === 0)).toBe(true);
    expect(m.update().instruments).toEqual([]);
  });

  it('ticks today include those already in the live file when the recorder restarts', async () => {
    const first = recorderWithClock();
    for (let i = 0; i < 20; i++) first.feed.tick(shfeTick('rb2505', i));
    await first.stop();
    started.splice(started.indexOf(first), 1);
    const second = recorderWithClock(first.root);
    for (let i = 20; i < 25; i++) second.feed.tick(shfeTick('rb2505', i));
    const m = new Monitor(second.rec, { now: () => second.clock.ms, fileSampleMs: 0 });
    expect(row(m.snapshot(), 'SHFE.rb2505')!.ticks).toBe(5); // before the file sample
    m.sample();
    expect(row(m.snapshot(), 'SHFE.rb2505')!.ticks).toBe(25);
    second.feed.tick(shfeTick('rb2505', 25));
    expect(row(m.snapshot(), 'SHFE.rb2505')!.ticks).toBe(26);
  });

  it('disk growth is the bytes of records written per minute, not the reserved space of new files and doublings', () => {
    const { rec, feed, clock } = recorderWithClock();
    let wall = 1_000_000;
    const m = new Monitor(rec, { now: () => clock.ms, wallNow: () => wall, fileSampleMs: 0 });
    m.sample();
    expect(m.snapshot().disk.writtenBytesPerMin).toBeNull(); // one sample: not measured yet
    expect(m.snapshot().disk.fullInMs).toBeNull();
    wall += 30_000;
    // A new file of 2,500 records' capacity (1.2 MiB), filled past half: the writer
    // reserves the next doubling ahead. Only the 1,300 records are growth.
    for (let i = 0; i < 1300; i++) feed.tick(shfeTick('rb2505', i));
    m.sample();
    const d = m.snapshot().disk;
    const fileBytes = row(m.snapshot(), 'SHFE.rb2505')!.fileBytes!;
    const used = rtFileBytes(1300, TICK_KIND.recordBytes);
    expect(fileBytes).toBeGreaterThanOrEqual(rtFileBytes(2500, TICK_KIND.recordBytes));
    expect(d.liveBytes).toBe(fileBytes);
    expect(d.reservedBytes).toBe(fileBytes - used);
    expect(d.writtenBytesPerMin).toBe(1300 * TICK_KIND.recordBytes * 2); // in 30 s
    expect(d.fullInMs).toBe(Math.round((d.freeBytes! / d.writtenBytesPerMin!) * 60_000));
    // nothing written for a minute: the rate falls to 0 and "full in" is unknown, however the files grew
    for (let k = 0; k < 61; k++) {
      wall += 1000;
      m.sample();
    }
    expect(m.snapshot().disk.writtenBytesPerMin).toBe(0);
    expect(m.snapshot().disk.fullInMs).toBeNull();
  });

  it('instrument times carry the UTC offset of their exchange (a crypto exchange is UTC)', () => {
    const { rec, feed, clock } = recorderWithClock();
    feed.tick(shfeTick('rb2505', 0));
    feed.tick({
      exchg: 'BINANCE',
      code: 'BTCUSDT',
      price: 95000,
      total_volume: 1,
      trading_date: 20250106,
      action_date: 20250106,
      action_time: 130000000,
    });
    const s = new Monitor(rec, { now: () => clock.ms, fileSampleMs: 0 }).snapshot();
    expect(row(s, 'SHFE.rb2505')!.utcOffsetMin).toBe(480);
    expect(row(s, 'BINANCE.BTCUSDT')!.utcOffsetMin).toBe(0);
  });

  it('says which clock is which: nowMs the recorder clock, wallMs the wall clock, simulatedClock when they differ by design', () => {
    const { rec, clock } = recorderWithClock();
    const sim = new Monitor(rec, { now: () => clock.ms, fileSampleMs: 0 }).snapshot();
    expect(sim.simulatedClock).toBe(true);
    expect(sim.nowMs).toBe(T0);
    expect(Math.abs(sim.wallMs - Date.now())).toBeLessThan(60_000);
    expect(new Monitor(rec, { fileSampleMs: 0 }).snapshot().simulatedClock).toBe(false);
    expect(new Monitor(rec, { now: Date.now, fileSampleMs: 0 }).snapshot().simulatedClock).toBe(false);
    expect(new Monitor(rec, { now: () => Date.now(), simulatedClock: false, fileSampleMs: 0 }).snapshot().simulatedClock).toBe(false);
  });

  it('a feed that is down: the banner and the feed row give its cause, without the address status shows', () => {
    const { rec, feed } = recorderWithClock();
    feed.state = 'down';
    feed.reconnects = 2;
    feed.lastError = 'connect ECONNREFUSED 10.1.2.3:41234; connection failed (code 1006)';
    const s = new Monitor(rec, { fileSampleMs: 0 }).snapshot();
    expect(s.feeds[0]!.cause).toBe('connect ECONNREFUSED <address>; connection failed (code 1006)');
    expect(s.alerts[0]!.text).toBe(
      'Feed fake is down (down, 2 reconnects, no message yet): connect ECONNREFUSED <address>; connection failed (code 1006) (`tickrec status` shows the full error)',
    );
    expect(JSON.stringify(s)).not.toContain('10.1.2.3');
    expect(JSON.stringify(s)).not.toContain('41234');
    feed.state = 'up'; // an old error of a feed that is up again is not a cause
    expect(new Monitor(rec, { fileSampleMs: 0 }).snapshot().feeds[0]!.cause).toBeNull();
  });

  it('alerts: a feed that is not up, a silent feed, a nearly full disk, a failed compaction', async () => {
    const { rec, feed, root } = recorderWithClock();
    feed.state = 'down';
    feed.reconnects = 3;
    let m = new Monitor(rec, { fileSampleMs: 0 });
    let a = m.snapshot().alerts;
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ level: 'error', kind: 'feed', feed: 'fake' });
    expect(a[0]!.text).toMatch(/^Feed fake is down \(down, 3 reconnects, no message yet\)$/);
    feed.state = 'up';
    feed.lastMessageMs = Date.now() - 120_000;
    a = m.snapshot().alerts;
    expect(a).toEqual([
      { level: 'warn', kind: 'feed', feed: 'fake', text: expect.stringMatching(/^Feed fake is silent: no message for 12\d s$/) as unknown },
    ]);
    feed.lastMessageMs = Date.now();
    m = new Monitor(rec, { diskLowBytes: Number.MAX_SAFE_INTEGER, fileSampleMs: 0 });
    a = m.snapshot().alerts;
    expect(m.snapshot().disk.low).toBe(true);
    expect(a).toEqual([{ level: 'error', kind: 'disk', text: expect.stringMatching(/^Disk nearly full: [\d.]+ \w+ free$/) as unknown }]);
    fs.mkdirSync(path.join(root, 'compact'));
    fs.writeFileSync(path.join(root, 'compact', 'last.json'), JSON.stringify({ ok: false }));
    m = new Monitor(rec, { fileSampleMs: 0 });
    m.sample();
    await waitFor('the compaction summary', () => m.snapshot().compaction.state === 'ok');
    expect(m.snapshot().alerts).toEqual([{ level: 'warn', kind: 'compaction', text: 'The last compaction failed' }]);
  });
});

describe('bus publisher lag', () => {
  it('shows the cursor lag of each publisher from its cursor file, and alerts when it is behind and does not move', () => {
    const { rec, feed, root, clock } = recorderWithClock();
    for (let i = 0; i < 10; i++) feed.tick(shfeTick('rb2505', i));
    for (let i = 0; i < 4; i++) feed.tick(shfeTick('cu2505', i, 70000 + i));
    let m = new Monitor(rec, { now: () => clock.ms, fileSampleMs: 0 });
    m.sample();
    expect(m.snapshot().bus).toEqual([]); // no publisher ever ran on this root
    const date = 20250107;
    const write = (updatedMs: number) =>
      writeCursorFile(busCursorPath(root, 'TICKREC'), {
        version: 1,
        stream: 'TICKREC',
        prefix: 'tickrec',
        updatedMs,
        cursors: { 'tick/SHFE/rb2505': { date, file: 0, index: 7, ended: false } }, // cu2505 not started yet
      });
    write(Date.now());
    m = new Monitor(rec, { now: () => clock.ms, fileSampleMs: 0 });
    m.sample();
    expect(m.snapshot().bus).toEqual([
      { stream: 'TICKREC', lagRecords: 3 + 4, filesBehind: 2, lagSeconds: expect.any(Number), cursorAgeMs: expect.any(Number) },
    ]);
    expect(m.snapshot().alerts).toEqual([]);
    write(Date.now() - 120_000);
    m = new Monitor(rec, { now: () => clock.ms, fileSampleMs: 0 });
    m.sample();
    expect(m.snapshot().alerts).toEqual([
      {
        level: 'warn',
        kind: 'bus',
        text: expect.stringMatching(/^Publisher to TICKREC is behind by 7 records and has not moved for 12\d s$/),
      },
    ]);
  });
});

describe('last compaction summary', () => {
  async function summary(root: string, rec: TestRecorder['rec']) {
    const m = new Monitor(rec, { fileSampleMs: 0 });
    m.sample();
    await new Promise((r) => setTimeout(r, 0));
    return waitFor('the summary read', () => {
      const c = m.snapshot().compaction;
      return c.state !== 'none' || !fs.existsSync(path.join(root, 'compact', 'last.json')) ? c : undefined;
    });
  }

  it('"none" without a file, every field when present', async () => {
    const { rec, root } = recorderWithClock();
    expect((await summary(root, rec)).state).toBe('none');
    fs.mkdirSync(path.join(root, 'compact'));
    const full = {
      finishedAt: '2025-01-07T16:05:00.000Z',
      days: 2,
      files: 4000,
      bytesIn: 1_000_000,
      bytesOut: 250_000,
      ratio: 4,
      seconds: 12.5,
      ok: true,
    };
    fs.writeFileSync(path.join(root, 'compact', 'last.json'), JSON.stringify(full));
    expect(await summary(root, rec)).toEqual({ state: 'ok', dayList: [], runningSince: null, ...full });
  });

  it('a compaction running now: runningSince from the live holder of compact.lock, null once it is released', async () => {
    const { rec, root } = recorderWithClock();
    const before = Date.now();
    const lock = acquireCompactLock(root);
    try {
      const m = new Monitor(rec, { fileSampleMs: 0 });
      m.sample();
      const since = await waitFor('the running compaction', () => m.snapshot().compaction.runningSince);
      expect(Date.parse(since)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(since)).toBeLessThanOrEqual(Date.now());
      expect(m.snapshot().compaction.state).toBe('none'); // no summary of a finished run yet
    } finally {
      lock.release();
    }
    expect((await summary(root, rec)).runningSince).toBeNull();
  });

  it('tolerates missing, mistyped and hostile fields and never passes free text on', async () => {
    const { rec, root } = recorderWithClock();
    fs.mkdirSync(path.join(root, 'compact'));
    const hostile = {
      finishedAt: '<img src=x onerror=alert(1)>',
      days: ['20250106', '../../etc', 20250107, '<b>'],
      files: 'many',
      bytesIn: null,
      ratio: '4',
      error: '<script>alert(1)</script> /secret/path',
      extra: { nested: true },
    };
    fs.writeFileSync(path.join(root, 'compact', 'last.json'), JSON.stringify(hostile));
    const c = await summary(root, rec);
    expect(c).toEqual({
      state: 'ok',
      finishedAt: null,
      runningSince: null,
      days: 4,
      dayList: ['20250106', '20250107'],
      files: null,
      bytesIn: null,
      bytesOut: null,
      ratio: null,
      seconds: null,
      ok: null,
    });
    const json = JSON.stringify(c);
    for (const bad of ['<', 'alert', 'secret', 'etc']) expect(json).not.toContain(bad);
    fs.writeFileSync(path.join(root, 'compact', 'last.json'), '{ not json');
    expect((await summary(root, rec)).state).toBe('unreadable');
    fs.writeFileSync(path.join(root, 'compact', 'last.json'), '[1,2]');
    expect((await summary(root, rec)).state).toBe('unreadable');
  });
});

describe('no secret and no config value reaches the snapshot or the page', () => {
  it('a feed URL with ?token=SECRET, userinfo and a secret header: only the feed name and state appear', async () => {
    const port = await freePort(); // nothing listens: the feed fails to connect and keeps an error
    const url = `ws://alice:PW_SECRET_1@127.0.0.1:${port}/stream?token=SECRET_TOKEN_2&signature=SIG_SECRET_3&x=1`;
    const r = startRecorder({
      feedsFromConfig: true,
      feeds: [
        {
          type: 'websocket',
          name: 'exchange-a',
          url,
          format: 'tickrec',
          headers: { Authorization: 'Bearer HEADER_SECRET_4' },
          reconnect_min_ms: 20,
          reconnect_max_ms: 50,
        },
      ],
    });
    started.push(r);
    await waitFor('a failed connection attempt', () => r.rec.stats().feeds[0]!.lastError !== '');
    // the recorder's own stats carry the redacted URL and the error; the monitor must not
    expect(JSON.stringify(r.rec.stats())).toContain(String(port));
    const m = new Monitor(r.rec, { fileSampleMs: 0 });
    m.sample();
    const json = JSON.stringify([m.snapshot(), m.update()]);
    for (const secret of ['PW_SECRET_1', 'SECRET_TOKEN_2', 'SIG_SECRET_3', 'HEADER_SECRET_4', 'alice', 'Bearer'])
      expect(json).not.toContain(secret);
    // 'tickrec' is the feed's format; the banner's pointer to `tickrec status` is the product's name
    const withoutHint = json.replaceAll('`tickrec status`', '');
    for (const configValue of [String(port), '127.0.0.1', 'ws://', '/stream', r.root, 'tickrec'])
      expect(withoutHint).not.toContain(configValue);
    const snap = m.snapshot();
    expect(snap.feeds.map((f) => f.name)).toEqual(['exchange-a']);
    // the cause is there, in the feed's words, without where it connects
    expect(snap.alerts[0]!.text).toMatch(/^Feed exchange-a is down \(.*\): .*ECONNREFUSED <address>/);
    expect(snap.feeds[0]!.cause).toMatch(/ECONNREFUSED <address>/);
    for (const s of ['SECRET', 'alice', String(port), r.root]) expect(PAGE_HTML).not.toContain(s);
  });

  it('rejection details (hostile input) are left out: only reasons and counts', () => {
    const { rec, feed } = recorderWithClock();
    feed.sink!.reject('bad_name', `code '<img src=x onerror=alert(1)>'`);
    feed.sink!.reject('bad_name', 'code "../../x"');
    feed.tick({ ...shfeTick('rb2505', 0), code: '../../x' });
    const s = new Monitor(rec).snapshot();
    expect(s.rejected).toEqual([{ reason: 'bad_name', count: 3 }]);
    const json = JSON.stringify(s);
    expect(json).not.toContain('<img');
    expect(json).not.toContain('../');
  });
});

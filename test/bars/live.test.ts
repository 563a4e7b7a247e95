// LiveBars with a real writer pool: bars in rt/min1..min60, closed-event files followed by a reader, stop, and recovery after a crash (also as a property against the offline rebuild).

import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LiveBars,
  followBarsClosed,
  isBarKind,
  readBarsClosed,
  type BarKindName,
  type BarPeriod,
  type BarsClosedEvent,
} from '../../src/bars/index.js';
import { MIN15_KIND, MIN1_KIND, TICK_KIND, TickrecBlockType } from '../../src/format/index.js';
import type { TickRecord } from '../../src/recorder/normalize.js';
import { WriterPool } from '../../src/store/index.js';

import { diskHeader, makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { barsInFiles, rebuiltBars } from './helpers/root.js';
import { INSTRUMENTS, STARTS, stepArb, ticksOf, timerNows } from './helpers/streams.js';
import { bar, bundledSessions, shanghai, tick } from './helpers/ticks.js';
import { barsClosedPath } from '../../src/layout/index.js';

afterAll(removeTempDirs);

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return expect.fail('expected an error, none was thrown');
}

/** What the recorder does: a pool over the root, LiveBars recovered; write() = the tick write, then the bars. */
function start(root: string, periods: BarPeriod[] = [1, 5], nowMs = 0) {
  const problems: string[] = [];
  const pool = new WriterPool(root, { maxOpenFiles: 64, initialCapacity: {} });
  pool.scan();
  const bars = new LiveBars({ root, pool, sessions: bundledSessions(), periods, onProblem: (m) => problems.push(m) });
  const recovery = bars.recover(nowMs);
  const write = (t: TickRecord, alsoBars = true) => {
    expect(pool.append(TICK_KIND, t.exchg, t.code, t.trading_date, t)).toBe(true);
    if (alsoBars) bars.onTick(t);
  };
  return { pool, bars, write, problems, recovery };
}

const IF = (t: number, p: number, date = 20250106, code = 'IF2503') =>
  tick({ exchg: 'CFFEX', code, trading_date: date, action_date: date, action_time: t, price: p, volume: 1, open_interest: 7 });

describe('closed-event files', () => {
  it('a session name that fails the name rule cannot name a file', () => {
    for (const bad of ['../x', '', '.', 'a/b', '_x'])
      expect(errorOf(() => barsClosedPath('/r', bad))).toMatch(/cannot name a closed-event file/);
    expect(barsClosedPath('/r', 'SD0930')).toBe(path.join('/r', 'rt', 'closed', 'SD0930.dmb'));
  });

  it('bar kinds are the kinds whose day roll waits rollDelayMs', () => {
    expect(isBarKind(MIN1_KIND)).toBe(true);
    expect(isBarKind(MIN15_KIND)).toBe(true);
    expect(isBarKind(TICK_KIND)).toBe(false);
  });
});

describe('LiveBars with a writer pool', () => {
  it('writes bars into rt/min1, rt/min5, rt/min15 and closed events a reader follows live', async () => {
    const root = makeTempDir('tickrec-bars-live-');
    const { bars, write, pool, problems } = start(root, [1, 5, 15]);
    const seen: BarsClosedEvent[] = [];
    let done!: () => void;
    const got = new Promise<void>((r) => (done = r));
    const f = followBarsClosed(root, 'SD0930', (ev) => {
      seen.push(ev);
      if (ev.time === 3501060935) {
        done();
        return false;
      }
    });
    write(IF(93010000, 10)); // → 09:31
    write(IF(93120000, 11)); // → 09:32, closes 09:31
    bars.onTimer(shanghai(20250106, 93203000)); // closes 09:32
    bars.onTimer(shanghai(20250106, 93503000)); // closes the 5-minute 09:35
    await got;
    await f.done;
    expect(seen).toEqual([
      { session: 'SD0930', date: 20250106, time: 3501060932 },
      { session: 'SD0930', date: 20250106, time: 3501060935 },
    ]);
    expect(barsInFiles(root, 'min1', 'CFFEX', 'IF2503')).toEqual([
      bar(20250106, 3501060931, 10, 10, 10, 10, 1, 100, 7, 0),
      bar(20250106, 3501060932, 11, 11, 11, 11, 1, 100, 7, 0),
    ]);
    expect(barsInFiles(root, 'min5', 'CFFEX', 'IF2503')).toEqual([bar(20250106, 3501060935, 10, 11, 10, 11, 2, 200, 7, 0)]);
    expect(barsInFiles(root, 'min15', 'CFFEX', 'IF2503')).toEqual([]); // 09:45 still open
    bars.onTimer(shanghai(20250106, 94503000));
    expect(barsInFiles(root, 'min15', 'CFFEX', 'IF2503')).toEqual([bar(20250106, 3501060945, 10, 11, 10, 11, 2, 200, 7, 0)]);
    expect(diskHeader(path.join(root, 'rt', 'min15', 'CFFEX', 'IF2503.dmb'))).toMatchObject({
      type: TickrecBlockType.RT_MIN15,
      date: 20250106,
    });
    expect(readBarsClosed(barsClosedPath(root, 'SD0930')).map((e) => e.time)).toEqual([3501060932, 3501060935, 3501060945]);
    bars.stop(shanghai(20250106, 94600000));
    pool.closeAll();
    expect(problems).toEqual([]);
  });

  it('rolls a closed-event file when its trading day is over by the clock, and on the first event of a later day', () => {
    const root = makeTempDir('tickrec-bars-roll-');
    const { bars, write, pool } = start(root, [1]);
    write(IF(145900000, 1, 20250103)); // Friday → 15:00
    bars.onTimer(shanghai(20250103, 150003000));
    const live = barsClosedPath(root, 'SD0930');
    expect(readBarsClosed(live).map((e) => [e.date, e.time])).toEqual([[20250103, 3501031500]]);
    bars.onTimer(shanghai(20250103, 235959000));
    expect(fs.existsSync(live)).toBe(true);
    bars.onTimer(shanghai(20250104, 10000)); // Saturday 00:00:10: past midnight + rollDelayMs
    expect(fs.existsSync(live)).toBe(false);
    expect(readBarsClosed(path.join(root, 'rt', 'closed', '20250103', 'SD0930.dmb')).map((e) => e.time)).toEqual([3501031500]);
    write(IF(93000000, 2, 20250106)); // Monday
    bars.onTimer(shanghai(20250106, 93103000));
    expect(readBarsClosed(live).map((e) => [e.date, e.time])).toEqual([[20250106, 3501060931]]);
    bars.stop(shanghai(20250106, 93200000));
    pool.closeAll();
    // after a restart, a live file whose writer is not open rolls by the clock too
    const again = start(root, [1], shanghai(20250106, 100000000));
    expect(fs.existsSync(live)).toBe(true);
    again.bars.onTimer(shanghai(20250107, 10000));
    expect(fs.existsSync(live)).toBe(false);
    expect(readBarsClosed(path.join(root, 'rt', 'closed', '20250106', 'SD0930.dmb')).map((e) => e.time)).toEqual([3501060931]);
    again.pool.closeAll();
  });

  it('stop() publishes the bars whose minute is over and keeps the current one, which the next start recovers', () => {
    const root = makeTempDir('tickrec-bars-stop-');
    let r = start(root, [1, 5]);
    r.write(IF(145830000, 1)); // → 14:59
    r.write(IF(145958000, 2)); // → 15:00, closes 14:59
    r.bars.stop(shanghai(20250106, 145959000)); // 15:00 is not over
    r.pool.closeAll();
    expect(barsInFiles(root, 'min1', 'CFFEX', 'IF2503').map((b) => b.time)).toEqual([3501061459]);
    r = start(root, [1, 5], shanghai(20250106, 150100000));
    expect(r.recovery).toEqual({ instruments: 1, ticksReplayed: 1, problems: 0 });
    r.bars.onTimer(shanghai(20250106, 150103000));
    expect(barsInFiles(root, 'min1', 'CFFEX', 'IF2503')).toEqual([
      bar(20250106, 3501061459, 1, 1, 1, 1, 1, 100, 7, 0),
      bar(20250106, 3501061500, 2, 2, 2, 2, 1, 100, 7, 0),
    ]);
    expect(barsInFiles(root, 'min5', 'CFFEX', 'IF2503')).toEqual([bar(20250106, 3501061500, 1, 2, 1, 2, 2, 200, 7, 0)]);
    r.bars.stop(shanghai(20250106, 150200000));
    // a stop after the end publishes the last bar at once
    r.write(IF(93000000, 3, 20250107));
    r.bars.stop(shanghai(20250107, 93101000));
    r.pool.closeAll();
    expect(barsInFiles(root, 'min1', 'CFFEX', 'IF2503').map((b) => b.time)).toEqual([3501061459, 3501061500, 3501070931]);
  });

  it('after a crash in the middle of a minute, the open 1- and 5-minute bars are rebuilt from the tick file', () => {
    const ticks = [IF(100010000, 5), IF(100120000, 6), IF(100230000, 4), IF(100240000, 8), IF(100310000, 7), IF(100600000, 9)];
    const whole = makeTempDir('tickrec-bars-whole-');
    const a = start(whole);
    for (const t of ticks) a.write(t);
    a.bars.onTimer(shanghai(20250106, 110000000));
    a.pool.closeAll();
    const crashed = makeTempDir('tickrec-bars-crash-');
    let b = start(crashed);
    for (const t of ticks.slice(0, 3)) b.write(t);
    b.write(ticks[3]!, false); // killed after the tick was written, before its bar
    b.pool.closeAll(); // (kill -9 keeps the published records: they are in the page cache)
    b = start(crashed, [1, 5], shanghai(20250106, 100245000));
    expect(b.recovery).toMatchObject({ instruments: 1, ticksReplayed: 2, problems: 0 }); // from 10:02:00, after the last bar (10:02)
    for (const t of ticks.slice(4)) b.write(t);
    b.bars.onTimer(shanghai(20250106, 110000000));
    b.pool.closeAll();
    for (const k of ['min1', 'min5'] as const)
      expect(barsInFiles(crashed, k, 'CFFEX', 'IF2503'), k).toEqual(barsInFiles(whole, k, 'CFFEX', 'IF2503'));
    expect(barsInFiles(whole, 'min5', 'CFFEX', 'IF2503')).toEqual([
      bar(20250106, 3501061005, 5, 8, 4, 7, 5, 500, 7, 0),
      bar(20250106, 3501061010, 9, 9, 9, 9, 1, 100, 7, 0),
    ]);
  });

  it('property: bars in the files equal the bars rebuilt from the tick files, with a crash and restart anywhere', () => {
    const PERIODS: BarPeriod[] = [1, 5, 30];
    const KINDS: BarKindName[] = ['min1', 'min5', 'min30'];
    fc.assert(
      fc.property(
        fc.constantFrom(...STARTS),
        fc.array(stepArb, { minLength: 1, maxLength: 80 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (startAt, steps, crashAt, beforeBars) => {
          const root = makeTempDir('tickrec-bars-pp-');
          const ticks = ticksOf(startAt, steps);
          const crash = Math.floor(crashAt * ticks.length);
          let r = start(root, PERIODS);
          let prev = startAt;
          const events: number[] = [];
          ticks.forEach((t, i) => {
            for (const now of timerNows(prev, t.epoch, r.bars.engine.graceMs, t.timers)) {
              r.bars.onTimer(now);
              prev = now;
            }
            if (i === crash) {
              r.write(t.rec, !beforeBars);
              r.pool.closeAll();
              r = start(root, PERIODS, Math.max(prev, t.epoch));
              expect(r.recovery.problems).toBe(0);
            } else {
              r.write(t.rec);
            }
          });
          r.bars.onTimer(ticks[ticks.length - 1]!.epoch + 10 * 86_400_000);
          r.bars.stop(ticks[ticks.length - 1]!.epoch + 10 * 86_400_000);
          r.pool.closeAll();
          expect(r.problems).toEqual([]);
          for (const { exchg, code } of INSTRUMENTS) {
            for (const k of KINDS)
              expect(barsInFiles(root, k, exchg, code), `${k} ${exchg}.${code}`).toEqual(rebuiltBars(root, k, exchg, code, PERIODS));
          }
          // closed events: increasing, no repeat across the restart
          for (const s of ['FN0230', 'FN2300', 'SD0930', 'UTC24']) {
            const dir = path.join(root, 'rt', 'closed');
            const files = fs.existsSync(dir)
              ? [
                  ...fs
                    .readdirSync(dir)
                    .filter((d) => /^\d{8}$/.test(d))
                    .sort()
                    .map((d) => path.join(dir, d, `${s}.dmb`)),
                  path.join(dir, `${s}.dmb`),
                ]
              : [];
            events.length = 0;
            for (const f of files) if (fs.existsSync(f)) events.push(...readBarsClosed(f).map((e) => e.time));
            for (let i = 1; i < events.length; i++) expect(events[i]!, `${s} events ${events.join(',')}`).toBeGreaterThan(events[i - 1]!);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

// Property: for random tick streams, the bars the live engine builds (ticks one by one, timer calls interleaved) equal the bars rebuilt offline from the tick files RtWriter wrote.

import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BarEngine, rebuildTickFile, type BarKindName, type BarPeriod } from '../../src/bars/index.js';
import { TICK_KIND } from '../../src/format/index.js';
import { RtWriter } from '../../src/store/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { INSTRUMENTS, STARTS, stepArb, ticksOf, timerNows } from './helpers/streams.js';
import { Collector, bundledSessions } from './helpers/ticks.js';

afterAll(removeTempDirs);

const PERIODS: BarPeriod[] = [1, 5, 15, 30, 60];
const KINDS: BarKindName[] = ['min1', 'min5', 'min15', 'min30', 'min60'];

describe('live bars equal offline bars', () => {
  it('for random tick streams with timer calls interleaved (fast-check)', () => {
    const dir = makeTempDir('tickrec-bars-prop-');
    let run = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...STARTS),
        fc.array(stepArb, { minLength: 1, maxLength: 120 }),
        fc.constantFrom(0, 1000, 3000),
        (start, steps, graceMs) => {
          run++;
          const ticks = ticksOf(start, steps);
          // live
          const live = new Collector();
          const engine = new BarEngine({ sessions: bundledSessions(), periods: PERIODS, graceMs, emit: live.emit, barsClosed: () => {} });
          let prev = start;
          for (const t of ticks) {
            for (const now of timerNows(prev, t.epoch, graceMs, t.timers)) {
              engine.onTimer(now);
              prev = now;
            }
            expect(engine.onTick(t.rec)).not.toBe('late');
          }
          engine.onTimer(ticks[ticks.length - 1]!.epoch + 10 * 86_400_000);
          expect(engine.flush(), 'the timer closed every bar').toBe(0);
          // offline, from real tick files
          for (const { exchg, code } of INSTRUMENTS) {
            const mine = ticks.filter((t) => t.rec.exchg === exchg && t.rec.code === code).map((t) => t.rec);
            if (mine.length === 0) continue;
            const file = path.join(dir, String(run), 'rt', 'ticks', exchg, `${code}.dmb`);
            const w = RtWriter.open(file, { kind: TICK_KIND, date: mine[0]!.trading_date, initialCapacity: 4 });
            for (const r of mine) w.append(r);
            w.close();
            const off = rebuildTickFile(file, { sessions: bundledSessions(), periods: PERIODS });
            for (const k of KINDS) expect(live.get(k, exchg, code), `${k} ${exchg}.${code}`).toEqual(off.bars.get(k));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

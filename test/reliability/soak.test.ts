// Short soak (the long one: npm run soak): simulator flow into the recorder, reader processes following random instruments (one stopped across the day roll and the compaction, one started late), a day roll and a compaction in the middle; sent = written = read by each reader, record for record.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, makeTempDir, removeTempDirs, requireBuilt } from '../../scripts/soak/lib.js';
import { runSoak, type SoakReport } from '../../scripts/soak/soak-run.js';

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
});
afterAll(() => removeTempDirs());

describe('soak, short: 40 instruments, 2000 ticks/s for 6 s, 4 readers, a day roll and a compaction in the middle', () => {
  let r: SoakReport;
  beforeAll(async () => {
    // The recorder's clock trails the feed by 3 s: its roll by the clock then never races
    // the feed's last ticks of the day (that race is the next test's subject).
    r = await runSoak({
      dir: makeTempDir('tickrec-rel-soak-'),
      instruments: 40,
      rate: 2000,
      seconds: 6,
      readers: 4,
      seed: 7,
      pauseReader: true,
      lateReader: true,
      compact: true,
      rollByClock: true,
      clockAheadMs: -3000,
    });
  }, 120_000);

  it('every sent tick is written and stored once, in order, field for field, across the roll and the compaction', () => {
    expect(r.match).toMatchObject({ sent: r.sent, stored: r.sent, matched: r.sent, missingBefore: 0, missingInside: 0, missingAfter: 0 });
    expect({ received: r.received, written: r.written, writeErrors: r.writeErrors }).toEqual({
      received: r.sent,
      written: r.sent,
      writeErrors: 0,
    });
    expect(r.match.problems).toEqual([]);
    expect(r.rolls).toBeGreaterThanOrEqual(r.params.instruments);
  });

  it('each reader saw every tick of its instrument once, in order: the followers, the one stopped across the roll and the compaction, the late one', () => {
    expect(r.readers.map((x) => x.role).sort()).toEqual(['behind', 'follower', 'follower', 'late']);
    for (const x of r.readers) {
      expect(x.violations, x.id).toEqual([]);
      expect(x.timedOut, x.id).toBe(false);
      expect(Object.keys(x.byDate).length, `${x.id}: both trading days`).toBe(2);
      for (const [d, e] of Object.entries(x.expected))
        expect(x.byDate[Number(d)], `${x.id} (${x.role}) on ${d}`).toEqual({ count: e.sent, chain: e.chain });
    }
  });

  it('the compaction in the middle and the final one succeed; verify --deep is clean; every rt file is valid; SIGTERM stops the recorder cleanly', () => {
    expect(r.compaction?.code).toBe(0);
    expect(r.finalCompaction.code).toBe(0);
    expect(r.verify.code).toBe(0);
    expect(r.inspectProblems).toEqual([]);
    expect(r.recorderExit).toEqual({ code: 0, signal: null });
    expect(r.problems).toEqual([]);
  });
});

describe('a day roll while the feed trails the recorder clock', () => {
  it('a feed 2 s behind the recorder clock at the UTC midnight roll: no tick of the closing day is lost', async () => {
    // The recorder's roll by the clock (storage.roll_by_clock, on by default) sets the day
    // aside when its clock passes midnight; the feed's last ticks of that day still arrive
    // for as long as it trails (exchange clock skew, network delay, a backlog after a
    // reconnect) and must be stored, not refused.
    const r = await runSoak({
      dir: makeTempDir('tickrec-rel-skew-'),
      instruments: 10,
      rate: 1000,
      seconds: 6,
      readers: 1,
      seed: 3,
      pauseReader: false,
      lateReader: false,
      compact: false,
      rollByClock: true,
      clockAheadMs: 2000,
    });
    expect(r.rejected, 'ticks of the closing day refused as out_of_order').toEqual({});
    expect(r.written).toBe(r.sent);
    expect(r.match.matched).toBe(r.sent);
  }, 120_000);
});

// The day bar compaction appends to his/day: every field as datakit's history writer sets it, `add` the day's change of open interest.

import { afterAll, describe, expect, it } from 'vitest';
import { runCompaction } from '../../src/compact/index.js';

import { BAR, MIN1_KIND, Mem, TICK_KIND } from '../../src/format/index.js';
import { BarHistory, DAY_HIS_KIND } from '../../src/his/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { dayTicks, writeFinished } from './helpers/root.js';
import { hisHistoryPath, TICKREC_HIS_EXT } from '../../src/layout/index.js';

afterAll(removeTempDirs);

describe('day bar (his/day)', () => {
  it("takes add = open_interest - pre_interest of the day's last tick, as datakit's history writer (not its diff_interest)", () => {
    const root = makeTempDir();
    const date = 20250107;
    const ticks = dayTicks({ exchg: 'SHFE', code: 'rb2505', tick: 1, price: 3300 }, date, 40, 7);
    const last: Record<string, unknown> = {
      ...ticks[ticks.length - 1]!,
      open_interest: 1_845_114,
      pre_interest: 1_845_000,
      diff_interest: 11,
    };
    ticks[ticks.length - 1] = last;
    writeFinished(root, TICK_KIND, 'SHFE', 'rb2505', date, ticks);
    expect(runCompaction({ root }).failures).toEqual([]);

    const h = BarHistory.open(hisHistoryPath(root, DAY_HIS_KIND, 'SHFE', 'rb2505', TICKREC_HIS_EXT));
    const bar = MIN1_KIND.codec.decode(new Mem(h.readDay(date)!), 0);
    h.close();
    expect(h.recordCount).toBe(1);
    expect(bar).toMatchObject({
      date,
      time: 0,
      open: last['open'],
      high: last['high'],
      low: last['low'],
      close: last['price'],
      settle: last['settle_price'],
      money: last['total_turnover'],
      vol: last['total_volume'],
      hold: 1_845_114,
      add: 114,
    });
    expect(BAR.size).toBe(88);
  });
});

// CZCE's 3-digit codes end to end through the CTP path: SR505 ticks of trading days in 2015 and 2025, replayed from a capture (mapping, session rule, normalizer, live bars), compacted: the ticks keep datakit's name SR505, the bar histories are one per contract.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayCaptures } from '../../src/cli/ctp.js';
import { runCompaction, verifyRoot } from '../../src/compact/index.js';
import { LAYOUT_65, captureHeader, captureRecord, encodeDepthMarketData } from '../../src/feed/ctp/index.js';
import { BarHistory, hisHistoryFile, hisKindByName } from '../../src/his/index.js';
import { hisHistoryPath } from '../../src/layout/index.js';
import { readBars, readTicks } from '../../src/read/index.js';
import { bundledSessionBook } from '../compact/helpers/sessions.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

/** ns since the epoch of a Shanghai (+08:00) wall-clock time. */
const sh = (d: number, h: number, mi: number, s: number) =>
  BigInt(Date.UTC(Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, d % 100, h - 8, mi, s)) * 1_000_000n;

/** Three SR505 trades of a day session, 10:00:10, 10:00:40, 10:01:10 (CZCE: TradingDay and ActionDay are the calendar day). */
function day(date: number, price: number): [bigint, Record<string, string | number>][] {
  return [10, 40, 70].map((s, i) => [
    sh(date, 10, Math.floor(s / 60), s % 60),
    {
      ExchangeID: 'CZCE',
      InstrumentID: 'SR505',
      TradingDay: String(date),
      ActionDay: String(date),
      UpdateTime: `10:0${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`,
      UpdateMillisec: 0,
      LastPrice: price + i,
      Volume: 10 * (i + 1),
      Turnover: 100 * (price + i) * (i + 1),
      OpenInterest: 1000,
      BidPrice1: price + i - 1,
      BidVolume1: 1,
      AskPrice1: price + i,
      AskVolume1: 1,
    },
  ]);
}

describe('CZCE SR505 of 2015 and of 2025 through the CTP path', () => {
  it('replayed and compacted: ticks under SR505, bars in SR1505.tsb and SR505.tsb, read back per contract', async () => {
    const dir = makeTempDir('tickrec-ctp-czce-');
    const cap = path.join(dir, 'sr505.cap');
    const recs = [...day(20150105, 5000), ...day(20250106, 6000), ...day(20250107, 6100)];
    fs.writeFileSync(
      cap,
      Buffer.concat([captureHeader(LAYOUT_65.bytes), ...recs.map(([t, f]) => captureRecord(t, encodeDepthMarketData(LAYOUT_65, f)))]),
    );
    const root = path.join(dir, 'root');
    const s = await replayCaptures([cap], { root });
    expect(s.rejected).toEqual({});
    expect(s.ticksWritten).toBe(9);
    const c = runCompaction({ root });
    expect(c.failures).toEqual([]);
    const min1 = hisKindByName('min1')!;
    const days = (code: string) => {
      const file = hisHistoryFile(root, min1, 'CZCE', code);
      expect(file, `the min1 history of CZCE.${code}`).toBe(hisHistoryPath(root, min1, 'CZCE', code, '.tsb')); // lz4 (the default): tickrec's name
      const h = BarHistory.open(file!);
      try {
        return h.days().map((d) => d.date);
      } finally {
        h.close();
      }
    };
    expect(days('SR1505')).toEqual([20150105]);
    expect(days('SR505')).toEqual([20250106]);
    const ticks = readTicks({ root, exchange: 'CZCE', code: 'SR505' }).toArray();
    expect(ticks.map((t) => [t.code, t.trading_date])).toEqual([
      ['SR505', 20150105],
      ['SR505', 20150105],
      ['SR505', 20150105],
      ['SR505', 20250106],
      ['SR505', 20250106],
      ['SR505', 20250106],
      ['SR505', 20250107],
      ['SR505', 20250107],
      ['SR505', 20250107],
    ]);
    // Through 20250106: both compacted days (20250107 is the live day, its last bar still open when the replay ends).
    const bars = readBars({ root, exchange: 'CZCE', code: 'SR505', period: 'min1', to: '20250106' }).toArray();
    expect(bars.map((b) => [b.date, b.open, b.vol])).toEqual([
      [20150105, 5000, 20],
      [20150105, 5002, 10],
      [20250106, 6000, 20],
      [20250106, 6002, 10],
    ]);
    expect(verifyRoot({ root, sessions: bundledSessionBook() }).problems.filter((p) => /gap|contracts/.test(p.problem))).toEqual([]);
  });
});

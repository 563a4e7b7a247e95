// The golden capture: a night open (a stale snapshot of SHFE and of DCE, the auction, the first ticks), a spread quote, CZCE turnover in both conventions and a lunch break, written in the capture format, replayed with `tickrec ctp replay`, and compared field by field with hand-computed records; both struct layouts; a torn tail.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayCaptures } from '../../src/cli/ctp.js';
import {
  CTP_DBL_MAX,
  LAYOUT_63,
  LAYOUT_65,
  captureHeader,
  captureRecord,
  decodeDepthMarketData,
  encodeDepthMarketData,
  readCapture,
  type CtpLayout,
} from '../../src/feed/ctp/index.js';
import { REPO_ROOT } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { expectedTick, ten, tickRecords } from './helpers/ticks.js';

afterAll(() => removeTempDirs());

const MAX = CTP_DBL_MAX;
/** ns since the epoch of a Shanghai (+08:00) wall-clock time. */
const sh = (d: number, h: number, mi: number, s: number, ms = 0) =>
  BigInt(Date.UTC(Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, d % 100, h - 8, mi, s, ms)) * 1_000_000n;

type Fields = Record<string, string | number>;

function writeCapture(file: string, layout: CtpLayout, recs: [bigint, Fields][]): void {
  const parts = [captureHeader(layout.bytes), ...recs.map(([t, f]) => captureRecord(t, encodeDepthMarketData(layout, f)))];
  fs.writeFileSync(file, Buffer.concat(parts));
}

const FRI = 20250103;
const MON = 20250106;

// ---- Friday 2025-01-03 evening: the night session of Monday 2025-01-06 (20250103.cap) ----
const rb = (o: Fields): Fields => ({ ExchangeID: 'SHFE', InstrumentID: 'rb2505', TradingDay: '20250106', ActionDay: '20250103', ...o });
const NIGHT: [bigint, Fields][] = [
  // After login, before the open: the previous session's last tick with the NEW TradingDay (SHFE) …
  [
    sh(FRI, 20, 50, 0),
    rb({
      UpdateTime: '15:00:00',
      UpdateMillisec: 0,
      LastPrice: 3480,
      Volume: 500_000,
      Turnover: 17_400_000_000,
      OpenInterest: 1_000_000,
      BidPrice1: 3479,
      BidVolume1: 5,
      AskPrice1: 3481,
      AskVolume1: 6,
    }),
  ],
  // … and DCE's, dated 15:00 of the new trading day.
  [
    sh(FRI, 20, 50, 0, 100),
    {
      ExchangeID: 'DCE',
      InstrumentID: 'm2505',
      TradingDay: '20250106',
      ActionDay: '20250106',
      UpdateTime: '15:00:00',
      LastPrice: 2890,
      Volume: 800_000,
      Turnover: 23_120_000_000,
      OpenInterest: 2_000_000,
    },
  ],
  // The auction result.
  [
    sh(FRI, 20, 59, 0, 300),
    rb({
      UpdateTime: '20:59:00',
      LastPrice: 3500,
      Volume: 1200,
      Turnover: 42_000_000,
      OpenInterest: 1_000_500,
      PreSettlementPrice: 3480,
      PreClosePrice: 3485,
      PreOpenInterest: 1_000_000,
      OpenPrice: 3500,
      HighestPrice: 3500,
      LowestPrice: 3500,
      UpperLimitPrice: 3750,
      LowerLimitPrice: 3200,
      BidPrice1: 3499,
      BidVolume1: 10,
      AskPrice1: 3500,
      AskVolume1: 3,
    }),
  ],
  // The first ticks.
  [
    sh(FRI, 21, 0, 0, 520),
    rb({
      UpdateTime: '21:00:00',
      UpdateMillisec: 500,
      LastPrice: 3505,
      Volume: 1300,
      Turnover: 45_505_000,
      OpenInterest: 1_000_520,
      OpenPrice: 3500,
      HighestPrice: 3505,
      LowestPrice: 3500,
      BidPrice1: 3504,
      BidVolume1: 7,
      AskPrice1: 3505,
      AskVolume1: 2,
      BidPrice2: 3503,
      BidVolume2: 9,
      AskPrice2: 3506,
      AskVolume2: 4,
    }),
  ],
  [
    sh(FRI, 21, 0, 1, 50),
    {
      ExchangeID: 'DCE',
      InstrumentID: 'm2505',
      TradingDay: '20250106',
      ActionDay: '20250106',
      UpdateTime: '21:00:01',
      LastPrice: 2900,
      Volume: 50,
      Turnover: 1_450_000,
      OpenInterest: 300,
      BidPrice1: 2899,
      BidVolume1: 1,
      AskPrice1: 2901,
      AskVolume1: 1,
    },
  ],
  // CZCE as CZCE sends it: Turnover without the multiplier (5800 × 1000 lots).
  [
    sh(FRI, 21, 0, 2, 20),
    {
      ExchangeID: 'CZCE',
      InstrumentID: 'SR505',
      TradingDay: '20250103',
      ActionDay: '20250103',
      UpdateTime: '21:00:02',
      LastPrice: 5800,
      Volume: 1000,
      Turnover: 5_800_000,
      OpenInterest: 500,
      BidPrice1: 5799,
      BidVolume1: 3,
      AskPrice1: 5801,
      AskVolume1: 4,
    },
  ],
  // A spread quote: no LastPrice, a book with negative prices.
  [
    sh(FRI, 21, 0, 3),
    {
      ExchangeID: 'DCE',
      InstrumentID: 'SP m2505&m2509',
      TradingDay: '20250106',
      ActionDay: '20250106',
      UpdateTime: '21:00:03',
      LastPrice: MAX,
      Volume: 0,
      Turnover: 0,
      OpenInterest: 0,
      BidPrice1: -12,
      BidVolume1: 5,
      AskPrice1: -10,
      AskVolume1: 8,
    },
  ],
];
// ---- Monday 2025-01-06, the day session, from a 6.7.1+ ordinary front (20250106.cap) ----
const rbm = (o: Fields): Fields => rb({ ActionDay: '20250106', ...o });
const DAY: [bigint, Fields][] = [
  [
    sh(MON, 9, 0, 0, 600),
    rbm({
      UpdateTime: '09:00:00',
      UpdateMillisec: 500,
      LastPrice: 3510,
      Volume: 1500,
      Turnover: 52_525_000,
      OpenInterest: 1_000_600,
      BidPrice1: 3509,
      BidVolume1: 1,
      AskPrice1: 3510,
      AskVolume1: 2,
    }),
  ],
  // CZCE turnover already multiplied by the front: 58 000 000 + 100 lots × 5810 × 10.
  [
    sh(MON, 9, 0, 1),
    {
      ExchangeID: 'CZCE',
      InstrumentID: 'SR505',
      TradingDay: '20250106',
      ActionDay: '20250106',
      UpdateTime: '09:00:01',
      LastPrice: 5810,
      Volume: 1100,
      Turnover: 63_810_000,
      OpenInterest: 510,
      BidPrice1: 5809,
      BidVolume1: 2,
      AskPrice1: 5811,
      AskVolume1: 1,
    },
  ],
  [
    sh(MON, 11, 29, 59, 500),
    rbm({
      UpdateTime: '11:29:59',
      LastPrice: 3512,
      Volume: 1510,
      Turnover: 52_876_200,
      OpenInterest: 1_000_605,
      BidPrice1: 3511,
      BidVolume1: 1,
      AskPrice1: 3512,
      AskVolume1: 1,
    }),
  ],
  // Lunch: a tick stamped in the break is not a tick of the day.
  [sh(MON, 12, 0, 0), rbm({ UpdateTime: '12:00:00', LastPrice: 3512, Volume: 1510, Turnover: 52_876_200, OpenInterest: 1_000_605 })],
  [
    sh(MON, 13, 30, 0, 700),
    rbm({
      UpdateTime: '13:30:00',
      UpdateMillisec: 500,
      LastPrice: 3515,
      Volume: 1520,
      Turnover: 53_227_700,
      OpenInterest: 1_000_610,
      BidPrice1: 3514,
      BidVolume1: 3,
      AskPrice1: 3515,
      AskVolume1: 3,
    }),
  ],
];

/** Every field of a record not listed is 0 (or ten zeros for the book); the trading date Monday's. */
const rec = (o: Record<string, unknown>) => expectedTick({ trading_date: MON, ...o });

const RB = [
  rec({
    exchg: 'SHFE',
    code: 'rb2505',
    action_date: FRI,
    action_time: 205900000,
    price: 3500,
    open: 3500,
    high: 3500,
    low: 3500,
    upper_limit: 3750,
    lower_limit: 3200,
    total_volume: 1200,
    volume: 1200,
    total_turnover: 42_000_000,
    turn_over: 42_000_000,
    open_interest: 1_000_500,
    diff_interest: 0,
    pre_close: 3485,
    pre_settle: 3480,
    pre_interest: 1_000_000,
    bid_prices: ten(3499),
    ask_prices: ten(3500),
    bid_qty: ten(10),
    ask_qty: ten(3),
  }),
  rec({
    exchg: 'SHFE',
    code: 'rb2505',
    action_date: FRI,
    action_time: 210000500,
    price: 3505,
    open: 3500,
    high: 3505,
    low: 3500,
    total_volume: 1300,
    volume: 100,
    total_turnover: 45_505_000,
    turn_over: 3_505_000,
    open_interest: 1_000_520,
    diff_interest: 20,
    bid_prices: ten(3504, 3503),
    ask_prices: ten(3505, 3506),
    bid_qty: ten(7, 9),
    ask_qty: ten(2, 4),
  }),
  rec({
    exchg: 'SHFE',
    code: 'rb2505',
    action_date: MON,
    action_time: 90000500,
    price: 3510,
    total_volume: 1500,
    volume: 200,
    total_turnover: 52_525_000,
    turn_over: 7_020_000,
    open_interest: 1_000_600,
    diff_interest: 80,
    bid_prices: ten(3509),
    ask_prices: ten(3510),
    bid_qty: ten(1),
    ask_qty: ten(2),
  }),
  rec({
    exchg: 'SHFE',
    code: 'rb2505',
    action_date: MON,
    action_time: 112959000,
    price: 3512,
    total_volume: 1510,
    volume: 10,
    total_turnover: 52_876_200,
    turn_over: 351_200,
    open_interest: 1_000_605,
    diff_interest: 5,
    bid_prices: ten(3511),
    ask_prices: ten(3512),
    bid_qty: ten(1),
    ask_qty: ten(1),
  }),
  rec({
    exchg: 'SHFE',
    code: 'rb2505',
    action_date: MON,
    action_time: 133000500,
    price: 3515,
    total_volume: 1520,
    volume: 10,
    total_turnover: 53_227_700,
    turn_over: 351_500,
    open_interest: 1_000_610,
    diff_interest: 5,
    bid_prices: ten(3514),
    ask_prices: ten(3515),
    bid_qty: ten(3),
    ask_qty: ten(3),
  }),
];
const M = [
  rec({
    exchg: 'DCE',
    code: 'm2505',
    action_date: FRI,
    action_time: 210001000,
    price: 2900,
    total_volume: 50,
    volume: 50,
    total_turnover: 1_450_000,
    turn_over: 1_450_000,
    open_interest: 300,
    bid_prices: ten(2899),
    ask_prices: ten(2901),
    bid_qty: ten(1),
    ask_qty: ten(1),
  }),
];
const SR = [
  // × 10: sent without the multiplier (turnover / (volume × price) = 1).
  rec({
    exchg: 'CZCE',
    code: 'SR505',
    action_date: FRI,
    action_time: 210002000,
    price: 5800,
    total_volume: 1000,
    volume: 1000,
    total_turnover: 58_000_000,
    turn_over: 58_000_000,
    open_interest: 500,
    bid_prices: ten(5799),
    ask_prices: ten(5801),
    bid_qty: ten(3),
    ask_qty: ten(4),
  }),
  // As sent: already multiplied (ratio ≈ 10).
  rec({
    exchg: 'CZCE',
    code: 'SR505',
    action_date: MON,
    action_time: 90001000,
    price: 5810,
    total_volume: 1100,
    volume: 100,
    total_turnover: 63_810_000,
    turn_over: 5_810_000,
    open_interest: 510,
    diff_interest: 10,
    bid_prices: ten(5809),
    ask_prices: ten(5811),
    bid_qty: ten(2),
    ask_qty: ten(1),
  }),
];
const SPREAD = [
  rec({
    exchg: 'DCE',
    code: 'SP_m2505_m2509',
    action_date: FRI,
    action_time: 210003000,
    price: 0,
    bid_prices: ten(-12),
    ask_prices: ten(-10),
    bid_qty: ten(5),
    ask_qty: ten(8),
  }),
];

function writeConfig(dir: string, subscribe: string[]): string {
  const file = path.join(dir, 'recorder.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      root: './live',
      feeds: [
        {
          type: 'ctp',
          name: 'ctp',
          fronts: ['tcp://127.0.0.1:1'],
          broker_id: '9999',
          user_id: 'u',
          password: '${CTP_PASSWORD}',
          subscribe,
          czce_multipliers: { SR: 10 },
        },
      ],
    }),
  );
  return file;
}

describe('tickrec ctp replay: the golden capture', () => {
  it('stores exactly the hand-computed records: stale snapshots, the lunch tick off_session; the spread quote kept; CZCE turnover in both conventions', async () => {
    const dir = makeTempDir('tickrec-ctp-replay-');
    const night = path.join(dir, '20250103.cap');
    const day = path.join(dir, '20250106.cap');
    writeCapture(night, LAYOUT_65, NIGHT);
    writeCapture(day, LAYOUT_65, DAY);
    // The capture holds the structs as received, byte for byte.
    const back = [...readCapture(night)];
    expect(back).toHaveLength(NIGHT.length);
    expect(back[0]!.receivedNs).toBe(NIGHT[0]![0]);
    expect(back[6]!.field.InstrumentID).toBe('SP m2505&m2509');
    expect(back[6]!.field.LastPrice).toBe(MAX);

    const cfg = writeConfig(dir, ['SHFE.rb2505', 'DCE.m2505', 'CZCE.SR505', 'DCE.SP m2505&m2509']);
    const root = path.join(dir, 'replayed');
    const s = await replayCaptures([night, day], { root, config: cfg });
    expect(s.records).toBe(12);
    expect(s.ticksWritten).toBe(9);
    expect(s.rejected).toEqual({ off_session: 3 });
    expect(s.czceTurnover).toMatchObject({ mode: 'auto', verdict: 'scaled', multiplied: 1, asSent: 1, decisions: 2 });

    const strip = (r: Record<string, unknown>[]) => r;
    expect(strip(tickRecords(root, 'SHFE', 'rb2505'))).toEqual(RB);
    expect(tickRecords(root, 'DCE', 'm2505')).toEqual(M);
    expect(tickRecords(root, 'CZCE', 'SR505')).toEqual(SR);
    expect(tickRecords(root, 'DCE', 'SP_m2505_m2509')).toEqual(SPREAD);
  });

  it('the CLI reads the 408-byte layout of 6.3.x (ExchangeID empty: the exchange from the config), reports a torn tail, and refuses what is not a capture', () => {
    const dir = makeTempDir('tickrec-ctp-replay-');
    const cap = path.join(dir, '20250106.cap');
    const f63 = (o: Fields): Fields => ({ ExchangeID: '', InstrumentID: 'rb2505', TradingDay: '20250106', ActionDay: '20250106', ...o });
    writeCapture(cap, LAYOUT_63, [
      [
        sh(MON, 9, 0, 0, 600),
        f63({
          UpdateTime: '09:00:00',
          UpdateMillisec: 500,
          LastPrice: 3510,
          Volume: 1500,
          Turnover: 52_525_000,
          OpenInterest: 1_000_600,
          BidPrice1: 3509,
          BidVolume1: 1,
          AskPrice1: 3510,
          AskVolume1: 2,
        }),
      ],
      [sh(MON, 9, 0, 1), f63({ UpdateTime: '09:00:01', LastPrice: 3511, Volume: 1510, Turnover: 52_876_100, OpenInterest: 1_000_601 })],
    ]);
    expect(decodeDepthMarketData(LAYOUT_63, fs.readFileSync(cap), 16 + 8).InstrumentID).toBe('rb2505');
    fs.appendFileSync(cap, Buffer.alloc(100, 7)); // killed inside a write
    const cfg = writeConfig(dir, ['SHFE.rb2505']);
    const env = { ...process.env };
    delete env.CTP_PASSWORD; // not needed to replay
    const root = path.join(dir, 'out');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'ctp', 'replay', cap, '--root', root, '--config', cfg], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${cap}: 2 records of 408 bytes; a torn last record (100 bytes`);
    expect(r.stdout).toContain('2 records read; 2 ticks written');
    const got = tickRecords(root, 'SHFE', 'rb2505');
    expect(got.map((x) => [x.action_time, x.price, x.total_volume, x.volume, x.turn_over, x.open_interest])).toEqual([
      [90000500, 3510, 1500, 1500, 52_525_000, 1_000_600],
      [90001000, 3511, 1510, 10, 351_100, 1_000_601],
    ]);

    const junk = path.join(dir, 'junk.cap');
    fs.writeFileSync(junk, 'not a capture at all');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'ctp', 'replay', junk, '--root', path.join(dir, 'o2')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${junk}: not a CTP capture file (it does not start with TRCTPCAP)`);
  });
});

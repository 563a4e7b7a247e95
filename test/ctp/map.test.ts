// The CTP tick mapping rules C1–C7 one by one, GBK texts, disconnect reason names, and the addon-not-built error.

import { describe, expect, it } from 'vitest';
import { buildSessionBook } from '../../src/calendar/index.js';
import {
  CTP_BUILD_COMMAND,
  CTP_DBL_MAX,
  ctpDates,
  decodeGbk,
  disconnectReasonName,
  loadCtpAddon,
  mapDepthMarketData,
  weekdayAfter,
  weekdayBefore,
  type CtpDepthMarketData,
  type CtpMapContext,
} from '../../src/feed/ctp/index.js';
import { TickrecError } from '../../src/errors.js';
import { CzceTurnover } from '../../src/feed/ctp/czce-turnover.js';
import { Normalizer } from '../../src/recorder/normalize.js';

const MAX = CTP_DBL_MAX;

/** A tick as a front sends it: every price DBL_MAX unless given. */
function ctp(f: Partial<CtpDepthMarketData>): CtpDepthMarketData {
  return {
    TradingDay: '20250106',
    ActionDay: '20250106',
    UpdateTime: '09:30:00',
    UpdateMillisec: 0,
    ExchangeID: 'SHFE',
    InstrumentID: 'rb2505',
    LastPrice: 3500,
    PreSettlementPrice: MAX,
    PreClosePrice: MAX,
    PreOpenInterest: MAX,
    OpenPrice: MAX,
    HighestPrice: MAX,
    LowestPrice: MAX,
    Volume: 0,
    Turnover: MAX,
    OpenInterest: MAX,
    ClosePrice: MAX,
    SettlementPrice: MAX,
    UpperLimitPrice: MAX,
    LowerLimitPrice: MAX,
    BidPrice1: MAX,
    BidVolume1: 0,
    AskPrice1: MAX,
    AskVolume1: 0,
    BidPrice2: MAX,
    BidVolume2: 0,
    AskPrice2: MAX,
    AskVolume2: 0,
    BidPrice3: MAX,
    BidVolume3: 0,
    AskPrice3: MAX,
    AskVolume3: 0,
    BidPrice4: MAX,
    BidVolume4: 0,
    AskPrice4: MAX,
    AskVolume4: 0,
    BidPrice5: MAX,
    BidVolume5: 0,
    AskPrice5: MAX,
    AskVolume5: 0,
    ...f,
  };
}

const subs = new Map([
  ['rb2505', 'SHFE'],
  ['m2505', 'DCE'],
  ['SR505', 'CZCE'],
]);
const ctx: CtpMapContext = { exchangeOf: (c) => subs.get(c) };

describe('C1: DBL_MAX is "no value"', () => {
  it('optional numbers become undefined, book prices 0', () => {
    const t = mapDepthMarketData(ctp({ BidPrice1: 3499, BidVolume1: 5 }), ctx);
    for (const k of [
      'open',
      'high',
      'low',
      'settle_price',
      'upper_limit',
      'lower_limit',
      'total_turnover',
      'open_interest',
      'pre_close',
      'pre_settle',
      'pre_interest',
    ] as const) {
      expect(t[k], k).toBeUndefined();
    }
    expect(t.bid_prices).toEqual([3499, 0, 0, 0, 0]);
    expect(t.ask_prices).toEqual([0, 0, 0, 0, 0]);
    expect(t.price).toBe(3500);
  });

  it('real values pass through unchanged (negative ones included)', () => {
    const t = mapDepthMarketData(
      ctp({
        OpenPrice: 3490,
        HighestPrice: 3510,
        LowestPrice: 3480,
        SettlementPrice: 3495,
        UpperLimitPrice: 3800,
        LowerLimitPrice: 3200,
        PreClosePrice: 3488,
        PreSettlementPrice: 3487,
        PreOpenInterest: 100000,
        OpenInterest: 100500,
        Turnover: 1.5e9,
        Volume: 4300,
        LastPrice: -12.5,
      }),
      ctx,
    );
    expect(t).toMatchObject({
      open: 3490,
      high: 3510,
      low: 3480,
      settle_price: 3495,
      upper_limit: 3800,
      lower_limit: 3200,
      pre_close: 3488,
      pre_settle: 3487,
      pre_interest: 100000,
      open_interest: 100500,
      total_turnover: 1.5e9,
      total_volume: 4300,
      price: -12.5,
    });
    expect(t.volume).toBeUndefined(); // per-tick volume is the recorder's (N8)
    expect(t.turn_over).toBeUndefined();
  });

  it('a LastPrice of DBL_MAX with a book (a spread quote, a quote before the first trade) is price 0 and keeps its book', () => {
    const spread = ctp({
      ExchangeID: 'DCE',
      InstrumentID: 'SP m2505&m2509',
      LastPrice: MAX,
      BidPrice1: -12,
      BidVolume1: 5,
      AskPrice1: 0,
      AskVolume1: 3,
    });
    const t = mapDepthMarketData(spread, ctx);
    expect(t.price).toBe(0);
    expect(t.bid_prices!.slice(0, 2)).toEqual([-12, 0]);
    expect(t.ask_prices![0]).toBe(0);
    expect(t.bid_qty![0]).toBe(5);
    // An ask of exactly 0 is a price: a book of one side at 0 still counts as a book.
    const zeroAsk = mapDepthMarketData(ctp({ LastPrice: MAX, AskPrice1: 0, AskVolume1: 1 }), ctx);
    expect(zeroAsk.price).toBe(0);
  });

  it('a LastPrice of DBL_MAX without a book becomes NaN, which the recorder rejects as bad_price', () => {
    const t = mapDepthMarketData(ctp({ LastPrice: MAX }), ctx);
    expect(t.price).toBeNaN();
    const n = new Normalizer({
      sessions: buildSessionBook({ sessions: { D: { sections: [['09:00', '15:00']] } }, products: {}, default: 'D' }),
      recover: () => undefined,
    });
    const v = n.tick(t);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toBe('bad_price');
    // and a normal tick with DBL_MAX fields is stored with zeros
    const ok = n.tick(mapDepthMarketData(ctp({}), ctx));
    expect(ok.ok).toBe(true);
    expect(n.tickOut.open).toBe(0);
    expect(n.tickOut.settle_price).toBe(0);
    expect(n.tickOut.bid_prices.every((x) => x === 0)).toBe(true);
  });
});

describe('C2: five book levels', () => {
  it('levels 1..5 in order, prices and volumes', () => {
    const t = mapDepthMarketData(
      ctp({
        BidPrice1: 10,
        BidVolume1: 1,
        AskPrice1: 11,
        AskVolume1: 2,
        BidPrice2: 9,
        BidVolume2: 3,
        AskPrice2: 12,
        AskVolume2: 4,
        BidPrice3: 8,
        BidVolume3: 5,
        AskPrice3: 13,
        AskVolume3: 6,
        BidPrice4: 7,
        BidVolume4: 7,
        AskPrice4: 14,
        AskVolume4: 8,
        BidPrice5: 6,
        BidVolume5: 9,
        AskPrice5: 15,
        AskVolume5: 10,
      }),
      ctx,
    );
    expect(t.bid_prices).toEqual([10, 9, 8, 7, 6]);
    expect(t.ask_prices).toEqual([11, 12, 13, 14, 15]);
    expect(t.bid_qty).toEqual([1, 3, 5, 7, 9]);
    expect(t.ask_qty).toEqual([2, 4, 6, 8, 10]);
  });

  it("an empty level (DBL_MAX price, volume 0) is zero; levels 6 to 10 are the recorder's zeros", () => {
    const t = mapDepthMarketData(ctp({ BidPrice1: 10, BidVolume1: 1, BidPrice3: 8, BidVolume3: 2 }), ctx);
    expect(t.bid_prices).toEqual([10, 0, 8, 0, 0]);
    expect(t.bid_qty).toEqual([1, 0, 2, 0, 0]);
    expect(t.bid_prices).toHaveLength(5);
  });
});

describe('C3: UpdateTime and UpdateMillisec into action_time', () => {
  it('HHMMSS × 1000 + millis', () => {
    expect(mapDepthMarketData(ctp({ UpdateTime: '21:00:01', UpdateMillisec: 500 }), ctx).action_time).toBe(210001500);
    expect(mapDepthMarketData(ctp({ UpdateTime: '09:30:59', UpdateMillisec: 0 }), ctx).action_time).toBe(93059000);
    expect(mapDepthMarketData(ctp({ UpdateTime: '00:00:00', UpdateMillisec: 999 }), ctx).action_time).toBe(999);
    expect(mapDepthMarketData(ctp({ UpdateTime: '103000', UpdateMillisec: 250 }), ctx).action_time).toBe(103000250);
  });

  it('millis outside 0..999 count as 0; a time that is not HH:MM:SS is NaN (bad_date downstream)', () => {
    expect(mapDepthMarketData(ctp({ UpdateTime: '10:00:00', UpdateMillisec: 1000 }), ctx).action_time).toBe(100000000);
    expect(mapDepthMarketData(ctp({ UpdateTime: '10:00:00', UpdateMillisec: -1 }), ctx).action_time).toBe(100000000);
    expect(mapDepthMarketData(ctp({ UpdateTime: '' }), ctx).action_time).toBeNaN();
    expect(mapDepthMarketData(ctp({ UpdateTime: '25:00:00' }), ctx).action_time).toBeNaN();
  });
});

describe('C4: an empty ExchangeID is filled from the subscription', () => {
  it('uses the exchange the subscription list gives the code', () => {
    expect(mapDepthMarketData(ctp({ ExchangeID: '', InstrumentID: 'm2505' }), ctx).exchg).toBe('DCE');
    expect(mapDepthMarketData(ctp({ ExchangeID: '', InstrumentID: 'SR505' }), ctx).exchg).toBe('CZCE');
  });

  it('a code no subscription names gets "" (the adapter rejects it as not_subscribed)', () => {
    expect(mapDepthMarketData(ctp({ ExchangeID: '', InstrumentID: 'zz999' }), ctx).exchg).toBe('');
  });

  it('a given ExchangeID wins', () => {
    expect(mapDepthMarketData(ctp({ ExchangeID: 'INE', InstrumentID: 'rb2505' }), ctx).exchg).toBe('INE');
  });
});

describe('C5: TradingDay/ActionDay by exchange, Friday night across midnight', () => {
  // Friday 2025-01-03; the night session belongs to Monday 2025-01-06.
  // 23:30 Friday and 00:30 Saturday, as each exchange sends them.
  const cases = [
    { ex: 'SHFE', code: 'rb2505', time: '23:30:00', sent: ['20250106', '20250103'] },
    { ex: 'SHFE', code: 'rb2505', time: '00:30:00', sent: ['20250106', '20250104'] },
    { ex: 'DCE', code: 'm2505', time: '23:30:00', sent: ['20250106', '20250106'] },
    { ex: 'DCE', code: 'm2505', time: '00:30:00', sent: ['20250106', '20250106'] },
    { ex: 'CZCE', code: 'SR505', time: '23:30:00', sent: ['20250103', '20250103'] },
    { ex: 'CZCE', code: 'SR505', time: '00:30:00', sent: ['20250104', '20250104'] },
  ] as const;
  for (const c of cases) {
    it(`${c.ex} ${c.time}: TradingDay ${c.sent[0]}, ActionDay ${c.sent[1]} → trading 20250106, action ${c.time.startsWith('23') ? '20250103' : '20250104'}`, () => {
      const t = mapDepthMarketData(
        ctp({ ExchangeID: c.ex, InstrumentID: c.code, TradingDay: c.sent[0], ActionDay: c.sent[1], UpdateTime: c.time }),
        ctx,
      );
      expect(t.trading_date).toBe(20250106);
      expect(t.action_date).toBe(c.time.startsWith('23') ? 20250103 : 20250104);
    });
  }

  it('day session ticks keep their dates on every exchange', () => {
    for (const ex of ['SHFE', 'DCE', 'CZCE']) {
      const t = mapDepthMarketData(ctp({ ExchangeID: ex, TradingDay: '20250106', ActionDay: '20250106', UpdateTime: '09:30:00' }), ctx);
      expect([t.trading_date, t.action_date], ex).toEqual([20250106, 20250106]);
    }
  });

  it('a mid-week night: Tuesday 21:05 belongs to Wednesday', () => {
    expect(ctpDates('DCE', '20250108', '20250108', 210500)).toEqual({ trading: 20250108, action: 20250107 });
    expect(ctpDates('CZCE', '20250107', '20250107', 210500)).toEqual({ trading: 20250108, action: 20250107 });
    expect(ctpDates('SHFE', '20250108', '20250107', 210500)).toEqual({ trading: 20250108, action: 20250107 });
  });

  it('the night after a holiday weekend: Monday 2025-04-07 21:00 belongs to Tuesday (Friday 04-04 was a holiday, no night before it)', () => {
    expect(ctpDates('DCE', '20250408', '20250408', 210000)).toEqual({ trading: 20250408, action: 20250407 });
    expect(ctpDates('CZCE', '20250407', '20250407', 210000)).toEqual({ trading: 20250408, action: 20250407 });
  });

  it('SHFE with an empty ActionDay derives it from TradingDay like DCE; CZCE with an empty ActionDay uses TradingDay', () => {
    expect(ctpDates('SHFE', '20250106', '', 233000)).toEqual({ trading: 20250106, action: 20250103 });
    expect(ctpDates('CZCE', '20250103', '', 233000)).toEqual({ trading: 20250106, action: 20250103 });
  });

  it('an invalid TradingDay leaves trading_date to the recorder (N5)', () => {
    const t = mapDepthMarketData(ctp({ TradingDay: '', ActionDay: '20250106' }), ctx);
    expect(t.trading_date).toBeUndefined();
    expect(t.action_date).toBe(20250106);
    expect(mapDepthMarketData(ctp({ TradingDay: '20251399' }), ctx).trading_date).toBeUndefined();
  });

  it('weekday helpers skip weekends', () => {
    expect(weekdayBefore(20250106)).toBe(20250103);
    expect(weekdayBefore(20250107)).toBe(20250106);
    expect(weekdayAfter(20250103)).toBe(20250106);
    expect(weekdayAfter(20250104)).toBe(20250106);
    expect(weekdayAfter(20241231)).toBe(20250101);
  });
});

describe('C7: CZCE turnover', () => {
  const mult = (p: string) => ({ SR: 10, m: 10 })[p];
  const withMult: CtpMapContext = { ...ctx, czce: new CzceTurnover('multiply', mult) };
  it('multiply: is multiplied by the configured contract multiplier of the product', () => {
    const t = mapDepthMarketData(ctp({ ExchangeID: 'CZCE', InstrumentID: 'SR505', Turnover: 5_800_000, Volume: 1000 }), withMult);
    expect(t.total_turnover).toBe(58_000_000);
    expect(t.total_volume).toBe(1000);
  });

  it('auto: decided from turnover / (volume × price), per feed, in both conventions, and counted', () => {
    const decisions: string[] = [];
    const czce = new CzceTurnover('auto', mult, (m) => decisions.push(m));
    const c: CtpMapContext = { ...ctx, czce };
    const sr = (o: Partial<CtpDepthMarketData>) => mapDepthMarketData(ctp({ ExchangeID: 'CZCE', InstrumentID: 'SR505', ...o }), c);
    // No volume yet: nothing to decide from; stored as sent, counted undecided (turnover 0 is not counted).
    expect(sr({ LastPrice: 5800, Volume: 0, Turnover: 0 }).total_turnover).toBe(0);
    expect(czce.counts.undecided).toBe(0);
    // A raw front (CZCE's own convention): 1000 lots at ~5800 → 5.8 M, ratio 1 → × 10.
    expect(sr({ LastPrice: 5800, Volume: 1000, Turnover: 5_810_000 }).total_turnover).toBe(58_100_000);
    expect(czce.verdict).toBe('raw');
    // A tick whose price moved a lot still decides the same way (ratio within 1.5).
    expect(sr({ LastPrice: 5300, Volume: 1100, Turnover: 6_300_000 }).total_turnover).toBe(63_000_000);
    // A 6.7.1+ ordinary front already multiplied: ratio ≈ 10 → stored as sent, the change reported.
    expect(sr({ LastPrice: 5800, Volume: 1200, Turnover: 69_700_000 }).total_turnover).toBe(69_700_000);
    expect(czce.verdict).toBe('scaled');
    expect(czce.counts).toEqual({ multiplied: 2, asSent: 1, undecided: 0, noMultiplier: 0, decisions: 2 });
    expect(decisions[0]).toMatch(/sent without the contract multiplier \(SR: turnover\/\(volume×price\) = 1\.00\)/);
    expect(decisions[1]).toMatch(/already multiplied by the front \(SR: .* ≈ 10\).*another front/);
    // Inconclusive (ratio 3.3): the verdict in force applies.
    expect(sr({ LastPrice: 5800, Volume: 1300, Turnover: 25_000_000 }).total_turnover).toBe(25_000_000);
    // Before any verdict: as sent, counted.
    const fresh = new CzceTurnover('auto', mult);
    mapDepthMarketData(ctp({ ExchangeID: 'CZCE', InstrumentID: 'SR505', LastPrice: MAX, Volume: 10, Turnover: 58_000 }), {
      ...ctx,
      czce: fresh,
    });
    expect(fresh.counts.undecided).toBe(1);
  });

  it('as_sent: never multiplied', () => {
    const c: CtpMapContext = { ...ctx, czce: new CzceTurnover('as_sent', mult) };
    expect(
      mapDepthMarketData(ctp({ ExchangeID: 'CZCE', InstrumentID: 'SR505', Turnover: 5_800_000, Volume: 1000 }), c).total_turnover,
    ).toBe(5_800_000);
  });

  it('is stored as sent for a product without a multiplier', () => {
    const t = mapDepthMarketData(ctp({ ExchangeID: 'CZCE', InstrumentID: 'CF505', Turnover: 1234.5 }), withMult);
    expect(t.total_turnover).toBe(1234.5);
  });

  it('never touches SHFE or DCE turnover, which already includes the multiplier', () => {
    expect(mapDepthMarketData(ctp({ ExchangeID: 'DCE', InstrumentID: 'm2505', Turnover: 1e6 }), withMult).total_turnover).toBe(1e6);
    expect(mapDepthMarketData(ctp({ ExchangeID: 'SHFE', Turnover: 1e6 }), withMult).total_turnover).toBe(1e6);
  });

  it('DBL_MAX turnover stays "no value"', () => {
    expect(mapDepthMarketData(ctp({ ExchangeID: 'CZCE', InstrumentID: 'SR505', Turnover: MAX }), withMult).total_turnover).toBeUndefined();
  });
});

describe('CTP texts', () => {
  it('decodes GBK error messages to UTF-8, up to the first NUL', () => {
    expect(new TextDecoder('gbk').encoding).toBe('gbk'); // this Node has full ICU
    expect(decodeGbk(Buffer.from('4354503ab2bbbacfb7a8b5c4b5c7c2bc', 'hex'))).toBe('CTP:不合法的登录');
    expect(decodeGbk(Buffer.from('cedeb4cbc8a8cfde0000414243', 'hex'))).toBe('无此权限');
    expect(decodeGbk(new Uint8Array(0))).toBe('');
  });

  it('names every disconnect reason', () => {
    expect(disconnectReasonName(0x1001)).toBe('network read failure (0x1001)');
    expect(disconnectReasonName(0x1002)).toBe('network write failure (0x1002)');
    expect(disconnectReasonName(0x2001)).toBe('heartbeat receive timeout (0x2001)');
    expect(disconnectReasonName(0x2002)).toBe('heartbeat send failure (0x2002)');
    expect(disconnectReasonName(0x2003)).toBe('received an error packet (0x2003)');
    expect(disconnectReasonName(7)).toBe('unknown reason (0x7)');
  });
});

describe('the addon', () => {
  it('not built: an E_CONFIG error naming the exact build command', () => {
    let e: unknown;
    try {
      loadCtpAddon('/nonexistent/tickrec_ctp.node', 'feed "ctp"');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(TickrecError);
    expect((e as TickrecError).code).toBe('E_CONFIG');
    expect((e as Error).message).toContain('the CTP addon is not built');
    expect((e as Error).message).toContain(CTP_BUILD_COMMAND);
    expect(CTP_BUILD_COMMAND).toBe('CTP_SDK_DIR=/path/to/sdk npm run build:ctp');
  });
});

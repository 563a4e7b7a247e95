// Instrument metadata (src/meta): tickrec's instruments file, a WonderTrader common/ folder (GBK names, offsets, lotstick), a Binance exchangeInfo file, their precedence, and the copy kept in the data root (volume unit and zone fixed once written).

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { tradingDateOf } from '../../src/calendar/index.js';
import { TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { hisDayPath, instrumentMetaPath, rtFilePath, rtFinishedPath } from '../../src/layout/index.js';
import { RtWriter } from '../../src/store/index.js';
import { RootMetaReader, RootMetaWriter, loadMeta, loadWonderTraderCommon, readStoredMeta } from '../../src/meta/index.js';
import { REPO_ROOT } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const BUNDLED_SESSIONS = path.join(REPO_ROOT, 'config/sessions.json');
const BUNDLED_INSTRUMENTS = path.join(REPO_ROOT, 'config/instruments.json');

/** A WonderTrader common/ folder in its own format, product names GBK-encoded as in its distribution. */
function wonderTraderFolder(): string {
  const dir = makeTempDir('tickrec-wt-');
  const gbkName = Buffer.from([194, 221, 206, 198]); // "螺纹" in GBK
  const commodities = Buffer.concat([
    Buffer.from('{"SHFE":{"rb":{"covermode":0,"pricemode":0,"category":1,"precision":0,"pricetick":1.0,"volscale":10,"name":"'),
    gbkName,
    Buffer.from(
      '","exchg":"SHFE","session":"FN2300","holiday":"CHINA"}},"CFFEX":{"T":{"precision":3,"pricetick":0.005,"volscale":10000,"name":"T","exchg":"CFFEX","session":"SD0930","holiday":"CHINA"}},' +
        '"DCE":{"m":{"precision":0,"pricetick":1,"volscale":10,"lotstick":1,"minlots":1,"name":"m","exchg":"DCE","session":"FN2300","holiday":"CHINA"}}}',
    ),
  ]);
  fs.writeFileSync(path.join(dir, 'commodities.json'), commodities);
  fs.writeFileSync(
    path.join(dir, 'contracts.json'),
    JSON.stringify({
      SHFE: { rb2605: { name: 'rb2605', code: 'rb2605', exchg: 'SHFE', product: 'rb' } },
      OKEX: {
        'BTC-USDT': {
          name: 'BTC-USDT',
          code: 'BTC-USDT',
          exchg: 'OKEX',
          rules: { session: 'ALLDAY', pricetick: 0.1, lotstick: 0.00000001, volscale: 1 },
        },
      },
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'sessions.json'),
    JSON.stringify({
      FN2300: {
        name: 'night 2300',
        offset: 300,
        auction: { from: 2059, to: 2100 },
        sections: [
          { from: 2100, to: 2300 },
          { from: 900, to: 1015 },
          { from: 1030, to: 1130 },
          { from: 1330, to: 1500 },
        ],
      },
      SD0930: {
        name: 'day',
        offset: 0,
        auction: { from: 929, to: 930 },
        sections: [
          { from: 930, to: 1130 },
          { from: 1300, to: 1515 },
        ],
      },
      ALLDAY: { name: 'all day', offset: 0, sections: [{ from: 0, to: 2400 }] },
    }),
  );
  fs.writeFileSync(path.join(dir, 'holidays.json'), JSON.stringify({ CHINA: ['20260101', '20260102', '20260216'] }));
  return dir;
}

describe('sources and precedence', () => {
  it('the bundled files: China futures in whole lots with tick and multiplier, Binance lot steps, sessions and zones', () => {
    const { instruments } = loadMeta({ sessions: BUNDLED_SESSIONS, instruments: { file: BUNDLED_INSTRUMENTS } });
    expect(instruments.metaOf('SHFE', 'rb2605')).toMatchObject({
      price_tick: 1,
      price_decimals: 0,
      lot_step: 1,
      volume_decimals: 0,
      multiplier: 10,
      session: 'FN2300',
      timezone: 'Asia/Shanghai',
      session_close: '15:00',
    });
    expect(instruments.metaOf('BINANCE', 'BTCUSDT')).toMatchObject({
      price_tick: 0.01,
      lot_step: 0.00001,
      volume_decimals: 5,
      timezone: 'UTC',
    });
    expect(instruments.metaOf('BINANCE', 'SOLUSDT')).toMatchObject({ price_tick: null, lot_step: 0.00001, multiplier: 1 });
    expect(instruments.metaOf('NOWHERE', 'X1')).toMatchObject({ lot_step: 1, volume_decimals: 0, session: null, timezone: null });
  });

  it('a WonderTrader common/ folder: commodities, contracts with rules, sessions (offset → day_starts), holidays; GBK read', () => {
    const dir = wonderTraderFolder();
    const wt = loadWonderTraderCommon(dir);
    expect(wt.sessions.sessions.FN2300).toMatchObject({ day_starts: '19:00', auction: ['20:59', '21:00'], timezone: 'Asia/Shanghai' });
    expect(wt.sessions.holidays).toEqual([20260101, 20260102, 20260216]);
    const { sessions, instruments } = loadMeta({ instruments: { wondertrader: dir } });
    expect(instruments.metaOf('SHFE', 'rb2605')).toMatchObject({ price_tick: 1, multiplier: 10, lot_step: 1, session: 'FN2300' });
    expect(instruments.metaOf('CFFEX', 'T2603')).toMatchObject({
      price_tick: 0.005,
      price_decimals: 3,
      multiplier: 10000,
      session_close: '15:15',
    });
    expect(instruments.metaOf('OKEX', 'BTC-USDT')).toMatchObject({ price_tick: 0.1, lot_step: 0.00000001, volume_decimals: 8 });
    // Friday night 21:05 → Monday; the WonderTrader holiday on Monday 2026-02-16 moves it on.
    const s = sessions.sessionOf('SHFE', 'rb2605')!;
    expect(tradingDateOf(s, 20260213, 210500000, sessions.holidays)).toBe(20260217);
    expect(sessions.calendar).toMatchObject({ coversThrough: 20261231, inferred: true, file: `${dir}/holidays.json` });
    // tickrec's instruments file wins over WonderTrader's, field by field.
    const f = path.join(dir, 'mine.json');
    fs.writeFileSync(f, JSON.stringify({ products: { 'SHFE.rb': { price_tick: 2 } } }));
    const both = loadMeta({ instruments: { wondertrader: dir, file: f } }).instruments;
    expect(both.metaOf('SHFE', 'rb2605')).toMatchObject({ price_tick: 2, multiplier: 10 });
    expect(both.metaOf('SHFE', 'rb2605').sources.price_tick).toContain('mine.json');
  });

  it('a Binance exchangeInfo file wins over the configuration', () => {
    const dir = makeTempDir();
    const info = path.join(dir, 'exchangeInfo.json');
    fs.writeFileSync(
      info,
      JSON.stringify({
        symbols: [
          {
            symbol: 'BTCUSDT',
            filters: [
              { filterType: 'PRICE_FILTER', tickSize: '0.01000000' },
              { filterType: 'LOT_SIZE', stepSize: '0.00001000' },
            ],
          },
          { symbol: 'XUSDT', filters: [{ filterType: 'LOT_SIZE', stepSize: '0.00000000' }] },
        ],
      }),
    );
    const mine = path.join(dir, 'i.json');
    fs.writeFileSync(mine, JSON.stringify({ instruments: { 'BINANCE.BTCUSDT': { lot_step: '0.001' } } }));
    const { instruments } = loadMeta({ sessions: BUNDLED_SESSIONS, instruments: { file: mine, binance_exchange_info: info } });
    expect(instruments.metaOf('BINANCE', 'BTCUSDT')).toMatchObject({ lot_step: 0.00001, price_tick: 0.01 });
    expect(instruments.metaOf('BINANCE', 'XUSDT')).toMatchObject({ lot_step: 1 });
  });

  it('bad files are configuration errors naming the file and key', () => {
    const dir = makeTempDir();
    const f = path.join(dir, 'bad.json');
    fs.writeFileSync(f, JSON.stringify({ products: { 'SHFE.rb': { lot_step: '0.0000000000001' } } }));
    expect(() => loadMeta({ sessions: BUNDLED_SESSIONS, instruments: { file: f } })).toThrow(/bad\.json: .*products\.SHFE\.rb\.lot_step/);
    fs.writeFileSync(f, JSON.stringify({ products: { 'SHFE.rb': { tick: 1 } } }));
    expect(() => loadMeta({ sessions: BUNDLED_SESSIONS, instruments: { file: f } })).toThrow(TickrecError);
    expect(() => loadMeta({ instruments: {} })).toThrow(/no sessions file/);
  });
});

describe('the copy in the data root', () => {
  it('is written before first use; volume_decimals and timezone never change; a finer lot step is a warning', () => {
    const root = makeTempDir();
    const { instruments } = loadMeta({ sessions: BUNDLED_SESSIONS, instruments: { file: BUNDLED_INSTRUMENTS } });
    const m = instruments.metaOf('BINANCE', 'BTCUSDT');
    const first = new RootMetaWriter(root).ensure(m);
    expect(first.warning).toBeUndefined();
    expect(readStoredMeta(root, 'BINANCE', 'BTCUSDT')).toMatchObject({ format: 1, volume_decimals: 5, timezone: 'UTC' });
    // A later configuration with a finer step keeps the stored unit and says so.
    const finer = { ...m, lot_step: 0.000001, volume_decimals: 6, timezone: 'Asia/Shanghai' };
    const again = new RootMetaWriter(root).ensure(finer);
    expect(again.stored).toMatchObject({ volume_decimals: 5, timezone: 'UTC', lot_step: 0.000001 });
    expect(again.warning).toMatch(/finer than the volume unit 1e-5/);
    expect(new RootMetaReader(root).of('BINANCE', 'BTCUSDT')).toEqual({
      volumeDecimals: 5,
      timezone: 'UTC',
      sessionClose: '24:00',
      stored: true,
    });
  });

  describe('UNLABELLED RECORDS: the first file of an instrument whose records are already in the root states their unit', () => {
    const { instruments } = loadMeta({ sessions: BUNDLED_SESSIONS, instruments: { file: BUNDLED_INSTRUMENTS } });
    const btc = instruments.metaOf('BINANCE', 'BTCUSDT'); // lot step 0.00001: volume_decimals 5
    const DAY = 20260105;

    /** A trade file at `file` holding `n` trades of BTCUSDT in whole units (a root from before tickrec kept metadata). */
    function tradesAt(file: string, n: number): void {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const w = RtWriter.open(file, { kind: TRADE_KIND, date: DAY, initialCapacity: 64 });
      for (let i = 0; i < n; i++)
        w.append({ exchg: 'BINANCE', code: 'BTCUSDT', price: 100, volume: 3, trading_date: DAY, action_date: DAY, action_time: 1000 * i });
      w.close();
    }

    const cases: [string, (root: string) => string][] = [
      ['a live trade file holding records', (root) => rtFilePath(root, TRADE_KIND, 'BINANCE', 'BTCUSDT')],
      ['a finished day', (root) => rtFinishedPath(root, TRADE_KIND, 'BINANCE', DAY, 'BTCUSDT')],
    ];
    for (const [what, place] of cases) {
      it(`${what}: volume_decimals 0 is written, the configured step is a warning, the stored trades keep reading 3`, () => {
        const root = makeTempDir();
        const file = place(root);
        tradesAt(file, 4);
        const r = new RootMetaWriter(root).ensure(btc);
        expect(r.stored.volume_decimals).toBe(0);
        expect(r.warning).toContain('finer than the volume unit 1e-0');
        expect(r.warning).toContain(file);
        expect(readStoredMeta(root, 'BINANCE', 'BTCUSDT')?.volume_decimals).toBe(0);
        // A reader now and after: the unit the 4 trades were stored in (before: 5, so 3 read as 0.00003).
        expect(new RootMetaReader(root).of('BINANCE', 'BTCUSDT').volumeDecimals).toBe(0);
      });
    }

    it('a compacted day counts; a prepared live file (no record) and ticks alone do not', () => {
      const withHis = makeTempDir();
      const his = hisDayPath(withHis, TRADE_KIND, 'BINANCE', DAY, 'BTCUSDT');
      fs.mkdirSync(path.dirname(his), { recursive: true });
      fs.writeFileSync(his, 'a compacted day');
      expect(new RootMetaWriter(withHis).ensure(btc).stored.volume_decimals).toBe(0);

      const prepared = makeTempDir();
      tradesAt(rtFilePath(prepared, TRADE_KIND, 'BINANCE', 'BTCUSDT'), 0);
      const ticks = rtFilePath(prepared, TICK_KIND, 'BINANCE', 'BTCUSDT');
      fs.mkdirSync(path.dirname(ticks), { recursive: true });
      const w = RtWriter.open(ticks, { kind: TICK_KIND, date: DAY, initialCapacity: 64 });
      w.append({ exchg: 'BINANCE', code: 'BTCUSDT', price: 100, trading_date: DAY, action_date: DAY, action_time: 0 });
      w.close();
      const r = new RootMetaWriter(prepared).ensure(btc);
      expect(r).toEqual({ stored: expect.objectContaining({ volume_decimals: 5 }) });
    });

    it('a configured zone other than the bundled one: records of any kind keep the bundled zone', () => {
      const root = makeTempDir();
      const ticks = rtFinishedPath(root, TICK_KIND, 'BINANCE', DAY, 'BTCUSDT');
      fs.mkdirSync(path.dirname(ticks), { recursive: true });
      fs.writeFileSync(ticks, 'a finished day of ticks');
      const r = new RootMetaWriter(root).ensure({ ...btc, timezone: 'Asia/Shanghai' });
      expect(r.stored).toMatchObject({ timezone: 'UTC', volume_decimals: 5 }); // no trade: the unit is the configured one
      expect(r.warning).toMatch(/configured time zone Asia\/Shanghai differs from the zone UTC/);
    });
  });

  it('readers: no file → whole units and the bundled zone; a damaged file is refused', () => {
    const root = makeTempDir();
    expect(new RootMetaReader(root).of('SHFE', 'rb2605')).toEqual({
      volumeDecimals: 0,
      timezone: 'Asia/Shanghai',
      sessionClose: '15:00',
      stored: false,
    });
    fs.mkdirSync(path.dirname(instrumentMetaPath(root, 'SHFE', 'rb2605')), { recursive: true });
    fs.writeFileSync(instrumentMetaPath(root, 'SHFE', 'rb2605'), '{"format":1}');
    expect(() => new RootMetaReader(root).of('SHFE', 'rb2605')).toThrow(/E_CORRUPT|volume_decimals missing/);
  });
});

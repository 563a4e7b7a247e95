// Issue 15 in Python: a Binance-style trade stream with sizes 0.00012, 0.5 and 123.456789, recorded by the real recorder with a lot step of 0.000001, reads back exactly in Python (read_trades, read_market, a live follower in another process, open_rt + with_quantities) and equals what the Node reader API returns for the same file, volume and ts_utc.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RootMetaReader } from '../../src/meta/index.js';
import { utcMsOfLocal } from '../../src/calendar/index.js';
import { presentKind, readTrades, utcColumn } from '../../src/read/index.js';
import {
  killAll,
  makeTempDir,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  startRecorder,
  waitHealth,
  writeConfig,
} from '../e2e/helpers.js';
import { startBinanceFeed, writeBinanceInstruments, type BinanceFeed } from '../helpers/binance-feed.js';
import { runPython, unittestSummary } from './helpers.js';

let feed: BinanceFeed | undefined;
beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
  await feed?.close();
  feed = undefined;
});
afterAll(() => removeTempDirs());

/** Sizes that must come back exactly: each as the decimal text the feed sent. */
const SIZES = ['0.00012', '0.5', '123.456789'];

/** A Python follower: waits for the file, follows it from its first record, prints the volumes (repr) of the first n trades as JSON. */
const FOLLOWER = [
  'import json, sys, tickrec',
  'out = []',
  'for t in tickrec.follow(sys.argv[1], from_start=True, kind="trade", idle_timeout=60):',
  '    out.append([repr(float(t["volume"])), str(t.dtype == tickrec.TRADE_QTY)])',
  '    if len(out) == int(sys.argv[2]):',
  '        break',
  'print(json.dumps(out))',
].join('\n');

describe('fractional trade sizes in Python', () => {
  it('the recorder stores 0.00012, 0.5, 123.456789; Python reads them back exactly, as the Node API does', async () => {
    const dir = makeTempDir('tickrec-py-qty-');
    const root = path.join(dir, 'data');
    const file = path.join(root, 'rt/trans/BINANCE/BTCUSDT.dmb');
    const instruments = writeBinanceInstruments(dir);
    const t0 = Date.now() - 5000;
    feed = await startBinanceFeed(SIZES, t0);
    // The follower starts before the file exists: it must pick it up and give real quantities live.
    const follower = runPython(['-c', FOLLOWER, file, String(SIZES.length)], { timeoutMs: 90_000 });
    const cfg = recorderConfig({
      root,
      feeds: [feed.feedConfig],
    });
    const rec = startRecorder(writeConfig(dir, { ...cfg, instruments: { file: instruments } }));
    const base = await rec.ready();
    await waitHealth(base, (s) => s.tradesWritten === SIZES.length, 'three trades written');
    const followed = await follower;
    expect(followed.code, followed.stderr).toBe(0);
    expect(JSON.parse(followed.stdout)).toEqual(SIZES.map((q) => [q, 'True']));
    expect((await rec.stop()).code).toBe(0);

    // What the Node reader API returns for the same file: the Python side must equal it bit for bit.
    const set = readTrades({ root, exchange: 'BINANCE', code: 'BTCUSDT' });
    expect(set.volumeDecimals).toBe(6);
    const cols = set.columns().columns as unknown as Record<string, Float64Array>;
    expect(Array.from(cols.volume!)).toEqual(SIZES.map(Number));
    const ts = utcColumn(presentKind('trade'), cols, set.count, new RootMetaReader(root).of('BINANCE', 'BTCUSDT'));
    expect(ts && Array.from(ts)).toEqual(SIZES.map((_q, i) => t0 + i));
    const manifest = path.join(dir, 'node.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        root,
        file,
        sizes: SIZES,
        // doubles as their IEEE bits (hex), so JSON cannot round them
        volumeBits: Array.from(cols.volume!, (v) => Buffer.from(new Float64Array([v]).buffer).toString('hex')),
        tsMs: Array.from(ts!),
        decimals: set.volumeDecimals,
      }),
    );
    const r = await runPython(['-m', 'unittest', '-v', 'tests.test_quantities'], { env: { TICKREC_QTY_RESULTS: manifest } });
    const s = unittestSummary(r.stderr);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(s.ok, r.stderr).toBe(true);
    expect(s.skipped, r.stderr).toBe(false);
    expect(s.ran).toBe(4);
  }, 120_000);

  it('ts_utc gives the instants the Node reader gives: every hour and half hour of days around clock changes, five zones', async () => {
    const dir = makeTempDir('tickrec-py-ts-');
    const zones = ['UTC', 'Asia/Shanghai', 'America/New_York', 'Europe/London', 'Australia/Sydney'];
    const dates = [
      20250101, 20250308, 20250309, 20250310, 20250330, 20250331, 20251025, 20251026, 20251102, 20251103, 20240229, 20250406, 20251005,
      19910414, 19910915,
    ];
    const minutes = [0, 29 * 100000 + 59999, 30 * 100000 + 15 * 1000 + 250, 59 * 100000 + 59999];
    const cases = zones.map((zone) => {
      const d: number[] = [];
      const t: number[] = [];
      for (const date of dates)
        for (let h = 0; h < 24; h++)
          for (const m of minutes) {
            d.push(date);
            t.push(h * 10000000 + m);
          }
      return { zone, dates: d, times: t, ms: d.map((x, i) => utcMsOfLocal(x, t[i]!, zone)) };
    });
    const file = path.join(dir, 'zones.json');
    fs.writeFileSync(file, JSON.stringify(cases));
    const script = [
      'import json, sys, numpy as np, tickrec.meta as M',
      'bad = []',
      'for c in json.load(open(sys.argv[1])):',
      '    m = M.InstrumentMeta("X", "y", 0, c["zone"], None, True)',
      '    got = M.utc_of("tick", np.array(c["dates"], np.uint32), np.array(c["times"], np.uint32), m).astype(np.int64).tolist()',
      '    bad += [(c["zone"], d, t, g, w) for d, t, g, w in zip(c["dates"], c["times"], got, c["ms"]) if g != w]',
      'print(json.dumps({"n": sum(len(c["ms"]) for c in json.load(open(sys.argv[1]))), "bad": bad[:5]}))',
    ].join('\n');
    const r = await runPython(['-c', script, file]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ n: zones.length * dates.length * 24 * minutes.length, bad: [] });
  });
});

// Fractional trade sizes across the bus, end to end with real processes: a Binance-style aggTrade feed recorded with a lot step of 0.000001, `tickrec publish`, a real nats-server, `tickrec mirror`: the mirror root holds the instrument's metadata (byte for byte) before its trades, and reads the same quantities as the source root; a mirror whose subject filter leaves the metadata out asks the stream for it.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { readTrades } from '../../src/read/index.js';
import {
  killAll,
  makeTempDir,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  runCli,
  spawnCli,
  startRecorder,
  waitFor,
  waitHealth,
  writeConfig,
} from '../e2e/helpers.js';
import { startBinanceFeed, writeBinanceInstruments, type BinanceFeed } from '../helpers/binance-feed.js';
import { fileRecords, natsForSuite, spawnMirror } from './helpers.js';

const describeNats = natsServerAvailable() ? describe : describe.skip;

const SIZES = ['0.00012', '0.5', '123.456789', '0.000001', '42', '7.25'];

describeNats('bus: fractional trade sizes on the mirror', () => {
  beforeAll(() => requireBuilt());
  const nats = natsForSuite();
  let feed: BinanceFeed | undefined;
  afterEach(async () => {
    await killAll();
    await feed?.close();
    feed = undefined;
  });
  afterAll(() => removeTempDirs()); // the e2e helpers' temp dirs (natsForSuite removes its own)

  it('a mirror reads the same quantities as the source: the metadata goes first on the bus, and is asked for when filtered out', async () => {
    const dir = makeTempDir();
    const src = path.join(dir, 'src');
    const dst = path.join(dir, 'dst');
    const dstTrades = path.join(dir, 'dst-trades'); // a mirror of the trade subjects only
    const instruments = writeBinanceInstruments(dir);
    const t0 = Date.now() - 5000;
    feed = await startBinanceFeed(SIZES, t0);
    const cfg = writeConfig(dir, {
      ...recorderConfig({
        root: src,
        feeds: [feed.feedConfig],
      }),
      instruments: { file: instruments },
      publish: {
        nats: { servers: nats().urls, stream: 'Q', prefix: 'q', ack_timeout_ms: 2000, cursor_flush_ms: 100, metrics: { port: 0 } },
      },
    });
    const rec = startRecorder(cfg);
    const base = await rec.ready();
    await waitHealth(base, (s) => s.tradesWritten === SIZES.length, 'six trades written');
    const pub = spawnCli(['publish', '-c', cfg], { label: 'publish' });
    const mirror = (root: string, extra: string[] = []) => spawnMirror(nats().urls, root, 'Q', 'q', extra, `mirror ${path.basename(root)}`);
    const all = mirror(dst);
    const trades = mirror(dstTrades, ['--subjects', 'q.trade.>']);
    const srcFile = path.join(src, 'rt', 'trans', 'BINANCE', 'BTCUSDT.dmb');
    const metaFile = (root: string) => path.join(root, 'meta', 'instruments', 'BINANCE', 'BTCUSDT.json');
    const health: string[] = [];
    const count = (root: string) => {
      try {
        return readTrades({ root, exchange: 'BINANCE', code: 'BTCUSDT' }).toArray().length;
      } catch (err) {
        health.push(String(err));
        return 0;
      }
    };
    const poll = setInterval(() => {
      for (const p of [pub, all, trades]) {
        const l = /metrics and health on (http:\/\/\S+?)\/metrics/.exec(p.stderr);
        if (l)
          void fetch(`${l[1]}/health`).then(
            async (r) => health.push(await r.text()),
            () => undefined,
          );
      }
      health.splice(0, Math.max(0, health.length - 3));
    }, 1000);
    try {
      for (const root of [dst, dstTrades])
        await waitFor(() => count(root) === SIZES.length, `six trades in ${path.basename(root)}`, {
          timeoutMs: 30_000,
          describe: () => `${all.stderr.slice(-2000)}\n${trades.stderr.slice(-2000)}\n${pub.stderr.slice(-2000)}\n${health.join('\n')}`,
        });
    } finally {
      clearInterval(poll);
    }
    const want = SIZES.map(Number);
    expect(
      readTrades({ root: src, exchange: 'BINANCE', code: 'BTCUSDT' })
        .toArray()
        .map((t) => t.volume),
    ).toEqual(want);
    const srcCat = await runCli(['cat', srcFile, '--format', 'jsonl']);
    expect(srcCat.stdout).toContain('"volume":0.00012,');
    for (const root of [dst, dstTrades]) {
      // The metadata file as the recorder wrote it, the records byte for byte, the same quantities and times.
      expect(fs.readFileSync(metaFile(root), 'utf8')).toBe(fs.readFileSync(metaFile(src), 'utf8'));
      expect(fileRecords(path.join(root, 'rt', 'trans', 'BINANCE', 'BTCUSDT.dmb')).bytes.equals(fileRecords(srcFile).bytes)).toBe(true);
      const set = readTrades({ root, exchange: 'BINANCE', code: 'BTCUSDT' });
      expect(set.volumeDecimals).toBe(6);
      expect(set.toArray().map((t) => t.volume)).toEqual(want);
      const cat = await runCli(['cat', path.join(root, 'rt', 'trans', 'BINANCE', 'BTCUSDT.dmb'), '--format', 'jsonl']);
      expect(cat.stderr).toBe('');
      expect(cat.stdout).toBe(srcCat.stdout);
    }
  }, 120_000);
});

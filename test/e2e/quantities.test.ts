// Trade sizes that are fractions of a coin, end to end: a Binance-style aggTrade stream from a real local websocket server, recorded with a lot step of 0.000001, reads back exactly through cat --format jsonl, the reader API and a Parquet export read by DuckDB (whose ts_utc is a TIMESTAMP WITH TIME ZONE); what does not fit is refused and counted by reason.

import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
} from './helpers.js';
import { aggTradeMessages, startBinanceFeed, writeBinanceInstruments, type BinanceFeed } from '../helpers/binance-feed.js';

let feed: BinanceFeed | undefined;
beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
  await feed?.close();
  feed = undefined;
});
afterAll(() => removeTempDirs());

/** Sizes that must come back exactly, and two that must be refused. */
const GOOD = ['0.00012', '0.5', '123.456789'];
const TOO_FINE = '0.0000001'; // finer than the lot step 0.000001 → volume_precision
const TOO_BIG = '5000'; // 5e9 units of 1e-6, above the u32 → out_of_range

describe('fractional trade sizes, end to end', () => {
  it('0.00012, 0.5 and 123.456789 read back exactly through cat --format jsonl, the API and Parquet in DuckDB; the rest is refused by reason', async () => {
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const instruments = writeBinanceInstruments(dir);
    const t0 = Date.now() - 5000;
    feed = await startBinanceFeed([...GOOD, TOO_FINE, TOO_BIG], t0);
    const cfg = recorderConfig({
      root,
      feeds: [feed.feedConfig],
    });
    const rec = startRecorder(writeConfig(dir, { ...cfg, instruments: { file: instruments } }));
    const base = await rec.ready();
    const stats = await waitHealth(
      base,
      (s) => s.tradesWritten === GOOD.length && (s.rejected.volume_precision ?? 0) + (s.rejected.out_of_range ?? 0) === 2,
      'three trades written, two refused',
    );
    expect(stats.rejected).toEqual({ volume_precision: 1, out_of_range: 1 });
    expect((await rec.stop()).code).toBe(0);

    // The unit is kept in the data root, beside the records.
    const meta = JSON.parse(fs.readFileSync(path.join(root, 'meta/instruments/BINANCE/BTCUSDT.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ volume_decimals: 6, lot_step: 0.000001, price_tick: 0.01, timezone: 'UTC', session: 'UTC24' });
    const want = GOOD.map(Number);
    const wantTs = GOOD.map((_q, i) => new Date(t0 + i).toISOString());

    // cat FILE --format jsonl
    const file = path.join(root, 'rt/trans/BINANCE/BTCUSDT.dmb');
    const cat = await runCli(['cat', file, '--format', 'jsonl']);
    expect(cat.stderr).toBe('');
    const rows = cat.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { volume: number; ts_utc: string; price: number });
    expect(rows.map((r) => r.volume)).toEqual(want);
    expect(rows.map((r) => r.ts_utc)).toEqual(wantTs);
    expect(cat.stdout).toContain('"volume":0.00012,');
    expect(cat.stdout).toContain('"volume":123.456789,');
    // cat --root, table and csv, say the same
    const csv = await runCli(['cat', '--root', root, '--exchange', 'BINANCE', '--code', 'BTCUSDT', '--kind', 'trade', '--format', 'csv']);
    const lines = csv.stdout.trimEnd().split('\n');
    const vi = lines[0]!.split(',').indexOf('volume');
    expect(lines.slice(1).map((l) => l.split(',')[vi])).toEqual(GOOD);
    const table = await runCli(['cat', file]);
    for (const q of GOOD) expect(table.stdout).toContain(` ${q} `);

    // the reader API: objects, views and columns
    const set = readTrades({ root, exchange: 'BINANCE', code: 'BTCUSDT' });
    expect(set.volumeDecimals).toBe(6);
    expect(set.toArray().map((t) => t.volume)).toEqual(want);
    expect([...set].map((v) => v.volume)).toEqual(want);
    expect([...set].map((v) => (v.toObject() as { volume: number }).volume)).toEqual(want);
    expect(Array.from(set.columns(['volume']).columns.volume)).toEqual(want);

    // a Parquet export read by DuckDB
    const out = path.join(dir, 'trades.parquet');
    const ex = await runCli(['export', '--root', root, '--kind', 'trade', '--format', 'parquet', '--out', out]);
    expect(ex.code).toBe(0);
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      const r = await con.runAndReadAll(
        `SELECT volume, typeof(volume) AS vt, typeof(ts_utc) AS tt, epoch_ms(ts_utc) AS ms FROM read_parquet('${out}') ORDER BY ts_utc`,
      );
      const got = r.getRowObjectsJS() as { volume: number; vt: string; tt: string; ms: bigint }[];
      expect(got.map((g) => g.volume)).toEqual(want);
      expect(got.map((g) => g.vt)).toEqual(['DOUBLE', 'DOUBLE', 'DOUBLE']);
      expect(got.map((g) => g.tt)).toEqual(Array(3).fill('TIMESTAMP WITH TIME ZONE'));
      expect(got.map((g) => Number(g.ms))).toEqual(GOOD.map((_q, i) => t0 + i));
      // the volumes as DuckDB prints them: the decimal text that was sent
      const txt = await con.runAndReadAll(`SELECT CAST(volume AS VARCHAR) AS v FROM read_parquet('${out}') ORDER BY ts_utc`);
      expect((txt.getRowObjectsJS() as { v: string }[]).map((x) => x.v)).toEqual(GOOD);
    } finally {
      con.closeSync();
    }
  }, 90_000);

  it('tail FILE follows the live file with the real volumes and ts_utc, line for line what cat prints', async () => {
    const dir = makeTempDir();
    const root = path.join(dir, 'data');
    const instruments = writeBinanceInstruments(dir);
    const file = path.join(root, 'rt/trans/BINANCE/BTCUSDT.dmb');
    // tail starts before the file exists: every record it prints arrives while it follows
    const tail = spawnCli(['tail', file, '--format', 'jsonl']);
    const table = spawnCli(['tail', file]);
    await waitFor(() => tail.stderr.includes('does not exist yet') && table.stderr.includes('does not exist yet'), 'both tails waiting');
    const t0 = Date.now() - 5000;
    feed = await startBinanceFeed(GOOD, t0);
    const cfg = recorderConfig({
      root,
      feeds: [feed.feedConfig],
    });
    const rec = startRecorder(writeConfig(dir, { ...cfg, instruments: { file: instruments } }));
    const base = await rec.ready();
    type Row = { volume: number; ts_utc: string; price: number };
    const rows = (): Row[] =>
      tail.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Row);
    await waitFor(() => rows().length >= GOOD.length, 'tail printed the first three trades', {
      timeoutMs: 30_000,
      describe: () => tail.stdout + tail.stderr,
    });
    // a second batch, appended while tail follows
    const MORE = ['0.000001', '42', '7.25'];
    const t1 = t0 + 100;
    feed.send(aggTradeMessages(MORE, t1, { first: GOOD.length }));
    await waitHealth(base, (x) => x.tradesWritten === GOOD.length + MORE.length, 'six trades written');
    await waitFor(() => rows().length >= GOOD.length + MORE.length, 'tail printed all six trades', {
      timeoutMs: 30_000,
      describe: () => tail.stdout,
    });
    const all = [...GOOD, ...MORE];
    const wantTs = [...GOOD.map((_q, i) => new Date(t0 + i).toISOString()), ...MORE.map((_q, i) => new Date(t1 + i).toISOString())];
    expect(rows().map((r) => r.volume)).toEqual(all.map(Number));
    expect(rows().map((r) => r.ts_utc)).toEqual(wantTs);
    expect(tail.stdout).toContain('"volume":0.00012,');
    expect(tail.stdout).toContain('"volume":123.456789,');
    // the same lines as cat FILE prints (one definition of quantity and time)
    const cat = await runCli(['cat', file, '--format', 'jsonl']);
    expect(tail.stdout).toBe(cat.stdout);
    // the table: real volumes and a filled ts_utc column
    await waitFor(() => wantTs.every((t) => table.stdout.includes(t)), 'the table tail printed every ts_utc', {
      timeoutMs: 30_000,
      describe: () => table.stdout,
    });
    for (const q of all) expect(table.stdout).toContain(` ${q} `);
    expect(tail.stderr).not.toContain('note:'); // the metadata was found beside the file
    tail.signal('SIGINT');
    table.signal('SIGINT');
    expect((await tail.waitExit()).code).toBe(0);
    expect((await table.waitExit()).code).toBe(0);
    expect((await rec.stop()).code).toBe(0);
  }, 90_000);
});

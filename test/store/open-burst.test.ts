// Tests of what the session open (issue 18) changed in the store: an instrument's metadata made durable in the background before any of its records are synced (META FIRST in src/store/writer-pool.ts), quiet files not synced again, the open files checked in rounds; real files.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TICK_KIND } from '../../src/format/index.js';
import { instrumentMetaPath } from '../../src/layout/index.js';
import { RootMetaWriter, loadMeta, readStoredMeta } from '../../src/meta/index.js';
import { RtReader, RtWriter, SpareFiles, WriterPool } from '../../src/store/index.js';
import { CHECK_MIN_PER_ROUND, CHECK_ROUNDS } from '../../src/store/writer-pool.js';
import { REPO_ROOT } from '../helpers/child.js';
import { makeTick, tickChecksum } from '../helpers/ticks.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const SEED = 0x0b57;
const D1 = 20250102;

function rec(seq: number, code: string, exchg = 'BINANCE'): Record<string, unknown> {
  const t = makeTick(seq, SEED);
  t.exchg = exchg;
  t.code = code;
  t.trading_date = D1;
  t.action_date = D1;
  t.settle_price = tickChecksum(t);
  return { ...t };
}

const { instruments } = loadMeta({
  sessions: path.join(REPO_ROOT, 'config/sessions.json'),
  instruments: { file: path.join(REPO_ROOT, 'config/instruments.json') },
});

async function waitUntil(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 6000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond(), what).toBe(true);
}

function recorderLike(root: string, maxOpenFiles = 16) {
  const pool = new WriterPool(root, { maxOpenFiles, initialCapacity: { tick: 64 } });
  const meta = new RootMetaWriter(root, { afterWrite: (exchg, code, file, dirs) => pool.afterMetaWrite(exchg, code, file, dirs) });
  return { pool, meta };
}

describe('META FIRST: the metadata is durable before any record of its instrument is synced', () => {
  it('written without an fsync on the event loop, readable at once; records are synced only once it is durable, instrument by instrument', async () => {
    const root = makeTempDir();
    const { pool, meta } = recorderLike(root);
    // an instrument whose metadata was written (and made durable) before this run
    new RootMetaWriter(root).ensure(instruments.metaOf('BINANCE', 'ETHUSDT'));
    const syncs = vi.spyOn(fs, 'fsyncSync');
    const datasyncs: string[] = [];
    const fdatasync = vi.spyOn(fs, 'fdatasync');
    try {
      meta.ensure(instruments.metaOf('BINANCE', 'ETHUSDT')); // unchanged: nothing written, nothing held
      meta.ensure(instruments.metaOf('BINANCE', 'BTCUSDT'));
      expect(syncs).not.toHaveBeenCalled();
      expect(readStoredMeta(root, 'BINANCE', 'BTCUSDT')).toMatchObject({ volume_decimals: 5 }); // visible before the first record
      expect(pool.metadataPending).toBe(1);
      for (let i = 0; i < 10; i++) {
        pool.append(TICK_KIND, 'BINANCE', 'BTCUSDT', D1, rec(i, 'BTCUSDT'));
        pool.append(TICK_KIND, 'BINANCE', 'ETHUSDT', D1, rec(i, 'ETHUSDT'));
      }
      fdatasync.mockImplementation((...args: Parameters<typeof fs.fdatasync>) => {
        datasyncs.push(fs.readlinkSync(`/proc/self/fd/${String(args[0])}`));
        return Reflect.apply(fdatasyncReal, fs, args);
      });
      // the same turn: the metadata's fsync has not run; only ETHUSDT's records are synced
      pool.syncAllInBackground();
      expect(datasyncs).toEqual([path.join(root, 'rt', 'ticks', 'BINANCE', 'ETHUSDT.dmb')]);
      await waitUntil('the metadata durable', () => pool.metadataPending === 0 && pool.creationsInFlight === 0);
      await waitUntil('ETHUSDT synced', () => pool.recordsSynced === 10);
      pool.syncAllInBackground();
      await waitUntil('BTCUSDT synced after its metadata', () => pool.recordsSynced === 20);
      expect(datasyncs).toContain(path.join(root, 'rt', 'ticks', 'BINANCE', 'BTCUSDT.dmb'));
      expect(syncs).not.toHaveBeenCalled();
    } finally {
      syncs.mockRestore();
      fdatasync.mockRestore();
    }
    pool.closeAll();
  });

  it('a blocking close of a held instrument (eviction) first makes its metadata durable inline', () => {
    const root = makeTempDir();
    const { pool, meta } = recorderLike(root, 1);
    meta.ensure(instruments.metaOf('BINANCE', 'BTCUSDT'));
    pool.append(TICK_KIND, 'BINANCE', 'BTCUSDT', D1, rec(1, 'BTCUSDT'));
    expect(pool.metadataPending).toBe(1);
    const order: string[] = [];
    const syncs = vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      order.push(fs.readlinkSync(`/proc/self/fd/${String(fd)}`));
      fsyncReal(fd);
    });
    try {
      pool.append(TICK_KIND, 'BINANCE', 'ETHUSDT', D1, rec(2, 'ETHUSDT')); // evicts BTCUSDT's writer (msync on close)
    } finally {
      syncs.mockRestore();
    }
    expect(pool.metadataPending).toBe(0);
    expect(order).toContain(instrumentMetaPath(root, 'BINANCE', 'BTCUSDT'));
    expect(order).toContain(path.dirname(instrumentMetaPath(root, 'BINANCE', 'BTCUSDT')));
    pool.closeAll();
    const r = RtReader.open(path.join(root, 'rt', 'ticks', 'BINANCE', 'BTCUSDT.dmb'));
    expect(r.length).toBe(1);
    r.close();
  });

  it('without a pool, the metadata file and its folder are fsync’ed before ensure() returns', () => {
    const root = makeTempDir();
    const order: string[] = [];
    const syncs = vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      order.push(fs.readlinkSync(`/proc/self/fd/${String(fd)}`));
      fsyncReal(fd);
    });
    try {
      new RootMetaWriter(root).ensure(instruments.metaOf('SHFE', 'rb2505'));
    } finally {
      syncs.mockRestore();
    }
    const file = instrumentMetaPath(root, 'SHFE', 'rb2505');
    expect(order[0]).toMatch(/rb2505\.json\.tmp-\d+$/); // the content, before the rename
    expect(order).toContain(path.dirname(file));
    expect(order).toContain(path.join(root, 'meta')); // the new folders' entries too
  });
});

describe('quiet files and many open files', () => {
  it('a background sync of a file with nothing new since the last one is not run', async () => {
    const file = path.join(makeTempDir(), 'rt', 'ticks', 'BINANCE', 'BTCUSDT.dmb');
    const w = RtWriter.open(file, { kind: TICK_KIND, date: D1, initialCapacity: 16 });
    const fdatasync = vi.spyOn(fs, 'fdatasync');
    try {
      const synced = async () => {
        let gained = -1;
        w.syncInBackground((err, n) => {
          expect(err).toBeUndefined();
          gained = n;
        });
        await waitUntil('the sync done', () => gained >= 0);
        return gained;
      };
      expect(await synced()).toBe(0); // the first one always runs (a new or repaired header)
      w.append(rec(1, 'BTCUSDT'));
      expect(await synced()).toBe(1);
      expect(fdatasync).toHaveBeenCalledTimes(2);
      w.syncInBackground(() => expect.unreachable('nothing to sync'));
      expect(fdatasync).toHaveBeenCalledTimes(2);
      w.append(rec(2, 'BTCUSDT'));
      expect(await synced()).toBe(1);
      expect(fdatasync).toHaveBeenCalledTimes(3);
    } finally {
      fdatasync.mockRestore();
    }
    w.close();
  });

  it(`checkOpenFiles looks at a bounded share of the open files per call and at every one within ${CHECK_ROUNDS} calls`, () => {
    const root = makeTempDir();
    const n = CHECK_MIN_PER_ROUND + 200;
    const pool = new WriterPool(root, { maxOpenFiles: n, initialCapacity: { tick: 4 } });
    for (let k = 0; k < n; k++) pool.append(TICK_KIND, 'BINANCE', `C${k}`, D1, rec(k, `C${k}`));
    // the least recently written (checked last) and the most recent one are deleted
    for (const k of [0, n - 1]) fs.rmSync(path.join(root, 'rt', 'ticks', 'BINANCE', `C${k}.dmb`));
    const stat = vi.spyOn(fs, 'statSync');
    let first: number;
    try {
      first = pool.checkOpenFiles();
      expect(stat.mock.calls.length).toBeLessThanOrEqual(Math.max(CHECK_MIN_PER_ROUND, Math.ceil(n / CHECK_ROUNDS)));
    } finally {
      stat.mockRestore();
    }
    let dealt = first;
    for (let i = 1; i < CHECK_ROUNDS; i++) dealt += pool.checkOpenFiles();
    expect(first).toBe(1); // the newest, in the first share
    expect(dealt).toBe(2);
    pool.closeAll();
    for (const k of [0, n - 1]) {
      const r = RtReader.open(path.join(root, 'rt', 'ticks', 'BINANCE', `C${k}.dmb`)); // written back
      expect(r.length).toBe(1);
      r.close();
    }
  });
});

describe('SPARE FILES (src/store/spare.ts): a new file at the open is an empty file made ahead, renamed', () => {
  it('the stock fills in the background up to its target, is refilled after take(), and what a restart finds is reused', async () => {
    const dir = path.join(makeTempDir(), 'spare');
    const s = new SpareFiles(dir, 20);
    await s.full();
    expect(s.available).toBe(20);
    expect(fs.readdirSync(dir)).toHaveLength(20);
    const taken = [s.take(), s.take(), s.take()];
    for (const f of taken) expect(fs.statSync(f!).size).toBe(0);
    await s.full();
    expect(s.available).toBe(20);
    await s.stop();
    const again = new SpareFiles(dir, 30);
    expect(again.available).toBe(23); // the three taken were never used: still spares
    await again.full();
    expect(fs.readdirSync(dir)).toHaveLength(30);
  });

  it('a pool and the metadata writer build their new files in spares (the same inode renamed), emptied first; without one they make their own', async () => {
    const root = makeTempDir();
    const spare = new SpareFiles(path.join(root, 'spare'), 8);
    await spare.full();
    void spare.stop(); // no refill: the test counts what is taken
    const inodes = new Map(fs.readdirSync(spare.dir).map((f) => [fs.statSync(path.join(spare.dir, f)).ino, f]));
    // a crash left bytes in one of them
    fs.writeFileSync(path.join(spare.dir, [...inodes.values()][7]!), Buffer.alloc(100_000, 0xff));
    const pool = new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 64 }, spare });
    const meta = new RootMetaWriter(root, {
      afterWrite: (exchg, code, file, dirs) => pool.afterMetaWrite(exchg, code, file, dirs),
      spare,
    });
    const codes = ['C0', 'C1', 'C2', 'C3', 'C4'];
    for (const c of codes) {
      meta.ensure({ ...instruments.metaOf('BINANCE', 'BTCUSDT'), code: c });
      pool.append(TICK_KIND, 'BINANCE', c, D1, rec(1, c));
    }
    // 8 spares: 4 metadata and 4 tick files from them, the last ones made from scratch
    const made = [
      ...codes.map((c) => instrumentMetaPath(root, 'BINANCE', c)),
      ...codes.map((c) => path.join(root, 'rt', 'ticks', 'BINANCE', `${c}.dmb`)),
    ];
    const fromSpare = made.filter((f) => inodes.has(fs.statSync(f).ino));
    expect(fromSpare).toHaveLength(8);
    expect(fs.readdirSync(spare.dir)).toEqual([]);
    await waitUntil('durable', () => pool.creationsInFlight === 0);
    pool.closeAll();
    for (const c of codes) {
      expect(readStoredMeta(root, 'BINANCE', c)).toMatchObject({ code: c, volume_decimals: 5 });
      const r = RtReader.open(path.join(root, 'rt', 'ticks', 'BINANCE', `${c}.dmb`));
      expect(r.length).toBe(1);
      expect(r.capacity).toBe(64);
      expect(r.get(0)['code']).toBe(c);
      r.close();
    }
    // the spare folder gone after its spares were listed: files are made from scratch
    const spare2 = new SpareFiles(spare.dir, 2);
    await spare2.full();
    await spare2.stop();
    fs.rmSync(spare.dir, { recursive: true });
    const pool2 = new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 64 }, spare: spare2 });
    pool2.append(TICK_KIND, 'BINANCE', 'C9', D1, rec(1, 'C9'));
    pool2.closeAll();
    const r9 = RtReader.open(path.join(root, 'rt', 'ticks', 'BINANCE', 'C9.dmb'));
    expect(r9.length).toBe(1);
    r9.close();
    expect(fs.readdirSync(path.join(root, 'rt', 'ticks', 'BINANCE')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

const fdatasyncReal = fs.fdatasync;
const fsyncReal = fs.fsyncSync;

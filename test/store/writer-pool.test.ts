// Tests of WriterPool (src/store/writer-pool.ts): live file creation, the open-file bound, scan after a restart, lastRecord, and the name rule applied before any file exists.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { MIN1_KIND, TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { RtReader, RtWriter, WriterPool, type WriterPoolOptions } from '../../src/store/index.js';
import { makeTick, tickChecksum } from '../helpers/ticks.js';
import { diskHeader, makeTempDir, removeTempDirs, writeTickFile } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const SEED = 0x900d;
const D1 = 20250102;

/** Tick `seq` (sequence in total_volume) of an instrument and trading date, with a valid checksum. */
function rec(seq: number, code = 'rb2505', date = D1, exchg = 'SHFE'): Record<string, unknown> {
  const t = makeTick(seq, SEED);
  t.exchg = exchg;
  t.code = code;
  t.trading_date = date;
  t.action_date = date;
  t.settle_price = tickChecksum(t as unknown as Record<string, unknown>);
  return { ...t };
}

function pool(root: string, over: Partial<WriterPoolOptions> = {}): WriterPool {
  return new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 8, trade: 8 }, ...over });
}

/** Every file and folder under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(e.isDirectory() ? `${r}/` : r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** The records of a tick file as [code, trading_date, seq], checking each checksum. */
function recordsOf(file: string): [string, number, number][] {
  const r = RtReader.open(file);
  try {
    const out: [string, number, number][] = [];
    for (let i = 0; i < r.length; i++) {
      const v = r.get(i);
      expect(v['settle_price'], `${file} record ${i} checksum`).toBe(tickChecksum(v));
      out.push([v['code'] as string, v['trading_date'] as number, v['total_volume'] as number]);
    }
    return out;
  } finally {
    r.close();
  }
}

describe('WriterPool: the name rule', () => {
  it.each([
    ['..', 'x'],
    ['SHFE', '../../x'],
    ['SHFE', '..'],
    ['SHFE', '.'],
    ['SHFE', 'a/b'],
    ['SHFE', '/etc/passwd'],
    ['', 'rb2505'],
    ['SHFE', ''],
    ['../../..', 'tmp'],
    ['SHFE', 'a'.repeat(32)],
    ['S'.repeat(16), 'rb2505'],
    ['SHFE', 'rb2505\u0000'],
  ])('refuses exchange %j code %j before any file or folder is created', (exchg, code) => {
    const base = makeTempDir();
    const root = path.join(base, 'root');
    fs.mkdirSync(root);
    const p = pool(root);
    let err: unknown;
    try {
      p.append(TICK_KIND, exchg, code, D1, rec(0));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_FIELD');
    expect(() => p.lastRecord(TICK_KIND, exchg, code)).toThrow(TickrecError);
    expect(tree(base)).toEqual(['root/']);
    expect(p.openFiles).toBe(0);
    // a good name afterwards creates only its own file
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0))).toBe(true);
    p.closeAll();
    expect(tree(base)).toEqual(['root/', 'root/rt/', 'root/rt/ticks/', 'root/rt/ticks/SHFE/', 'root/rt/ticks/SHFE/rb2505.dmb']);
  });
});

describe('WriterPool: append', () => {
  it('creates rt/ticks/EXCHG/CODE.dmb with the trading date in the header', () => {
    const root = makeTempDir();
    const p = pool(root);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0))).toBe(true);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(1))).toBe(true);
    const file = path.join(root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    expect(diskHeader(file)).toMatchObject({ type: TICK_KIND.rtType, size: 2, capacity: 8, date: D1 });
    expect(p.openFiles).toBe(1);
    expect([...p.live()].map((e) => [e.kind.name, e.exchg, e.code, e.date, e.path])).toEqual([['tick', 'SHFE', 'rb2505', D1, file]]);
    p.closeAll();
    expect(p.openFiles).toBe(0);
    expect(recordsOf(file)).toEqual([
      ['rb2505', D1, 0],
      ['rb2505', D1, 1],
    ]);
  });

  it('trades go to rt/trans/ with their own record kind', () => {
    const root = makeTempDir();
    const p = pool(root);
    p.append(TRADE_KIND, 'SHFE', 'rb2505', D1, {
      exchg: 'SHFE',
      code: 'rb2505',
      trading_date: D1,
      action_date: D1,
      action_time: 90000000,
      index: 1,
      ttype: 0x4d,
      side: 0x42,
      price: 3500,
      volume: 3,
      askorder: 0,
      bidorder: 0,
    });
    p.closeAll();
    const file = path.join(root, 'rt', 'trans', 'SHFE', 'rb2505.dmb');
    expect(diskHeader(file)).toMatchObject({ type: TRADE_KIND.rtType, size: 1, date: D1 });
    expect(p.lastRecord(TRADE_KIND, 'SHFE', 'rb2505')).toMatchObject({ index: 1, volume: 3, side: 0x42 });
  });

  it('grows past the initial capacity', () => {
    const root = makeTempDir();
    const p = pool(root, { initialCapacity: { tick: 2 } });
    for (let i = 0; i < 50; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    p.closeAll();
    expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb')).map((r) => r[2])).toEqual([...Array(50).keys()]);
  });

  it('maxOpenFiles 4, 10 instruments round-robin: never more than 4 open, every record in its file', () => {
    const root = makeTempDir();
    const p = pool(root, { maxOpenFiles: 4 });
    const codes = Array.from({ length: 10 }, (_, k) => `rb25${String(k).padStart(2, '0')}`);
    let maxOpen = 0;
    for (let round = 0; round < 20; round++) {
      for (const code of codes) {
        expect(p.append(TICK_KIND, 'SHFE', code, D1, rec(round, code))).toBe(true);
        maxOpen = Math.max(maxOpen, p.openFiles);
        expect(p.openFiles).toBeLessThanOrEqual(4);
      }
    }
    expect(maxOpen).toBe(4);
    // the process holds no more than 4 of the files open
    const open = fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(root);
      } catch {
        return false;
      }
    });
    expect(open.length).toBeLessThanOrEqual(4);
    p.closeAll();
    for (const code of codes) {
      const file = path.join(root, 'rt', 'ticks', 'SHFE', `${code}.dmb`);
      expect(recordsOf(file)).toEqual(Array.from({ length: 20 }, (_, i) => [code, D1, i]));
    }
  });

  it('lastRecord: undefined for an unknown instrument, else the last appended (open or closed)', () => {
    const root = makeTempDir();
    const p = pool(root, { maxOpenFiles: 4 });
    expect(p.lastRecord(TICK_KIND, 'SHFE', 'rb2505')).toBeUndefined();
    for (let i = 0; i < 3; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    expect(p.lastRecord(TICK_KIND, 'SHFE', 'rb2505')).toMatchObject({ code: 'rb2505', total_volume: 2, trading_date: D1 });
    p.closeAll();
    expect(p.lastRecord(TICK_KIND, 'SHFE', 'rb2505')).toMatchObject({ total_volume: 2 });
    p.closeAll();
  });
});

describe('WriterPool: scan after a restart', () => {
  it('finds the live files and their dates, ignores finished folders and foreign names, and continues after the last record', () => {
    const root = makeTempDir();
    const p1 = pool(root);
    p1.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0));
    p1.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(1));
    p1.append(TICK_KIND, 'DCE', 'm2505', 20250103, rec(0, 'm2505', 20250103, 'DCE'));
    p1.closeAll();
    // an empty live file, a finished day, a file tickrec would not have named, a stray file, an unknown folder
    writeTickFile(path.join(root, 'rt', 'ticks', 'CZCE', 'SR505.dmb'), [], 4, { date: 20250106 });
    writeTickFile(path.join(root, 'rt', 'ticks', 'SHFE', '20250101', 'rb2505.dmb'), [rec(0, 'rb2505', 20250101)], 4, { date: 20250101 });
    writeTickFile(path.join(root, 'rt', 'ticks', 'SHFE', 'bad name.dmb'), [], 4);
    fs.writeFileSync(path.join(root, 'rt', 'ticks', 'SHFE', 'notes.txt'), 'x');
    fs.mkdirSync(path.join(root, 'rt', 'other', 'SHFE'), { recursive: true });
    fs.writeFileSync(path.join(root, 'rt', 'other', 'SHFE', 'x.dmb'), 'x');

    const p2 = pool(root);
    expect(p2.scan()).toBe(3);
    expect(p2.openFiles).toBe(0); // found without opening
    const live = [...p2.live()].map((e) => `${e.kind.name} ${e.exchg}.${e.code} ${e.date}`).sort();
    expect(live).toEqual(['tick CZCE.SR505 20250106', 'tick DCE.m2505 20250103', 'tick SHFE.rb2505 20250102']);
    expect(p2.lastRecord(TICK_KIND, 'SHFE', 'rb2505')).toMatchObject({ total_volume: 1 });
    expect(p2.lastRecord(TICK_KIND, 'CZCE', 'SR505')).toBeUndefined();
    p2.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(2));
    p2.closeAll();
    expect(recordsOf(path.join(root, 'rt', 'ticks', 'SHFE', 'rb2505.dmb')).map((r) => r[2])).toEqual([0, 1, 2]);
  });

  it('scan of a root without rt/ finds nothing', () => {
    expect(pool(makeTempDir()).scan()).toBe(0);
  });

  it('an instrument met before scan() reads its date from its file', () => {
    const root = makeTempDir();
    const file = path.join(root, 'rt', 'min1', 'SHFE', 'rb2505.dmb');
    const w = RtWriter.open(file, { kind: MIN1_KIND, date: 20250107, initialCapacity: 4 });
    w.close();
    const p = pool(root);
    expect(p.lastRecord(MIN1_KIND, 'SHFE', 'rb2505')).toBeUndefined();
    expect([...p.live()].map((e) => e.date)).toEqual([20250107]);
    p.closeAll();
  });
});

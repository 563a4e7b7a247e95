// Tests of rolling a live file to its finished place (src/store/roll.ts, WriterPool roll paths) and of a follower crossing a roll made by the pool.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { TICK_KIND, type RecordKind } from '../../src/format/index.js';
import {
  RtReader,
  WriterPool,
  dayFinished,
  dayOverByClock,
  follow,
  lastSetAside,
  olderRecordError,
  setAside,
  setAsideFiles,
  tradingDateByClock,
  type FileInfo,
  type WriterPoolOptions,
} from '../../src/store/index.js';
import { buildSessionBook } from '../../src/calendar/index.js';
import { makeTick, tickChecksum } from '../helpers/ticks.js';
import { diskHeader, makeTempDir, removeTempDirs, writeTickFile } from '../helpers/tmp.js';
import { finishedPath, hisDayPath } from '../../src/layout/index.js';

afterAll(() => removeTempDirs());

const SEED = 0xf011;
const D1 = 20250102;
const D2 = 20250103;
const D3 = 20250106;

function rec(seq: number, date = D1, code = 'rb2505'): Record<string, unknown> {
  const t = makeTick(seq, SEED);
  t.code = code;
  t.trading_date = date;
  t.action_date = date;
  t.settle_price = tickChecksum(t);
  return { ...t };
}

type RollInfo = { kind: string; exchg: string; code: string; date: number; to: string | undefined };

function pool(root: string, over: Partial<WriterPoolOptions> = {}) {
  const rolls: RollInfo[] = [];
  const p = new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 4 }, onRoll: (i) => rolls.push(i), ...over });
  return { p, rolls };
}

const live = (root: string, code = 'rb2505') => path.join(root, 'rt', 'ticks', 'SHFE', `${code}.dmb`);
const finished = (root: string, date: number, code = 'rb2505') => path.join(root, 'rt', 'ticks', 'SHFE', String(date), `${code}.dmb`);

function seqsOf(file: string): [number, number][] {
  const r = RtReader.open(file);
  try {
    return Array.from({ length: r.length }, (_, i) => {
      const v = r.get(i);
      expect(v['settle_price']).toBe(tickChecksum(v));
      return [v['trading_date'] as number, v['total_volume'] as number] as [number, number];
    });
  } finally {
    r.close();
  }
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return expect.fail('expected an error, none was thrown');
}

describe('WriterPool: records that cannot go into the live file', () => {
  it('a record of an earlier date than the live file throws naming the file, writing nothing', () => {
    const root = makeTempDir();
    const { p } = pool(root);
    p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(0, D2));
    const err = catchError(() => p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(1, D1)));
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).message).toContain(live(root));
    expect((err as TickrecError).file).toBe(live(root));
    expect(String((err as Error).message)).toContain(String(D1));
    p.closeAll();
    expect(seqsOf(live(root))).toEqual([[D2, 0]]);
  });

  it('after rollFinished, a late record of the finished day is refused (false) and creates nothing', () => {
    const root = makeTempDir();
    const { p } = pool(root);
    p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0));
    expect(p.rollFinished(() => true)).toBe(1);
    expect(fs.existsSync(live(root))).toBe(false);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(1))).toBe(false);
    expect(fs.existsSync(live(root))).toBe(false);
    expect(seqsOf(finished(root, D1))).toEqual([[D1, 0]]);
    // the next day is accepted
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(0, D2))).toBe(true);
    p.closeAll();
  });

  it('a late record is refused when the day exists only as his/ticks/EXCHG/DATE/CODE.dsb', () => {
    const root = makeTempDir();
    const dsb = path.join(root, 'his', 'ticks', 'SHFE', String(D1), 'rb2505.dsb');
    fs.mkdirSync(path.dirname(dsb), { recursive: true });
    fs.writeFileSync(dsb, 'compacted');
    const { p } = pool(root);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0))).toBe(false);
    expect(fs.existsSync(live(root))).toBe(false);
    expect(p.append(TICK_KIND, 'SHFE', 'cu2505', D1, rec(0, D1, 'cu2505'))).toBe(true); // another instrument is not affected
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(0, D2))).toBe(true);
    p.closeAll();
    expect(fs.readFileSync(dsb, 'utf8')).toBe('compacted');
  });
});

describe('WriterPool: roll to the next trading day', () => {
  it('a record of a later date moves the live file intact to rt/ticks/EXCHG/<DATE>/CODE.dmb and starts a new one', () => {
    const root = makeTempDir();
    const { p, rolls } = pool(root);
    for (let i = 0; i < 7; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i)); // grows 4 → 8
    const before = fs.readFileSync(live(root)); // the mapping is shared: read() sees it
    const inode = fs.statSync(live(root)).ino;
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(0, D2))).toBe(true);
    const done = finished(root, D1);
    // `before` may hold zeros the writer's helper wrote ahead of the next growth (racing
    // this read); close() cuts them: the finished file is exactly its capacity, 8 slots.
    const doneBytes = fs.readFileSync(done);
    expect(doneBytes.length).toBe(24 + 8 * 512);
    expect(Buffer.compare(doneBytes, before.subarray(0, doneBytes.length))).toBe(0);
    expect(fs.statSync(done).ino).toBe(inode); // a rename, not a copy
    expect(diskHeader(done)).toMatchObject({ size: 7, date: D1 });
    expect(seqsOf(done)).toEqual([...Array(7).keys()].map((i) => [D1, i]));
    expect(diskHeader(live(root))).toMatchObject({ size: 1, date: D2 });
    expect(rolls).toEqual([{ kind: 'tick', exchg: 'SHFE', code: 'rb2505', date: D1, to: done }]);
    expect([...p.live()].map((e) => e.date)).toEqual([D2]);
    p.closeAll();
    expect(seqsOf(live(root))).toEqual([[D2, 0]]);
    expect(fs.readdirSync(path.dirname(live(root))).sort()).toEqual([String(D1), 'rb2505.dmb']);
  });

  it('rolls a live file found on disk (not open in this process)', () => {
    const root = makeTempDir();
    writeTickFile(live(root), [rec(0), rec(1)], 4, { date: D1 });
    const before = fs.readFileSync(live(root));
    const { p, rolls } = pool(root);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(0, D2))).toBe(true);
    expect(Buffer.compare(fs.readFileSync(finished(root, D1)), before)).toBe(0);
    expect(rolls[0]!.to).toBe(finished(root, D1));
    p.closeAll();
  });

  it('rollFinished rolls only the files the predicate names, with its arguments', () => {
    const root = makeTempDir();
    const { p } = pool(root);
    p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0));
    p.append(TICK_KIND, 'SHFE', 'cu2505', D1, rec(0, D1, 'cu2505'));
    p.append(TICK_KIND, 'SHFE', 'au2506', D2, rec(0, D2, 'au2506'));
    const asked: string[] = [];
    const n = p.rollFinished((kind: RecordKind, exchg, code, date) => {
      asked.push(`${kind.name} ${exchg}.${code} ${date}`);
      return date === D1;
    });
    expect(n).toBe(2);
    expect(asked.sort()).toEqual(['tick SHFE.au2506 20250103', 'tick SHFE.cu2505 20250102', 'tick SHFE.rb2505 20250102']);
    expect(fs.existsSync(finished(root, D1))).toBe(true);
    expect(fs.existsSync(finished(root, D1, 'cu2505'))).toBe(true);
    expect(fs.existsSync(live(root, 'au2506'))).toBe(true);
    expect(fs.existsSync(live(root))).toBe(false);
    expect([...p.live()].map((e) => e.code)).toEqual(['au2506']);
    expect(p.openFiles).toBe(1);
    // nothing left to roll for D1
    expect(p.rollFinished((_k, _e, _c, date) => date === D1)).toBe(0);
    p.closeAll();
  });

  it('an empty live file is removed at roll, not set aside', () => {
    const root = makeTempDir();
    writeTickFile(live(root), [], 4, { date: D1 });
    const { p, rolls } = pool(root);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(0, D2))).toBe(true);
    expect(fs.existsSync(path.join(root, 'rt', 'ticks', 'SHFE', String(D1)))).toBe(false);
    expect(rolls).toEqual([{ kind: 'tick', exchg: 'SHFE', code: 'rb2505', date: D1, to: undefined }]);
    expect(diskHeader(live(root))).toMatchObject({ size: 1, date: D2 });
    p.closeAll();
  });

  it('never overwrites an existing finished file: the second goes to CODE~1.dmb', () => {
    const root = makeTempDir();
    writeTickFile(finished(root, D1), [rec(100)], 4, { date: D1 });
    const first = fs.readFileSync(finished(root, D1));
    writeTickFile(live(root), [rec(0), rec(1)], 4, { date: D1 }); // a replayed day
    const second = fs.readFileSync(live(root));
    const { p, rolls } = pool(root);
    expect(p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(0, D2))).toBe(true);
    const dest = path.join(root, 'rt', 'ticks', 'SHFE', String(D1), 'rb2505~1.dmb');
    expect(rolls[0]!.to).toBe(dest);
    expect(Buffer.compare(fs.readFileSync(finished(root, D1)), first)).toBe(0);
    expect(Buffer.compare(fs.readFileSync(dest), second)).toBe(0);
    p.closeAll();
  });

  it('rolls over several days in a row', () => {
    const root = makeTempDir();
    const { p, rolls } = pool(root);
    for (const [k, d] of [D1, D2, D3].entries()) for (let i = 0; i < 3 + k; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', d, rec(i, d));
    p.closeAll();
    expect(rolls.map((r) => r.date)).toEqual([D1, D2]);
    expect(seqsOf(finished(root, D1)).length).toBe(3);
    expect(seqsOf(finished(root, D2)).length).toBe(4);
    expect(seqsOf(live(root))).toEqual([0, 1, 2, 3, 4].map((i) => [D3, i]));
  });
});

describe('setAside and finishedPath', () => {
  it('finishedPath puts the file in a folder named by its date', () => {
    expect(finishedPath('/d/rt/ticks/SHFE/rb2505.dmb', D1)).toBe('/d/rt/ticks/SHFE/20250102/rb2505.dmb');
  });

  it('moves a file, numbering further files of the same day ~1, ~2, never overwriting', () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    const contents: Buffer[] = [];
    const dests: (string | undefined)[] = [];
    for (let k = 0; k < 3; k++) {
      writeTickFile(file, [rec(k)], 2, { date: D1 });
      contents.push(fs.readFileSync(file));
      dests.push(setAside(file, D1, 1));
      expect(fs.existsSync(file)).toBe(false);
    }
    const folder = path.join(dir, 'rt', 'ticks', 'SHFE', String(D1));
    expect(dests).toEqual([path.join(folder, 'rb2505.dmb'), path.join(folder, 'rb2505~1.dmb'), path.join(folder, 'rb2505~2.dmb')]);
    dests.forEach((d, k) => expect(Buffer.compare(fs.readFileSync(d!), contents[k]!)).toBe(0));
  });

  it('removes a file with no published record and returns undefined', () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'x.dmb');
    writeTickFile(file, [], 2, { date: D1 });
    expect(setAside(file, D1, 0)).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a failure names the file', () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'missing.dmb');
    const err = catchError(() => setAside(file, D1, 3));
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as Error).message).toContain(file);
  });
});

describe('the day roll rules (src/store/roll.ts)', () => {
  it('setAsideFiles lists every file a day was set aside as, in order; lastSetAside names the newest', () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    expect(setAsideFiles(file, D1)).toEqual([]);
    expect(lastSetAside(file, D1)).toBeUndefined();
    const dests: string[] = [];
    for (let k = 0; k < 3; k++) {
      writeTickFile(file, [rec(k)], 2, { date: D1 });
      dests.push(setAside(file, D1, 1)!);
    }
    expect(setAsideFiles(file, D1)).toEqual(dests);
    expect(lastSetAside(file, D1)).toBe(dests[2]);
    expect(setAsideFiles(file, D2)).toEqual([]);
  });

  it('dayFinished: a day set aside in rt/ or compacted into his/ is finished, another is not', () => {
    const root = makeTempDir();
    expect(dayFinished(root, TICK_KIND, 'SHFE', 'rb2505', D1)).toBe(false);
    writeTickFile(live(root), [rec(0)], 2, { date: D1 });
    setAside(live(root), D1, 1);
    expect(dayFinished(root, TICK_KIND, 'SHFE', 'rb2505', D1)).toBe(true);
    expect(dayFinished(root, TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(false);
    const his = hisDayPath(root, TICK_KIND, 'SHFE', D2, 'rb2505');
    fs.mkdirSync(path.dirname(his), { recursive: true });
    fs.writeFileSync(his, 'x');
    expect(dayFinished(root, TICK_KIND, 'SHFE', 'rb2505', D2)).toBe(true);
    // The caller's word on history replaces the his-file check.
    expect(dayFinished(root, TICK_KIND, 'SHFE', 'rb2505', D2, () => false)).toBe(false);
    expect(
      dayFinished(root, TICK_KIND, 'SHFE', 'rb2505', D3, (k, e, c, d) => k === 'tick' && e === 'SHFE' && c === 'rb2505' && d === D3),
    ).toBe(true);
  });

  it('olderRecordError names the file and both dates', () => {
    const e = olderRecordError('/r/rt/ticks/SHFE/rb2505.dmb', D1, D2);
    expect(e.code).toBe('E_FIELD');
    expect(e.message).toContain('/r/rt/ticks/SHFE/rb2505.dmb');
    expect(e.message).toContain(String(D1));
    expect(e.message).toContain(String(D2));
  });

  it('dayOverByClock: a day is over only `delay` after it ended by its session clock', () => {
    const book = buildSessionBook(JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../config/sessions.json'), 'utf8')));
    const utc = book.sessions.get('UTC24')!;
    const midnight = Date.UTC(2025, 0, 3); // 2025-01-03 00:00 UTC: the end of 20250102
    const grace = 60_000;
    expect(tradingDateByClock(utc, book.holidays, midnight - 1, 0)).toBe(20250102);
    expect(tradingDateByClock(utc, book.holidays, midnight, 0)).toBe(20250103);
    expect(dayOverByClock(utc, book.holidays, 20250102, midnight + grace - 1, grace)).toBe(false);
    expect(dayOverByClock(utc, book.holidays, 20250102, midnight + grace, grace)).toBe(true);
    expect(dayOverByClock(utc, book.holidays, 20250103, midnight + grace, grace)).toBe(false);
  });
});

describe('a follower crosses a roll made by the pool', () => {
  it('sees every record of both days exactly once, in order', async () => {
    const root = makeTempDir();
    const { p } = pool(root);
    p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(0));
    const got: [number, number][] = [];
    const events: string[] = [];
    let wake: (() => void) | undefined;
    let want = 0;
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        want = n;
        wake = resolve;
        if (got.length >= n) resolve();
      });
    const f = follow(
      live(root),
      (v, _i, r) => {
        got.push([r.date, v.total_volume as number]);
        expect(v.trading_date).toBe(r.date);
        if (got.length >= want) wake?.();
        return true;
      },
      {
        mode: 'timer',
        intervalMs: 1,
        rollCheckMs: 0,
        onFileStart: (x: FileInfo) => events.push(`start ${x.date}`),
        onFileEnd: (x: FileInfo) => events.push(`end ${x.date} ${x.length}`),
      },
    );
    let stopping = false;
    const failed = f.done.then(() => {
      if (!stopping) expect.fail('the follower stopped early');
    });
    await Promise.race([until(1), failed]);
    // the rest of day 1 and the roll happen between two polls of the follower
    for (let i = 1; i < 50; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    for (let i = 0; i < 50; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D2, rec(i, D2));
    await Promise.race([until(100), failed]);
    // and a second roll, through rollFinished then a new day
    p.rollFinished(() => true);
    for (let i = 0; i < 10; i++) p.append(TICK_KIND, 'SHFE', 'rb2505', D3, rec(i, D3));
    await Promise.race([until(110), failed]);
    stopping = true;
    f.stop();
    await failed;
    p.closeAll();
    expect(got).toEqual([
      ...[...Array(50).keys()].map((i) => [D1, i]),
      ...[...Array(50).keys()].map((i) => [D2, i]),
      ...[...Array(10).keys()].map((i) => [D3, i]),
    ]);
    expect(events).toEqual([`start ${D1}`, `end ${D1} 50`, `start ${D2}`, `end ${D2} 50`, `start ${D3}`]);
  });
});

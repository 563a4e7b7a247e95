// Live files changed by someone else while tickrec holds them (docs/reliability.md, "probes from outside"): truncated (the FAULT GUARD turns SIGBUS into E_TRUNCATED), deleted or replaced (the writer writes its records back; a follower stops with E_REPLACED instead of delivering another instrument's rows).

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { TICK_KIND } from '../../src/format/index.js';
import { RtReader, RtWriter, WriterPool, follow } from '../../src/store/index.js';
import { guardStatus } from '../../src/store/fault-guard.js';
import { makeTick, tickChecksum } from '../helpers/ticks.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterAll(() => removeTempDirs());

const D1 = 20250102;

function rec(seq: number, code = 'rb2505', date = D1): Record<string, unknown> {
  const t = makeTick(seq, 0x5eed);
  t.exchg = 'SHFE';
  t.code = code;
  t.trading_date = date;
  t.action_date = date;
  t.total_volume = seq + 1;
  t.settle_price = tickChecksum(t);
  return { ...t };
}

function seqs(file: string): number[] {
  const r = RtReader.open(file);
  try {
    const out: number[] = [];
    for (let i = 0; i < r.length; i++) out.push(Number(r.field(i, 'total_volume')) - 1);
    return out;
  } finally {
    r.close();
  }
}

function makePool(root: string, damaged: TickrecError[]): WriterPool {
  return new WriterPool(root, { maxOpenFiles: 16, initialCapacity: { tick: 64 }, onDamaged: (e) => damaged.push(e) });
}

const live = (root: string, code = 'rb2505') => path.join(root, 'rt', 'ticks', 'SHFE', `${code}.dmb`);
const asideOf = (root: string, code: string, tag: string) =>
  fs.readdirSync(path.join(root, 'rt', 'ticks', 'SHFE')).filter((f) => f.startsWith(`${code}.dmb.${tag}-`));

describe('FAULT GUARD', () => {
  it('is built into the addon (npx node-gyp rebuild --directory=native/fs)', () => {
    expect(guardStatus()).toEqual({ available: true, reason: 'SIGBUS guard through native/fs' });
  });
});

describe('a live file truncated under the writer', () => {
  for (const to of [0, 24, 24 + 512 * 5]) {
    it(`truncate -s ${to}: the append that touches past the end fails inside the pool, the file is set aside, the record goes to a new file, the other instrument goes on`, () => {
      const root = makeTempDir('tickrec-trunc-');
      const damaged: TickrecError[] = [];
      const pool = makePool(root, damaged);
      for (let i = 0; i < 20; i++) {
        pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
        pool.append(TICK_KIND, 'SHFE', 'cu2505', D1, rec(i, 'cu2505'));
      }
      fs.truncateSync(live(root), to); // someone else's hands; the mapping stays as it was
      for (let i = 20; i < 40; i++) {
        expect(pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i))).toBe(true);
        pool.append(TICK_KIND, 'SHFE', 'cu2505', D1, rec(i, 'cu2505'));
      }
      pool.closeAll();
      expect(damaged.map((e) => e.code)).toEqual(['E_TRUNCATED']);
      expect(damaged[0]!.message).toContain(live(root));
      expect(damaged[0]!.message).toMatch(/set aside as .*rb2505\.dmb\.truncated-/);
      expect(asideOf(root, 'rb2505', 'truncated')).toHaveLength(1);
      expect(seqs(live(root))).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i)); // nothing after the cut lost
      expect(seqs(live(root, 'cu2505'))).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(pool.filesDamaged).toBe(1);
    });
  }

  it('a truncation nobody touches yet is found by checkOpenFiles (fstat at the sync interval)', () => {
    const root = makeTempDir('tickrec-trunc-');
    const damaged: TickrecError[] = [];
    const pool = makePool(root, damaged);
    for (let i = 0; i < 3; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    fs.truncateSync(live(root), 24 + 512 * 40); // past the records written, short of the mapping
    expect(pool.checkOpenFiles()).toBe(1);
    expect(damaged.map((e) => e.code)).toEqual(['E_TRUNCATED']);
    expect(asideOf(root, 'rb2505', 'truncated')).toHaveLength(1);
    expect(fs.existsSync(live(root))).toBe(false);
    pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(3));
    pool.closeAll();
    expect(seqs(live(root))).toEqual([3]);
  });

  it('a live file found truncated at open (after a restart) is set aside instead of refusing every record', () => {
    const root = makeTempDir('tickrec-trunc-');
    const w = RtWriter.open(live(root), { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 30; i++) w.append(rec(i));
    w.close();
    fs.truncateSync(live(root), 24 + 512 * 10);
    const damaged: TickrecError[] = [];
    const pool = makePool(root, damaged);
    expect(pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(30))).toBe(true);
    pool.closeAll();
    expect(damaged.map((e) => e.code)).toEqual(['E_TRUNCATED']);
    expect(seqs(live(root))).toEqual([30]);
  });
});

describe('a live file truncated under a reader', () => {
  it('random access: get() throws E_TRUNCATED naming the file instead of dying of SIGBUS', () => {
    const root = makeTempDir('tickrec-trunc-');
    const w = RtWriter.open(live(root), { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 30; i++) w.append(rec(i));
    const r = RtReader.open(live(root));
    expect(r.get(29).total_volume).toBe(30);
    fs.truncateSync(live(root), 24 + 512 * 10);
    let err: unknown;
    try {
      r.get(29);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_TRUNCATED');
    expect((err as TickrecError).message).toContain(live(root));
    expect(() => r.length).toThrow(/E_TRUNCATED|truncated/);
    r.close();
    w.close();
  });

  it('truncate -s 0: follow() stops with E_TRUNCATED and never delivers a zero record', async () => {
    const root = makeTempDir('tickrec-trunc-');
    const w = RtWriter.open(live(root), { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 10; i++) w.append(rec(i));
    const got: number[] = [];
    const f = follow(live(root), (v) => void got.push(Number(v.total_volume)), { mode: 'timer', intervalMs: 5 });
    while (got.length < 10) await new Promise((r) => setTimeout(r, 5));
    fs.truncateSync(live(root), 0);
    // the writer goes on into its (now detached) pages: the follower must not hand them out
    for (let i = 10; i < 20; i++) {
      try {
        w.append(rec(i));
      } catch {
        // E_TRUNCATED: the writer saw it too
      }
    }
    const err = await f.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as TickrecError | undefined)?.code).toBe('E_TRUNCATED');
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    w.close();
  });
});

describe('a live file deleted or replaced under the writer', () => {
  it('rm: checkOpenFiles writes the held records back to the path; nothing written before or after is lost', () => {
    const root = makeTempDir('tickrec-rm-');
    const damaged: TickrecError[] = [];
    const pool = makePool(root, damaged);
    for (let i = 0; i < 10; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    fs.rmSync(live(root));
    for (let i = 10; i < 20; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i)); // into the unlinked inode
    expect(pool.checkOpenFiles()).toBe(1);
    for (let i = 20; i < 30; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    pool.closeAll();
    expect(damaged.map((e) => e.code)).toEqual(['E_REPLACED']);
    expect(damaged[0]!.message).toMatch(/deleted .*20 records .*written back/);
    expect(seqs(live(root))).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it("mv OTHER FILE: the intruder is kept as .displaced-<time>, the path gets this instrument's records back", () => {
    const root = makeTempDir('tickrec-mv-');
    const damaged: TickrecError[] = [];
    const pool = makePool(root, damaged);
    for (let i = 0; i < 10; i++) {
      pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
      pool.append(TICK_KIND, 'SHFE', 'cu2505', D1, rec(100 + i, 'cu2505'));
    }
    // copy cu2505's file over rb2505's path (a copy: the cu2505 writer keeps its own)
    const other = path.join(root, 'other.dmb');
    fs.copyFileSync(live(root, 'cu2505'), other);
    fs.renameSync(other, live(root));
    expect(pool.checkOpenFiles()).toBe(1);
    pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(10));
    pool.closeAll();
    expect(damaged.map((e) => e.code)).toEqual(['E_REPLACED']);
    expect(seqs(live(root))).toEqual(Array.from({ length: 11 }, (_, i) => i));
    const displaced = asideOf(root, 'rb2505', 'displaced');
    expect(displaced).toHaveLength(1);
    expect(seqs(path.join(root, 'rt', 'ticks', 'SHFE', displaced[0]!))).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
  });
});

describe("a followed file replaced by another instrument's", () => {
  it("stops with E_REPLACED instead of delivering the other rows as this instrument's", async () => {
    const root = makeTempDir('tickrec-mv-');
    const a = RtWriter.open(live(root, 'ETHUSDT'), { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    const b = RtWriter.open(live(root, 'BTCUSDT'), { kind: TICK_KIND, date: D1, initialCapacity: 64 });
    for (let i = 0; i < 5; i++) {
      a.append(rec(i, 'ETHUSDT'));
      b.append(rec(100 + i, 'BTCUSDT'));
    }
    const codes: string[] = [];
    const f = follow(live(root, 'ETHUSDT'), (v) => void codes.push(String(v.code)), { mode: 'timer', intervalMs: 5, rollCheckMs: 10 });
    while (codes.length < 5) await new Promise((r) => setTimeout(r, 5));
    fs.renameSync(live(root, 'BTCUSDT'), live(root, 'ETHUSDT')); // mv other FILE
    const err = await f.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as TickrecError | undefined)?.code).toBe('E_REPLACED');
    expect(new Set(codes)).toEqual(new Set(['ETHUSDT']));
    a.close();
    b.close();
  });

  it('a genuine roll (the next day, same instrument) is still followed', async () => {
    const root = makeTempDir('tickrec-roll-');
    const pool = makePool(root, []);
    for (let i = 0; i < 3; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, rec(i));
    const got: number[] = [];
    const f = follow(live(root), (v) => void got.push(Number(v.trading_date)), { mode: 'timer', intervalMs: 5, rollCheckMs: 10 });
    while (got.length < 3) await new Promise((r) => setTimeout(r, 5));
    for (let i = 3; i < 6; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D1 + 1, rec(i, 'rb2505', D1 + 1)); // rolls
    while (got.length < 6) await new Promise((r) => setTimeout(r, 5));
    f.stop();
    await f.done;
    pool.closeAll();
    expect(got).toEqual([D1, D1, D1, D1 + 1, D1 + 1, D1 + 1]);
  });
});

// `tickrec bars --rebuild FILE|DAY` as a real process: refusals, then the rebuilt bar files equal what the live recorder path (LiveBars + writer pool) wrote, in place and with --out.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveBars, writeBarFile, type BarKindName } from '../../src/bars/index.js';
import { localDateTime, tradingDateOf } from '../../src/calendar/index.js';
import { TICK_KIND } from '../../src/format/index.js';
import { RtReader, WriterPool, acquireRootLock } from '../../src/store/index.js';
import { REPO_ROOT } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { barsInFiles } from './helpers/root.js';
import { bundledSessions, shanghai, tick } from './helpers/ticks.js';

afterAll(removeTempDirs);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/bars/helpers/cli.ts'), 'bars', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PERIODS = [1, 5, 30] as const;
const KINDS: BarKindName[] = ['min1', 'min5', 'min30'];
const INSTR = [
  { exchg: 'SHFE', code: 'au2506' },
  { exchg: 'CFFEX', code: 'IF2503' },
];
let root: string;

/** Records Friday 2025-01-03 14:50 to Monday 09:40 (au's night included) through the live path: ticks to the pool, then LiveBars; timer at each tick. */
beforeAll(() => {
  root = makeTempDir('tickrec-bars-cli-');
  const pool = new WriterPool(root, { maxOpenFiles: 64, initialCapacity: {} });
  const bars = new LiveBars({ root, pool, sessions: bundledSessions(), periods: PERIODS });
  bars.recover(0);
  const book = bundledSessions();
  const windows: [number, number][] = [
    [shanghai(20250103, 145000000), shanghai(20250103, 150100000)],
    [shanghai(20250103, 205800000), shanghai(20250103, 211000000)],
    [shanghai(20250106, 92400000), shanghai(20250106, 94000000)],
  ];
  let n = 0;
  for (const [from, to] of windows) {
    for (let epoch = from; epoch <= to; epoch += 17_300) {
      bars.onTimer(epoch);
      for (const { exchg, code } of INSTR) {
        const s = book.sessionOf(exchg, code)!;
        const l = localDateTime(epoch, s.timezone);
        n++;
        const t = tick({
          exchg,
          code,
          trading_date: tradingDateOf(s, l.date, l.time, book.holidays),
          action_date: l.date,
          action_time: l.time,
          price: 100 + (n % 13),
          volume: n % 4,
          open_interest: 1000 + (n % 7),
          diff_interest: (n % 3) - 1,
        });
        expect(pool.append(TICK_KIND, exchg, code, t.trading_date, t)).toBe(true);
        bars.onTick(t);
      }
    }
  }
  bars.onTimer(shanghai(20250106, 100003000)); // closes the 30-minute 10:00 too
  bars.stop(shanghai(20250106, 100100000));
  pool.closeAll();
});

/** Header date and published bars of a bar file (the capacity may differ between writers). */
function records(file: string) {
  const r = RtReader.open(file);
  try {
    return { type: r.header.type, date: r.date, bars: [...r.records()].map((v) => v.toObject()) };
  } finally {
    r.close();
  }
}

describe('tickrec bars --rebuild: refusals', () => {
  it('periods without 1, or not a period', () => {
    const a = cli('--rebuild', '20250103', '--root', root, '--periods', '5,15');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/E_USAGE: --periods: must include 1/);
    const b = cli('--rebuild', '20250103', '--root', root, '--periods', '1,7');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/7 is not a bar period/);
  });

  it('a day without --root, a day with no finished tick file, a missing file, a file outside a root without --out', () => {
    expect(cli('--rebuild', '20250103').stderr).toMatch(/a trading day needs --root/);
    const none = cli('--rebuild', '20250105', '--root', root);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no finished tick file of 20250105/);
    expect(cli('--rebuild', path.join(root, 'nope.dmb')).stderr).toMatch(/no such file, and not a trading day/);
    const loose = path.join(makeTempDir('tickrec-bars-loose-'), 'IF2503.dmb');
    fs.copyFileSync(path.join(root, 'rt', 'ticks', 'CFFEX', 'IF2503.dmb'), loose);
    const l = cli('--rebuild', loose);
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/not in a data root's layout .* give --out/);
  });

  it('refuses to write into a root a live recorder holds (exit 3), names the holder; --out elsewhere is allowed', () => {
    const lock = acquireRootLock(root);
    try {
      const r = cli('--rebuild', '20250103', '--root', root);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`E_LOCKED: .*pid ${process.pid}.*--out`));
      const f = cli('--rebuild', path.join(root, 'rt', 'ticks', 'CFFEX', 'IF2503.dmb'));
      expect(f.code).toBe(3);
      const out = makeTempDir('tickrec-bars-out-');
      expect(cli('--rebuild', path.join(root, 'rt', 'ticks', 'CFFEX', 'IF2503.dmb'), '--out', out, '--periods', '1,5,30').code).toBe(0);
    } finally {
      lock.release();
    }
  });
});

describe('tickrec bars --rebuild: the same bars as the live recorder', () => {
  it('the recording has finished and live days for both instruments', () => {
    for (const { exchg, code } of INSTR) {
      expect(fs.existsSync(path.join(root, 'rt', 'min1', exchg, '20250103', `${code}.dmb`))).toBe(true);
      expect(fs.existsSync(path.join(root, 'rt', 'min1', exchg, `${code}.dmb`))).toBe(true);
      expect(barsInFiles(root, 'min5', exchg, code).length).toBeGreaterThan(2);
      expect(barsInFiles(root, 'min30', exchg, code).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('FILE (a live tick file) with --out: every period equals the live bars of that file', () => {
    const out = makeTempDir('tickrec-bars-out-');
    for (const { exchg, code } of INSTR) {
      const r = cli('--rebuild', path.join(root, 'rt', 'ticks', exchg, `${code}.dmb`), '--out', out, '--periods', '1,5,30');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`min1 \\d+ bars? → ${out}/rt/min1/${exchg}/${code}\\.dmb`));
      for (const k of KINDS) {
        const mine = records(path.join(out, 'rt', k, exchg, `${code}.dmb`));
        expect(mine.bars.length, `${k} ${exchg}.${code}`).toBeGreaterThan(0);
        expect(mine, `${k} ${exchg}.${code}`).toEqual(records(path.join(root, 'rt', k, exchg, `${code}.dmb`)));
      }
    }
  });

  it('DAY in place repairs damaged and missing bar files of that day, keeping a replaced file as .bak', () => {
    const saved = new Map<string, ReturnType<typeof records>>();
    for (const { exchg, code } of INSTR)
      for (const k of KINDS) {
        const f = path.join(root, 'rt', k, exchg, '20250103', `${code}.dmb`);
        saved.set(f, records(f));
      }
    const damaged = path.join(root, 'rt', 'min1', 'CFFEX', '20250103', 'IF2503.dmb');
    const first = barsInFiles(root, 'min1', 'CFFEX', 'IF2503')[0]!;
    writeBarFile(damaged, 'min1', 20250103, [first]); // a bar file that lost bars
    fs.rmSync(`${damaged}.bak`);
    const missing = path.join(root, 'rt', 'min30', 'SHFE', '20250103', 'au2506.dmb');
    fs.rmSync(missing);
    const r = cli('--rebuild', '20250103', '--root', root, '--periods', '1,5,30');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2); // one line per finished tick file
    for (const [f, before] of saved) expect(records(f), f).toEqual(before);
    expect(records(`${damaged}.bak`).bars).toHaveLength(1);
    expect(fs.existsSync(`${missing}.bak`)).toBe(false);
    // the files that were right are left alone: no .bak
    expect(fs.existsSync(path.join(root, 'rt', 'min5', 'CFFEX', '20250103', 'IF2503.dmb.bak'))).toBe(false);
    expect(r.stdout).toMatch(/min5 \d+ bars?, unchanged/);
  });
});

// verify: gaps of the calendar, finished days never compacted, damaged files, each named; and the compact/verify command lines (exit codes, plain log lines off a terminal, the summary).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCompaction, verifyRoot } from '../../src/compact/index.js';

import { TICK_KIND } from '../../src/format/index.js';
import { hisKindByName } from '../../src/his/index.js';
import { REPO_ROOT } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { bundledSessionBook } from './helpers/sessions.js';
import { INSTRUMENTS, dayTicks, makeRoot, writeFinished, writeLive } from './helpers/root.js';
import { hisDayPath, hisHistoryPath, TICKREC_HIS_EXT } from '../../src/layout/index.js';

afterEach(() => removeTempDirs());

const sessions = bundledSessionBook();

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/compact/helpers/cli.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('verify finds problems', () => {
  it('a trading day without data between two days with data, for each kind of the instrument', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: [20250106, 20250108], instruments: INSTRUMENTS.slice(0, 1) });
    runCompaction({ root });
    const r = verifyRoot({ root, sessions });
    const gaps = r.problems.filter((p) => p.problem.startsWith('gap:'));
    expect(gaps.map((g) => g.problem)).toContain('gap: no tick data for SHFE.rb2505 on trading day 20250107 (data before and after it)');
    expect(gaps.find((g) => g.problem.includes('no min1 data'))?.file).toBe(
      hisHistoryPath(root, hisKindByName('min1')!, 'SHFE', 'rb2505', TICKREC_HIS_EXT),
    );
    expect(gaps.find((g) => g.problem.includes('no tick data'))?.file).toBe(
      hisDayPath(root, hisKindByName('tick')!, 'SHFE', 20250107, 'rb2505', TICKREC_HIS_EXT),
    );
    expect(gaps.length).toBe(5); // tick, trade, min1, min5, day
  });

  it('no gap over a weekend or a holiday of the calendar', () => {
    const root = makeTempDir();
    // Fri 2025-01-24 and Wed 2025-02-05: 27 Jan is a trading day, 28 Jan..4 Feb are holidays.
    makeRoot(root, { dates: [20250124, 20250127, 20250205], instruments: INSTRUMENTS.slice(0, 1) });
    runCompaction({ root });
    expect(verifyRoot({ root, sessions }).problems).toEqual([]);
  });

  it('finished days never compacted, each file named', () => {
    const root = makeTempDir();
    const f = writeFinished(root, TICK_KIND, 'SHFE', 'rb2505', 20250106, dayTicks(INSTRUMENTS[0]!, 20250106, 5, 1));
    const r = verifyRoot({ root, sessions });
    expect(r.problems).toEqual([{ file: f, problem: 'finished day 20250106 never compacted (run tickrec compact)' }]);
  });

  it('time order and duplicates with --deep', () => {
    const root = makeTempDir();
    const t = dayTicks(INSTRUMENTS[0]!, 20250106, 6, 1);
    writeFinished(root, TICK_KIND, 'SHFE', 'rb2505', 20250106, [t[0]!, t[2]!, t[1]!, t[3]!, t[3]!]);
    runCompaction({ root });
    const f = hisDayPath(root, hisKindByName('tick')!, 'SHFE', 20250106, 'rb2505', TICKREC_HIS_EXT);
    expect(verifyRoot({ root, sessions }).problems).toEqual([]);
    const deep = verifyRoot({ root, sessions, deep: true }).problems;
    expect(deep).toContainEqual({ file: f, problem: '1 records out of time order (first at record 2)' });
    expect(deep).toContainEqual({ file: f, problem: '1 duplicate records (identical to the record before)' });
  });

  it('a leftover temporary file is named', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 1) });
    runCompaction({ root });
    const tmp = hisDayPath(root, hisKindByName('tick')!, 'SHFE', 20250106, 'rb2505', TICKREC_HIS_EXT) + '.tmp';
    fs.writeFileSync(tmp, 'half');
    expect(verifyRoot({ root, sessions }).problems.map((p) => p.file)).toEqual([tmp]);
  });
});

describe('command lines', () => {
  it('compact: usage errors exit 2', () => {
    expect(cli(['compact']).code).toBe(2);
    expect(cli(['compact', '--root', '/tmp', '--codec', 'gzip']).stderr).toContain('--codec gzip');
    expect(cli(['compact', '--root', '/tmp', '--date', '2025013']).stderr).toContain('YYYYMMDD');
  });

  it('compact refuses a live day (exit 2, names the file); then compacts, logs plain lines, prints the summary; verify exits 0, then 1 on damage', () => {
    const root = makeTempDir();
    makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 2) });
    const live = writeLive(root, TICK_KIND, 'SHFE', 'rb2505', 20250107, dayTicks(INSTRUMENTS[0]!, 20250107, 5, 1));
    const refused = cli(['compact', '--root', root, '--date', '20250107']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(live);
    const ok = cli(['compact', '--root', root]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('compact 1/8 ticks/SHFE/20250106/au2506');
    expect(ok.stdout).toMatch(/compacted 8 instrument-days of 1 trading days: 8 real-time files released/);
    expect(ok.stdout).toMatch(/bytes in [\d.]+ MB, out [\d.]+ MB, ratio [\d.]+, [\d.]+ s/);
    // the summary the monitor page shows
    const last = JSON.parse(fs.readFileSync(`${root}/compact/last.json`, 'utf8'));
    expect(last).toMatchObject({ days: 1, instrumentDays: 8, files: 8, ok: true, failures: 0 });
    expect(last.ratio).toBeGreaterThan(1);
    expect(Number.isFinite(Date.parse(last.finishedAt))).toBe(true);
    expect(cli(['verify', '--root', root, '--deep']).code).toBe(0);
    const f = hisDayPath(root, hisKindByName('tick')!, 'SHFE', 20250106, 'rb2505', TICKREC_HIS_EXT);
    const b = fs.readFileSync(f);
    b[100]! ^= 4;
    fs.writeFileSync(f, b);
    const bad = cli(['verify', '--root', root]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${f}: E_CHECKSUM`);
  });
});

// Tests of the data-root lock (src/store/lock.ts) with real processes: live holder refused, SIGKILLed holder taken over, garbage and reused-pid locks, release, races.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { acquireRootLock, type LockRecord } from '../../src/store/index.js';
import { killAllHelpers, spawnHelper, type Child } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { RECORDER_LOCK_FILE } from '../../src/layout/index.js';

afterEach(async () => {
  await killAllHelpers();
});
afterAll(() => removeTempDirs());

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return expect.fail('expected an error, none was thrown');
}

/** Process start time of `pid` as /proc/<pid>/stat field 22 says. */
function procStartOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

async function holder(root: string): Promise<{ child: Child; pid: number }> {
  const child = spawnHelper('lock-child.ts', [root]);
  const m = await child.waitFor((x) => x.event === 'locked' || x.event === 'error');
  expect(m.event, JSON.stringify(m)).toBe('locked');
  return { child, pid: child.pid };
}

function writeLock(root: string, content: string | LockRecord): string {
  fs.mkdirSync(root, { recursive: true });
  const file = path.join(root, RECORDER_LOCK_FILE);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content) + '\n');
  return file;
}

function record(pid: number, procStart: number | null, host = os.hostname()): LockRecord {
  return { pid, host, procStart, since: '2025-01-02T00:00:00.000Z', command: 'test' };
}

describe('acquireRootLock: refusals', () => {
  it('a second acquire while another live process holds the lock: E_LOCKED naming the holder pid; nothing changed', async () => {
    const root = makeTempDir();
    const { child, pid } = await holder(root);
    const lockFile = path.join(root, RECORDER_LOCK_FILE);
    const before = fs.readFileSync(lockFile, 'utf8');
    expect(JSON.parse(before)).toMatchObject({ pid, host: os.hostname() });

    const e = catchError(() => acquireRootLock(root)) as TickrecError;
    expect(e).toBeInstanceOf(TickrecError);
    expect(e.code).toBe('E_LOCKED');
    expect(e.message).toContain(`pid ${pid}`);
    expect(e.message).toContain(root);
    expect(e.file).toBe(lockFile);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(before);
    expect(fs.readdirSync(root)).toEqual([RECORDER_LOCK_FILE]); // no temporary file left

    // and from another process too
    const other = spawnHelper('lock-child.ts', [root]);
    const m = await other.waitFor('error');
    expect(m.code).toBe('E_LOCKED');
    expect(String(m.message)).toContain(`pid ${pid}`);
    expect(await other.exit).toMatchObject({ code: 3 });

    // the holder releases: the lock is free again
    child.proc.stdin!.end();
    await child.waitFor('released');
    await child.exit;
    expect(fs.existsSync(lockFile)).toBe(false);
    const mine = acquireRootLock(root);
    expect(mine.tookOver).toBeNull();
    mine.release();
  });

  it('a lock of a live pid on another host is assumed alive (E_LOCKED)', () => {
    const root = makeTempDir();
    writeLock(root, record(process.pid, null, `not-${os.hostname()}`));
    expect((catchError(() => acquireRootLock(root)) as TickrecError).code).toBe('E_LOCKED');
  });

  it('a lock whose pid is alive with the same process start time is live (E_LOCKED)', async () => {
    const root = makeTempDir();
    const { pid } = await holder(makeTempDir()); // a live process holding some other root
    writeLock(root, record(pid, procStartOf(pid)));
    const e = catchError(() => acquireRootLock(root)) as TickrecError;
    expect(e.code).toBe('E_LOCKED');
    expect(e.message).toContain(`pid ${pid}`);
  });
});

describe('acquireRootLock: stale locks', () => {
  it('a lock left by a process killed with SIGKILL is taken over with a warning naming the dead pid', async () => {
    const root = makeTempDir();
    const { child, pid } = await holder(root);
    child.kill('SIGKILL');
    expect(await child.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(JSON.parse(fs.readFileSync(path.join(root, RECORDER_LOCK_FILE), 'utf8')).pid).toBe(pid);

    const warnings: string[] = [];
    const lock = acquireRootLock(root, { onWarning: (m) => warnings.push(m) });
    expect(lock.tookOver?.pid).toBe(pid);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`pid ${pid}`);
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    expect(fs.readdirSync(root)).toEqual([RECORDER_LOCK_FILE]); // no takeover guard or temporary file left
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(false);
  });

  it('a lock whose pid is alive but whose process start time differs (pid reused) is stale', async () => {
    const root = makeTempDir();
    const { pid } = await holder(makeTempDir());
    writeLock(root, record(pid, procStartOf(pid) + 1));
    const warnings: string[] = [];
    const lock = acquireRootLock(root, { onWarning: (m) => warnings.push(m) });
    expect(lock.tookOver?.pid).toBe(pid);
    expect(warnings).toHaveLength(1);
    lock.release();
  });

  it.each([
    ['empty', ''],
    ['not JSON', 'garbage\n'],
    ['cut JSON', '{"pid": 12'],
    ['binary', '\u0000\u0001\u0002\u00ff'],
    ['null', 'null'],
  ])('a lock file with garbage (%s) is treated as stale, with a warning', (_what, content) => {
    const root = makeTempDir();
    writeLock(root, content);
    const warnings: string[] = [];
    const lock = acquireRootLock(root, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(lock.tookOver).not.toBeNull();
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('a lock file holding valid JSON that is not a lock record ({}, an array, a number, no pid) is treated as stale', () => {
    const outcome = (content: string) => {
      const root = makeTempDir();
      writeLock(root, content);
      const warnings: string[] = [];
      try {
        const lock = acquireRootLock(root, { onWarning: (m) => warnings.push(m) });
        const ours = JSON.parse(fs.readFileSync(lock.file, 'utf8')).pid === process.pid;
        lock.release();
        return ours && warnings.length === 1 ? 'taken over' : `acquired, warnings ${warnings.length}`;
      } catch (err) {
        return `refused: ${(err as Error).message.slice(0, 80)}`;
      }
    };
    const contents = [
      '{}',
      '[1, 2]',
      '42',
      JSON.stringify({ host: os.hostname(), since: 'x' }),
      JSON.stringify({ pid: 0, host: os.hostname() }),
    ];
    const results = Object.fromEntries(contents.map((c) => [c, outcome(c)]));
    expect(results).toEqual(Object.fromEntries(contents.map((c) => [c, 'taken over'])));
  });

  it('three processes racing for one stale lock: exactly one wins, the others are refused with E_LOCKED', async () => {
    const root = makeTempDir();
    const { child: dead, pid: deadPid } = await holder(root);
    dead.kill('SIGKILL');
    await dead.exit;
    const racers = [0, 1, 2].map(() => spawnHelper('lock-child.ts', [root]));
    const results = await Promise.all(racers.map((c) => c.waitFor((m) => m.event === 'locked' || m.event === 'error')));
    const winners = results.filter((m) => m.event === 'locked');
    expect(winners, JSON.stringify(results)).toHaveLength(1);
    const winnerPid = winners[0]!.pid as number;
    for (const m of results.filter((x) => x.event === 'error')) {
      expect(m.code).toBe('E_LOCKED');
      // refused naming the winner, or told to retry because others were racing
      expect(String(m.message)).toMatch(new RegExp(`pid ${winnerPid}|racing`));
      expect(String(m.message)).not.toContain(`pid ${deadPid} `);
    }
    expect(JSON.parse(fs.readFileSync(path.join(root, RECORDER_LOCK_FILE), 'utf8')).pid).toBe(winnerPid);
    expect(fs.readdirSync(root)).toEqual([RECORDER_LOCK_FILE]);
  });
});

describe('RootLock.release', () => {
  it('removes the lock file when it is ours; twice is harmless', () => {
    const root = makeTempDir();
    const lock = acquireRootLock(root);
    expect(lock.holder.pid).toBe(process.pid);
    expect(lock.file).toBe(path.join(root, RECORDER_LOCK_FILE));
    expect(fs.existsSync(lock.file)).toBe(true);
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(false);
    lock.release();
    expect(fs.existsSync(lock.file)).toBe(false);
  });

  it('leaves the lock file alone when it is no longer ours', () => {
    const root = makeTempDir();
    const lock = acquireRootLock(root);
    const theirs = JSON.stringify(record(1, null)) + '\n';
    fs.writeFileSync(lock.file, theirs);
    lock.release();
    expect(fs.readFileSync(lock.file, 'utf8')).toBe(theirs);
  });

  it('a second release() of an old lock does not remove a newer lock of the same process', () => {
    const root = makeTempDir();
    const first = acquireRootLock(root);
    first.release();
    const second = acquireRootLock(root);
    first.release();
    expect(fs.existsSync(second.file)).toBe(true);
    second.release();
    expect(fs.existsSync(second.file)).toBe(false);
  });
});

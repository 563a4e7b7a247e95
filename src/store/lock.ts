// One writer per data root: a lock file `<root>/tickrec.lock` naming its holder.
//
// Acquire: write our record to a temporary file and link(2) it to the lock name, which
// fails if the name exists (atomic, and the lock is never seen half-written). If a
// lock exists, its holder is alive when its pid answers kill(pid, 0) and, where /proc
// exists, its process start time still matches (a reused pid is not the holder).
// A lock whose holder is dead is taken over, with a warning: the taker first creates
// `tickrec.lock.takeover` the same exclusive way, so two processes racing for one stale
// lock cannot both win; the loser retries and finds a live holder.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { lockTakeoverPath, lockTmpPath, recorderLockPath } from '../layout/index.js';

export interface LockRecord {
  pid: number;
  host: string;
  /** Process start time from /proc/<pid>/stat (clock ticks since boot), when known. */
  procStart: number | null;
  since: string;
  command: string;
}

export interface RootLock {
  readonly file: string;
  readonly holder: LockRecord;
  /** The stale lock this one replaced, if any. */
  readonly tookOver: LockRecord | null;
  release(): void;
}

function procStart(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: fields start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]); // field 22 overall: starttime
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

export function isAlive(rec: LockRecord): boolean {
  if (rec.host !== os.hostname()) return true; // cannot tell: assume alive
  try {
    process.kill(rec.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (rec.procStart !== null) {
    const now = procStart(rec.pid);
    if (now !== null && now !== rec.procStart) return false; // pid reused
  }
  return true;
}

export function readLock(file: string): LockRecord | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockRecord> | null;
    const ok =
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      Number.isInteger(v.pid) &&
      (v.pid as number) > 0 &&
      typeof v.host === 'string' &&
      (v.procStart === null || typeof v.procStart === 'number');
    return ok ? (v as LockRecord) : null; // not a lock record: treated as stale
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (err instanceof SyntaxError) return null; // unreadable: treated as stale
    throw ioError(err, file, 'read lock');
  }
}

function linkExclusive(tmp: string, target: string): boolean {
  try {
    fs.linkSync(tmp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(err, target, 'create lock');
  }
}

function describe(rec: LockRecord): string {
  return `pid ${rec.pid} on ${rec.host} since ${rec.since} (${rec.command})`;
}

export interface LockOptions {
  onWarning?: (msg: string) => void;
}

/** The recorder's lock: one writer per data root. */
export function acquireRootLock(root: string, opts: LockOptions = {}): RootLock {
  return acquireLock(root, {
    ...opts,
    file: recorderLockPath(root),
    refusal: (holder, file) =>
      `${root}: another recorder holds this data root: ${describe(holder)}. ` +
      `One writer per root: stop it (kill ${holder.pid}) or use another --root. Lock file: ${file}`,
  });
}

/**
 * A lock file `file` in the data root `root` held by one live process (the protocol at
 * the top of this file). `refusal` words the E_LOCKED message for a live holder.
 */
export function acquireLock(
  root: string,
  opts: LockOptions & { file: string; refusal: (holder: LockRecord, file: string) => string },
): RootLock {
  try {
    fs.mkdirSync(root, { recursive: true });
  } catch (err) {
    throw ioError(err, root, 'create data root');
  }
  const file = opts.file;
  const me: LockRecord = {
    pid: process.pid,
    host: os.hostname(),
    procStart: procStart(process.pid),
    since: new Date().toISOString(),
    command: process.argv.slice(1).join(' ').slice(0, 200),
  };
  const tmp = lockTmpPath(file, process.pid);
  try {
    fs.writeFileSync(tmp, JSON.stringify(me) + '\n');
  } catch (err) {
    throw ioError(err, tmp, 'write lock');
  }
  let tookOver: LockRecord | null = null;
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (linkExclusive(tmp, file)) return held(file, me, tookOver);
      const holder = readLock(file);
      if (holder && isAlive(holder)) {
        throw new TickrecError('E_LOCKED', opts.refusal(holder, file), { file });
      }
      tookOver = takeOver(file, tmp, holder) ?? tookOver;
    }
    throw new TickrecError(
      'E_LOCKED',
      `${file}: could not take the lock after 5 attempts (other processes are racing for it); try again.`,
      {
        file,
      },
    );
  } finally {
    fs.rmSync(tmp, { force: true });
  }

  function takeOver(lockFile: string, ourTmp: string, stale: LockRecord | null): LockRecord | null {
    const guard = lockTakeoverPath(lockFile);
    if (!linkExclusive(ourTmp, guard)) {
      const g = readLock(guard);
      if (g && !isAlive(g)) fs.rmSync(guard, { force: true }); // a taker died mid-takeover
      return null;
    }
    try {
      const again = readLock(lockFile);
      const same = JSON.stringify(again) === JSON.stringify(stale);
      if (!same) return null; // someone else changed it meanwhile: start over
      fs.rmSync(lockFile, { force: true });
      opts.onWarning?.(`${lockFile}: took over a stale lock of ${stale ? describe(stale) : 'an unreadable holder'} (no longer running)`);
      return stale ?? { pid: 0, host: '?', procStart: null, since: '?', command: 'unreadable lock' };
    } finally {
      fs.rmSync(guard, { force: true });
    }
  }
}

/** A live recorder holding the root that contains `file` (searching up), as text, or undefined. */
export function liveRootHolder(file: string): string | undefined {
  let dir = path.resolve(file);
  try {
    if (!fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
  } catch {
    dir = path.dirname(dir);
  }
  for (;;) {
    const lockFile = recorderLockPath(dir);
    const rec = readLock(lockFile);
    if (rec && isAlive(rec)) return `pid ${rec.pid} (${lockFile})`;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function held(file: string, me: LockRecord, tookOver: LockRecord | null): RootLock {
  let released = false;
  return {
    file,
    holder: me,
    tookOver,
    release() {
      if (released) return;
      released = true;
      const now = readLock(file);
      if (now && now.pid === me.pid && now.since === me.since) fs.rmSync(file, { force: true });
    },
  };
}

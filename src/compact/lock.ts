// One compaction per data root: `<root>/compact.lock`, taken the way src/store/lock.ts takes the writer's lock (link(2) of a temporary record, stale holders taken over).
//
// The recorder's own lock (tickrec.lock) is not taken: the recorder holds it while it
// runs, and compaction never touches what the recorder owns (live files); it only takes
// finished files, which the recorder never opens again.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { isAlive, readLock, type LockRecord } from '../store/index.js';

export const COMPACT_LOCK_FILE = 'compact.lock';

export interface CompactLock {
  readonly file: string;
  release(): void;
}

function startTime(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const v = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

function link(tmp: string, target: string): boolean {
  try {
    fs.linkSync(tmp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(err, target, 'create lock');
  }
}

/** Takes `<root>/compact.lock` or throws E_LOCKED naming the live holder. */
export function acquireCompactLock(root: string, onWarning?: (msg: string) => void): CompactLock {
  const file = path.join(root, COMPACT_LOCK_FILE);
  const me: LockRecord = {
    pid: process.pid,
    host: os.hostname(),
    procStart: startTime(process.pid),
    since: new Date().toISOString(),
    command: process.argv.slice(1).join(' ').slice(0, 200),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(me) + '\n');
  } catch (err) {
    throw ioError(err, tmp, 'write lock');
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (link(tmp, file)) return held(file, me);
      const holder = readLock(file);
      if (holder && isAlive(holder)) {
        throw new TickrecError(
          'E_LOCKED',
          `${root}: another tickrec compact is running: pid ${holder.pid} on ${holder.host} since ${holder.since}. ` +
            `Wait for it to finish (or stop it: kill ${holder.pid}), then run again. Lock file: ${file}`,
          { file },
        );
      }
      // The holder is gone (killed): its work is resumable, so the lock is simply taken over.
      const again = readLock(file);
      if (JSON.stringify(again) === JSON.stringify(holder)) {
        fs.rmSync(file, { force: true });
        onWarning?.(`${file}: took over the lock of a compaction that is no longer running (pid ${holder?.pid ?? '?'}); its work is resumed.`);
      }
    }
    throw new TickrecError('E_LOCKED', `${file}: could not take the lock after 5 attempts; try again.`, { file });
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function held(file: string, me: LockRecord): CompactLock {
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      const now = readLock(file);
      if (now && now.pid === me.pid && now.since === me.since) fs.rmSync(file, { force: true });
    },
  };
}

// One compaction per data root: `<root>/compact.lock`, taken with the same protocol as the
// recorder's lock (src/store/lock.ts: link(2) of a complete record, stale holders taken over).
//
// The recorder's own lock (tickrec.lock) is not taken: the recorder holds it while it
// runs, and compaction never touches what the recorder owns (live files); it only takes
// finished files, which the recorder never opens again.

import { compactLockPath } from '../layout/index.js';
import { acquireLock, type RootLock } from '../store/index.js';

export type CompactLock = RootLock;

/** Takes `<root>/compact.lock` or throws E_LOCKED naming the live holder. A dead holder's lock is taken over: its work is resumable. */
export function acquireCompactLock(root: string, onWarning?: (msg: string) => void): CompactLock {
  return acquireLock(root, {
    file: compactLockPath(root),
    ...(onWarning ? { onWarning } : {}),
    refusal: (holder, file) =>
      `${root}: another tickrec compact is running: pid ${holder.pid} on ${holder.host} since ${holder.since}. ` +
      `Wait for it to finish (or stop it: kill ${holder.pid}), then run again. Lock file: ${file}`,
  });
}

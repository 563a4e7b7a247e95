// Setting a finished real-time file aside: the other half of the ROLL RULE in
// rt-follow.ts. A file leaves its live path only by this rename, after its writer
// msync'ed and closed it; its records are never rewritten.
//
//   live:     rt/<folder>/<EXCHG>/<CODE>.dmb
//   finished: rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb     (the date in its header)
//
// A file in a dated folder is finished: its day is complete and compaction may take it.
// An existing finished file is never overwritten: a second file for the same day (a
// replayed day, a clock error) goes next to it as <CODE>~<n>.dmb and is reported.
// The names are src/layout/root.ts's (finishedPath).

import fs from 'node:fs';
import path from 'node:path';
import { ioError } from '../errors.js';
import { finishedPath } from '../layout/index.js';
import { syncDir } from '../fsync.js';

/**
 * Moves a closed live file to its finished place and returns where it went. An empty
 * file (no published record) is removed instead: there is nothing to keep.
 */
export function setAside(livePath: string, date: number, published: number): string | undefined {
  try {
    if (published === 0) {
      fs.rmSync(livePath, { force: true });
      return undefined;
    }
    let dest = finishedPath(livePath, date);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    for (let n = 1; fs.existsSync(dest); n++) dest = finishedPath(livePath, date, n);
    fs.renameSync(livePath, dest);
    syncDir(path.dirname(dest));
    syncDir(path.dirname(livePath));
    return dest;
  } catch (err) {
    throw ioError(err, livePath, 'set aside the finished day');
  }
}

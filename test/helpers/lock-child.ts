// Child process: takes the data-root lock, reports it, and holds it until stdin closes (or it is killed).
//
// usage: lock-child.ts <root>
// Prints {"event":"locked",...} or {"event":"error","code":..,"message":..} (exit 3).

import { TickrecError } from '../../src/errors.js';
import { acquireRootLock } from '../../src/store/index.js';

const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');

try {
  const lock = acquireRootLock(process.argv[2]!, { onWarning: (msg) => say({ event: 'warning', message: msg }) });
  say({ event: 'locked', pid: process.pid, file: lock.file, holder: lock.holder, tookOver: lock.tookOver });
  process.stdin.resume();
  process.stdin.on('end', () => {
    lock.release();
    say({ event: 'released' });
    process.exit(0);
  });
} catch (err) {
  const e = err as TickrecError;
  say({ event: 'error', code: e.code, message: e.message });
  process.exit(3);
}

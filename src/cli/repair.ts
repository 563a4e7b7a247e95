// tickrec repair FILE: apply datakit's repair rules to a damaged real-time file.

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { TickrecError } from '../errors.js';
import { LOCK_FILE, RtWriter, isAlive, probeRtFile, readLock } from '../store/index.js';
import { action } from './run.js';

/** A live recorder holding a root above `file`, if any. */
function liveHolder(file: string): string | undefined {
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    const rec = readLock(path.join(dir, LOCK_FILE));
    if (rec && isAlive(rec)) return `pid ${rec.pid} (${path.join(dir, LOCK_FILE)})`;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function registerRepair(program: Command): void {
  program
    .command('repair')
    .description("repair a damaged real-time file by datakit's rules (capacity from the real length, size = min(real, marked))")
    .argument('<file>', 'a real-time block file (.dmb)')
    .action(
      action((file: string) => {
        const holder = liveHolder(file);
        if (holder) {
          throw new TickrecError('E_LOCKED', `${file}: a live recorder (${holder}) owns this data root; stop it before repairing.`, { file });
        }
        const fd = fs.openSync(file, 'r');
        let kind;
        try {
          kind = probeRtFile(fd, file).kind;
        } finally {
          fs.closeSync(fd);
        }
        const w = RtWriter.open(file, { kind, date: 0, repair: true });
        const repairs = w.report.repairs;
        const size = w.size;
        w.close();
        for (const r of repairs) process.stdout.write(`repaired: ${r}\n`);
        process.stdout.write(repairs.length === 0 ? `${file}: nothing to repair (${size} records)\n` : `${file}: ${size} records kept\n`);
      }),
    );
}

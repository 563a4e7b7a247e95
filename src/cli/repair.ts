// tickrec repair FILE: apply datakit's repair rules to a damaged real-time file.

import fs from 'node:fs';
import type { Command } from 'commander';
import { TickrecError } from '../errors.js';
import { RtWriter, liveRootHolder, probeRtFile } from '../store/index.js';
import { action } from './run.js';
import { printOut } from './terminal.js';

export function registerRepair(program: Command): void {
  program
    .command('repair')
    .description("repair a damaged real-time file by datakit's rules (capacity from the real length, size = min(real, marked))")
    .argument('<file>', 'a real-time block file (.dmb)')
    .action(
      action((file: string) => {
        const holder = liveRootHolder(file);
        if (holder) {
          throw new TickrecError('E_LOCKED', `${file}: a live recorder (${holder}) owns this data root; stop it before repairing.`, {
            file,
          });
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
        for (const r of repairs) printOut(`repaired: ${r}`);
        printOut(repairs.length === 0 ? `${file}: nothing to repair (${size} records)` : `${file}: ${size} records kept`);
      }),
    );
}

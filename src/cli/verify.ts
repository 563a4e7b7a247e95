// tickrec verify: checks every historical file (and the gaps of the calendar); names each file and problem; exits 1 when anything is wrong.

import path from 'node:path';
import type { Command } from 'commander';
import { loadSessionBook } from '../calendar/index.js';
import { verifyRoot } from '../compact/index.js';
import { BUNDLED_CONFIG_DIR, loadConfig } from '../config/index.js';
import { parseDateOption, resolveRoot, type RootOptions } from './compact.js';
import { EXIT_OK, EXIT_PROBLEMS, action } from './run.js';
import { printOut } from './terminal.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      'check every historical file (header, checksums; --deep: every record), gaps in the trading calendar, and finished days never compacted',
    )
    .option('--root <dir>', 'data root')
    .option('-c, --config <file>', 'take the data root (and the sessions file) from this recorder configuration')
    .option('--date <YYYYMMDD>', 'only the files and gaps of this trading date')
    .option('--deep', 'decode every record: checksums of the records, time order, duplicates')
    .option('--sessions <file>', "sessions file for the trading calendar (default: the configuration's, else the bundled one)")
    .option('--json', 'print the report as JSON')
    .action(
      action((opts: RootOptions & { date?: string; deep?: boolean; sessions?: string; json?: boolean }) => {
        const date = parseDateOption('--date', opts.date); // the options first, then the root on disk
        const root = resolveRoot(opts);
        const sessionsFile =
          opts.sessions ?? (opts.config ? loadConfig(opts.config).sessions : undefined) ?? path.join(BUNDLED_CONFIG_DIR, 'sessions.json');
        const report = verifyRoot({
          root,
          ...(date !== undefined ? { date } : {}),
          deep: !!opts.deep,
          sessions: loadSessionBook(sessionsFile),
        });
        if (opts.json) printOut(...JSON.stringify(report, null, 2).split('\n'));
        else {
          const lines = [
            `verified ${report.historical} historical files, ${report.finished} finished real-time files not yet compacted and ` +
              `${report.live} live real-time files (${report.records} records${date !== undefined ? ` of trading date ${date}` : ''})` +
              `${opts.deep ? ', every record decoded' : ''} under ${root}`,
            report.problems.length === 0 ? 'problems   none' : `problems   ${report.problems.length}`,
            ...report.problems.map((p) => `  ${p.file}: ${p.problem}`),
          ];
          printOut(...lines);
        }
        return report.problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
      }),
    );
}

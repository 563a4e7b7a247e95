// tickrec migrate: brings a data root written by an older tickrec to the current rules (src/compact/migrate.ts says what and why).

import type { Command } from 'commander';
import { runMigration } from '../compact/index.js';
import { HIS_EXT, TICKREC_HIS_EXT } from '../layout/index.js';
import { resolveRoot, type RootOptions } from './compact.js';
import { EXIT_OK, EXIT_PROBLEMS, action } from './run.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description(
      "bring a data root written by an older tickrec to the current rules: tickrec's own historical files leave datakit's name (<CODE>.dsb -> <CODE>.tsb); --trade-types: trade types as datakit's char codes; --split-czce: one bar history per CZCE contract",
    )
    .option('--root <dir>', 'data root')
    .option('-c, --config <file>', 'take the data root from this recorder configuration')
    .option(
      '--trade-types',
      "also rewrite tickrec's former trade types 0/1 as datakit's 'M'/'C' (stop the recorder first; not for data a datakit parser wrote)",
    )
    .option(
      '--split-czce',
      'split each CZCE bar history that holds several contracts of one 3-digit code (SR505 of 2015 and 2025) into one file per contract (docs/history.md)',
    )
    .option('--dry-run', 'list what would change; change nothing')
    .action(
      action((opts: RootOptions & { tradeTypes?: boolean; splitCzce?: boolean; dryRun?: boolean }) => {
        const root = resolveRoot(opts);
        const s = runMigration({
          root,
          ...(opts.dryRun ? { dryRun: true } : {}),
          ...(opts.tradeTypes ? { tradeTypes: true } : {}),
          ...(opts.splitCzce ? { splitCzce: true } : {}),
          onLog: (l) => process.stderr.write(l + '\n'),
        });
        const would = s.dryRun ? 'would be ' : '';
        const out = [
          `${s.renamed.length} tickrec historical file(s) ${would}renamed from ${HIS_EXT} to ${TICKREC_HIS_EXT}; ${s.hisKept} already named after their format`,
          ...(s.dryRun ? s.renamed.map((r) => `  ${r.from}`) : []),
          ...(opts.tradeTypes
            ? [
                `${s.tradesFixed} trade(s) in ${s.tradeFiles.length} file(s) ${would}given datakit's trade types`,
                ...(s.dryRun ? s.tradeFiles.map((f) => `  ${f}`) : []),
                ...(s.tradesOther > 0 ? [`${s.tradesOther} trade(s) with another trade type left as they are`] : []),
              ]
            : []),
          ...(opts.splitCzce
            ? [
                `${s.czceSplit.length} merged CZCE bar histor${s.czceSplit.length === 1 ? 'y' : 'ies'} ${would}split`,
                ...s.czceWritten.map((w) => `  ${w}`),
              ]
            : []),
          ...s.problems.map((p) => `PROBLEM ${p.file}: ${p.problem}`),
        ];
        process.stdout.write(out.join('\n') + '\n');
        return s.problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
      }),
    );
}

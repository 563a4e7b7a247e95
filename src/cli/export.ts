// tickrec export: the records of a data root (one instrument, an exchange, or every one; over a range) to CSV, JSON lines or Parquet, across history and today, streaming.

import type { Command } from 'commander';
import {
  DEFAULT_ROW_GROUP_ROWS,
  EXPORT_FORMATS,
  READ_KIND_NAMES,
  describeInstant,
  exportRecords,
  readKind,
  keyRange,
  type ExportFormat,
} from '../read/index.js';
import { resolveRoot, type RootOptions } from './compact.js';
import { checkKnownInstrument } from './known.js';
import { EXIT_OK, action, usageError } from './run.js';
import { printErr, printOut, redrawErr } from './terminal.js';

export interface ExportCliOptions extends RootOptions {
  exchange?: string;
  code?: string;
  kind?: string;
  from?: string;
  to?: string;
  format?: string;
  out?: string;
  rowGroup: string;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'export ticks, trades or bars of a data root to CSV, JSON lines or Parquet (for DuckDB, ClickHouse, pandas, Spark), across history and today',
    )
    .option('--root <dir>', 'data root')
    .option('-c, --config <file>', 'take the data root from this recorder configuration')
    .option('--exchange <EXCHG>', 'only this exchange (default: every exchange)')
    .option('--code <CODE>', 'only this instrument (default: every instrument)')
    .option('--kind <kind>', `what to export: ${READ_KIND_NAMES.join(', ')}`)
    .option('--from <time>', 'first instant (inclusive): YYYYMMDD, "YYYYMMDD HH:MM[:SS[.mmm]]" or YYYY-MM-DDTHH:MM[:SS[.mmm]]')
    .option('--to <time>', 'last instant (exclusive; a date alone includes that whole day; minute bars: by their end, inclusive)')
    .option('--format <format>', EXPORT_FORMATS.join(', '))
    .option('--out <file>', 'output file (written under a temporary name, renamed when complete)')
    .option('--row-group <rows>', 'Parquet: rows per row group', String(DEFAULT_ROW_GROUP_ROWS))
    .action(
      action((opts: ExportCliOptions) => {
        if (opts.kind === undefined) throw usageError(`--kind: say what to export (${READ_KIND_NAMES.join(', ')}).`);
        const kind = readKind(opts.kind);
        if (opts.format === undefined || !(EXPORT_FORMATS as readonly string[]).includes(opts.format)) {
          throw usageError(`--format ${opts.format ?? '(missing)'}: use ${EXPORT_FORMATS.join(', ')}.`);
        }
        if (opts.out === undefined) throw usageError('--out <file>: say where to write.');
        const rowGroup = Number(opts.rowGroup);
        if (!Number.isInteger(rowGroup) || rowGroup < 1) throw usageError(`--row-group ${opts.rowGroup}: a whole number of rows >= 1.`);
        const root = resolveRoot(opts);
        checkKnownInstrument(root, kind, opts.exchange, opts.code);
        const { from, to } = keyRange(kind, opts.from, opts.to, ['--from', '--to']); // refuses what is not an instant, and from after to
        const tty = process.stderr.isTTY === true;
        let lastShown = 0;
        const s = exportRecords({
          root,
          kind: kind.name,
          ...(opts.exchange !== undefined ? { exchange: opts.exchange } : {}),
          ...(opts.code !== undefined ? { code: opts.code } : {}),
          ...(opts.from !== undefined ? { from: opts.from } : {}),
          ...(opts.to !== undefined ? { to: opts.to } : {}),
          format: opts.format as ExportFormat,
          out: opts.out,
          rowGroupRows: rowGroup,
          onProgress: (p) => {
            if (!tty || performance.now() - lastShown < 200) return;
            lastShown = performance.now();
            redrawErr(`export ${p.rows} records, ${p.instruments} instruments, at ${p.current} ${p.date}`);
          },
        });
        if (tty && lastShown > 0) redrawErr('');
        const what = `${kind.name} records of ${opts.exchange ?? 'every exchange'}${opts.code !== undefined ? `.${opts.code}` : ''} in [${describeInstant(from, 'the first')}, ${describeInstant(to, 'the last')}${to ? (to.dateOnly ? ']' : ')') : ']'}`;
        if (!s.written) {
          printErr(`tickrec: no ${what} under ${root}: nothing written to ${s.out}.`);
          return EXIT_OK;
        }
        printOut(
          `exported ${s.rows} ${what} (${s.instruments} instruments) to ${s.out}: ${s.format}, ${mb(s.bytes)} MB, ${s.seconds.toFixed(2)} s`,
        );
        return EXIT_OK;
      }),
    );
}

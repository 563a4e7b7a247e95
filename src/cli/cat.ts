// tickrec cat FILE, or cat --root R --exchange E --code C [--kind K]: print the records of a block file, or of an instrument across history and today, optionally a time range.

import type { Command } from 'commander';
import { formatDate, kindByName, type Rec } from '../format/index.js';
import { FilePresenter, Presenter, READ_KIND_NAMES, keyRange, presentKind, readKind, scanRecords } from '../read/index.js';
import { RtReader } from '../store/index.js';
import { HisRecords, isHistoricalFile, openHisFile } from './his-file.js';
import { resolveRoot } from './compact.js';
import { checkKnownInstrument } from './known.js';
import { RecordPrinter, parseFormat, type OutputFormat } from './output.js';
import { indexRange, parseInstantOption } from './range.js';
import { action, usageError } from './run.js';
import { printErr, printOut } from './terminal.js';

export interface CatOptions {
  from?: string;
  to?: string;
  format: string;
  limit?: string;
  root?: string;
  config?: string;
  exchange?: string;
  code?: string;
  kind?: string;
}

/** Day bars in a table: the columns that mean something for them (the time field is 0). */
function dayTablePrinter(write: (l: string) => void): (rec: Rec) => void {
  const cols = ['ts_utc', 'date', 'open', 'high', 'low', 'close', 'settle', 'vol', 'money', 'hold'];
  const w = (c: string) => (c === 'ts_utc' ? 24 : Math.max(c.length, 10));
  let header = false;
  return (rec) => {
    if (!header) {
      write(cols.map((c) => c.padStart(w(c))).join(' '));
      header = true;
    }
    write(cols.map((c) => (c === 'date' ? formatDate(rec.date as number) : String(rec[c] ?? '-')).padStart(w(c))).join(' '));
  };
}

function catInstrument(file: string | undefined, opts: CatOptions, format: OutputFormat, limit: number): void {
  if (file !== undefined) throw usageError(`give either a FILE (${file}) or --root with --exchange and --code, not both.`);
  const root = resolveRoot(opts);
  if (opts.exchange === undefined || opts.code === undefined)
    throw usageError('with --root, say which instrument: --exchange <EXCHG> --code <CODE> (and --kind, default tick).');
  const kind = readKind(opts.kind ?? 'tick');
  keyRange(kind, opts.from, opts.to, ['--from', '--to']); // refuses what is not an instant, and from after to
  checkKnownInstrument(root, kind, opts.exchange, opts.code);
  const write = (l: string) => printOut(l);
  const print =
    kind.name === 'day' && format === 'table'
      ? dayTablePrinter(write)
      : (
          (p: RecordPrinter) => (rec: Rec) =>
            p.print(rec)
        )(new RecordPrinter(kindByName(kind.name === 'day' ? 'min1' : kind.name)!, format, write));
  let n = 0;
  const presenter = new Presenter(presentKind(kind.name), root);
  const segments = scanRecords({
    root,
    kind: kind.name,
    exchange: opts.exchange,
    code: opts.code,
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    ...(opts.to !== undefined ? { to: opts.to } : {}),
  });
  for (const s of segments) {
    for (let i = 0; i < s.count && n < limit; i++, n++)
      print(presenter.present(kind.codec.decode(s.mem, i * kind.recordBytes), s.exchange, s.code));
    if (n >= limit) break; // closes the scan and its files
  }
  if (n === 0) {
    const range = opts.from !== undefined || opts.to !== undefined ? ` from ${opts.from ?? 'the first'} to ${opts.to ?? 'the last'}` : '';
    printErr(`tickrec: no ${kind.name} records of ${opts.exchange}.${opts.code}${range} under ${root}.`);
  }
}

export function registerCat(program: Command): void {
  program
    .command('cat')
    .description('print the records of a block file, or of an instrument across history and today (--root)')
    .argument(
      '[file]',
      'a block file: real-time (.dmb) or historical (.tsb tickrec, .dsb datakit, any version); or leave it out and give --root, --exchange, --code',
    )
    .option(
      '--root <dir>',
      'data root: read the instrument across his/ (compressed days, bar histories), finished rt days and the live file',
    )
    .option('-c, --config <file>', 'take the data root from this recorder configuration')
    .option('--exchange <EXCHG>', 'with --root: the exchange')
    .option('--code <CODE>', 'with --root: the instrument code')
    .option('--kind <kind>', `with --root: ${READ_KIND_NAMES.join(', ')} (default tick)`)
    .option('--from <time>', 'first instant (inclusive): YYYYMMDD, "YYYYMMDD HH:MM[:SS[.mmm]]", ISO, or (FILE only) HH:MM[:SS[.mmm]]')
    .option('--to <time>', 'last instant (exclusive; a date alone includes that whole day; minute bars: by their end, inclusive)')
    .option('--format <format>', 'table, csv or jsonl', 'table')
    .option('--limit <n>', 'print at most n records')
    .action(
      action((file: string | undefined, opts: CatOptions) => {
        const format = parseFormat(opts.format);
        const limit = opts.limit === undefined ? Infinity : Number(opts.limit);
        if (!(limit >= 0) || !Number.isInteger(limit === Infinity ? 0 : limit))
          throw usageError(`--limit ${opts.limit}: a whole number >= 0.`);
        if (
          opts.root !== undefined ||
          opts.config !== undefined ||
          opts.exchange !== undefined ||
          opts.code !== undefined ||
          opts.kind !== undefined
        ) {
          return catInstrument(file, opts, format, limit);
        }
        if (file === undefined) throw usageError('give a FILE, or --root with --exchange and --code.');
        const from = parseInstantOption('--from', opts.from);
        const to = parseInstantOption('--to', opts.to);
        // A historical file (.tsb or .dsb, any of tickrec's or datakit's versions; the header decides) is decoded whole; a real-time one is mapped.
        const reader = isHistoricalFile(file) ? openHisFile(file) : RtReader.open(file);
        try {
          const [start, end] = indexRange(reader, from, to);
          const write = (l: string) => process.stdout.write(l + '\n');
          const day = reader instanceof HisRecords && reader.hisKind.name === 'day' && format === 'table';
          const printer = new RecordPrinter(reader.kind, format, write);
          const print = day ? dayTablePrinter(write) : (rec: Rec) => printer.print(rec);
          const stop = Math.min(end, start + limit);
          const presenter = new FilePresenter(file, reader instanceof HisRecords ? reader.hisKind.name : reader.kind.name);
          for (let i = start; i < stop; i++) {
            const rec = reader.get(i);
            const note = i === start ? presenter.missingMetaNote(rec) : undefined;
            if (note !== undefined) process.stderr.write(`tickrec: note: ${note}\n`);
            print(presenter.present(rec));
          }
        } finally {
          if (reader instanceof RtReader) reader.close();
        }
      }),
    );
}

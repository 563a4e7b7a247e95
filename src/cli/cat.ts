// tickrec cat FILE: print the records of a block file, optionally a time range.

import type { Command } from 'commander';
import { RtReader } from '../store/index.js';
import { RecordPrinter, parseFormat } from './output.js';
import { indexRange, parseInstantOption } from './range.js';
import { action, usageError } from './run.js';

export interface CatOptions {
  from?: string;
  to?: string;
  format: string;
  limit?: string;
}

export function registerCat(program: Command): void {
  program
    .command('cat')
    .description('print the records of a block file')
    .argument('<file>', 'a real-time block file (.dmb)')
    .option('--from <time>', 'first instant (inclusive): YYYYMMDD, "YYYYMMDD HH:MM[:SS[.mmm]]", ISO, or HH:MM[:SS[.mmm]]')
    .option('--to <time>', 'last instant (exclusive; a date alone includes that whole day)')
    .option('--format <format>', 'table, csv or jsonl', 'table')
    .option('--limit <n>', 'print at most n records')
    .action(
      action((file: string, opts: CatOptions) => {
        const format = parseFormat(opts.format);
        const limit = opts.limit === undefined ? Infinity : Number(opts.limit);
        if (!(limit >= 0) || !Number.isInteger(limit === Infinity ? 0 : limit)) throw usageError(`--limit ${opts.limit}: a whole number >= 0.`);
        const from = parseInstantOption('--from', opts.from);
        const to = parseInstantOption('--to', opts.to);
        const reader = RtReader.open(file);
        try {
          const [start, end] = indexRange(reader, from, to);
          const printer = new RecordPrinter(reader.kind, format);
          const stop = Math.min(end, start + limit);
          for (let i = start; i < stop; i++) printer.print(reader.get(i));
        } finally {
          reader.close();
        }
      }),
    );
}

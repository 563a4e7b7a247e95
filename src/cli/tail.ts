// tickrec tail FILE: follow a block file live, one line per record, across day rolls, presented as cat presents it (real trade volume, ts_utc).

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { errnoOf } from '../errors.js';
import { FilePresenter } from '../read/index.js';
import { follow } from '../store/index.js';
import { RtReader } from '../store/index.js';
import { RecordPrinter, parseFormat } from './output.js';
import { action, usageError } from './run.js';
import { printErr } from './terminal.js';

export function registerTail(program: Command): void {
  program
    .command('tail')
    .description('follow a block file live, one line per record (crosses day rolls)')
    .argument('<file>', 'a real-time block file (.dmb); it may not exist yet')
    .option('-n, --lines <n>', 'print the last n records first', '10')
    .option('--from-start', 'print every record from the first one')
    .option('--format <format>', 'table, csv or jsonl', 'table')
    .option('--mode <mode>', 'spin (lowest latency, one busy core) or timer (low CPU)', 'timer')
    .option('--interval-ms <ms>', 'timer mode: poll interval while idle', '1')
    .action(
      action(async (file: string, opts: { lines: string; fromStart?: boolean; format: string; mode: string; intervalMs: string }) => {
        const format = parseFormat(opts.format);
        const lines = Number(opts.lines);
        if (!Number.isInteger(lines) || lines < 0) throw usageError(`--lines ${opts.lines}: a whole number >= 0.`);
        if (opts.mode !== 'spin' && opts.mode !== 'timer') throw usageError(`--mode ${opts.mode}: use spin or timer.`);
        const intervalMs = Number(opts.intervalMs);
        if (!(intervalMs >= 0)) throw usageError(`--interval-ms ${opts.intervalMs}: a number >= 0.`);
        let exists = true;
        try {
          if (fs.statSync(file).isDirectory())
            throw usageError(`${file}: a folder; give a block file inside it, e.g. ${path.join(file, '<CODE>.dmb')}.`);
        } catch (err) {
          if (errnoOf(err) !== 'ENOENT') throw err;
          exists = false;
          printErr(
            `tickrec tail: ${file} does not exist yet; waiting for it (the recorder creates it with the instrument's first record of the trading day). Ctrl-C stops.`,
          );
        }
        let from: number | 'start' = 'start';
        if (!opts.fromStart && exists) {
          try {
            const r = RtReader.open(file);
            from = Math.max(0, r.length - lines);
            r.close();
          } catch {
            from = 'start'; // not there yet: everything it will hold is new
          }
        }
        let printer: RecordPrinter | undefined;
        let presenter: FilePresenter | undefined; // the same quantity and time rule as cat FILE
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stdout.on('error', stop); // e.g. piped into head
        let announced = exists;
        const f = follow(
          file,
          (rec, _i, reader) => {
            if (!announced) {
              announced = true;
              printErr(`tickrec tail: ${file} appeared; following it`);
            }
            printer ??= new RecordPrinter(reader.kind, format);
            presenter ??= new FilePresenter(file, reader.kind.name);
            const obj = rec.toObject();
            const note = presenter.missingMetaNote(obj);
            if (note !== undefined) printErr(`tickrec tail: note: ${note}`);
            printer.print(presenter.present(obj));
          },
          {
            from,
            mode: opts.mode,
            intervalMs,
            signal: ac.signal,
            onFileEnd: (info) => printErr(`tickrec tail: ${info.path}: day ${info.date} finished after ${info.length} records`),
          },
        );
        await f.done;
      }),
    );
}

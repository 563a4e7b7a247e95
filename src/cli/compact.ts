// tickrec compact: finished real-time days → historical files (LZ4 blocks and bar histories, or datakit's zstd), with a progress bar and a summary.

import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { runCompaction, type CompactSummary } from '../compact/index.js';
import { loadConfig } from '../config/index.js';
import { looksLikeDate, parseDate } from '../format/index.js';
import { EXIT_OK, EXIT_PROBLEMS, action, usageError } from './run.js';
import { printErr, printOut } from './terminal.js';

export interface RootOptions {
  root?: string;
  config?: string;
}

/** The data root from --root, else from --config's `root`; refused unless it is a folder holding rt/ or his/. */
export function resolveRoot(opts: RootOptions): string {
  if (opts.root) return checkDataRoot(path.resolve(opts.root), '--root');
  if (opts.config) return checkDataRoot(loadConfig(opts.config).root, `the root of ${opts.config}`);
  throw usageError('say which data root: --root <dir> (or --config <file> to take the root of a recorder configuration).');
}

/**
 * A data root is a folder with rt/ (the recorder made it) or his/ (compaction did). A
 * command given anything else refuses it, so a mistyped root never reads as "verified,
 * no problems" or "nothing to compact".
 */
export function checkDataRoot(root: string, given: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw usageError(`${given} ${root}: no such folder; give the data root the recorder records into (the "root" of its configuration).`);
  }
  if (!st.isDirectory()) throw usageError(`${given} ${root}: a file, not a folder; give the data root folder (it holds rt/ and his/).`);
  if (!fs.existsSync(path.join(root, 'rt')) && !fs.existsSync(path.join(root, 'his'))) {
    throw usageError(
      `${given} ${root}: not a tickrec data root (no rt/ or his/ inside); give the folder the recorder records into (the "root" of its configuration).`,
    );
  }
  return root;
}

/**
 * <root>/compact/last.json: the last run's summary, for the monitor page. Written by
 * rename so a reader never sees half of it; a failure to write it is only reported.
 */
export function writeLastSummary(root: string, s: CompactSummary): void {
  const dir = path.join(root, 'compact');
  const file = path.join(dir, 'last.json');
  const body = {
    finishedAt: new Date().toISOString(),
    days: s.days,
    instrumentDays: s.instrumentDays,
    files: s.files,
    records: s.records,
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
    ratio: s.bytesOut > 0 ? s.bytesIn / s.bytesOut : null,
    seconds: s.seconds,
    ok: s.failures.length === 0,
    failures: s.failures.length,
  };
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(body, null, 2) + '\n');
    fs.renameSync(`${file}.tmp`, file);
  } catch (err) {
    printErr(`tickrec compact: could not write ${file} (${(err as Error).message}); the compaction itself is complete.`);
  }
}

/** A --date option: YYYYMMDD or YYYY-MM-DD of a day that exists (format's one date rule). */
export function parseDateOption(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const d = parseDate(text);
  if (d === undefined) {
    throw usageError(
      looksLikeDate(text)
        ? `${option} ${text}: no such calendar date; give a trading date that exists, YYYYMMDD (or YYYY-MM-DD).`
        : `${option} ${text}: a trading date YYYYMMDD (or YYYY-MM-DD).`,
    );
  }
  return d;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export function summaryLines(s: CompactSummary): string[] {
  if (s.dryRun) {
    return [
      ...s.planned.map((p) => `would compact ${p}`),
      `dry run: ${s.instrumentDays} instrument-days of ${s.days} trading days, ${s.files} real-time files, ${mb(s.bytesIn)} MB; nothing written.`,
    ];
  }
  const ratio = s.bytesOut > 0 ? (s.bytesIn / s.bytesOut).toFixed(2) : '-';
  const rate = s.seconds > 0 ? (s.bytesIn / 1e6 / s.seconds).toFixed(0) : '-';
  return [
    `compacted ${s.instrumentDays} instrument-days of ${s.days} trading days: ${s.files} real-time files released, ${s.records} records` +
      (s.alreadyDone > 0 ? ` (${s.alreadyDone} already in his/, resumed)` : ''),
    `bytes in ${mb(s.bytesIn)} MB, out ${mb(s.bytesOut)} MB, ratio ${ratio}, ${s.seconds.toFixed(2)} s (${rate} MB/s)`,
    ...(s.failures.length > 0
      ? [
          `${s.failures.length} instrument-days FAILED (their real-time files are kept):`,
          ...s.failures.map((f) => `  ${f.file}: ${f.code}: ${f.message}`),
        ]
      : []),
  ];
}

export function registerCompact(program: Command): void {
  program
    .command('compact')
    .description('turn finished real-time days into compressed, checksummed historical files, then release the real-time files')
    .option('--root <dir>', 'data root')
    .option('-c, --config <file>', 'take the data root from this recorder configuration')
    .option('--date <YYYYMMDD>', 'only this trading date (refused while the recorder still owns it)')
    .option('--codec <lz4|zstd>', "lz4: tickrec's checksummed blocks (default); zstd: datakit's layout, readable by WonderTrader", 'lz4')
    .option('--dry-run', 'list what would be compacted; write nothing')
    .action(
      action((opts: RootOptions & { date?: string; codec: string; dryRun?: boolean }) => {
        if (opts.codec !== 'lz4' && opts.codec !== 'zstd') throw usageError(`--codec ${opts.codec}: use lz4 or zstd.`);
        const date = parseDateOption('--date', opts.date); // the options first, then the root on disk
        const root = resolveRoot(opts);
        const tty = process.stderr.isTTY === true && !opts.dryRun;
        const bar = tty
          ? new cliProgress.SingleBar(
              {
                format: 'compact [{bar}] {percentage}% | {value}/{total} instrument-days | {mb} MB | {current}',
                hideCursor: true,
                clearOnComplete: true,
                stream: process.stderr,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        let started = false;
        const summary = runCompaction({
          root,
          ...(date !== undefined ? { date } : {}),
          codec: opts.codec,
          dryRun: !!opts.dryRun,
          onLog: (line) => {
            if (bar && started) bar.stop();
            started = false;
            printErr(line);
          },
          onProgress: (p) => {
            if (bar) {
              if (!started) {
                bar.start(p.total, p.done - 1, { mb: '0', current: '' });
                started = true;
              }
              bar.update(p.done, { mb: mb(p.bytesIn), current: p.current });
            } else if (!opts.dryRun) {
              printErr(`compact ${p.done}/${p.total} ${p.current}`);
            }
          },
        });
        if (bar && started) bar.stop();
        printOut(...summaryLines(summary));
        if (!opts.dryRun) writeLastSummary(root, summary);
        return summary.failures.length > 0 ? EXIT_PROBLEMS : EXIT_OK;
      }),
    );
}

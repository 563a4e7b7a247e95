// tickrec bars --rebuild FILE|DAY: rebuild bars offline from tick files through the recorder's BarEngine, to repair or backfill rt/min1, rt/min5 and the longer periods.

import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  kindNameOfPeriod,
  parsePeriods,
  rebuildTarget,
  rebuildTickFile,
  tickFilePlace,
  writeBarFile,
  type BarPeriod,
} from '../bars/index.js';
import { loadSessionBook } from '../calendar/index.js';
import { BUNDLED_CONFIG_DIR } from '../config/load.js';
import { TickrecError } from '../errors.js';
import { TICK_KIND, kindByName, looksLikeDate } from '../format/index.js';
import { parseDateOption, resolveRoot } from './compact.js';
import { EXCHG_MAX_CHARS, liveRootHolder, nameProblem } from '../store/index.js';
import { EXIT_OK, EXIT_PROBLEMS, action, usageError } from './run.js';
import { printOut } from './terminal.js';

export interface BarsOptions {
  rebuild: string;
  root?: string;
  periods: string;
  sessions: string;
  out?: string;
}

function parsePeriodList(text: string): BarPeriod[] {
  const parts = text.split(',').map((s) => s.trim());
  const nums = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  try {
    return parsePeriods(nums, '--periods');
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

/** Finished tick files of trading day `day` under `root`: rt/ticks/<EXCHG>/<day>/*.dmb. */
function finishedTickFiles(root: string, day: string): string[] {
  const ticksDir = path.join(root, 'rt', TICK_KIND.folder);
  const out: string[] = [];
  let exchanges: string[];
  try {
    exchanges = fs.readdirSync(ticksDir).sort();
  } catch {
    throw usageError(`${ticksDir}: no tick folder; is ${root} a data root (--root)?`);
  }
  for (const ex of exchanges) {
    if (nameProblem(ex, EXCHG_MAX_CHARS)) continue;
    const dir = path.join(ticksDir, ex, day);
    let files: string[];
    try {
      files = fs.readdirSync(dir).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new TickrecError('E_IO', `${dir}: cannot list the folder (${(err as Error).message}); check its permissions.`, {
        file: dir,
        cause: err,
      });
    }
    for (const f of files) if (f.endsWith('.dmb')) out.push(path.join(dir, f));
  }
  return out;
}

export function registerBars(program: Command): void {
  program
    .command('bars')
    .description(
      'bars from ticks, offline: rebuild the bars of a tick file, or of every finished tick file of a trading day, ' +
        'with the same engine the recorder runs; the bar files are replaced whole (the old one kept as .bak)',
    )
    .requiredOption('--rebuild <file|day>', 'a tick file (.dmb, live or finished), or a trading day YYYYMMDD (with --root)')
    .option('--root <dir>', 'data root of a day (required with a day); a file is rebuilt into the root it is in')
    .option('--periods <list>', 'bar periods in minutes, comma-separated, among 1,5,15,30,60 (must include 1)', '1,5')
    .option('--sessions <file>', 'sessions file', path.join(BUNDLED_CONFIG_DIR, 'sessions.json'))
    .option('--out <dir>', 'write the bars under this folder (laid out as a data root) instead of next to the ticks')
    .action(
      action((opts: BarsOptions) => {
        const periods = parsePeriodList(opts.periods);
        const sessions = loadSessionBook(opts.sessions);
        const target = opts.rebuild;
        let files: string[];
        const isDay = looksLikeDate(target) && !fs.existsSync(target);
        if (isDay) {
          const day = parseDateOption('--rebuild', target)!;
          if (!opts.root) throw usageError(`--rebuild ${target}: a trading day needs --root <data root>.`);
          files = finishedTickFiles(resolveRoot({ root: opts.root }), String(day));
          if (files.length === 0)
            throw usageError(
              `no finished tick file of ${day} under ${path.join(opts.root, 'rt', TICK_KIND.folder, '<EXCHG>', String(day))}; ` +
                'a day is finished once the recorder has set it aside (tickrec verify lists the finished days).',
            );
        } else {
          if (!fs.existsSync(target)) throw usageError(`--rebuild ${target}: no such file, and not a trading day YYYYMMDD.`);
          if (!opts.out && !tickFilePlace(target)) {
            throw usageError(
              `${target}: not in a data root's layout (<root>/rt/ticks/<EXCHG>/[<YYYYMMDD>/]<CODE>.dmb); give --out <folder> to say where the bars go.`,
            );
          }
          files = [target];
        }
        // Where bars are written: --out, else the root the ticks are in. Never under a live recorder.
        const writeRoot = opts.out ?? (isDay ? opts.root! : tickFilePlace(target)!.root!);
        const holder = liveRootHolder(writeRoot);
        if (holder) {
          throw new TickrecError(
            'E_LOCKED',
            `${writeRoot}: a live recorder (${holder}) owns this data root and writes its bars; stop it, or rebuild into another folder with --out.`,
          );
        }
        let problems = 0;
        for (const file of files) {
          try {
            const r = rebuildTickFile(file, { sessions, periods });
            if (r.instruments.length === 0) {
              printOut(`${file}: no ticks; nothing written`);
              continue;
            }
            if (r.stats.noSession > 0) {
              problems++;
              printOut(`${file}: ${r.exchg}.${r.code} has no session in ${opts.sessions}; no bars written`);
              continue;
            }
            const parts: string[] = [];
            for (const p of periods) {
              const name = kindNameOfPeriod(p);
              const bars = r.bars.get(name) ?? [];
              const dest = rebuildTarget(file, kindByName(name)!, r, opts.out);
              const w = writeBarFile(dest, name, r.date, bars);
              const what = w.unchanged ? ', unchanged' : w.backup ? ` (old file kept as ${path.basename(w.backup)})` : '';
              parts.push(`${name} ${w.bars} bar${w.bars === 1 ? '' : 's'}${w.unchanged ? what : ''} → ${w.file}${w.unchanged ? '' : what}`);
            }
            const outside = r.stats.outside > 0 ? ` (${r.stats.outside} outside the session)` : '';
            printOut(`${file}: ${r.stats.ticks} ticks${outside}; ${parts.join('; ')}`);
          } catch (err) {
            if (!(err instanceof TickrecError)) throw err;
            problems++;
            printOut(`${file}: not rebuilt: ${err.code}: ${err.message}`);
          }
        }
        return problems > 0 ? EXIT_PROBLEMS : EXIT_OK;
      }),
    );
}

// tickrec calendar [--check]: what the holiday calendar covers (the sessions file of a configuration, a sessions file, or a WonderTrader folder), its sources, the holidays ahead, and whether it reaches today + 30 days.

import type { Command } from 'commander';
import { CALENDAR_HORIZON_DAYS, addDays, checkCoverage, isTradingDay, type SessionBook } from '../calendar/index.js';
import { BUNDLED_CONFIG_DIR, loadConfig } from '../config/index.js';
import { formatDate } from '../format/index.js';
import { loadMeta } from '../meta/index.js';
import { EXIT_OK, EXIT_PROBLEMS, action, usageError } from './run.js';
import path from 'node:path';

interface CalendarOptions {
  config?: string;
  sessions?: string;
  wondertrader?: string;
  check?: boolean;
  today?: string;
  json?: boolean;
}

function todayMs(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12) : NaN;
  if (!m || new Date(ms).getUTCDate() !== Number(m[3])) throw usageError(`--today ${text}: a date YYYYMMDD or YYYY-MM-DD.`);
  return ms;
}

function bookOf(o: CalendarOptions): SessionBook {
  if ([o.config, o.sessions, o.wondertrader].filter((x) => x !== undefined).length > 1)
    throw usageError('give one of -c/--config, --sessions or --wondertrader.');
  if (o.config !== undefined) {
    const c = loadConfig(o.config);
    return loadMeta(c).sessions;
  }
  if (o.wondertrader !== undefined) return loadMeta({ instruments: { wondertrader: path.resolve(o.wondertrader) } }).sessions;
  return loadMeta({ sessions: path.resolve(o.sessions ?? path.join(BUNDLED_CONFIG_DIR, 'sessions.json')), instruments: {} }).sessions;
}

export function registerCalendar(program: Command): void {
  program
    .command('calendar')
    .description(
      `show what the holiday calendar covers and its sources; --check exits 1 when it does not reach today + ${CALENDAR_HORIZON_DAYS} days`,
    )
    .option('-c, --config <file>', 'the calendar of this recorder configuration (its sessions file or WonderTrader folder)')
    .option('--sessions <file>', 'a sessions file (default: the bundled config/sessions.json)')
    .option('--wondertrader <dir>', 'a WonderTrader common/ folder (its holidays.json)')
    .option('--check', `exit 1 when the calendar ends before today + ${CALENDAR_HORIZON_DAYS} days`)
    .option('--today <date>', 'check as of this date (YYYYMMDD) instead of today')
    .option('--json', 'print JSON')
    .action(
      action((o: CalendarOptions) => {
        const book = bookOf(o);
        const now = todayMs(o.today);
        const c = checkCoverage(book, now);
        const holidays = [...book.holidays].sort((a, b) => a - b);
        const ahead: number[] = [];
        for (let d = c.today, i = 0; i < 400 && d <= book.calendar.coversThrough; i++, d = addDays(d, 1)) {
          if (book.holidays.has(d) && !isTradingDay(d, book.holidays) && ahead.length < 20) ahead.push(d);
        }
        if (o.json) {
          process.stdout.write(
            JSON.stringify(
              {
                ...c,
                file: book.calendar.file,
                holidays: holidays.length,
                first: holidays[0] ?? null,
                last: holidays.at(-1) ?? null,
                ahead,
                sources: book.calendar.sources,
              },
              null,
              2,
            ) + '\n',
          );
        } else {
          const w = (l: string) => process.stdout.write(l + '\n');
          w(`calendar       ${book.calendar.file}`);
          w(
            `holidays       ${holidays.length} weekdays${holidays.length > 0 ? `, ${formatDate(holidays[0]!)} .. ${formatDate(holidays.at(-1)!)}` : ''}`,
          );
          w(
            `covers through ${c.coversThrough > 0 ? formatDate(c.coversThrough) : 'nothing'}${c.coversThrough > 0 ? (c.inferred ? ' (inferred: December 31 of the last year with a holiday)' : ' (declared)') : ''}`,
          );
          w(`today          ${formatDate(c.today)}; needed through ${formatDate(c.needed)} (today + ${CALENDAR_HORIZON_DAYS} days)`);
          w(
            `status         ${c.status === 'ok' ? 'ok' : c.status === 'none' ? 'not checked (no holidays listed)' : 'DEGRADED'}: ${c.message}`,
          );
          w(
            `ahead          ${ahead.length > 0 ? ahead.map(formatDate).join(', ') : 'no holiday listed from today to the end of the book'}`,
          );
          if (book.calendar.sources.length > 0) {
            w('sources');
            for (const s of book.calendar.sources) w(`  ${s.year ?? ''} ${s.title}${s.url ? `\n       ${s.url}` : ''}`);
          }
        }
        return o.check && c.status === 'short' ? EXIT_PROBLEMS : EXIT_OK;
      }),
    );
}

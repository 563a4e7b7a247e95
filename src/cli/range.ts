// --from / --to: instants on the command line turned into record indexes of a file.

import { minuteBarDate, nextDate, parseInstant, type Instant } from '../format/index.js';
import type { KeyedRecords } from './his-file.js';
import { usageError } from './run.js';

export function parseInstantOption(name: string, text: string | undefined): Instant | undefined {
  if (text === undefined) return undefined;
  const t = parseInstant(text);
  if (!t && /^\s*(\d{8}|\d{4}-\d{2}-\d{2})([ T]|\s*$)/.test(text)) {
    throw usageError(
      `${name} '${text}': no such calendar date or time of day; give a day that exists (YYYYMMDD) and a time up to 23:59:59.999.`,
    );
  }
  if (!t) {
    throw usageError(`${name} '${text}': use YYYYMMDD, 'YYYYMMDD HH:MM[:SS[.mmm]]', YYYY-MM-DDTHH:MM[:SS[.mmm]] or HH:MM[:SS[.mmm]].`);
  }
  return t;
}

/**
 * The key of an instant in `reader`. A time without a date is taken on the calendar
 * date of the file's first record, or the next day when that would fall before the
 * first record (a night session that started the day before).
 */
export function instantKey(reader: KeyedRecords, at: Instant, endOfDay: boolean): number {
  const kind = reader.kind;
  if (at.date !== undefined) {
    const dateOnly = at.time === 0 && endOfDay;
    return dateOnly ? kind.keyOf(nextDate(at.date), 0) : kind.keyOf(at.date, at.time);
  }
  if (reader.length === 0) return 0;
  const first = reader.get(0) as Record<string, number>;
  const firstDate = first.action_date ?? minuteBarDate(first.time ?? 0);
  const key = kind.keyOf(firstDate, at.time);
  return key < reader.keyAt(0) ? kind.keyOf(nextDate(firstDate), at.time) : key;
}

/** Index range [from, to) of records with from <= key < to. */
export function indexRange(reader: KeyedRecords, from: Instant | undefined, to: Instant | undefined): [number, number] {
  const n = reader.length;
  const fromKey = from ? instantKey(reader, from, false) : undefined;
  const toKey = to ? instantKey(reader, to, true) : undefined;
  if (fromKey !== undefined && toKey !== undefined && fromKey > toKey) {
    throw usageError(`--from is after --to in ${reader.path}: give --from <= --to (a time alone is on the file's first day).`);
  }
  const start = fromKey !== undefined ? reader.lowerBound(fromKey, n) : 0;
  const end = toKey !== undefined ? reader.lowerBound(toKey, n) : n;
  return [start, Math.max(start, end)];
}

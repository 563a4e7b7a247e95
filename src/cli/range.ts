// --from / --to: instants on the command line turned into record indexes of a file.

import { nextDate, parseInstant, type Instant } from '../format/index.js';
import type { KeyedRecords } from './his-file.js';
import { usageError } from './run.js';

export function parseInstantOption(name: string, text: string | undefined): Instant | undefined {
  if (text === undefined) return undefined;
  const t = parseInstant(text);
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
  const firstDate = first.action_date ?? Math.floor(((first.time ?? 0) + 199000000000) / 10000);
  const key = kind.keyOf(firstDate, at.time);
  return key < reader.keyAt(0) ? kind.keyOf(nextDate(firstDate), at.time) : key;
}

/** Index range [from, to) of records with from <= key < to. */
export function indexRange(reader: KeyedRecords, from: Instant | undefined, to: Instant | undefined): [number, number] {
  const n = reader.length;
  const start = from ? reader.lowerBound(instantKey(reader, from, false), n) : 0;
  const end = to ? reader.lowerBound(instantKey(reader, to, true), n) : n;
  return [start, Math.max(start, end)];
}

// Printing records as an aligned table, CSV or JSON lines.

import { formatDate, formatTime, minuteBarStamp, type RecordKind, type Rec } from '../format/index.js';
import { usageError } from './run.js';
import { printOut } from './terminal.js';

export type OutputFormat = 'table' | 'csv' | 'jsonl';

export function parseFormat(text: string): OutputFormat {
  if (text === 'table' || text === 'csv' || text === 'jsonl') return text;
  throw usageError(`--format ${text}: use table, csv or jsonl.`);
}

/** Table columns per kind: a readable subset. CSV has every field. */
const TABLE_COLUMNS: Record<string, readonly string[]> = {
  tick: [
    'ts_utc',
    'action_date',
    'action_time',
    'exchg',
    'code',
    'price',
    'volume',
    'total_volume',
    'open_interest',
    'bid1',
    'bidqty1',
    'ask1',
    'askqty1',
  ],
  trade: ['ts_utc', 'action_date', 'action_time', 'exchg', 'code', 'price', 'volume', 'side', 'index'],
  min1: ['ts_utc', 'date', 'time', 'open', 'high', 'low', 'close', 'vol', 'money', 'hold'],
  min5: ['ts_utc', 'date', 'time', 'open', 'high', 'low', 'close', 'vol', 'money', 'hold'],
  min15: ['ts_utc', 'date', 'time', 'open', 'high', 'low', 'close', 'vol', 'money', 'hold'],
  min30: ['ts_utc', 'date', 'time', 'open', 'high', 'low', 'close', 'vol', 'money', 'hold'],
  min60: ['ts_utc', 'date', 'time', 'open', 'high', 'low', 'close', 'vol', 'money', 'hold'],
};

const isMinuteBar = (k: RecordKind) => k.recordBytes === 88 && k.name.startsWith('min');

/** A record flattened to columns: arrays become name_0..name_9, times readable in tables; a null (ts_utc of an unknown zone) is an empty cell. */
function flatten(rec: Rec): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (Array.isArray(v) || v instanceof Float64Array) {
      const arr: ArrayLike<number> = v;
      for (let i = 0; i < arr.length; i++) out[`${k}_${i}`] = arr[i]!;
    } else out[k] = (v as unknown) === null ? '' : v;
  }
  return out;
}

function tableCell(kind: RecordKind, rec: Rec, col: string): string {
  const flat = rec as Record<string, unknown>;
  const level = /^(bid|ask)(qty)?(\d+)$/.exec(col);
  if (level) {
    const arr = flat[`${level[1]}_${level[2] ? 'qty' : 'prices'}`] as ArrayLike<number>;
    return String(arr[Number(level[3]) - 1] ?? '');
  }
  const v = flat[col];
  if (col === 'ts_utc') return typeof v === 'string' ? v : '-';
  if (col === 'action_time') return formatTime(v as number);
  if (col === 'action_date' || (col === 'date' && kind.name !== 'tick')) return formatDate(v as number);
  if (col === 'time' && isMinuteBar(kind)) {
    const stamp = minuteBarStamp(v as number); // YYYYMMDDHHMM
    const hhmm = stamp % 10000;
    return `${formatDate(Math.floor(stamp / 10000))} ${String(Math.floor(hhmm / 100)).padStart(2, '0')}:${String(hhmm % 100).padStart(2, '0')}`;
  }
  if (col === 'side') return String.fromCharCode(v as number);
  return String(v);
}

export class RecordPrinter {
  private header = false;
  private readonly cols: readonly string[];

  constructor(
    private readonly kind: RecordKind,
    private readonly format: OutputFormat,
    private readonly write: (line: string) => void = (l) => printOut(l),
  ) {
    this.cols = TABLE_COLUMNS[kind.name] ?? [];
  }

  print(rec: Rec): void {
    if (this.format === 'jsonl') return this.write(JSON.stringify(rec));
    if (this.format === 'csv') {
      const flat = flatten(rec);
      if (!this.header) {
        this.write(Object.keys(flat).join(','));
        this.header = true;
      }
      return this.write(Object.values(flat).map(csvCell).join(','));
    }
    if (!this.header) {
      this.write(this.cols.map((c) => c.padStart(width(c))).join(' '));
      this.header = true;
    }
    this.write(this.cols.map((c) => tableCell(this.kind, rec, c).padStart(width(c))).join(' '));
  }
}

function width(col: string): number {
  return col === 'ts_utc'
    ? 24
    : col === 'action_time'
      ? 12
      : col === 'time'
        ? 16
        : col === 'action_date' || col === 'date'
          ? 10
          : Math.max(col.length, 10);
}

function csvCell(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

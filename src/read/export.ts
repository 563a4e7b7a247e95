// Export of records to CSV, JSON lines or Parquet (for DuckDB, ClickHouse, pandas, Spark), streaming one segment (a day, or a run of days of a bar history) at a time.
//
// COLUMNS (every format): exchg, code, then every numeric field of the record's field
// table in table order, numeric arrays flattened as name_0 .. name_9 (CSV, Parquet; JSON
// lines keep them as arrays), then `ts_utc`. Bars have no exchg/code fields: the
// instrument's are written. Trades' `volume` is the real quantity (stored units ÷
// 10^volume_decimals, src/read/present.ts), a DOUBLE in Parquet. `ts_utc` is the record's
// instant in UTC (bars: their end): ISO 8601 text with a Z in CSV and JSON lines; in
// Parquet an INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true), OPTIONAL (null when the
// instrument's zone is unknown), which DuckDB reads as TIMESTAMP WITH TIME ZONE and
// pyarrow/polars as timestamp[ms, tz=UTC].
// Parquet types: f64 DOUBLE; u32 INT32 annotated UINT_32 (and u16 UINT_16), read back as
// unsigned; u64 and i64 INT64 (their values are below 2^53 by the format's rules);
// exchg/code BYTE_ARRAY UTF8. Every column REQUIRED. One row group per `rowGroupRows`
// rows (default 100,000), SNAPPY pages, column statistics on; doubles PLAIN-encoded,
// integers and strings dictionary-encoded when that pays.
// Values: CSV writes each number as JavaScript's shortest round-trip text ('-0', 'NaN',
// 'Infinity' included), so every double reads back bit for bit; JSON has no NaN or
// infinities and no -0: JSON.stringify writes null and 0 for them.
//
// Parquet writer: hyparquet-writer (pure JavaScript, one dependency, no install script).
// Its quirks, found by reading its files back with arrow-rs (test/export), are avoided
// here: an INTEGER logical type is written with a wrong bit width (so unsigned columns
// carry the converted type UINT_32 only, which every reader maps to an unsigned 32-bit
// integer); a u32 value above 2^31 - 1 in a Uint32Array is refused (so u32 columns are
// handed over as plain numbers); its dictionary encoding keys doubles by SameValueZero,
// merging 0 and -0 (so doubles are written PLAIN, bit for bit); a file with no row group
// is not valid for arrow-based readers (so an empty export writes no file).
//
// The output is written under <out>.tmp-<pid> and renamed to <out> when complete; on any
// error the temporary file is removed and <out> is left as it was.

import fs from 'node:fs';
import path from 'node:path';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { assert } from '../assert.js';
import { TickrecError, ioError } from '../errors.js';
import type { Mem } from '../format/index.js';
import { scanRecords, type ScanQuery } from './api.js';
import { columnInfos, extractorOf, type ColumnArray, type ColumnInfo, type Columns } from './columns.js';
import { readKind, type ReadKind } from './kinds.js';
import { Presenter, isoUtc, presentKind, utcColumn } from './present.js';
import { pow10 } from '../format/decimal.js';
import type { Segment } from './segments.js';

export type ExportFormat = 'csv' | 'jsonl' | 'parquet';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'jsonl', 'parquet'];

export interface ExportOptions extends ScanQuery {
  format: ExportFormat;
  /** Output file. */
  out: string;
  /** Parquet: rows per row group (default 100,000). */
  rowGroupRows?: number;
  /** Told after each segment. */
  onProgress?: (p: ExportProgress) => void;
}

export interface ExportProgress {
  rows: number;
  instruments: number;
  /** EXCHG.CODE of the segment just written. */
  current: string;
  /** Trading date of its last day. */
  date: number;
}

export interface ExportSummary {
  out: string;
  format: ExportFormat;
  rows: number;
  instruments: number;
  /** Bytes of the file written (0 when nothing was written). */
  bytes: number;
  seconds: number;
  /** False when no record was in range: then no file is written. */
  written: boolean;
}

export const DEFAULT_ROW_GROUP_ROWS = 100_000;

/** The export's column names for a kind: exchg, code, the numeric columns, ts_utc. */
export function exportColumnNames(kind: ReadKind): string[] {
  return ['exchg', 'code', ...columnInfos(kind.struct).map((c) => c.name), 'ts_utc'];
}

/** Trades: the volume column of a segment's rows as real quantities (in place, in a Float64Array). */
function realVolume(kind: ReadKind, cols: Columns, n: number, decimals: number): void {
  if (kind.name !== 'trade') return;
  const v = cols.volume!;
  const out = v instanceof Float64Array ? v : Float64Array.from(v);
  if (decimals > 0) {
    const p = pow10(decimals);
    for (let i = 0; i < n; i++) out[i] = out[i]! / p;
  }
  cols.volume = out;
}

/** A number as the shortest text that reads back as the same double (-0 kept). */
export function numberText(v: number): string {
  return v === 0 && 1 / v < 0 ? '-0' : String(v);
}

function csvText(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** exchg/code of each row: the record's own fields (ticks, trades), or the instrument's (bars). */
function nameReaders(kind: ReadKind): {
  exchg: (s: Segment, m: Mem, o: number) => string;
  code: (s: Segment, m: Mem, o: number) => string;
} {
  if (kind.isBar) return { exchg: (s) => s.exchange, code: (s) => s.code };
  const e = kind.codec.fieldReader('exchg') as (m: Mem, o: number) => string;
  const c = kind.codec.fieldReader('code') as (m: Mem, o: number) => string;
  return { exchg: (_s, m, o) => e(m, o), code: (_s, m, o) => c(m, o) };
}

interface Sink {
  /** Writes the records of a segment. */
  segment(s: Segment): void;
  /** Completes the file. */
  finish(): void;
  /** Abandons the file (error): closes what is open. */
  abort(): void;
}

/** Buffered text output to a file descriptor. */
class TextOut {
  private parts: string[] = [];
  private size = 0;
  constructor(
    private readonly fd: number,
    private readonly file: string,
  ) {}
  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    const b = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    let done = 0;
    while (done < b.length) {
      try {
        done += fs.writeSync(this.fd, b, done, b.length - done);
      } catch (err) {
        throw ioError(err, this.file, 'write');
      }
    }
  }
}

function openText(tmp: string, out: string): { fd: number; text: TextOut } {
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (err) {
    throw ioError(err, out, 'create the output file');
  }
  return { fd, text: new TextOut(fd, out) };
}

function csvSink(kind: ReadKind, tmp: string, out: string, presenter: Presenter): Sink {
  const { fd, text } = openText(tmp, out);
  const ex = extractorOf(kind.struct);
  const names = nameReaders(kind);
  const rs = kind.recordBytes;
  text.line(exportColumnNames(kind).map(csvText).join(','));
  return {
    segment(s) {
      const cols = ex.allocate(s.count);
      ex.extract(s.mem, 0, s.count, cols, 0);
      const meta = presenter.meta.of(s.exchange, s.code);
      realVolume(kind, cols, s.count, meta.volumeDecimals);
      const ts = utcColumn(presenter.kind, cols, s.count, meta);
      const arrays = ex.names.map((n) => cols[n]!);
      for (let i = 0; i < s.count; i++) {
        const o = i * rs;
        let line = `${csvText(names.exchg(s, s.mem, o))},${csvText(names.code(s, s.mem, o))}`;
        for (const a of arrays) line += `,${numberText(a[i]!)}`;
        line += `,${ts === null ? '' : isoUtc(ts[i]!)}`;
        text.line(line);
      }
    },
    finish() {
      text.flush();
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    },
    abort() {
      fs.closeSync(fd);
    },
  };
}

function jsonlSink(kind: ReadKind, tmp: string, out: string, presenter: Presenter): Sink {
  const { fd, text } = openText(tmp, out);
  const { decode } = kind.codec;
  const rs = kind.recordBytes;
  return {
    segment(s) {
      for (let i = 0; i < s.count; i++) {
        const rec = presenter.present(decode(s.mem, i * rs), s.exchange, s.code);
        text.line(JSON.stringify(kind.isBar ? { exchg: s.exchange, code: s.code, ...rec } : rec));
      }
    },
    finish() {
      text.flush();
      fs.fsyncSync(fd);
      fs.closeSync(fd);
    },
    abort() {
      fs.closeSync(fd);
    },
  };
}

interface ParquetElement {
  name: string;
  type?: 'DOUBLE' | 'INT32' | 'INT64' | 'BYTE_ARRAY';
  converted_type?: 'UTF8' | 'UINT_32' | 'UINT_16';
  logical_type?: { type: 'TIMESTAMP'; isAdjustedToUTC: true; unit: 'MILLIS' };
  repetition_type?: 'REQUIRED' | 'OPTIONAL';
  num_children?: number;
}

/** The Parquet schema of a kind's export (see COLUMNS above). */
export function parquetSchema(kind: ReadKind): ParquetElement[] {
  const cols = columnInfos(kind.struct);
  const el = (c: ColumnInfo): ParquetElement => {
    if (kind.name === 'trade' && c.name === 'volume') return { name: c.name, type: 'DOUBLE', repetition_type: 'REQUIRED' };
    switch (c.type) {
      case 'f64':
        return { name: c.name, type: 'DOUBLE', repetition_type: 'REQUIRED' };
      case 'u32':
        return { name: c.name, type: 'INT32', converted_type: 'UINT_32', repetition_type: 'REQUIRED' };
      case 'u16':
        return { name: c.name, type: 'INT32', converted_type: 'UINT_16', repetition_type: 'REQUIRED' };
      default:
        return { name: c.name, type: 'INT64', repetition_type: 'REQUIRED' };
    }
  };
  return [
    { name: 'root', num_children: cols.length + 3 },
    { name: 'exchg', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'code', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    ...cols.map(el),
    {
      name: 'ts_utc',
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      repetition_type: 'OPTIONAL',
    },
  ];
}

function parquetSink(
  kind: ReadKind,
  tmp: string,
  out: string,
  groupRows: number,
  meta: Record<string, string>,
  presenter: Presenter,
): Sink {
  const ex = extractorOf(kind.struct);
  const infos = ex.columns;
  const names = nameReaders(kind);
  const rs = kind.recordBytes;
  const writer = new ParquetWriter({
    writer: fileWriter(tmp),
    schema: parquetSchema(kind),
    kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })),
    createdBy: 'tickrec',
  });
  let cols: Columns = ex.allocate(groupRows);
  let exchg: string[] = new Array<string>(groupRows);
  let code: string[] = new Array<string>(groupRows);
  let ts: (bigint | null)[] = new Array<bigint | null>(groupRows);
  let n = 0;
  const flush = () => {
    if (n === 0) return;
    const data = (c: ColumnInfo, a: ColumnArray): unknown => {
      const v = a.subarray(0, n);
      if (kind.name === 'trade' && c.name === 'volume') return v; // real quantities (Float64Array)
      if (c.type === 'u32' || c.type === 'u16') return Array.from(v);
      if (c.type === 'u64' || c.type === 'i64') {
        const b = new BigInt64Array(n);
        for (let i = 0; i < n; i++) b[i] = BigInt(v[i]!);
        return b;
      }
      return v;
    };
    const written = writer.write({
      columnData: [
        { name: 'exchg', data: n === groupRows ? exchg : exchg.slice(0, n) },
        { name: 'code', data: n === groupRows ? code : code.slice(0, n) },
        // Doubles PLAIN: the writer's dictionary keys values by SameValueZero, which would turn a 0 into a -0 seen before it.
        ...infos.map((c) => ({
          name: c.name,
          data: data(c, cols[c.name]!) as never,
          ...(c.type === 'f64' || (kind.name === 'trade' && c.name === 'volume') ? { encoding: 'PLAIN' as const } : {}),
        })),
        { name: 'ts_utc', data: (n === groupRows ? ts : ts.slice(0, n)) as never },
      ],
      rowGroupSize: n,
    });
    // fileWriter writes synchronously, so hyparquet-writer returns no promise; keep it so.
    assert(!(written instanceof Promise), 'hyparquet-writer fileWriter is synchronous');
    cols = ex.allocate(groupRows);
    exchg = new Array<string>(groupRows);
    code = new Array<string>(groupRows);
    ts = new Array<bigint | null>(groupRows);
    n = 0;
  };
  return {
    segment(s) {
      for (let done = 0; done < s.count;) {
        const take = Math.min(s.count - done, groupRows - n);
        // The segment's rows (one instrument) extracted apart first: real volumes and ts_utc are per instrument.
        const part = ex.allocate(take);
        ex.extract(s.mem, done * rs, take, part, 0);
        const m = presenter.meta.of(s.exchange, s.code);
        realVolume(kind, part, take, m.volumeDecimals);
        const t = utcColumn(presenter.kind, part, take, m);
        for (const name of ex.names) {
          const dst = cols[name]!;
          if (kind.name === 'trade' && name === 'volume' && !(dst instanceof Float64Array)) cols[name] = new Float64Array(groupRows);
          cols[name]!.set(part[name]!, n);
        }
        for (let i = 0; i < take; i++) {
          const o = (done + i) * rs;
          exchg[n + i] = names.exchg(s, s.mem, o);
          code[n + i] = names.code(s, s.mem, o);
          ts[n + i] = t === null ? null : BigInt(t[i]!);
        }
        n += take;
        done += take;
        if (n === groupRows) flush();
      }
    },
    finish() {
      flush();
      const finished = writer.finish();
      assert(!(finished instanceof Promise), 'hyparquet-writer fileWriter is synchronous');
      const fd = fs.openSync(tmp, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
    abort() {},
  };
}

/**
 * Exports the records selected by `opts` (a kind; one exchange or all; one code or all;
 * [from, to)) to `opts.out`. Memory stays bounded: one segment and, for Parquet, one row
 * group at a time. No record in range: nothing is written and `written` is false.
 */
export function exportRecords(opts: ExportOptions): ExportSummary {
  const t0 = performance.now();
  const kind = readKind(opts?.kind);
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) {
    throw new TickrecError('E_USAGE', `format '${String(opts.format).slice(0, 20)}': use ${EXPORT_FORMATS.join(', ')}.`);
  }
  if (typeof opts.out !== 'string' || opts.out.length === 0) throw new TickrecError('E_USAGE', 'out: give the output file.');
  const groupRows = opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  if (!Number.isInteger(groupRows) || groupRows < 1) throw new TickrecError('E_USAGE', `row group rows ${groupRows}: a whole number >= 1.`);
  const dir = path.dirname(path.resolve(opts.out));
  if (!fs.existsSync(dir))
    throw new TickrecError('E_USAGE', `${opts.out}: the folder ${dir} does not exist; create it first.`, { file: opts.out });
  const segments = scanRecords(opts); // checks root, kind, exchange, code and the range at its first step, before any file is made
  const tmp = `${opts.out}.tmp-${process.pid}`;
  let sink: Sink | undefined;
  let rows = 0;
  let instruments = 0;
  let lastInstrument = '';
  let current = '';
  try {
    for (const s of segments) {
      current = `${s.exchange}.${s.code}`;
      if (!sink) {
        const meta = {
          'tickrec.kind': kind.name,
          'tickrec.columns': 'exchg, code, the record fields in table order, ts_utc (docs/reading.md)',
        };
        const presenter = new Presenter(presentKind(kind.name), opts.root);
        sink =
          opts.format === 'csv'
            ? csvSink(kind, tmp, opts.out, presenter)
            : opts.format === 'jsonl'
              ? jsonlSink(kind, tmp, opts.out, presenter)
              : parquetSink(kind, tmp, opts.out, groupRows, meta, presenter);
      }
      sink.segment(s);
      rows += s.count;
      if (current !== lastInstrument) {
        instruments++;
        lastInstrument = current;
      }
      opts.onProgress?.({ rows, instruments, current, date: s.lastDate });
    }
    if (!sink)
      return {
        out: opts.out,
        format: opts.format,
        rows: 0,
        instruments: 0,
        bytes: 0,
        seconds: (performance.now() - t0) / 1000,
        written: false,
      };
    sink.finish();
    fs.renameSync(tmp, opts.out);
  } catch (err) {
    try {
      sink?.abort();
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    if (err instanceof TickrecError) throw err;
    const errno = (err as NodeJS.ErrnoException)?.code;
    if (typeof errno === 'string' && errno.startsWith('E')) throw ioError(err, opts.out, 'write');
    throw new TickrecError(
      'E_IO',
      `${opts.out}: writing ${opts.format} failed at ${current || 'the start'} (${(err as Error)?.message ?? String(err)}); nothing was written.`,
      { file: opts.out, cause: err },
    );
  }
  return {
    out: opts.out,
    format: opts.format,
    rows,
    instruments,
    bytes: fs.statSync(opts.out).size,
    seconds: (performance.now() - t0) / 1000,
    written: true,
  };
}

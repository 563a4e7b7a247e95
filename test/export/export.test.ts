// tickrec export: bad options first, then Parquet read back with an independent reader (parquet-wasm, arrow-rs) and CSV / JSON lines parsed back, every value equal to the reader API; the cat and export command lines.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { ParquetFile, readParquet } from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { TICK_KIND } from '../../src/format/index.js';
import {
  columnInfos,
  exportColumnNames,
  exportRecords,
  readBars,
  readBarsMarket,
  readKind,
  readTicks,
  readTrades,
  type ExportOptions,
} from '../../src/read/index.js';
import { utcMsOfLocal } from '../../src/calendar/index.js';
import { presentKind, recordUtcMs } from '../../src/read/index.js';
import { REPO_ROOT } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { buildRoot } from '../read/helpers/root.js';
import { rtFilePath } from '../../src/layout/index.js';

let root: string;
let out: string;

beforeAll(() => {
  root = makeTempDir('tickrec-export-');
  buildRoot(root);
  out = makeTempDir('tickrec-export-out-');
});
afterAll(() => removeTempDirs());

function fails(f: () => unknown, pattern: RegExp, code = 'E_USAGE'): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TickrecError);
  expect((err as TickrecError).code).toBe(code);
  expect((err as TickrecError).message).toMatch(pattern);
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/export/helpers/cli.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function readBack(file: string): Table {
  return tableFromIPC(readParquet(new Uint8Array(fs.readFileSync(file))).intoIPCStream());
}

function exp(o: Partial<ExportOptions> & Pick<ExportOptions, 'kind' | 'format' | 'out'>) {
  return exportRecords({ root, ...o });
}

/** Every column of `t` equals the reader's column (Object.is), with the exchange and code given. */
function expectTable(
  t: Table,
  cols: Record<string, ArrayLike<number>>,
  names: { exchg: string[]; code: string[] },
  kindName: string,
): void {
  const kind = readKind(kindName);
  expect(t.schema.fields.map((f) => f.name)).toEqual(exportColumnNames(kind));
  const n = t.numRows;
  expect(Array.from(t.getChild('exchg')!.toArray() as ArrayLike<string>)).toEqual(names.exchg);
  expect(Array.from(t.getChild('code')!.toArray() as ArrayLike<string>)).toEqual(names.code);
  // ts_utc: a UTC timestamp (ms), nullable; its values are checked against the reader's rule.
  const ts = t.schema.fields.find((f) => f.name === 'ts_utc')!;
  expect(String(ts.type)).toBe('Timestamp<MILLISECOND, UTC>');
  const tsv = t.getChild('ts_utc')!.toArray() as ArrayLike<bigint | number>;
  const meta = { volumeDecimals: 0, timezone: 'Asia/Shanghai', sessionClose: '15:00', stored: false };
  for (let i = 0; i < n; i++) {
    const rec: Record<string, number> = kind.isBar
      ? { date: cols.date![i]!, time: cols.time![i]! }
      : { action_date: cols.action_date![i]!, action_time: cols.action_time![i]! };
    const want = recordUtcMs(presentKind(kindName), rec, meta);
    if (Number(tsv[i]) !== want) throw new Error(`ts_utc row ${i}: parquet ${String(tsv[i])}, rule ${want}`);
  }
  for (const c of columnInfos(kind.struct)) {
    const field = t.schema.fields.find((f) => f.name === c.name)!;
    const realVolume = kind.name === 'trade' && c.name === 'volume'; // the real quantity: a double
    const want = c.type === 'f64' || realVolume ? 'Float64' : c.type === 'u32' ? 'Uint32' : c.type === 'u16' ? 'Uint16' : 'Int64';
    expect(String(field.type), c.name).toBe(want);
    expect(field.nullable, c.name).toBe(false);
    const got = t.getChild(c.name)!.toArray() as ArrayLike<number | bigint>;
    const mine = cols[c.name]!;
    expect(got.length).toBe(n);
    for (let i = 0; i < n; i++) {
      const g = typeof got[i] === 'bigint' ? Number(got[i]) : got[i];
      if (!Object.is(g, mine[i])) throw new Error(`${c.name} row ${i}: parquet ${String(got[i])}, reader ${mine[i]}`);
    }
  }
}

describe('refusals', () => {
  it('an unknown format or kind, a missing output folder, a bad root or instant: nothing written', () => {
    const f = path.join(out, 'x.parquet');
    fails(() => exp({ kind: 'tick', format: 'xlsx' as never, out: f }), /format 'xlsx': use csv, jsonl, parquet/);
    fails(() => exp({ kind: 'ticks' as never, format: 'csv', out: f }), /kind 'ticks' is unknown/);
    fails(
      () => exp({ kind: 'tick', format: 'csv', out: path.join(out, 'no/such/dir/x.csv') }),
      /no[/]such[/]dir does not exist; create it first/,
    );
    fails(() => exportRecords({ root: path.join(out, 'missing'), kind: 'tick', format: 'csv', out: f }), /no such data root/);
    fails(() => exp({ kind: 'tick', format: 'csv', out: f, from: '2025-01-32' }), /from '2025-01-32'/);
    fails(() => exp({ kind: 'tick', format: 'csv', out: f, rowGroupRows: 0 }), /row group rows 0/);
    expect(fs.readdirSync(out).filter((x) => x.startsWith('x.'))).toEqual([]);
  });

  it('no record in range: no file, not an error', () => {
    const f = path.join(out, 'empty.parquet');
    const s = exp({ kind: 'tick', exchange: 'SHFE', code: 'rb2505', from: '20240101', to: '20240102', format: 'parquet', out: f });
    expect(s).toMatchObject({ written: false, rows: 0, instruments: 0 });
    expect(fs.existsSync(f)).toBe(false);
    expect(fs.readdirSync(out).filter((x) => x.includes('.tmp-'))).toEqual([]);
  });
});

describe('Parquet, read back with parquet-wasm (arrow-rs) and apache-arrow', () => {
  it('ticks of one instrument across every source: row count, column types and every value', () => {
    const f = path.join(out, 'ticks.parquet');
    const s = exp({ kind: 'tick', exchange: 'SHFE', code: 'rb2505', format: 'parquet', out: f });
    const r = readTicks({ root, exchange: 'SHFE', code: 'rb2505' });
    expect(s).toMatchObject({ written: true, rows: r.count, instruments: 1 });
    const t = readBack(f);
    expect(t.numRows).toBe(r.count);
    expectTable(t, r.columns().columns, { exchg: Array(r.count).fill('SHFE'), code: Array(r.count).fill('rb2505') }, 'tick');
  });

  it('trades: i64 as INT64 (beyond 2^32, negative), the volume as a DOUBLE quantity (4e9 units of a root without metadata)', () => {
    const f = path.join(out, 'trades.parquet');
    exp({ kind: 'trade', exchange: 'SHFE', code: 'rb2505', from: '20250106 22:00', to: '20250108 10:00', format: 'parquet', out: f });
    const r = readTrades({ root, exchange: 'SHFE', code: 'rb2505', from: '20250106 22:00', to: '20250108 10:00' });
    const t = readBack(f);
    expectTable(t, r.columns().columns as never, { exchg: Array(r.count).fill('SHFE'), code: Array(r.count).fill('rb2505') }, 'trade');
    expect(Array.from(t.getChild('volume')!.toArray() as Float64Array)).toContain(4_000_000_000);
  });

  it('bars of a whole exchange in row groups of N rows; the instrument from the path', async () => {
    const f = path.join(out, 'bars.parquet');
    const s = exp({ kind: 'min1', exchange: 'SHFE', format: 'parquet', out: f, rowGroupRows: 50 });
    const m = readBarsMarket({ root, exchange: 'SHFE', period: 'min1' });
    expect(s.rows).toBe(m.count);
    expect(s.instruments).toBe(2);
    const names = { exchg: Array(m.count).fill('SHFE'), code: Array.from(m.columns.instrument, (i) => m.instruments[i]!.code) };
    expectTable(readBack(f), m.columns as never, names, 'min1');
    const pf = await ParquetFile.fromFile(new Blob([new Uint8Array(fs.readFileSync(f))]));
    const md = pf.metadata();
    expect(md.numRowGroups()).toBe(Math.ceil(m.count / 50));
    expect(md.rowGroups().reduce((a, g) => a + g.numRows(), 0)).toBe(m.count);
    expect(md.fileMetadata().numRows()).toBe(m.count);
  });

  it('every exchange when none is given; day bars', () => {
    const f = path.join(out, 'all.parquet');
    exp({ kind: 'min1', format: 'parquet', out: f });
    const t = readBack(f);
    const codes = Array.from(t.getChild('code')!.toArray() as ArrayLike<string>);
    expect(codes[0]).toBe('IF2505');
    expect(new Set(codes)).toEqual(new Set(['IF2505', 'au2506', 'rb2505']));
    const d = path.join(out, 'day.parquet');
    exp({ kind: 'day', exchange: 'SHFE', code: 'rb2505', format: 'parquet', out: d });
    const r = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'day' });
    expectTable(
      readBack(d),
      r.columns().columns as never,
      { exchg: Array(r.count).fill('SHFE'), code: Array(r.count).fill('rb2505') },
      'day',
    );
  });
});

describe('CSV and JSON lines round trips', () => {
  it('CSV: a header from the field tables, arrays flattened, every number read back bit for bit (-0, NaN, DBL_MAX)', () => {
    const f = path.join(out, 'ticks.csv');
    exp({ kind: 'tick', exchange: 'SHFE', code: 'rb2505', format: 'csv', out: f });
    const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n');
    const header = lines[0]!.split(',');
    expect(header).toEqual(exportColumnNames(readKind('tick')));
    expect(header).toContain('bid_prices_9');
    expect(header.at(-1)).toBe('ts_utc');
    const r = readTicks({ root, exchange: 'SHFE', code: 'rb2505' });
    const cols = r.columns().columns as unknown as Record<string, Float64Array>;
    expect(lines.length - 1).toBe(r.count);
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',');
      expect(cells.slice(0, 2)).toEqual(['SHFE', 'rb2505']);
      header.slice(2, -1).forEach((name, j) => {
        if (!Object.is(Number(cells[j + 2]), cols[name]![i]))
          throw new Error(`${name} row ${i}: csv ${cells[j + 2]}, reader ${cols[name]![i]}`);
      });
      const iso = new Date(utcMsOfLocal(cols.action_date![i]!, cols.action_time![i]!, 'Asia/Shanghai')).toISOString();
      if (cells.at(-1) !== iso) throw new Error(`ts_utc row ${i}: csv ${cells.at(-1)}, rule ${iso}`);
    });
    expect(lines.some((l) => l.includes(',-0,'))).toBe(true);
    expect(lines.some((l) => l.includes(',NaN,'))).toBe(true);
  });

  it('JSON lines: one object per record, equal to the reader objects as JSON (bars get exchg and code)', () => {
    const f = path.join(out, 'ticks.jsonl');
    exp({ kind: 'tick', exchange: 'SHFE', code: 'rb2505', format: 'jsonl', out: f });
    const got = fs
      .readFileSync(f, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    const iso = (d: number, t: number) => new Date(utcMsOfLocal(d, t, 'Asia/Shanghai')).toISOString();
    const want = readTicks({ root, exchange: 'SHFE', code: 'rb2505' })
      .toArray()
      .map((o) => JSON.parse(JSON.stringify({ ...o, ts_utc: iso(o.action_date, o.action_time) })) as unknown);
    expect(got).toEqual(want);
    const b = path.join(out, 'bars.jsonl');
    exp({ kind: 'min1', exchange: 'SHFE', code: 'au2506', format: 'jsonl', out: b });
    const bars = fs
      .readFileSync(b, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const r = readBars({ root, exchange: 'SHFE', code: 'au2506', period: 'min1' }).toArray();
    const endIso = (time: number) => {
      const stamp = time + 199000000000; // YYYYMMDDHHMM of the bar's end
      return iso(Math.floor(stamp / 10000), Math.floor((stamp % 10000) / 100) * 10000000 + (stamp % 100) * 100000);
    };
    expect(bars).toEqual(r.map((o) => ({ exchg: 'SHFE', code: 'au2506', ...o, ts_utc: endIso(o.time) })));
    expect(Object.keys(bars[0]!).slice(0, 3)).toEqual(['exchg', 'code', 'date']);
  });
});

describe('command lines', () => {
  it('export: usage errors exit 2 and say what to do; an empty range exits 0 with a message', () => {
    let r = cli(['export', '--root', root, '--format', 'csv', '--out', path.join(out, 'c.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--kind: say what to export');
    r = cli(['export', '--root', root, '--kind', 'tick', '--format', 'csv', '--out', path.join(out, 'c.csv'), '--from', '10:00']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--from '10:00': a time of day alone is ambiguous");
    r = cli([
      'export',
      '--root',
      root,
      '--kind',
      'tick',
      '--format',
      'parquet',
      '--out',
      path.join(out, 'e.parquet'),
      '--from',
      '20240101',
      '--to',
      '20240102',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no tick records of every exchange in [20240101, 20240102]');
    expect(r.stderr).toContain('nothing written');
    expect(fs.existsSync(path.join(out, 'e.parquet'))).toBe(false);
  });

  it('export to Parquet, then cat --root across history and today', () => {
    const f = path.join(out, 'cli.parquet');
    const r = cli([
      'export',
      '--root',
      root,
      '--exchange',
      'SHFE',
      '--code',
      'au2506',
      '--kind',
      'tick',
      '--format',
      'parquet',
      '--out',
      f,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const n = readTicks({ root, exchange: 'SHFE', code: 'au2506' }).count;
    expect(r.stdout).toContain(`exported ${n} tick records of SHFE.au2506`);
    expect(readBack(f).numRows).toBe(n);
    const c = cli([
      'cat',
      '--root',
      root,
      '--exchange',
      'SHFE',
      '--code',
      'rb2505',
      '--kind',
      'min1',
      '--from',
      '20250103',
      '--to',
      '20250103',
      '--format',
      'csv',
    ]);
    expect(c.code).toBe(0);
    const lines = c.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('date,time,open,high,low,close,settle,money,vol,hold,add,ts_utc');
    expect(lines.length - 1).toBe(36);
    const t = cli(['cat', '--root', root, '--exchange', 'SHFE', '--code', 'rb2505', '--limit', '3']);
    expect(t.code).toBe(0);
    expect(t.stdout.trimEnd().split('\n').length).toBe(4); // header + 3
    const d = cli(['cat', '--root', root, '--exchange', 'SHFE', '--code', 'rb2505', '--kind', 'day']);
    expect(d.stdout.trimEnd().split('\n')[1]).toContain('2025-01-06');
  });

  it('cat FILE keeps working; FILE and --root together is refused', () => {
    const live = rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505');
    const r = cli(['cat', live, '--format', 'jsonl', '--limit', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').length).toBe(2);
    const both = cli(['cat', live, '--root', root, '--exchange', 'SHFE', '--code', 'rb2505']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give either a FILE');
    const none = cli(['cat', '--root', root]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--exchange <EXCHG> --code <CODE>');
  });
});

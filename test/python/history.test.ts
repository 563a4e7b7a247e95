// Python reads a compacted root of both codecs (tickrec LZ4 day blocks and containers, datakit zstd blocks and histories, finished rt days, the live file) and must return what the Node reader returns, field for field, bit for bit; a damaged block is refused with the file named.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN1_KIND, minuteBarTime } from '../../src/format/index.js';
import { appendBarDay, hisKindByName } from '../../src/his/index.js';
import {
  instrumentColumns,
  presentKind,
  readBarsMarket,
  readMarket,
  readRecords,
  utcColumn,
  type ReadKindName,
} from '../../src/read/index.js';
import { RootMetaReader } from '../../src/meta/index.js';
import { encode } from '../compact/helpers/root.js';
import { rng } from '../helpers/ticks.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { buildRoot } from '../read/helpers/root.js';
import { runPython, unittestSummary } from './helpers.js';
import { hisHistoryPath, instrumentMetaPath, TICKREC_HIS_EXT } from '../../src/layout/index.js';

type Obj = Record<string, unknown>;

/** Minute bars of one trading day with values COLS8 cannot scale (NaN, -0, DBL_MAX, random doubles), so groups fall back to INT64 columns. */
function hardBars(date: number, night: number, seed: number): Obj[] {
  const r = rng(seed ^ date);
  const out: Obj[] = [];
  let p = 4000 + seed;
  const bar = (cal: number, hhmm: number) => {
    const i = out.length;
    p += Math.round((r() - 0.5) * 6);
    out.push({
      date,
      time: minuteBarTime(cal, hhmm),
      open: p * 0.5,
      high: (p + 2) * 0.5,
      low: (p - 2) * 0.5,
      close: i % 211 === 7 ? NaN : (p + 1) * 0.5,
      settle: i % 300 === 1 ? 1.7976931348623157e308 : 0,
      money: r() * 1e8,
      vol: Math.floor(r() * 900),
      hold: 30000 + i,
      add: i % 61 === 2 ? -0 : Math.round((r() - 0.5) * 30),
    });
  };
  for (let m = 21 * 60 + 1; m < 24 * 60; m++) bar(night, Math.floor(m / 60) * 100 + (m % 60));
  for (let m = 9 * 60 + 1; m <= 15 * 60; m++) bar(date, Math.floor(m / 60) * 100 + (m % 60));
  return out;
}

/** Weekdays from 2024-12-02 (12 of them), each with the calendar date of the evening before. */
function weekdays(n: number): { date: number; night: number }[] {
  const ymd = (t: Date) => t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
  const out: { date: number; night: number }[] = [];
  let prev = new Date(Date.UTC(2024, 10, 29));
  for (let t = new Date(Date.UTC(2024, 11, 2)); out.length < n; t = new Date(t.getTime() + 86400000)) {
    if (t.getUTCDay() === 0 || t.getUTCDay() === 6) continue;
    out.push({ date: ymd(t), night: ymd(prev) });
    prev = t;
  }
  return out;
}

let dir: string;
let root: string;
/** A copy of test/fixtures/datakit/root: files as datakit writes them (old versions 1 and 2, raw v3, zstd v4, live rt files). */
let corpus: string;

interface Query {
  kind: ReadKindName;
  exchange: string;
  code: string;
  from?: string;
  to?: string;
}

const QUERIES: Query[] = [
  { kind: 'tick', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'tick', exchange: 'SHFE', code: 'rb2505', from: '20250106 21:00', to: '20250109 10:00' },
  { kind: 'tick', exchange: 'SHFE', code: 'rb2505', from: '2025-01-07T23:59:59.500', to: '20250108' },
  { kind: 'tick', exchange: 'SHFE', code: 'au2506', from: '20250107' },
  { kind: 'trade', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'trade', exchange: 'SHFE', code: 'rb2505', from: '20250106 09:00', to: '20250107 22:00' },
  { kind: 'min1', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'min1', exchange: 'SHFE', code: 'rb2505', from: '20250106 23:00', to: '20250108 09:30' },
  { kind: 'min1', exchange: 'SHFE', code: 'au2506' },
  { kind: 'min1', exchange: 'CFFEX', code: 'IF2505' },
  { kind: 'day', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'day', exchange: 'SHFE', code: 'au2506', from: '20250107' },
  { kind: 'min1', exchange: 'DCE', code: 'lz' },
  { kind: 'min1', exchange: 'DCE', code: 'zs', from: '20241203 21:30', to: '20241212 10:00' },
  { kind: 'min1', exchange: 'DCE', code: 'lz', from: '20241203 21:30', to: '20241212 10:00' },
  { kind: 'tick', exchange: 'SHFE', code: 'nothere' },
];

/** Queries on the datakit corpus (issue 14): every block version datakit wrote, converted as datakit converts them. */
const CORPUS_QUERIES: Query[] = [
  { kind: 'tick', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'tick', exchange: 'SHFE', code: 'rb2505', from: '20250102 21:00', to: '20250106 10:00' },
  { kind: 'trade', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'min1', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'min1', exchange: 'SHFE', code: 'cu2502' },
  { kind: 'min5', exchange: 'SHFE', code: 'cu2502' },
  { kind: 'min5', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'day', exchange: 'SHFE', code: 'cu2502' },
  { kind: 'day', exchange: 'SHFE', code: 'rb2505' },
  { kind: 'day', exchange: 'SHFE', code: 'ag2506' },
];

interface MarketQuery {
  root?: string;
  kind: ReadKindName;
  exchange: string;
  from?: string;
  to?: string;
  codes?: string[];
  fields?: string[];
  checkRaw?: boolean;
}

const MARKETS: MarketQuery[] = [
  { kind: 'min1', exchange: 'SHFE' },
  { kind: 'min1', exchange: 'DCE' },
  { kind: 'min1', exchange: 'DCE', from: '20241203 21:30', to: '20241212 10:00', fields: ['close', 'vol'] },
  { kind: 'min1', exchange: 'DCE', codes: ['zs'], checkRaw: true },
  { kind: 'min1', exchange: 'SHFE', from: '20250107', to: '20250108 23:00', fields: ['time', 'close', 'money'] },
  { kind: 'day', exchange: 'SHFE' },
  { kind: 'tick', exchange: 'SHFE', from: '20250106 21:00', to: '20250109 10:00' },
  { kind: 'trade', exchange: 'SHFE' },
];

beforeAll(() => {
  dir = makeTempDir('tickrec-python-');
  root = path.join(dir, 'data');
  // SHFE/CFFEX: a datakit zstd day, a tickrec LZ4 day, a finished day in two files, the live file (test/read/helpers/root.ts).
  buildRoot(root);
  // SHFE.rb2505's trades are stored in units of 0.001 (issue 15): every reader gives back units / 10^3.
  const metaFile = instrumentMetaPath(root, 'SHFE', 'rb2505');
  fs.mkdirSync(path.dirname(metaFile), { recursive: true });
  fs.writeFileSync(
    metaFile,
    JSON.stringify({
      format: 1,
      exchg: 'SHFE',
      code: 'rb2505',
      volume_decimals: 3,
      lot_step: 0.001,
      timezone: 'Asia/Shanghai',
      session_close: '15:00',
    }),
  );
  // DCE: two bar histories of 12 days of hard-to-scale bars, a tickrec container (merged chunks) and a datakit zstd one.
  const K = hisKindByName('min1')!;
  weekdays(12).forEach((d, i) => {
    appendBarDay(hisHistoryPath(root, K, 'DCE', 'lz', TICKREC_HIS_EXT), K, d.date, encode(MIN1_KIND, hardBars(d.date, d.night, 1 + i)), {
      codec: 'lz4',
    });
    appendBarDay(hisHistoryPath(root, K, 'DCE', 'zs'), K, d.date, encode(MIN1_KIND, hardBars(d.date, d.night, 50 + i)), { codec: 'zstd' });
  });
  corpus = path.join(dir, 'corpus');
  fs.cpSync(new URL('../fixtures/datakit/root', import.meta.url), corpus, { recursive: true });
  // What the Node reader returns: raw records per query, columns per market query.
  const out = path.join(dir, 'node');
  fs.mkdirSync(out);
  const manifest: Obj = { root, queries: [], markets: [] };
  const f64 = (file: string, a: Float64Array | null): string | null => {
    if (a === null) return null;
    fs.writeFileSync(path.join(out, file), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    return file;
  };
  [...QUERIES.map((q) => ({ ...q, root })), ...CORPUS_QUERIES.map((q) => ({ ...q, root: corpus }))].forEach((q, i) => {
    const set = readRecords(q);
    // The stored bytes, then what the reader presents: trades' real volumes, and ts_utc (utcColumn, ms; none when the zone is unknown).
    const bytes = Buffer.concat(set.segments.map((s) => Buffer.from(s.records.buffer, s.records.byteOffset, s.records.length)));
    fs.writeFileSync(path.join(out, `q${i}.bin`), bytes);
    const cols = set.columns().columns as unknown as Record<string, Float64Array>;
    const volume = q.kind === 'trade' ? f64(`q${i}.volume.bin`, cols.volume!) : null;
    const meta = new RootMetaReader(q.root).of(q.exchange, q.code);
    const ts = f64(`q${i}.ts.bin`, utcColumn(presentKind(q.kind), cols, set.count, meta));
    (manifest.queries as Obj[]).push({ ...q, file: `q${i}.bin`, count: set.count, volume, ts, volumeDecimals: set.volumeDecimals });
  });
  MARKETS.push({ kind: 'min1', exchange: 'SHFE', root: corpus }, { kind: 'day', exchange: 'SHFE', root: corpus });
  MARKETS.forEach((q, i) => {
    const m = readMarket({ root, ...q });
    const cols: Obj = {};
    const columns = m.columns as Record<string, Float64Array | Uint32Array | Uint16Array>;
    // ts_utc of every row, instrument by instrument (when the date and time columns were read).
    const meta = new RootMetaReader(q.root ?? root);
    const [a, b] = q.kind === 'tick' || q.kind === 'trade' ? ['action_date', 'action_time'] : ['date', 'time'];
    let ts: string | null = null;
    if (a in columns && b in columns) {
      const all = new Float64Array(m.count).fill(NaN);
      for (const r of m.instruments) {
        const c = instrumentColumns(m, r.code)!.columns as Record<string, Float64Array>;
        const t = utcColumn(presentKind(q.kind), c, r.count, meta.of(r.exchange, r.code));
        if (t) all.set(t, r.start);
      }
      ts = f64(`m${i}.ts.bin`, all);
    }
    for (const [name, arr] of Object.entries(columns)) {
      const file = `m${i}.${name}.bin`;
      fs.writeFileSync(path.join(out, file), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
      cols[name] = { file, type: arr instanceof Float64Array ? 'f8' : arr instanceof Uint32Array ? 'u4' : 'u2' };
    }
    (manifest.markets as Obj[]).push({ ...q, count: m.count, instruments: m.instruments, columns: cols, ts });
  });
  // Sanity of the fixture itself: it holds what the test means to compare.
  expect(readBarsMarket({ root, exchange: 'DCE', period: 'min1' }).count).toBe(24 * (179 + 360));
  fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest));
});

afterAll(() => removeTempDirs());

describe('python reads history like the Node reader', () => {
  it('every query and market query: the same records and columns, bit for bit; damaged blocks refused with the file named', async () => {
    const r = await runPython(['-m', 'unittest', '-v', 'tests.test_against_node'], {
      env: { TICKREC_NODE_RESULTS: path.join(dir, 'node') },
    });
    const s = unittestSummary(r.stderr);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(s.ok, r.stderr).toBe(true);
    expect(s.skipped, r.stderr).toBe(false);
    expect(s.ran).toBe(9);
  });
});

// The reader API over real roots: bad inputs first, then ticks, trades and bars across datakit zstd days, tickrec LZ4 days, finished rt days and the live file, each record once in time order; columns equal objects; whole market.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCompaction } from '../../src/compact/index.js';

import { TickrecError } from '../../src/errors.js';
import { BAR, MIN1_KIND, Mem, TICK_KIND, TRADE_KIND, timeKey, type RecordKind } from '../../src/format/index.js';
import { dayBarFromTicks, hisKindByName, readHisBlock } from '../../src/his/index.js';
import {
  BAR_EXTRACTOR,
  TICK_EXTRACTOR,
  instrumentColumns,
  instrumentSegments,
  keyRange,
  listInstruments,
  listKind,
  readKind,
  readBars,
  readBarsMarket,
  readMarket,
  readRecords,
  readTicks,
  readTrades,
  scanRecords,
  type Columnar,
  type RecordSet,
} from '../../src/read/index.js';
import { RtWriter, setAside } from '../../src/store/index.js';
import { writeFinished } from '../compact/helpers/root.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { A, B, C, D1, D2, D3, D4, DAYS, buildRoot, bytesOf, ticksOf, type Built, type Obj } from './helpers/root.js';
import { hisDayPath, hisHistoryPath, rtFilePath, TICKREC_HIS_EXT } from '../../src/layout/index.js';

let built: Built;
let root: string;

beforeAll(() => {
  root = makeTempDir('tickrec-read-');
  built = buildRoot(root);
});
afterAll(() => removeTempDirs());

function usage(f: () => unknown, pattern: RegExp, code = 'E_USAGE'): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code} ${pattern}`).toBeInstanceOf(TickrecError);
  expect((err as TickrecError).code).toBe(code);
  expect((err as TickrecError).message).toMatch(pattern);
}

/** The records a kind must hold for an instrument: every day in order. */
function all(kind: string, inst: { exchg: string; code: string }): Obj[] {
  const days = built.days.get(`${kind}/${inst.exchg}/${inst.code}`)!;
  return [...days.keys()].sort((a, b) => a - b).flatMap((d) => days.get(d)!);
}

const tickKey = (r: Obj) => timeKey(r.action_date as number, r.action_time as number);
const barKey = (r: Obj) => r.time as number;

function setBytes(s: RecordSet<unknown, unknown>): Uint8Array {
  const out = new Uint8Array(s.segments.reduce((a, x) => a + x.records.length, 0));
  let o = 0;
  for (const x of s.segments) {
    out.set(x.records, o);
    o += x.records.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function expectRecords(s: RecordSet<unknown, unknown>, kind: RecordKind, recs: readonly Obj[]): void {
  expect(s.count).toBe(recs.length);
  expect(sameBytes(setBytes(s), bytesOf(kind, recs))).toBe(true);
}

/** Every column value equals the field of the decoded object (Object.is: NaN and -0 too). */
function expectColumnsEqualObjects(cols: Columnar<Record<string, ArrayLike<number>>>, objs: readonly Record<string, unknown>[]): void {
  expect(cols.count).toBe(objs.length);
  for (const [name, col] of Object.entries(cols.columns)) {
    expect(col.length, name).toBe(objs.length);
    const m = /^(.*)_(\d)$/.exec(name);
    for (let i = 0; i < objs.length; i++) {
      const o = objs[i]!;
      const want = m && Array.isArray(o[m[1]!]) ? (o[m[1]!] as number[])[Number(m[2])] : o[name];
      if (!Object.is(col[i], want)) throw new Error(`column ${name} row ${i}: ${col[i]} !== ${String(want)}`);
    }
  }
}

describe('refusals and bad inputs', () => {
  it('an unknown kind or period', () => {
    usage(
      () => readRecords({ root, exchange: 'SHFE', code: 'rb2505', kind: 'candles' as never }),
      /kind 'candles' is unknown: use one of tick, trade, min1/,
    );
    usage(() => readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'min2' as never }), /period 'min2' is unknown/);
    usage(() => readMarket({ root, exchange: 'SHFE', kind: 'tock' as never }), /kind 'tock'/);
  });

  it('instants that are not instants, or from after to', () => {
    const q = { root, exchange: 'SHFE', code: 'rb2505' };
    usage(() => readTicks({ ...q, from: '2025-13-01' }), /from '2025-13-01': no such calendar date/);
    usage(() => readTicks({ ...q, from: '21:00' }), /from '21:00': a time of day alone is ambiguous/);
    usage(() => readTicks({ ...q, to: { date: 20250230 } }), /to \{"date":20250230\}: date is not a calendar date/);
    usage(() => readTicks({ ...q, to: { date: 20250106, time: 250000000 } }), /time is not HHMMSSmmm/);
    usage(() => readTicks({ ...q, from: '20250107', to: '20250106 10:00' }), /from 20250107 is after to 20250106 10:00/);
  });

  it('a root that does not exist, a hostile exchange or code, an unknown column', () => {
    usage(() => readTicks({ root: path.join(root, 'nope'), exchange: 'SHFE', code: 'rb2505' }), /nope: no such data root/);
    usage(() => readTicks({ root, exchange: '../x', code: 'rb2505' }), /exchange '\.\.\/x'/);
    usage(() => readTicks({ root, exchange: 'SHFE', code: 'a/b' }), /instrument code 'a\/b'/);
    usage(() => readBarsMarket({ root, exchange: 'SHFE', period: 'min1', codes: ['..'] }), /instrument code '\.\.'/);
    usage(
      () => readTicks({ root, exchange: 'SHFE', code: 'rb2505' }).columns(['nope' as never]),
      /field 'nope': Tick records have no such column/,
    );
  });

  it('a damaged historical block: the error names the file', () => {
    const other = makeTempDir();
    fs.cpSync(root, other, { recursive: true });
    const f = hisDayPath(other, hisKindByName('tick')!, 'SHFE', D2, 'rb2505', TICKREC_HIS_EXT);
    const bytes = fs.readFileSync(f);
    bytes[bytes.length - 10]! ^= 0x40;
    fs.writeFileSync(f, bytes);
    let err: unknown;
    try {
      readTicks({ root: other, exchange: 'SHFE', code: 'rb2505' });
    } catch (e) {
      err = e;
    }
    expect((err as TickrecError).code).toBe('E_CHECKSUM');
    expect((err as TickrecError).message).toContain(f);
  });

  it('no data in range is an empty result, not an error', () => {
    const s = readTicks({ root, exchange: 'SHFE', code: 'rb2505', from: '20240101', to: '20240105' });
    expect(s.count).toBe(0);
    expect(s.columns().columns.price.length).toBe(0);
    expect(readTicks({ root, exchange: 'SHFE', code: 'zz9999' }).count).toBe(0);
    expect(readTicks({ root, exchange: 'DCE', code: 'm2505' }).count).toBe(0);
    expect(readBarsMarket({ root, exchange: 'DCE', period: 'min1' }).count).toBe(0);
    // from == to: an empty interval
    expect(readTicks({ root, exchange: 'SHFE', code: 'rb2505', from: '20250106 10:00', to: '20250106 10:00' }).count).toBe(0);
  });
});

describe('ticks across every source', () => {
  it('the root holds what the test means: datakit zstd, tickrec lz4, finished rt in two files, live', () => {
    const tk = hisKindByName('tick')!;
    expect(readHisBlock(hisDayPath(root, tk, 'SHFE', D1, 'rb2505')).format).toBe('datakit-zstd');
    expect(readHisBlock(hisDayPath(root, tk, 'SHFE', D2, 'rb2505', TICKREC_HIS_EXT)).format).toBe('tickrec');
    expect(readHisBlock(hisDayPath(root, tk, 'SHFE', D2, 'rb2505', TICKREC_HIS_EXT)).codec).toBe('lz4');
    expect(fs.readdirSync(path.join(root, 'rt/ticks/SHFE', String(D3))).sort()).toEqual(['au2506.dmb', 'rb2505.dmb', 'rb2505~1.dmb']);
    expect(fs.existsSync(rtFilePath(root, TICK_KIND, 'SHFE', 'rb2505'))).toBe(true);
  });

  it('every record exactly once, in time order, with no range', () => {
    const s = readTicks({ root, exchange: 'SHFE', code: 'rb2505' });
    expectRecords(s, TICK_KIND, all('tick', A));
    expect(s.segments.map((x) => x.firstDate)).toEqual([D1, D2, D3, D4]);
    const keys = s.toArray().map(tickKey);
    for (let i = 1; i < keys.length; i++) expect(keys[i]!).toBeGreaterThan(keys[i - 1]!);
  });

  it('a range that starts in the middle of a night session and ends in the live night session', () => {
    const lo = (20250106 - 19900000) * 1e9 + 220000000;
    const hi = (20250108 - 19900000) * 1e9 + 220000000;
    const want = all('tick', A).filter((r) => tickKey(r) >= lo && tickKey(r) < hi);
    const s = readTicks({ root, exchange: 'SHFE', code: 'rb2505', from: '20250106 22:00', to: '2025-01-08T22:00' });
    expectRecords(s, TICK_KIND, want);
    const first = s.at(0);
    expect([first.trading_date, first.action_date, first.action_time]).toEqual([D2, 20250106, 220007250]);
    const last = s.at(s.count - 1);
    expect([last.trading_date, last.action_date, last.action_time]).toEqual([D4, 20250108, 215507250]);
    // The same range as {date, time} objects.
    const o = readTicks({
      root,
      exchange: 'SHFE',
      code: 'rb2505',
      from: { date: 20250106, time: 220000000 },
      to: { date: 20250108, time: 220000000 },
    });
    expect(sameBytes(setBytes(o), setBytes(s))).toBe(true);
  });

  it('a date alone as `to` includes that calendar day, and its night belongs to the next trading day', () => {
    const s = readTicks({ root, exchange: 'SHFE', code: 'rb2505', from: '20250103', to: '20250103' });
    const want = ticksOf(A, DAYS[0], 1).filter((r) => r.action_date === 20250103);
    expectRecords(s, TICK_KIND, want);
    expect(s.at(0).trading_date).toBe(D1);
  });

  it('a finished rt file left next to its compacted day (compaction killed before release) is not read twice', () => {
    const other = makeTempDir();
    fs.cpSync(root, other, { recursive: true });
    // The finished file is made in a scratch root (the live path of `other` is taken) and copied in.
    const scratch = makeTempDir();
    const f = writeFinished(scratch, TICK_KIND, A.exchg, A.code, D2, ticksOf(A, DAYS[1], 2));
    const to = path.join(other, path.relative(scratch, f));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(f, to);
    expect(fs.existsSync(path.join(other, 'rt/ticks/SHFE', String(D2), 'rb2505.dmb'))).toBe(true);
    expectRecords(readTicks({ root: other, exchange: 'SHFE', code: 'rb2505' }), TICK_KIND, all('tick', A));
  });

  it('a finished day compacted between the listing and the read is read from his/', () => {
    const other = makeTempDir();
    fs.cpSync(root, other, { recursive: true });
    const kind = readKind('tick');
    const range = keyRange(kind, undefined, undefined);
    const listing = listKind(other, kind, 'SHFE', 'rb2505', range);
    expect(listing.finished.get('rb2505')?.has(D3)).toBe(true);
    expect(runCompaction({ root: other, date: D3 }).failures).toEqual([]);
    expect(fs.existsSync(path.join(other, 'rt/ticks/SHFE', String(D3)))).toBe(false);
    const segs = [...instrumentSegments(listing, 'rb2505', range)];
    expect(Buffer.concat(segs.map((x) => x.records)).equals(Buffer.from(bytesOf(TICK_KIND, all('tick', A))))).toBe(true);
  });

  it('a live file that rolled between the listing and the read: its day is read from the dated folder, the new live file too', () => {
    const other = makeTempDir();
    fs.cpSync(root, other, { recursive: true });
    const kind = readKind('tick');
    const range = keyRange(kind, undefined, undefined);
    const listing = listKind(other, kind, 'SHFE', 'rb2505', range);
    // The recorder rolls: D4 set aside, a new live file for the next trading day.
    const live = rtFilePath(other, TICK_KIND, 'SHFE', 'rb2505');
    setAside(live, D4, 1);
    const next = { date: 20250110, night: 20250109 };
    const w = RtWriter.open(live, { kind: TICK_KIND, date: next.date });
    const d5 = ticksOf(A, next, 5).slice(0, 3);
    for (const t of d5) w.append(t);
    w.close();
    const segs = [...instrumentSegments(listing, 'rb2505', range)];
    expect(segs.map((x) => x.firstDate)).toEqual([D1, D2, D3, D4, next.date]);
    expect(Buffer.concat(segs.map((x) => x.records)).equals(Buffer.from(bytesOf(TICK_KIND, [...all('tick', A), ...d5])))).toBe(true);
  });

  it('a live file set aside between the listing and the read, with no new live file yet: its day is still read', () => {
    const other = makeTempDir();
    fs.cpSync(root, other, { recursive: true });
    const kind = readKind('tick');
    const range = keyRange(kind, '20250108 21:00', undefined);
    const listing = listKind(other, kind, 'SHFE', 'rb2505', range);
    setAside(rtFilePath(other, TICK_KIND, 'SHFE', 'rb2505'), D4, 1);
    const segs = [...instrumentSegments(listing, 'rb2505', range)];
    expect(segs.map((x) => x.firstDate)).toEqual([D4]);
    expect(segs[0]!.count).toBe(ticksOf(A, DAYS[3], 4).length);
  });

  it('records appended to the live file are read by the next call', () => {
    const other = makeTempDir();
    fs.cpSync(root, other, { recursive: true });
    const before = readTicks({ root: other, exchange: 'SHFE', code: 'rb2505' }).count;
    const w = RtWriter.open(rtFilePath(other, TICK_KIND, 'SHFE', 'rb2505'), { kind: TICK_KIND, date: D4 });
    const extra = { ...ticksOf(A, DAYS[3], 4).at(-1)!, action_time: 150000000, price: 1234.5 };
    w.append(extra);
    w.close();
    const s = readTicks({ root: other, exchange: 'SHFE', code: 'rb2505' });
    expect(s.count).toBe(before + 1);
    expect(s.at(s.count - 1).price).toBe(1234.5);
  });

  it('views, objects and columns agree (NaN, -0 and DBL_MAX included)', () => {
    const s = readTicks({ root, exchange: 'SHFE', code: 'rb2505' });
    const objs = s.toArray();
    const cols = s.columns();
    expectColumnsEqualObjects(cols, objs);
    expect(cols.columns.price).toBeInstanceOf(Float64Array);
    expect(cols.columns.action_time).toBeInstanceOf(Uint32Array);
    expect(cols.columns.bid_prices_9).toBeInstanceOf(Float64Array);
    expect(Object.keys(cols.columns)).toEqual([...TICK_EXTRACTOR.names]);
    expect(cols.columns.pre_settle.some((x) => Number.isNaN(x))).toBe(true);
    expect(cols.columns.settle_price.some((x) => Object.is(x, -0))).toBe(true);
    let i = 0;
    for (const v of s) {
      expect(v.price).toBe(objs[i]!.price);
      expect(v.bid_prices[0]).toBe(objs[i]!.bid_prices[0]);
      i++;
    }
    expect(i).toBe(s.count);
    const some = s.columns(['price', 'action_time']);
    expect(Object.keys(some.columns).sort()).toEqual(['action_time', 'price']);
    expect(some.columns.price).toEqual(cols.columns.price);
  });
});

describe('trades', () => {
  it('every trade once across the same sources; i64 and u32 extremes exact', () => {
    const s = readTrades({ root, exchange: 'SHFE', code: 'rb2505' });
    expectRecords(s, TRADE_KIND, all('trade', A));
    const cols = s.columns();
    expectColumnsEqualObjects(cols as never, s.toArray());
    expect(cols.columns.index[0]).toBe(9_000_000_000_000);
    expect(cols.columns.volume[3]).toBe(4_000_000_000);
    expect(cols.columns.askorder[0]).toBe(-1);
  });
});

describe('bars', () => {
  it('min1 of A: a datakit zstd history (D1, D2 appended), a finished day and the live day', () => {
    const s = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'min1' });
    expectRecords(s, MIN1_KIND, all('min1', A));
    expectColumnsEqualObjects(s.columns() as never, s.toArray());
    // The first two days come from the history in one run.
    expect(s.segments.map((x) => [x.firstDate, x.lastDate])).toEqual([
      [D1, D2],
      [D3, D3],
      [D4, D4],
    ]);
  });

  it('min1 of B: a tickrec container history, a finished day and the live day', () => {
    const f = hisHistoryPath(root, hisKindByName('min1')!, 'SHFE', 'au2506', TICKREC_HIS_EXT);
    expect(fs.readFileSync(f).readUInt16LE(10)).toBe(0x0102);
    expectRecords(readBars({ root, exchange: 'SHFE', code: 'au2506', period: 'min1' }), MIN1_KIND, all('min1', B));
  });

  it('minute bars are chosen by their end in (from, to]: the bar ending at 00:00 belongs to the evening before', () => {
    const fri = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'min1', from: '20250103', to: '20250103' });
    const night = all('min1', A).filter((r) => barKey(r) <= (20250104 - 19900000) * 10000);
    expect(night.length).toBe(36);
    expectRecords(fri, MIN1_KIND, night);
    expect(fri.at(35).time).toBe((20250104 - 19900000) * 10000);
    const mon = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'min1', from: '20250104', to: '20250106 09:10' });
    expect(mon.toArray().map((b) => b.time)).toEqual([(20250106 - 19900000) * 10000 + 905, (20250106 - 19900000) * 10000 + 910]);
    // A bar whose end is exactly `from` lies before it; one whose end is exactly `to` is in.
    const one = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'min1', from: '20250106 09:05', to: '20250106 09:10:30' });
    expect(one.toArray().map((b) => b.time)).toEqual([(20250106 - 19900000) * 10000 + 910]);
  });

  it('readRecords with a bar kind is readBars', () => {
    const a = readRecords({ root, exchange: 'SHFE', code: 'au2506', kind: 'min1', from: '20250107 21:00' });
    const b = readBars({ root, exchange: 'SHFE', code: 'au2506', period: 'min1', from: '20250107 21:00' });
    expect(a.count).toBeGreaterThan(0);
    expect(sameBytes(setBytes(a), setBytes(b))).toBe(true);
  });

  it('day bars: his/day (datakit and tickrec), then built from the ticks of the finished and the live day', () => {
    const tickDays = built.days.get('tick/SHFE/rb2505')!;
    const want = [D1, D2, D3, D4].map((d) => dayBarFromTicks(bytesOf(TICK_KIND, tickDays.get(d)!), d));
    const s = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'day' });
    expect(s.count).toBe(4);
    expect(sameBytes(setBytes(s), Buffer.concat(want))).toBe(true);
    expect(s.toArray().map((b) => b.date)).toEqual([D1, D2, D3, D4]);
    // A day bar's instant is 00:00 of its trading date.
    expect(
      readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'day', from: '20250107', to: '20250108' })
        .toArray()
        .map((b) => b.date),
    ).toEqual([D2, D3]);
    const b = readBars({ root, exchange: 'SHFE', code: 'au2506', period: 'day' });
    expect(b.toArray().map((x) => x.date)).toEqual([D2, D3, D4]);
  });
});

describe('whole market', () => {
  it('every instrument of an exchange in one table, equal to the per-instrument reads', () => {
    const m = readBarsMarket({ root, exchange: 'SHFE', period: 'min1' });
    expect(m.instruments.map((i) => i.code)).toEqual(['au2506', 'rb2505']);
    const a = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'min1' }).columns();
    const b = readBars({ root, exchange: 'SHFE', code: 'au2506', period: 'min1' }).columns();
    expect(m.count).toBe(a.count + b.count);
    expect(m.instruments).toEqual([
      { exchange: 'SHFE', code: 'au2506', start: 0, count: b.count },
      { exchange: 'SHFE', code: 'rb2505', start: b.count, count: a.count },
    ]);
    for (const name of BAR_EXTRACTOR.names) {
      const col = (m.columns as unknown as Record<string, Float64Array>)[name]!;
      expect(Array.from(col), name).toEqual([
        ...Array.from((b.columns as never as Record<string, Float64Array>)[name]!),
        ...Array.from((a.columns as never as Record<string, Float64Array>)[name]!),
      ]);
    }
    expect(Array.from(m.columns.instrument)).toEqual([...new Array<number>(b.count).fill(0), ...new Array<number>(a.count).fill(1)]);
    expect(instrumentColumns(m, 'rb2505')!.columns.close).toEqual(a.columns.close);
    expect(instrumentColumns(m, 'nope')).toBeUndefined();
  });

  it('a range, a subset of instruments and of columns', () => {
    const m = readBarsMarket({
      root,
      exchange: 'SHFE',
      period: 'min1',
      from: '20250107',
      to: '20250108',
      codes: ['rb2505'],
      fields: ['close', 'time'],
    });
    expect(Object.keys(m.columns).sort()).toEqual(['close', 'instrument', 'time']);
    const a = readBars({ root, exchange: 'SHFE', code: 'rb2505', period: 'min1', from: '20250107', to: '20250108' }).columns([
      'close',
      'time',
    ]);
    expect(m.count).toBe(a.count);
    expect(m.columns.close).toEqual(a.columns.close);
    expect(m.columns.time).toEqual(a.columns.time);
  });

  it('ticks of a whole exchange', () => {
    const m = readMarket({ root, exchange: 'SHFE', kind: 'tick', from: '20250108', to: '20250108' });
    const a = readTicks({ root, exchange: 'SHFE', code: 'rb2505', from: '20250108', to: '20250108' });
    const b = readTicks({ root, exchange: 'SHFE', code: 'au2506', from: '20250108', to: '20250108' });
    expect(m.count).toBe(a.count + b.count);
    expect(m.columns.price!.subarray(b.count)).toEqual(a.columns().columns.price);
  });

  it('instruments and streaming scans over every exchange', () => {
    expect(listInstruments(root, 'min1')).toEqual([
      { exchange: 'CFFEX', code: 'IF2505' },
      { exchange: 'SHFE', code: 'au2506' },
      { exchange: 'SHFE', code: 'rb2505' },
    ]);
    const seen = [...scanRecords({ root, kind: 'min1' })].map((s) => `${s.exchange}.${s.code}:${s.firstDate}`);
    expect(seen).toEqual([
      `CFFEX.IF2505:${D3}`,
      `SHFE.au2506:${D2}`,
      `SHFE.au2506:${D3}`,
      `SHFE.au2506:${D4}`,
      `SHFE.rb2505:${D1}`,
      `SHFE.rb2505:${D3}`,
      `SHFE.rb2505:${D4}`,
    ]);
    expect(C.code).toBe('IF2505');
  });
});

describe('layouts', () => {
  it('segments are 8-aligned record bytes usable as Mem', () => {
    for (const s of readTicks({ root, exchange: 'SHFE', code: 'rb2505' }).segments) {
      expect(s.records.byteOffset % 8).toBe(0);
      expect(s.records.length).toBe(s.count * 512);
      expect(new Mem(s.records).byteLength).toBe(s.records.length);
    }
    expect(BAR.size).toBe(88);
  });
});

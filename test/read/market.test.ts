// readBarsMarket decodes bar histories straight into its columns: the table must equal the per-instrument row reads (readBars().columns()) bit for bit, for every range (cut inside night sessions), column subset (with and without the key columns), checkRaw, and format (tickrec container, datakit zstd, plus finished rt days after the history).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN1_KIND, minuteBarTime } from '../../src/format/index.js';
import { appendBarDay, hisKindByName } from '../../src/his/index.js';
import { BAR_EXTRACTOR, readBars, readBarsMarket, type MarketBarsQuery } from '../../src/read/index.js';
import { encode, writeFinished } from '../compact/helpers/root.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { rng } from '../helpers/ticks.js';
import { hisHistoryPath } from '../../src/layout/index.js';

type Obj = Record<string, unknown>;

/** Trading days (Mon-Fri from 6 Jan 2025) with the calendar date of their night session. */
const DAYS = (() => {
  const out: { date: number; night: number }[] = [];
  const ymd = (t: Date) => t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
  let prev = new Date(Date.UTC(2025, 0, 3));
  for (let t = new Date(Date.UTC(2025, 0, 6)); out.length < 14; t = new Date(t.getTime() + 86400000)) {
    if (t.getUTCDay() === 0 || t.getUTCDay() === 6) continue;
    out.push({ date: ymd(t), night: ymd(prev) });
    prev = t;
  }
  return out;
})();

/** One trading day of minute bars: night 21:01 .. 23:59 and the 00:00 bar on the next calendar day, then 09:01 .. 11:30 and 13:31 .. 15:00; NaN, -0 and DBL_MAX here and there. */
function dayBars(day: { date: number; night: number }, seed: number): Obj[] {
  const r = rng(seed ^ day.date);
  const out: Obj[] = [];
  let p = 4000 + seed;
  const next = (() => {
    const t = new Date(Date.UTC(Math.floor(day.night / 10000), (Math.floor(day.night / 100) % 100) - 1, (day.night % 100) + 1));
    return t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
  })();
  const bar = (cal: number, hhmm: number) => {
    const i = out.length;
    p += Math.round((r() - 0.5) * 6);
    out.push({
      date: day.date,
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
  for (let m = 21 * 60 + 1; m < 24 * 60; m++) bar(day.night, Math.floor(m / 60) * 100 + (m % 60));
  bar(next, 0);
  for (let m = 9 * 60 + 1; m <= 11 * 60 + 30; m++) bar(day.date, Math.floor(m / 60) * 100 + (m % 60));
  for (let m = 13 * 60 + 31; m <= 15 * 60; m++) bar(day.date, Math.floor(m / 60) * 100 + (m % 60));
  return out;
}

let root: string;
const K = hisKindByName('min1')!;

beforeAll(() => {
  root = makeTempDir('tickrec-market-');
  // cu2505: tickrec container, the days in order; merged chunks of 8 days (~3,400 bars: two COLS8 groups).
  // rb2505: tickrec container with day 3 appended last (chunks interleave in dates), then two finished rt days.
  // zn2505: datakit zstd history.
  // al2505: finished rt days only.
  const hist = (code: string, codec: 'lz4' | 'zstd', days: readonly { date: number; night: number }[], seed: number) => {
    for (const d of days) appendBarDay(hisHistoryPath(root, K, 'SHFE', code), K, d.date, encode(MIN1_KIND, dayBars(d, seed)), { codec });
  };
  hist('cu2505', 'lz4', DAYS.slice(0, 12), 1);
  hist('rb2505', 'lz4', [...DAYS.slice(0, 3), ...DAYS.slice(4, 12), DAYS[3]!], 2);
  for (const d of DAYS.slice(12)) writeFinished(root, MIN1_KIND, 'SHFE', 'rb2505', d.date, dayBars(d, 2));
  hist('zn2505', 'zstd', DAYS.slice(0, 10), 3);
  // Day bars (time 0: keyed by their trading date) of cu2505 (container) and zn2505 (datakit).
  const DK = hisKindByName('day')!;
  for (const [code, codec] of [
    ['cu2505', 'lz4'],
    ['zn2505', 'zstd'],
  ] as const) {
    for (const d of DAYS) {
      const b = dayBars(d, 5)[100]!;
      appendBarDay(hisHistoryPath(root, DK, 'SHFE', code), DK, d.date, encode(MIN1_KIND, [{ ...b, time: 0 }]), { codec });
    }
  }
  for (const d of DAYS.slice(9, 11)) writeFinished(root, MIN1_KIND, 'SHFE', 'al2505', d.date, dayBars(d, 4));
});
afterAll(() => removeTempDirs());

const CODES = ['al2505', 'cu2505', 'rb2505', 'zn2505'];

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The market table against readBars(...).columns() of each instrument: rows, instruments, every column bit for bit. */
function expectMarketEqualsRows(q: MarketBarsQuery): number {
  const m = readBarsMarket(q);
  const names = q.fields ?? BAR_EXTRACTOR.names;
  expect(Object.keys(m.columns).sort()).toEqual([...names, 'instrument'].sort());
  let at = 0;
  let seen = 0;
  for (const code of [...(q.codes ?? CODES)].sort()) {
    const one = readBars({
      root: q.root,
      exchange: q.exchange,
      code,
      period: q.period,
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
    }).columns(names as never);
    if (one.count === 0) {
      expect(m.instruments.find((i) => i.code === code)).toBeUndefined();
      continue;
    }
    const inst = m.instruments[seen]!;
    expect(inst).toEqual({ exchange: 'SHFE', code, start: at, count: one.count });
    for (const name of names) {
      const col = (m.columns as unknown as Record<string, Float64Array | Uint32Array>)[name]!.subarray(at, at + one.count);
      const want = (one.columns as unknown as Record<string, Float64Array | Uint32Array>)[name]!;
      expect(bytes(col).equals(bytes(want)), `${code}.${name} ${JSON.stringify(q.from)}..${JSON.stringify(q.to)}`).toBe(true);
    }
    expect(m.columns.instrument.subarray(at, at + one.count).every((x) => x === seen)).toBe(true);
    at += one.count;
    seen++;
  }
  expect(m.count).toBe(at);
  expect(m.instruments.length).toBe(seen);
  return at;
}

describe('readBarsMarket decodes histories into its columns', () => {
  const base = { root: '', exchange: 'SHFE', period: 'min1' as const };
  const ranges: { from?: string; to?: string }[] = [
    {},
    { from: '20250106', to: '20250124' },
    { from: '20250108 22:17', to: '20250115 10:03' }, // both ends inside a day, the start in a night session
    { from: '20250107 00:00', to: '20250107 00:00' }, // empty
    { from: '20250109 23:59', to: '20250110 00:01' }, // the 00:00 bar and the 23:59 bar around midnight... of one night
    { from: '20250116 14:00' }, // into the rt days of rb2505 and al2505
    { to: '20250106 21:05' },
  ];

  it('every column, every range: equal to the row reads, bit for bit', () => {
    let rows = 0;
    for (const r of ranges) rows += expectMarketEqualsRows({ ...base, root, ...r });
    expect(rows).toBeGreaterThan(10000);
  });

  it('column subsets with and without the key columns (time, date); codes; checkRaw', () => {
    for (const fields of [['close'], ['time'], ['date', 'close', 'add'], ['money', 'vol'], []]) {
      for (const r of ranges.slice(0, 4)) {
        expectMarketEqualsRows({ ...base, root, ...r, fields });
        expectMarketEqualsRows({ ...base, root, ...r, fields, checkRaw: true });
      }
    }
    expectMarketEqualsRows({ ...base, root, codes: ['zn2505', 'rb2505'], from: '20250110 09:30' });
  });

  it('day bars (keyed by trading date)', () => {
    for (const r of [{}, { from: '20250108', to: '20250114' }, { from: '20250108 10:00', to: '20250114 00:00' }]) {
      expect(expectMarketEqualsRows({ ...base, period: 'day', root, codes: ['cu2505', 'zn2505'], ...r })).toBeGreaterThan(0);
      expectMarketEqualsRows({ ...base, period: 'day', root, codes: ['cu2505', 'zn2505'], ...r, fields: ['close'] });
    }
  });

  it('the same table with and without checkRaw', () => {
    const a = readBarsMarket({ ...base, root });
    const b = readBarsMarket({ ...base, root, checkRaw: true });
    expect(a.count).toBe(b.count);
    for (const name of [...BAR_EXTRACTOR.names, 'instrument']) {
      const x = (a.columns as unknown as Record<string, Float64Array>)[name]!;
      const y = (b.columns as unknown as Record<string, Float64Array>)[name]!;
      expect(bytes(x).equals(bytes(y)), name).toBe(true);
    }
  });
});

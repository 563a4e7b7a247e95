// Reading a CZCE 3-digit code whose bar history is split by contract (SR505.dsb holds 2025's contract, SR1505.dsb the 2015 one): each trading date from its own contract's file, each bar once.

import { afterEach, describe, expect, it } from 'vitest';
import { runCompaction } from '../../src/compact/index.js';
import { BAR, Mem } from '../../src/format/index.js';
import { listInstruments, readBars, readBarsMarket, scanRecords } from '../../src/read/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { dayBars, encode, key, makeRoot, writeFinished, type Instrument } from '../compact/helpers/root.js';
import { MIN1_KIND } from '../../src/format/index.js';

afterEach(() => removeTempDirs());

const SR505: Instrument = { exchg: 'CZCE', code: 'SR505', tick: 1, price: 5500 };
const D2015 = [20150105, 20150106];
const D2025 = [20250106, 20250107];

/** Plain bars (date, time, open, close, vol) of raw min1 records. */
function plainBars(raw: Uint8Array): { date: number; time: number; open: number; close: number; vol: number }[] {
  const m = new Mem(raw.slice());
  const out = [];
  for (let at = 0; at < raw.length; at += BAR.size) {
    const b = MIN1_KIND.codec.decode(m, at) as Record<string, number>;
    out.push({ date: b.date!, time: b.time!, open: b.open!, close: b.close!, vol: b.vol! });
  }
  return out;
}

function compacted(): { root: string; want: (dates: number[]) => ReturnType<typeof plainBars> } {
  const root = makeTempDir();
  const exp = makeRoot(root, { instruments: [SR505], dates: [...D2015, ...D2025], ticks: 240 });
  expect(runCompaction({ root }).failures).toEqual([]);
  const want = (dates: number[]) => dates.flatMap((d) => plainBars(exp.days.get(key('min1', 'CZCE', 'SR505', d))!));
  return { root, want };
}

function rows(r: ReturnType<typeof readBars>) {
  return r.toArray().map((b) => ({ date: b.date, time: b.time, open: b.open, close: b.close, vol: b.vol }));
}

describe('reading a CZCE 3-digit code across contracts', () => {
  it('CZCE.SR505 reads every trading date from the file of the contract it names then, each bar once', () => {
    const { root, want } = compacted();
    expect(rows(readBars({ root, exchange: 'CZCE', code: 'SR505', period: 'min1' }))).toEqual(want([...D2015, ...D2025]));
    expect(rows(readBars({ root, exchange: 'CZCE', code: 'SR505', period: 'min1', from: '20150101', to: '20151231' }))).toEqual(
      want(D2015),
    );
    expect(rows(readBars({ root, exchange: 'CZCE', code: 'SR505', period: 'min1', from: '20250101' }))).toEqual(want(D2025));
    // Day bars too (his/day: SR505.dsb and SR1505.dsb).
    expect(
      readBars({ root, exchange: 'CZCE', code: 'SR505', period: 'day' })
        .toArray()
        .map((b) => b.date),
    ).toEqual([...D2015, ...D2025]);
  });

  it('the retired contract is no instrument of its own in listings (its bars would come twice); by its 4-digit name it reads its own bars', () => {
    const { root, want } = compacted();
    expect(listInstruments(root, 'min1', 'CZCE')).toEqual([{ exchange: 'CZCE', code: 'SR505' }]);
    const scanned = [...scanRecords({ root, kind: 'min1', exchange: 'CZCE' })];
    expect(scanned.reduce((n, s) => n + s.count, 0)).toBe(want([...D2015, ...D2025]).length);
    expect(rows(readBars({ root, exchange: 'CZCE', code: 'SR1505', period: 'min1' }))).toEqual(want(D2015));
  });

  it('readBarsMarket (columns decoded straight from each history) equals the row read', () => {
    const { root, want } = compacted();
    const m = readBarsMarket({ root, exchange: 'CZCE', period: 'min1', fields: ['date', 'time', 'open'] });
    expect(m.instruments.map((i) => i.code)).toEqual(['SR505']);
    const all = want([...D2015, ...D2025]);
    expect(m.count).toBe(all.length);
    expect([...m.columns.date]).toEqual(all.map((b) => b.date));
    expect([...m.columns.time]).toEqual(all.map((b) => b.time));
    expect([...m.columns.open]).toEqual(all.map((b) => b.open));
  });

  it('a finished day not compacted yet is read beside both histories', () => {
    const { root, want } = compacted();
    const extra = dayBars(20250108, 3, 1, 9);
    writeFinished(root, MIN1_KIND, 'CZCE', 'SR505', 20250108, extra);
    const got = rows(readBars({ root, exchange: 'CZCE', code: 'SR505', period: 'min1' }));
    expect(got).toEqual([...want([...D2015, ...D2025]), ...plainBars(encode(MIN1_KIND, extra))]);
  });
});

// The instrument universe: deterministic, valid and unique names, products interleaved, months cycled, the brief's parameters.

import { describe, expect, it } from 'vitest';
import { MAX_INSTRUMENTS, buildUniverse } from '../../src/sim/index.js';
import { futuresOpen } from './helpers/check.js';
import { nameProblem } from '../../src/layout/index.js';

describe('universe', () => {
  it('is the same list every time, and a prefix of any larger one', () => {
    expect(buildUniverse(50)).toEqual(buildUniverse(50));
    expect(buildUniverse(200).slice(0, 50)).toEqual(buildUniverse(50));
  });

  it('covers all six venues in the first 8, then cycles products and months', () => {
    const ids = buildUniverse(8).map((i) => i.id);
    expect(ids).toEqual([
      'SHFE.rb2505',
      'SHFE.cu2505',
      'SHFE.au2506',
      'INE.sc2505',
      'DCE.m2505',
      'CZCE.SR505',
      'CFFEX.IF2505',
      'BINANCE.BTCUSDT',
    ]);
    const all = buildUniverse(100).map((i) => i.id);
    expect(all.filter((id) => id.startsWith('SHFE.rb'))).toEqual([
      'SHFE.rb2505',
      'SHFE.rb2510',
      'SHFE.rb2601',
      'SHFE.rb2605',
      'SHFE.rb2610',
      'SHFE.rb2701',
    ]);
    expect(all.filter((id) => id.startsWith('BINANCE.'))).toEqual(['BINANCE.BTCUSDT', 'BINANCE.ETHUSDT']);
    const products = new Set(buildUniverse(21).map((i) => i.product));
    expect(products).toEqual(
      new Set([
        'rb',
        'hc',
        'cu',
        'al',
        'zn',
        'au',
        'ag',
        'sc',
        'm',
        'i',
        'p',
        'y',
        'SR',
        'MA',
        'TA',
        'CF',
        'IF',
        'IC',
        'IH',
        'BTCUSDT',
        'ETHUSDT',
      ]),
    );
  });

  it(`gives valid, unique names up to ${MAX_INSTRUMENTS} instruments`, () => {
    const all = buildUniverse(MAX_INSTRUMENTS);
    expect(new Set(all.map((i) => i.id)).size).toBe(all.length);
    for (const i of all) {
      expect(nameProblem(i.exchg, 15), i.id).toBeNull();
      expect(nameProblem(i.code, 31), i.id).toBeNull();
      expect(i.code).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    }
    expect(() => buildUniverse(MAX_INSTRUMENTS + 1)).toThrow(/instrument count/);
  });

  it('has sane tick sizes, price levels, multipliers and limits', () => {
    for (const i of buildUniverse(21)) {
      expect(i.tickSize, i.id).toBeGreaterThan(0);
      expect(Math.abs(i.basePrice / i.tickSize - Math.round(i.basePrice / i.tickSize)), i.id).toBeLessThan(1e-9);
      expect(i.basePrice / i.tickSize, i.id).toBeGreaterThan(100);
      expect(i.multiplier, i.id).toBeGreaterThanOrEqual(1);
      expect(i.levels).toBe(i.kind === 'crypto' ? 10 : 5);
      if (i.kind === 'future') expect(i.limitPct).toBeGreaterThanOrEqual(0.04);
      else expect(i.limitPct).toBe(0);
    }
    const rb = buildUniverse(1)[0]!;
    expect(rb).toMatchObject({ exchg: 'SHFE', code: 'rb2505', tickSize: 1, multiplier: 10, halfSecond: true, utcOffsetMin: 480 });
  });

  it("declares the brief's sections (checked against the test oracle minute by minute on a Friday and Saturday)", async () => {
    const { sectionOpen, ymdToDay } = await import('../../src/sim/index.js');
    const wrong: string[] = [];
    for (const i of buildUniverse(21).filter((x) => x.kind === 'future')) {
      for (const ymd of [20250110, 20250111, 20250112, 20250113]) {
        for (let m = 0; m < 1440; m++) {
          const hm = Math.floor(m / 60) * 100 + (m % 60);
          const open = i.sections.some((s) => sectionOpen(s, ymdToDay(ymd), m));
          if (open !== futuresOpen(i.product, i.exchg, ymd, hm)) wrong.push(`${i.id} ${ymd} ${hm}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

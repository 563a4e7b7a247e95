// Tests of LatencyHistogram (src/recorder/histogram.ts): quantile accuracy against exact quantiles, empty, max, reset, bad input.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram, bucketOf, upperOf } from '../../src/recorder/histogram.js';

/** The exact q-quantile with the histogram's definition: the ceil(q·n)-th smallest value. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

const QS = [0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1];
/** 8 buckets per power of two: the upper edge of a bucket is at most 1/8 above any value in it. */
const BUCKET_BOUND = 1 / 8;

describe('LatencyHistogram', () => {
  it('every sample lands in the bucket whose edges hold it, up to 2^32 µs; beyond, the overflow bucket', () => {
    const holds = (us: number) => {
      const b = bucketOf(us);
      expect(b, `${us}`).toBeGreaterThan(0);
      expect(upperOf(b - 1) <= us && us < upperOf(b), `${us} in bucket ${b}: [${upperOf(b - 1)}, ${upperOf(b)})`).toBe(true);
    };
    for (let k = 0; k < 32; k++)
      for (const us of [2 ** k, 2 ** k * 1.0625, 2 ** k * 1.125 - 1e-9, 2 ** k * 1.999, 2 ** (k + 1) - 2 ** -20]) holds(us);
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2 ** 32 - 1, noNaN: true }), (us) => holds(us)),
      { numRuns: 20_000 },
    );
    expect(bucketOf(0.999)).toBe(0);
    for (const us of [2 ** 32, 2 ** 40, 3e13]) expect(upperOf(bucketOf(us))).toBe(Infinity);
  });

  it('is empty at first: every quantile, the max and the count are 0', () => {
    const h = new LatencyHistogram();
    for (const q of QS) expect(h.quantileUs(q)).toBe(0);
    expect(h.maxUs).toBe(0);
    expect(h.count).toBe(0);
  });

  it('NaN and negative samples count as 0', () => {
    const h = new LatencyHistogram();
    h.record(NaN);
    h.record(-5);
    expect(h.count).toBe(2);
    expect(h.maxUs).toBe(0);
    expect(h.sumUs).toBe(0);
    expect(h.quantileUs(1)).toBe(0);
  });

  it('the max is exact and quantile(1) is the max', () => {
    const h = new LatencyHistogram();
    for (const v of [3, 1000.5, 17, 999_999.25, 42]) h.record(v);
    expect(h.maxUs).toBe(999_999.25);
    expect(h.quantileUs(1)).toBe(999_999.25);
    expect(h.count).toBe(5);
    expect(h.sumUs).toBeCloseTo(3 + 1000.5 + 17 + 999_999.25 + 42, 6);
  });

  it('values beyond the last bucket (> 2^32 µs) are reported as the max', () => {
    const h = new LatencyHistogram();
    h.record(10);
    h.record(2 ** 33);
    expect(h.quantileUs(0.5)).toBeLessThanOrEqual(10 * (1 + BUCKET_BOUND));
    expect(h.quantileUs(1)).toBe(2 ** 33);
  });

  it('quantiles of random data are at or above the exact quantile and within one bucket (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 500 }),
        fc.array(fc.double({ min: 0, max: 7, noNaN: true }), { minLength: 0, maxLength: 500 }), // some small values too
        (big, small) => {
          const h = new LatencyHistogram();
          const data = [...big, ...small.map((e) => 10 ** e)];
          for (const v of data) h.record(v);
          const sorted = [...data].sort((a, b) => a - b);
          for (const q of QS) {
            const exact = exactQuantile(sorted, q);
            const got = h.quantileUs(q);
            expect(got).toBeGreaterThanOrEqual(exact);
            expect(got).toBeLessThanOrEqual(Math.max(exact * (1 + BUCKET_BOUND), 1) + 1e-9);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('log-uniform latencies: p50/p90/p99/p99.9 within ~9% of exact on average', () => {
    // A seeded LCG: 100,000 samples log-uniform over 1 µs .. 1 s.
    let s = 12345;
    const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    const h = new LatencyHistogram();
    const data: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const v = 10 ** (rand() * 6);
      data.push(v);
      h.record(v);
    }
    data.sort((a, b) => a - b);
    let errSum = 0;
    const qs = [0.5, 0.9, 0.99, 0.999];
    for (const q of qs) {
      const exact = exactQuantile(data, q);
      const rel = h.quantileUs(q) / exact - 1;
      expect(rel).toBeGreaterThanOrEqual(0);
      expect(rel).toBeLessThanOrEqual(BUCKET_BOUND);
      errSum += rel;
    }
    expect(errSum / qs.length).toBeLessThanOrEqual(0.09);
  });

  it('the worst case stays within the documented 12.5% (1/SUB) above the true value', () => {
    // A value at a power of two is reported as the upper edge of its bucket, 2^p · 9/8.
    const h = new LatencyHistogram();
    for (let i = 0; i < 100; i++) h.record(1024);
    h.record(5000); // the max, so that min(edge, max) does not hide the edge
    const p50 = h.quantileUs(0.5);
    expect(p50).toBeGreaterThanOrEqual(1024);
    expect(p50 / 1024 - 1).toBeLessThanOrEqual(0.125);
  });

  it('reset() forgets everything; new samples count from zero', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i * 1000);
    h.reset();
    expect([h.count, h.maxUs, h.sumUs, h.quantileUs(0.5), h.quantileUs(1)]).toEqual([0, 0, 0, 0, 0]);
    h.record(7);
    h.record(9);
    expect(h.count).toBe(2);
    expect(h.maxUs).toBe(9);
    expect(h.quantileUs(0.5)).toBeGreaterThanOrEqual(7);
    expect(h.quantileUs(0.5)).toBeLessThanOrEqual(7 * (1 + BUCKET_BOUND));
  });
});

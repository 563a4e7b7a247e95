// 64-bit words for the COLS8 transform's property tests (test/his/transform.test.ts, test/his/columns.test.ts).

import fc from 'fast-check';

/** The bits of a double, little-endian, as a u64. */
export const f64bits = (x: number): bigint => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  return dv.getBigUint64(0, true);
};

/** Words that exercise every path: decimals (prices, volumes), ints, -0, NaN with payloads, infinities, DBL_MAX, random bits. */
export const word = fc.oneof(
  fc.integer({ min: -2000000, max: 2000000 }).chain((i) => fc.integer({ min: 0, max: 9 }).map((k) => f64bits(i / 10 ** k))),
  fc.constantFrom(
    f64bits(-0),
    f64bits(0),
    f64bits(Infinity),
    f64bits(-Infinity),
    f64bits(Number.MAX_VALUE),
    f64bits(Number.MIN_VALUE),
    f64bits(2 ** 51),
    f64bits(-(2 ** 52)),
  ),
  fc.bigInt({ min: 0n, max: 0xfffn }).map((p) => 0x7ff8000000000000n | p), // quiet NaN with payload
  fc.bigInt({ min: 1n, max: 0x7ffffn }).map((p) => 0xfff0000000000000n | p), // negative signaling NaN
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
);

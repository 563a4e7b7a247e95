// Decimal arithmetic on doubles (src/format/decimal.ts): exact results for short decimals, checked against BigInt arithmetic on the decimal texts; plain double arithmetic where the operands are no short decimals.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DECIMALS, decimalAdd, decimalMul, decimalSub, decimalsOf, roundDecimals } from '../../src/format/decimal.js';

/** A decimal text with up to `dec` fractional digits, as an integer count of 10^-dec and its number. */
const decimalArb = fc
  .tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.integer({ min: 0, max: 8 }))
  .map(([units, dec]) => ({ units, dec, value: Number(`${units < 0n ? '-' : ''}${text(units < 0n ? -units : units, dec)}`) }));

function text(units: bigint, dec: number): string {
  const s = units.toString().padStart(dec + 1, '0');
  return dec === 0 ? s : `${s.slice(0, -dec)}.${s.slice(-dec)}`;
}

/** The double of an exact decimal a·10^-d (as JavaScript parses its text). */
function exact(units: bigint, dec: number): number {
  const neg = units < 0n;
  return Number(`${neg ? '-' : ''}${text(neg ? -units : units, dec)}`);
}

describe('decimalsOf', () => {
  it.each([
    [0, 0],
    [3, 0],
    [0.5, 1],
    [0.171, 3],
    [0.00012, 5],
    [123.456789, 6],
    [36821.879, 3],
    [-2.25, 2],
  ])('%s has %s decimals', (v, d) => expect(decimalsOf(v)).toBe(d));
  it('noise and non-finite values are not short decimals', () => {
    expect(decimalsOf(0.1 + 0.2)).toBe(-1);
    expect(decimalsOf(0.1710000000000491)).toBe(-1);
    expect(decimalsOf(NaN)).toBe(-1);
    expect(decimalsOf(Infinity)).toBe(-1);
    expect(decimalsOf(1e-13)).toBe(-1);
  });
});

describe('decimal sums, differences and products', () => {
  it('the cases of the issue: no float noise', () => {
    expect(decimalSub(5.171, 5)).toBe(0.171);
    expect(decimalAdd(0.1, 0.2)).toBe(0.3);
    expect(decimalSub(36821.879 + 1000, 1000)).toBe(36821.879);
    expect(decimalMul(95000.01, 0.00012)).toBe(11.4000012);
    expect(roundDecimals(23266.078999999998, 3)).toBe(23266.079);
    expect(Object.is(decimalSub(0.1, 0.1), 0)).toBe(true);
  });

  it('equal the exact decimal result for short decimals up to 2^50 units (BigInt reference), plain doubles beyond', () => {
    fc.assert(
      fc.property(decimalArb, decimalArb, (a, b) => {
        // Scaled to the operands' shortest decimals (0.00010 has 4), as the implementation does.
        const ka = decimalsOf(a.value);
        const kb = decimalsOf(b.value);
        const d = Math.max(ka, kb);
        const ua = (a.units / 10n ** BigInt(a.dec - ka)) * 10n ** BigInt(d - ka);
        const ub = (b.units / 10n ** BigInt(b.dec - kb)) * 10n ** BigInt(d - kb);
        const inRange = (ua < 0n ? -ua : ua) <= 2n ** 50n && (ub < 0n ? -ub : ub) <= 2n ** 50n;
        expect(decimalAdd(a.value, b.value)).toBe(inRange ? exact(ua + ub, d) : a.value + b.value);
        expect(decimalSub(a.value, b.value)).toBe(inRange ? exact(ua - ub, d) : a.value - b.value);
        if (a.dec + b.dec <= MAX_DECIMALS && Math.abs(Number(a.units * b.units)) < 2 ** 53) {
          expect(decimalMul(a.value, b.value)).toBe(exact(a.units * b.units, a.dec + b.dec));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('operands that are no short decimals fall back to plain double arithmetic', () => {
    const noisy = 0.1 + 0.2;
    expect(decimalAdd(noisy, 1)).toBe(noisy + 1);
    expect(decimalSub(1e300, 1)).toBe(1e300 - 1);
  });
});

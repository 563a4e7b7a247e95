// The trade-volume unit rule (src/meta/units.ts): a quantity is stored as round(q·10^d) only when that reads back as the very same double and fits the u32; anything else is refused with its reason, never rounded.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { U32_MAX, quantityToUnits, unitsToQuantity } from '../../src/meta/units.js';

describe('quantityToUnits', () => {
  it('stores sizes of the issue exactly at 6 decimals', () => {
    for (const q of [0.00012, 0.5, 123.456789, 0, 4294.967295]) {
      const r = quantityToUnits(q, 6);
      expect(r.ok).toBe(true);
      if (r.ok) expect(unitsToQuantity(r.units, 6)).toBe(q);
    }
  });

  it('refuses what is finer than the unit (volume_precision) or above the u32 (out_of_range), never rounds to 0', () => {
    expect(quantityToUnits(0.0000001, 6)).toMatchObject({ ok: false, reason: 'volume_precision' });
    expect(quantityToUnits(0.4, 0)).toMatchObject({ ok: false, reason: 'volume_precision' });
    expect(quantityToUnits(4294.967296, 6)).toMatchObject({ ok: false, reason: 'out_of_range' });
    expect(quantityToUnits(U32_MAX + 1, 0)).toMatchObject({ ok: false, reason: 'out_of_range' });
    for (const bad of [-1, NaN, Infinity]) expect(quantityToUnits(bad, 2)).toMatchObject({ ok: false, reason: 'out_of_range' });
  });

  it('any whole number of units round-trips exactly, at every number of decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: U32_MAX }), fc.integer({ min: 0, max: 12 }), (units, d) => {
        const q = unitsToQuantity(units, d);
        expect(quantityToUnits(q, d)).toEqual({ ok: true, units });
      }),
      { numRuns: 5000 },
    );
  });
});

// Trade quantities in integer units of the instrument's volume unit (10^-volume_decimals): the one rule by which a fractional size fits datakit's u32 volume field and reads back exactly.
//
// RULE (docs/format.md, "Trade volume"): a trade's `volume` field holds
// round(quantity × 10^d), where d = the instrument's `volume_decimals` in the data root
// (<root>/meta/instruments/<EXCHG>/<CODE>.json; 0 when the instrument has no file, as
// datakit stores whole lots). A reader gives back volume / 10^d. The writer accepts a
// quantity only when that division gives back the very double the feed sent
// (`volume_precision` otherwise: finer than the unit) and the units fit the u32
// (`out_of_range`): a quantity is refused and counted, never rounded to another number.
// Because 10^d is an exact double for d <= 22 and IEEE division is correctly rounded,
// units / 10^d is the double nearest the decimal quantity: 0.00012 reads back as 0.00012.

import { MAX_DECIMALS, pow10 } from '../format/decimal.js';

export const U32_MAX = 4294967295;

export type UnitsResult = { ok: true; units: number } | { ok: false; reason: 'out_of_range' | 'volume_precision'; detail: string };

/** Integer units of `quantity` at `decimals` fractional digits, or why it cannot be stored. */
export function quantityToUnits(quantity: number, decimals: number): UnitsResult {
  const p = pow10(decimals);
  if (!(quantity >= 0) || !Number.isFinite(quantity)) {
    return { ok: false, reason: 'out_of_range', detail: `quantity ${String(quantity).slice(0, 32)} is not a number of 0 or more` };
  }
  const units = Math.round(quantity * p);
  if (units > U32_MAX) {
    return {
      ok: false,
      reason: 'out_of_range',
      detail: `quantity ${quantity} is ${units} units of 1e-${decimals}, above the u32 volume field's ${U32_MAX} (largest storable quantity ${U32_MAX / p})`,
    };
  }
  if (units / p !== quantity) {
    return {
      ok: false,
      reason: 'volume_precision',
      detail: `quantity ${quantity} is finer than the instrument's volume unit 1e-${decimals} (volume_decimals ${decimals}); set its lot_step (docs/instruments.md)`,
    };
  }
  return { ok: true, units: units === 0 ? 0 : units };
}

/** The real quantity of stored units. */
export function unitsToQuantity(units: number, decimals: number): number {
  return decimals === 0 ? units : units / pow10(decimals);
}

/** Checks a volume_decimals value (0..MAX_DECIMALS). */
export function validVolumeDecimals(d: unknown): d is number {
  return typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_DECIMALS;
}

// Exact decimal arithmetic on doubles: sums, differences and products of short decimals (prices, sizes, turnovers) without float noise.
//
// RULE (docs/format.md, "Derived values"): a derived value (per-tick volume and turnover,
// a day total, a bar's vol and money) is computed on the operands' shortest decimal
// forms, not on their binary fractions: 5.171 - 5 gives 0.171 (not 0.17100000000000026),
// 0.1 + 0.2 gives 0.3. Each operand is read as the shortest decimal with at most
// MAX_DECIMALS fractional digits that is the same double; both are scaled to integers of
// the larger number of digits, combined exactly as integers, and divided back once, so
// the result is the double nearest to the exact decimal result. An operand that is no
// such decimal (noise already present), or a value whose scaled integer would pass 2^50
// (the product x·10^k is then no longer sure to round to the right integer: its error can
// reach 1.5 units in the last place), falls back to plain double arithmetic: never worse than before, never a different
// number than the decimal one where the decimal one is representable.
//
// Cost: at most MAX_DECIMALS + 1 multiplications per operand, no allocation (per-tick path).

/** Most fractional digits considered (1e-12: far below any lot step or price tick). */
export const MAX_DECIMALS = 12;
const POW10: readonly number[] = Array.from({ length: MAX_DECIMALS + 1 }, (_, k) => 10 ** k);
const SAFE = Number.MAX_SAFE_INTEGER;
/** Largest scaled operand |x·10^k| that Math.round turns into the exact decimal integer (see above). */
const SCALED_MAX = 2 ** 50;

/** The fewest fractional digits k (0..MAX_DECIMALS) with round(x·10^k)/10^k === x, or -1 (not a short decimal, or too large). */
export function decimalsOf(x: number): number {
  if (!Number.isFinite(x)) return -1;
  const ax = Math.abs(x);
  for (let k = 0; k <= MAX_DECIMALS; k++) {
    const p = POW10[k]!;
    const scaled = ax * p;
    if (scaled > SCALED_MAX) return -1;
    if (Math.round(scaled) / p === ax) return k;
  }
  return -1;
}

/** x rounded to d fractional digits (0 <= d <= MAX_DECIMALS): the double nearest to the decimal; x itself when out of reach. */
export function roundDecimals(x: number, d: number): number {
  const p = POW10[d]!;
  const scaled = x * p;
  if (!(Math.abs(scaled) <= SCALED_MAX)) return x;
  const r = Math.round(scaled) / p;
  return r === 0 ? 0 : r; // no -0
}

function scaledPair(a: number, b: number): number {
  const ka = decimalsOf(a);
  const kb = decimalsOf(b);
  if (ka < 0 || kb < 0) return -1;
  const k = ka > kb ? ka : kb;
  const p = POW10[k]!;
  return Math.abs(a) * p <= SCALED_MAX && Math.abs(b) * p <= SCALED_MAX ? k : -1;
}

/** a + b on the operands' decimal forms. */
export function decimalAdd(a: number, b: number): number {
  // Whole numbers (volumes, open interest: most sums per tick) take a shortcut, small
  // enough to be inlined into the per-tick callers: what the general path computes for
  // them (k = 0: an exact integer sum, -0 made 0), without its digit search.
  if (Number.isInteger(a) && Number.isInteger(b) && a <= SCALED_MAX && a >= -SCALED_MAX && b <= SCALED_MAX && b >= -SCALED_MAX) {
    const s = a + b;
    return s === 0 ? 0 : s;
  }
  return decimalAddScaled(a, b);
}

/** decimalAdd's general path. */
function decimalAddScaled(a: number, b: number): number {
  const k = scaledPair(a, b);
  if (k < 0) return a + b;
  const p = POW10[k]!;
  const s = Math.round(a * p) + Math.round(b * p);
  if (!(Math.abs(s) <= SAFE)) return a + b;
  const r = s / p;
  return r === 0 ? 0 : r;
}

/** a − b on the operands' decimal forms. */
export function decimalSub(a: number, b: number): number {
  return decimalAdd(a, -b);
}

/** a × b on the operands' decimal forms (digits add up: 95000.01 × 0.00012 has 7). */
export function decimalMul(a: number, b: number): number {
  const ka = decimalsOf(a);
  const kb = decimalsOf(b);
  if (ka < 0 || kb < 0 || ka + kb > MAX_DECIMALS) return a * b;
  const ia = Math.round(a * POW10[ka]!);
  const ib = Math.round(b * POW10[kb]!);
  const prod = ia * ib;
  if (!(Math.abs(prod) <= SAFE)) return a * b;
  const r = prod / POW10[ka + kb]!;
  return r === 0 ? 0 : r;
}

/** 10^k for 0 <= k <= MAX_DECIMALS (exact doubles). */
export function pow10(k: number): number {
  const p = POW10[k];
  if (p === undefined) throw new RangeError(`10^${k}: k must be 0..${MAX_DECIMALS}`);
  return p;
}

// Reconnect delays: exponential backoff with full jitter, as a pure function and a tiny stateful counter.
//
// Attempt n (0-based) has the cap min(maxMs, minMs * 2^n); the delay is a uniformly random
// point in [0, cap] ("full jitter"), so many clients dropped at the same instant do not
// reconnect in lockstep. The caller resets the counter once a connection proved stable.

/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** The largest delay setTimeout honours (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/** The cap of attempt `attempt`: min(maxMs, minMs * 2^attempt), in ms. */
export function backoffCapMs(attempt: number, minMs: number, maxMs: number): number {
  checkBounds(minMs, maxMs);
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2^n overflows to Infinity past n = 1023; min() then picks maxMs, which is what we want.
  return Math.min(maxMs, minMs * 2 ** n);
}

/**
 * The delay in ms before reconnect attempt `attempt` (0 for the first reconnect after a
 * drop): an integer in [0, backoffCapMs(attempt, minMs, maxMs)]. `random` should return
 * values in [0, 1); values outside are clamped, NaN counts as 0.
 */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: RandomSource): number {
  const cap = backoffCapMs(attempt, minMs, maxMs);
  let r = random();
  if (!(r > 0)) r = 0; // also NaN
  if (r > 1) r = 1;
  return Math.min(cap, Math.floor(r * (cap + 1)));
}

/** Counts attempts and hands out delays; reset() after a connection stayed up long enough. */
export class Backoff {
  private n = 0;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
    private readonly random: RandomSource = Math.random,
  ) {
    checkBounds(minMs, maxMs);
  }

  /** Attempts handed out since the last reset. */
  get attempt(): number {
    return this.n;
  }

  /** The delay for the next attempt; advances the counter. */
  next(): number {
    const d = backoffDelayMs(this.n, this.minMs, this.maxMs, this.random);
    if (this.n < 1100) this.n++; // past ~1023 the cap is maxMs anyway; keep the counter bounded
    return d;
  }

  reset(): void {
    this.n = 0;
  }
}

function checkBounds(minMs: number, maxMs: number): void {
  if (!(Number.isFinite(minMs) && minMs >= 0 && Number.isFinite(maxMs) && maxMs >= minMs && maxMs <= MAX_TIMER_MS)) {
    throw new RangeError(`backoff bounds must satisfy 0 <= minMs <= maxMs <= ${MAX_TIMER_MS}; got minMs=${minMs}, maxMs=${maxMs}`);
  }
}

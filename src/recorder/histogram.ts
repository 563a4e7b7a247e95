// A fixed-memory latency histogram: log-linear buckets (8 per power of two) from 1 µs
// to ~1 h, recorded with two array operations, read as quantiles. Cheap enough for the
// per-tick path, unlike a labelled prom-client histogram.

const SUB = 8; // buckets per power of two: a quantile is at most 12.5% (1/SUB) above the true value
const POWERS = 32; // 1 µs · 2^32 ≈ 71 min
const BUCKETS = SUB * POWERS;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS + 1);
  count = 0;
  maxUs = 0;
  sumUs = 0;

  record(us: number): void {
    if (!(us >= 0)) us = 0;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
    this.counts[bucketOf(us)]!++;
  }

  /** The q-quantile (0..1) in µs, the upper edge of its bucket; 0 when empty. */
  quantileUs(q: number): number {
    if (this.count === 0) return 0;
    const want = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b <= BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= want) return Math.min(upperOf(b), this.maxUs);
    }
    return this.maxUs;
  }

  /**
   * Cumulative counts at the bucket edges that are powers of two, 1 µs .. 2^31 µs (about
   * 36 min): the exact counts of samples below each edge, for a Prometheus histogram
   * (its `le` edges; a sample exactly on an edge counts in the next one).
   */
  cumulativeAtPowersOfTwo(): { leUs: number; count: number }[] {
    const out: { leUs: number; count: number }[] = [];
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      const up = upperOf(b);
      if (Number.isInteger(Math.log2(up))) out.push({ leUs: up, count: seen });
    }
    return out;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.maxUs = 0;
    this.sumUs = 0;
  }
}

/** The bucket of a sample: [upperOf(b - 1), upperOf(b)) holds `us`. Exported for tests. */
export function bucketOf(us: number): number {
  if (us < 1) return 0;
  if (us < 2147483648) {
    // Integer arithmetic (no log2, no pow: this runs per tick). n = floor(us) has the
    // same power of two as us; with p >= 3 the 8 sub-buckets are the 3 bits under the top.
    const n = us | 0;
    const p = 31 - Math.clz32(n);
    const sub = p >= 3 ? (n >>> (p - 3)) - SUB : Math.min(SUB - 1, Math.floor((us / (1 << p) - 1) * SUB));
    return p * SUB + sub + 1;
  }
  if (us < 4294967296) return 31 * SUB + Math.floor(us / 268435456) - SUB + 1; // p = 31: us / 2^28 in [8, 16)
  return BUCKETS; // 2^32 µs (about 71 min) and beyond: the overflow bucket
}

/** The upper edge of bucket b, µs. Exported for tests. */
export function upperOf(b: number): number {
  if (b === 0) return 1;
  if (b >= BUCKETS) return Infinity;
  const p = Math.floor((b - 1) / SUB);
  const s = (b - 1) % SUB;
  return 2 ** p * (1 + (s + 1) / SUB);
}

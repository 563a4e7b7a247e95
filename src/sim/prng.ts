// A seeded PRNG (mulberry32): the only source of randomness in the simulator, never Math.random.

/** A 32-bit seeded generator. `float()` is in [0, 1); `int(n)` in [0, n). */
export class Prng {
  private a: number;

  constructor(seed: number) {
    // Mix the seed once so that seeds 1, 2, 3 start far apart.
    let s = (seed >>> 0) ^ 0x9e3779b9;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
    this.a = (s ^ (s >>> 16)) >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  float(): number {
    return this.u32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An exponential variate with the given mean (> 0). */
  exp(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }
}

// A tiny seeded PRNG (mulberry32) for reproducible choices in scripts, fixtures and tests: the same seed gives the same sequence, in [0, 1). (The simulator's own, src/sim/prng.ts, mixes its seed first.)

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

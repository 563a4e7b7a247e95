// Crash storm, short (the long one: npm run soak -- --only crash, 50 kills): kill -9 of the recorder at random instants under full flow, restarted each time; after each kill the files are valid and no published tick is lost or changed; at the end every stored tick is a sent one, once, in order.

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { runCrashStorm } from '../../scripts/soak/crash.js';
import { killAll, makeTempDir, removeTempDirs, requireBuilt } from '../../scripts/soak/lib.js';

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
});
afterAll(() => removeTempDirs());

it('8 kill -9 of the recorder under 3000 ticks/s (20 instruments), some during its start-up: files valid after each, nothing published lost, no duplicate, the restarted recorder continues after the last record', async () => {
  const seed = Number(process.env.TICKREC_KILL_SEED ?? 20250107);
  const r = await runCrashStorm({
    dir: makeTempDir('tickrec-rel-crash-'),
    kills: 8,
    instruments: 20,
    rate: 3000,
    minGapMs: 400,
    maxGapMs: 1100,
    seed,
  });
  console.log(`crash storm (seed ${seed}; TICKREC_KILL_SEED to repeat):\n${r.lines.join('\n')}`);
  expect(r.problems).toEqual([]);
  expect(r.publishedLost).toBe(0);
  expect(r.matched).toBe(r.stored);
  expect(r.stored).toBeGreaterThan(0);
  for (const rep of r.repairs) expect(rep).not.toMatch(/size set to|lost/);
}, 120_000);

// Hostile feed, short (npm run soak -- --only hostile sends 100,000 messages): the seeded stream of scripts/soak/hostile-stream.ts, valid ticks and trades mixed with duplicates, out-of-order ticks, path-like names, NaN/DBL_MAX prices, wrong types, malformed JSON, binary and over-limit frames; the recorder stays up, rejects each message by the reason the model gives, stores exactly the valid records and nothing outside its root.

import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { runHostile } from '../../scripts/soak/hostile.js';
import { killAll, makeTempDir, removeTempDirs, requireBuilt } from '../../scripts/soak/lib.js';

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
});
afterAll(() => removeTempDirs());

it('5,000 messages, over half of them hostile, through one recorder: exactly the valid ticks stored, every file valid, nothing outside the root', async () => {
  const r = await runHostile({ dir: makeTempDir('tickrec-rel-hostile-'), messages: 5000, seed: 13 });
  console.log(`hostile feed:\n${r.lines.join('\n')}`);
  expect(r.problems).toEqual([]);
  expect(r.written).toBe(r.validTicks);
  expect(r.hostile).toBeGreaterThan(2000);
  expect(r.connectionKillers).toBeGreaterThan(0);
  expect(r.reconnects).toBeGreaterThanOrEqual(r.connectionKillers);
}, 120_000);

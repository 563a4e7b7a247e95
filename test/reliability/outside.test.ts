// What an outside probe broke, short (npm run soak -- --only hands,readonly runs it larger): live files truncated, deleted and replaced under a running recorder and its readers, a connection flood, and (root) the data root forced read-only under flow.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, makeTempDir, removeTempDirs, requireBuilt } from '../../scripts/soak/lib.js';
import { runHands, runReadOnly, type OutsideReport } from '../../scripts/soak/outside.js';

beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
});
afterAll(() => removeTempDirs());

describe('live files damaged by someone else', () => {
  let r: OutsideReport;
  beforeAll(async () => {
    r = await runHands({ dir: makeTempDir('tickrec-rel-hands-'), instruments: 8, rate: 800, seed: 20, flood: 1000 });
    console.log(`outside hands:\n${r.lines.join('\n')}`);
  }, 240_000);

  it('the readers of the files to be damaged were reading', () => expect(r.byCheck.readers ?? []).toEqual([]));
  it('truncate -s 0 / -s 24: no SIGBUS; E_TRUNCATED logged; the file set aside and a new one started; its readers stop with E_TRUNCATED', () =>
    expect(r.byCheck.truncate).toEqual([]));
  it('rm and mv OTHER FILE: E_REPLACED logged, the records written back, the displaced file kept, a follower stops with E_REPLACED', () =>
    expect(r.byCheck.replace).toEqual([]));
  it('1,000 idle connections to the metrics port take at most max_connections descriptors; recording goes on', () =>
    expect(r.byCheck.flood).toEqual([]));
  it('/health degraded, SIGTERM exit 0, every stored record a sent tick, nothing lost but what was cut', () =>
    expect(r.byCheck.end).toEqual([]));
});

describe('the data root forced read-only under flow (ext4 errors=remount-ro on a loop device; needs root)', () => {
  it('failed syncs counted, /health degraded, tickrec status exit 1, records counted synced are on disk', async () => {
    const r = await runReadOnly({ dir: makeTempDir('tickrec-rel-ro-'), instruments: 6, rate: 600, seed: 21 });
    console.log(`read-only file system:\n${r.lines.join('\n')}`);
    expect(r.problems).toEqual([]);
  }, 180_000);
});

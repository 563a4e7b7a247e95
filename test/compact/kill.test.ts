// kill -9 during compaction at seeded random points (its durable steps, and random instants), then a rerun: every record of every day is in his/ exactly once and no finished rt file remains.

import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCompaction, verifyRoot } from '../../src/compact/index.js';
import { bundledSessionBook } from './helpers/sessions.js';
import { killAllHelpers, spawnHelper } from '../helpers/child.js';
import { rng } from '../helpers/ticks.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { checkCompacted } from './helpers/check.js';
import { DATES, INSTRUMENTS, finishedFiles, hashTree, makeRoot } from './helpers/root.js';

const CHILD = '../compact/helpers/compact-child.ts';
const SEED = Number(process.env.TICKREC_KILL_SEED ?? 20250106);

afterEach(async () => {
  await killAllHelpers();
  removeTempDirs();
});

function prepare(): { root: string; exp: ReturnType<typeof makeRoot> } {
  const root = makeTempDir();
  const exp = makeRoot(root, { dates: DATES.slice(0, 3), instruments: INSTRUMENTS.slice(0, 3), ticks: 240 });
  return { root, exp };
}

async function runChild(root: string, codec: string, crashAt: number) {
  const c = spawnHelper(CHILD, [root, '--codec', codec, '--crash-at', String(crashAt)]);
  const exit = await c.exit;
  return { exit, messages: c.messages, stderr: c.stderr };
}

describe('kill -9 during compaction', () => {
  for (const codec of ['lz4', 'zstd'] as const) {
    it(`${codec}: at seeded random durable steps (12 trials), a rerun completes with every record exactly once`, async () => {
      console.log(`kill test seed ${SEED} (set TICKREC_KILL_SEED to replay)`);
      // How many durable steps a full run takes, on an identical root; and its bytes.
      const ref = prepare();
      const full = await runChild(ref.root, codec, 0);
      const steps = Number(full.messages.find((m) => m.event === 'done')?.steps);
      expect(steps, full.stderr).toBeGreaterThan(20);
      const r = rng(SEED ^ (codec === 'zstd' ? 0x5a5a : 0));
      for (let trial = 0; trial < 12; trial++) {
        const at = 1 + Math.floor(r() * steps);
        const { root, exp } = prepare();
        const first = await runChild(root, codec, at);
        expect(first.exit.signal, `trial ${trial} (seed ${SEED}, step ${at}): ${first.stderr}`).toBe('SIGKILL');
        const s = runCompaction({ root, codec });
        expect(s.failures, `trial ${trial} (seed ${SEED}, step ${at})`).toEqual([]);
        expect(finishedFiles(root)).toEqual([]);
        checkCompacted(root, exp);
        expect(hashTree(`${root}/his`), `trial ${trial} (seed ${SEED}, step ${at}): same bytes as an uninterrupted run`).toBe(
          hashTree(`${ref.root}/his`),
        );
        const v = verifyRoot({ root, deep: true, sessions: bundledSessionBook() });
        expect(v.problems, `trial ${trial} (seed ${SEED}, step ${at})`).toEqual([]);
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  }

  it('at random instants (kill -9 from outside, 10 trials), a rerun completes', async () => {
    const r = rng(SEED + 1);
    for (let trial = 0; trial < 10; trial++) {
      const { root, exp } = prepare();
      const c = spawnHelper(CHILD, [root]);
      const delay = 200 + Math.floor(r() * 1500);
      await new Promise((res) => setTimeout(res, delay));
      c.kill('SIGKILL');
      await c.exit;
      const s = runCompaction({ root });
      expect(s.failures, `trial ${trial} (seed ${SEED}, after ${delay} ms)`).toEqual([]);
      expect(finishedFiles(root)).toEqual([]);
      checkCompacted(root, exp);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

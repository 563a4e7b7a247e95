// A full disk during compaction (a file-size limit makes writes fail with EFBIG, as ENOSPC would): a clean E_NO_SPACE naming the file, no temporary file left, no rt file lost; a rerun with room completes.

import fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { runCompaction } from '../../src/compact/index.js';
import { killAllHelpers, spawnHelper } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { checkCompacted } from './helpers/check.js';
import { INSTRUMENTS, finishedFiles, hashTree, makeRoot } from './helpers/root.js';

afterEach(async () => {
  await killAllHelpers();
  removeTempDirs();
});

it('fails cleanly with E_NO_SPACE and loses nothing', async () => {
  const root = makeTempDir();
  const exp = makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 2), ticks: 20000 });
  const rtBefore = finishedFiles(root).sort();
  const c = spawnHelper('../compact/helpers/compact-child.ts', [root], { ulimitFileBlocks: 64 });
  await c.exit;
  const done = c.messages.find((m) => m.event === 'done') as { failures: { code: string; file: string; message: string }[] } | undefined;
  expect(done, c.stderr).toBeDefined();
  expect(done!.failures).toHaveLength(1);
  expect(done!.failures[0]!.code).toBe('E_NO_SPACE');
  expect(done!.failures[0]!.message).toContain('.tsb');
  expect(finishedFiles(root).sort()).toEqual(rtBefore);
  const his = fs.readdirSync(`${root}/his`, { recursive: true }) as string[];
  expect(his.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  const s = runCompaction({ root });
  expect(s.failures).toEqual([]);
  checkCompacted(root, exp);
  expect(finishedFiles(root)).toEqual([]);
  void hashTree;
});

// File growth through fallocate(2) (src/store/fallocate.ts, native/fs): the same file as with written zeros, errors as fs errors.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FS_ADDON_PATH, allocate, fallocateStatus } from '../../src/store/fallocate.js';
import { killAllHelpers, spawnHelper } from '../helpers/child.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';

afterEach(() => killAllHelpers());
afterAll(() => removeTempDirs());

describe('fallocate', () => {
  it('the addon is built by npm install and used for growth', () => {
    expect(fs.existsSync(FS_ADDON_PATH)).toBe(true);
    expect(fallocateStatus()).toEqual({ available: true, reason: 'fallocate(2) through native/fs' });
  });

  it('reserves a range: the file grows to its end, the new bytes read as zeros and have blocks, the old bytes are untouched', () => {
    const file = path.join(makeTempDir(), 'a.bin');
    const fd = fs.openSync(file, 'w+');
    try {
      fs.writeSync(fd, Buffer.from('header'), 0, 6, 0);
      expect(allocate(fd, 6, 6 + 3 * 4096 + 100)).toBe(true);
      const st = fs.fstatSync(fd);
      expect(st.size).toBe(6 + 3 * 4096 + 100);
      expect(st.blocks * 512).toBeGreaterThanOrEqual(st.size); // allocated, not a hole
      const all = fs.readFileSync(file);
      expect(all.subarray(0, 6).toString()).toBe('header');
      expect(all.subarray(6).every((b) => b === 0)).toBe(true);
      expect(allocate(fd, 100, 100)).toBe(true); // empty range: nothing to do
      expect(fs.fstatSync(fd).size).toBe(st.size);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('errors are fs errors with code, errno and syscall; a file-size limit is EFBIG and leaves the file as it was', () => {
    let e: NodeJS.ErrnoException | undefined;
    try {
      allocate(1 << 20, 0, 10);
    } catch (err) {
      e = err as NodeJS.ErrnoException;
    }
    expect(e).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'fallocate' });
    expect(e?.message).toMatch(/^EBADF: .*, fallocate$/);

    const file = path.join(makeTempDir(), 'limited.bin');
    const script = `const fs = require('fs'); const a = require(${JSON.stringify(FS_ADDON_PATH)}); const fd = fs.openSync(${JSON.stringify(file)}, 'w+');
      try { a.allocate(fd, 0, 1 << 20); console.log('allocated'); } catch (e) { console.log(e.code, fs.fstatSync(fd).size); }`;
    const r = spawnSync('bash', ['-c', 'ulimit -f 64 && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('EFBIG 0');
  });

  it('a file grown through many doublings is byte for byte the file grown with written zeros (TICKREC_FALLOCATE=0)', async () => {
    const files: Record<string, Buffer> = {};
    for (const mode of ['fallocate', 'zeros'] as const) {
      const file = path.join(makeTempDir(), `${mode}.dmb`);
      const child = spawnHelper('grow-loop-child.ts', [file, '--files', '1', '--records', '3000'], {
        env: mode === 'zeros' ? { TICKREC_FALLOCATE: '0' } : {},
      });
      const done = await child.waitFor('done');
      expect(done.growths).toBe(12); // capacity 1 -> 4096
      expect(await child.exit).toEqual({ code: 0, signal: null });
      files[mode] = fs.readFileSync(`${file}.old`);
    }
    expect(files.fallocate!.length).toBe(24 + 4096 * 512);
    expect(files.fallocate!.equals(files.zeros!)).toBe(true);
  });
});

// A folder of the data root that cannot be read (chmod 000 on a finished day) is reported by compact and verify with exit code 1, never taken as "nothing to do" (the probe: "compacted 0 instrument-days", exit 0).
//
// Root ignores permissions: as root, the commands run as nobody (uid 65534) on a root it owns.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TICK_KIND } from '../../src/format/index.js';
import { CLI, requireBuilt } from '../e2e/helpers.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { INSTRUMENTS, dayTicks, writeFinished } from './helpers/root.js';

afterAll(() => removeTempDirs());

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

function chownTree(p: string): void {
  fs.chownSync(p, NOBODY, NOBODY);
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e));
}

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('an unreadable finished day', () => {
  it('compact and verify name the folder and exit 1; with the permission back, the day is compacted', () => {
    requireBuilt();
    const dir = makeTempDir('tickrec-unreadable-');
    fs.chmodSync(dir, 0o755);
    const root = path.join(dir, 'data');
    const inst = INSTRUMENTS[0]!;
    writeFinished(root, TICK_KIND, inst.exchg, inst.code, 20250106, dayTicks(inst, 20250106, 50, 1));
    writeFinished(root, TICK_KIND, inst.exchg, inst.code, 20250107, dayTicks(inst, 20250107, 50, 1));
    if (asRoot) chownTree(root);
    const day = path.join(root, 'rt', 'ticks', inst.exchg, '20250107');
    fs.chmodSync(day, 0o000);
    try {
      const c = run(['compact', '--root', root]);
      expect(c.status, c.out).toBe(1);
      expect(c.out).toContain(day);
      expect(c.out).toMatch(/EACCES|permission/i);
      const v = run(['verify', '--root', root]);
      expect(v.status, v.out).toBe(1);
      expect(v.out).toContain(day);
    } finally {
      fs.chmodSync(day, 0o755);
    }
    const again = run(['compact', '--root', root]);
    expect(again.status, again.out).toBe(0);
    expect(fs.existsSync(path.join(root, 'his', 'ticks', inst.exchg, '20250107', `${inst.code}.tsb`))).toBe(true);
    expect(run(['verify', '--root', root]).status).toBe(0);
  });
});

// The Node flags of src/cli/node-flags.ts are what the launchers pass: the bin's shebang and `npm start`.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS, missingNodeFlags } from '../../src/cli/node-flags.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHEBANG = `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`;

describe('Node flags', () => {
  it('the bin (src and dist) starts node with exactly these flags', () => {
    for (const f of ['src/cli/main.ts', 'dist/cli/main.js']) {
      expect(fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n')[0], f).toBe(SHEBANG);
    }
  });

  it('npm start passes the same flags', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain(`node ${NODE_FLAGS.join(' ')} dist/cli/main.js record`);
  });

  it('this node accepts them, and the shebang line runs the CLI through env -S', () => {
    const plain = spawnSync(process.execPath, [...NODE_FLAGS, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], {
      encoding: 'utf8',
    });
    expect(plain.stderr).toBe('');
    expect((JSON.parse(plain.stdout) as string[]).slice(0, NODE_FLAGS.length)).toEqual([...NODE_FLAGS]);
    // What the kernel does with the shebang: env gets the rest of the line as one argument.
    const env = spawnSync('/usr/bin/env', [SHEBANG.slice('#!/usr/bin/env '.length), path.join(ROOT, 'dist/cli/main.js'), '--version'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` },
    });
    expect(env.stderr).toBe('');
    expect(env.status).toBe(0);
    expect(env.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('missingNodeFlags names the flags a process lacks', () => {
    expect(missingNodeFlags([])).toEqual([...NODE_FLAGS]);
    expect(missingNodeFlags(['--inspect', ...NODE_FLAGS])).toEqual([]);
  });
});

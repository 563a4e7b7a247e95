// Running the Python package (python/tickrec) from the tests: Debian's python3 with numpy, zstandard and lz4, the package on PYTHONPATH.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Debian's interpreter (apt: python3-numpy, python3-zstandard, python3-lz4), not a pyenv one on PATH. */
export const PYTHON = process.env.TICKREC_PYTHON ?? '/usr/bin/python3';
export const PY_DIR = path.join(REPO_ROOT, 'python');

export interface PyResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns python3 with the package importable; resolves when it exits (killed after timeoutMs). */
export function runPython(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, ['-u', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONPATH: PY_DIR, PYTHONDONTWRITEBYTECODE: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** unittest's summary: the number of tests run, and whether any was skipped (a test that cannot fail is not a pass). */
export function unittestSummary(stderr: string): { ran: number; ok: boolean; skipped: boolean } {
  const ran = Number(/Ran (\d+) tests?/.exec(stderr)?.[1] ?? 0);
  return { ran, ok: /\nOK\b/.test(stderr), skipped: /skipped/.test(stderr) };
}

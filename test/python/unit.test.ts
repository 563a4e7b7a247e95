// The Python package's own tests: python/tests/test_rt.py (real-time file checks, zero-copy views and remap after growth, follow across a roll, instants and usage errors) and python/tests/test_meta.py (instrument metadata, trade quantities, ts_utc).

import { describe, expect, it } from 'vitest';
import { runPython, unittestSummary } from './helpers.js';

describe('python unit tests', () => {
  it('python/tests/test_rt.py passes with Debian python3, nothing skipped', async () => {
    const r = await runPython(['-m', 'unittest', '-v', 'tests.test_rt']);
    const s = unittestSummary(r.stderr);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(s.ok, r.stderr).toBe(true);
    expect(s.skipped, r.stderr).toBe(false);
    expect(s.ran).toBe(10);
  });

  it('python/tests/test_meta.py (metadata, quantities, ts_utc) passes, nothing skipped', async () => {
    const r = await runPython(['-m', 'unittest', '-v', 'tests.test_meta']);
    const s = unittestSummary(r.stderr);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(s.ok, r.stderr).toBe(true);
    expect(s.skipped, r.stderr).toBe(false);
    expect(s.ran).toBe(11);
  });
});

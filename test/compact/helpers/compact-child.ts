// Child process: runs a compaction of a data root, and (with --crash-at N) kills itself with SIGKILL at its N-th durable step, or (with --crash-step NAME) at the first step of that name.
//
// usage: compact-child.ts <root> [--codec lz4|zstd] [--crash-at N | --crash-step NAME]
// Prints {"event":"done","steps":S,...summary} at the end; {"event":"error",...} and exit 3 on an error.

import { runCompaction } from '../../../src/compact/index.js';
import { TickrecError } from '../../../src/errors.js';

const root = process.argv[2]!;
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const codec = (arg('--codec') ?? 'lz4') as 'lz4' | 'zstd';
const crashAt = Number(arg('--crash-at') ?? 0);
const crashStep = arg('--crash-step');
const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');

let steps = 0;
try {
  const s = runCompaction({
    root,
    codec,
    onStep: (step) => {
      steps++;
      if (steps === crashAt || step === crashStep) {
        say({ event: 'crashing', step, steps });
        process.kill(process.pid, 'SIGKILL');
      }
    },
  });
  say({ event: 'done', steps, failures: s.failures, instrumentDays: s.instrumentDays });
} catch (err) {
  const e = err as TickrecError;
  say({ event: 'error', code: e?.code, file: e?.file, message: String(e?.message ?? err) });
  process.exit(3);
}

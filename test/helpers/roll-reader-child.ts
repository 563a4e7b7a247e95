// Child process: follows one RT path across the files that replace it (rolls) and checks that every record of every file arrives once, in order.
//
// usage: roll-reader-child.ts <file> --rolls R --per-file K [--seed S]
// Prints {"event":"open","date":..} at each onFileStart, then {"event":"summary",...} after
// the K-th record of the R-th file ("finish" on stdin stops it early and reports).

import readline from 'node:readline';
import { TICK_KIND } from '../../src/format/index.js';
import { follow } from '../../src/store/index.js';
import { tickProblem } from './ticks.js';

const file = process.argv[2]!;
const arg = (name: string): number => {
  const i = process.argv.indexOf(name);
  return Number(process.argv[i + 1]);
};
const rolls = arg('--rolls');
const perFile = arg('--per-file');
const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');

const starts: number[] = [];
const ends: { date: number; length: number }[] = [];
const counts: number[] = [];
const problems: string[] = [];
const ac = new AbortController();
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() === 'finish') ac.abort();
});

const f = follow(
  file,
  (v, i, r) => {
    const k = starts.length - 1;
    const expected = counts[k] ?? 0;
    if (r.date !== starts[k] && problems.length < 10) problems.push(`record from file date ${r.date} while in file ${starts[k]}`);
    if (i !== expected && problems.length < 10) problems.push(`file ${starts[k]}: index ${i}, expected ${expected}`);
    const p = tickProblem(v, i);
    if (p && problems.length < 10) problems.push(`file ${starts[k]}: ${p}`);
    counts[k] = expected + 1;
    return !(starts.length === rolls && counts[k] === perFile);
  },
  {
    kind: TICK_KIND,
    mode: 'spin',
    rollCheckMs: 0,
    signal: ac.signal,
    onFileStart: (x) => {
      starts.push(x.date);
      counts.push(0);
      say({ event: 'open', date: x.date, length: x.length });
    },
    onFileEnd: (x) => ends.push({ date: x.date, length: x.length }),
  },
);

f.done
  .then(() => {
    say({ event: 'summary', starts, ends, counts, problems });
    process.exit(0);
  })
  .catch((err: unknown) => {
    say({ event: 'error', message: String((err as Error)?.stack ?? err) });
    process.exit(3);
  });

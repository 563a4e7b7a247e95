// Child process: a writer that rolls one RT path through several trading days: create, wait for "go", append, close, move the file away.
//
// usage: roll-writer-child.ts <file> --archive DIR --rolls R --per-file K [--seed S]
// For day r = 0..R-1: opens <file> with date 20250101+r (initial capacity 64), prints
// {"event":"created","r":r}, waits for a line "go" on stdin, appends ticks 0..K-1 (append and
// appendBatch mixed) and, right after the last one, closes and renames the file into DIR
// (even days: close then rename, as the recorder does; odd days: rename then close, so
// the rename follows the last append at once). The last day stays in place.
// Prints {"event":"done"}.

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { TICK_KIND } from '../../src/format/index.js';
import { RtWriter } from '../../src/store/index.js';
import { makeTick, rng } from './ticks.js';

const file = process.argv[2]!;
const arg = (name: string): string => {
  const i = process.argv.indexOf(name);
  if (i < 0) throw new Error(`missing ${name}`);
  return process.argv[i + 1]!;
};
const archive = arg('--archive');
const rolls = Number(arg('--rolls'));
const perFile = Number(arg('--per-file'));
const seed = process.argv.includes('--seed') ? Number(arg('--seed')) : 1;
const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');

const lines: string[] = [];
let wake: (() => void) | undefined;
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  lines.push(l.trim());
  wake?.();
});
async function nextLine(): Promise<string> {
  while (lines.length === 0) await new Promise<void>((r) => (wake = r));
  return lines.shift()!;
}

async function main(): Promise<void> {
  fs.mkdirSync(archive, { recursive: true });
  const rand = rng(seed);
  for (let r = 0; r < rolls; r++) {
    const w = RtWriter.open(file, { kind: TICK_KIND, date: 20250101 + r, initialCapacity: 64 });
    say({ event: 'created', r, date: w.date });
    if ((await nextLine()) !== 'go') throw new Error('expected "go"');
    let seq = 0;
    while (seq < perFile) {
      if (rand() < 0.25) {
        const n = Math.min(perFile - seq, 2 + Math.floor(rand() * 63));
        w.appendBatch(Array.from({ length: n }, (_, k) => makeTick(seq + k, seed)));
        seq += n;
      } else {
        w.append(makeTick(seq++, seed));
      }
    }
    // even days as the recorder does it (close, which msyncs, then rename); odd days
    // renamed first and closed after, so the rename follows the last append at once
    const last = r === rolls - 1;
    if (r % 2 === 0 || last) {
      w.close();
      if (!last) fs.renameSync(file, path.join(archive, `${r}.dmb`));
    } else {
      fs.renameSync(file, path.join(archive, `${r}.dmb`));
      w.close();
    }
  }
  say({ event: 'done' });
  process.exit(0);
}

main().catch((err: unknown) => {
  say({ event: 'error', message: String((err as Error)?.stack ?? err) });
  process.exit(3);
});

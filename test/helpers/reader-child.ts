// Child process: follows one RT file with follow()/followAsync() and checks every record (order, no gap, no duplicate, checksum).
//
// usage: reader-child.ts <file> --expect N [--mode spin|timer|async]
// Prints {"event":"ready"} once following, {"event":"open",...} when the file opens
// (onFileStart), and finally {"event":"summary",...}. It stops after N records, or,
// once the parent writes "writer-done" on stdin, when it has every record the
// finished file holds (so a reader that misses records still reports); "finish" on
// stdin stops it at once.

import readline from 'node:readline';
import { TICK_KIND } from '../../src/format/index.js';
import { RtReader, follow, followAsync, type RecordView } from '../../src/store/index.js';
import { tickProblem } from './ticks.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const file = process.argv[2]!;
const expect = Number(arg('--expect'));
const mode = (arg('--mode') ?? 'timer') as 'spin' | 'timer' | 'async';
const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');

let count = 0;
let valid = 0;
const problems: string[] = [];
const capacities = new Set<number>();
let finalLength: number | undefined;

function check(v: RecordView, index: number, reader: RtReader | undefined): boolean {
  if (index !== count) {
    if (problems.length < 10) problems.push(`callback index ${index}, expected ${count}`);
  }
  const p = tickProblem(v, count);
  if (p === null) valid++;
  else if (problems.length < 10) problems.push(p);
  count++;
  if (reader) capacities.add(reader.capacity);
  return !(count >= expect || (finalLength !== undefined && count >= finalLength));
}

const ac = new AbortController();
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (l) => {
  if (l.trim() === 'finish') return ac.abort(); // the parent gave up waiting: report what we have
  if (l.trim() !== 'writer-done') return;
  const r = RtReader.open(file, { kind: TICK_KIND });
  finalLength = r.length;
  r.close();
  if (count >= finalLength) ac.abort();
});

async function main(): Promise<void> {
  const onFileStart = (info: { length: number; date: number }) => {
    say({ event: 'open', length: info.length, date: info.date });
  };
  say({ event: 'ready', pid: process.pid });
  if (mode === 'async') {
    let index = 0;
    for await (const v of followAsync(file, { kind: TICK_KIND, signal: ac.signal, onFileStart, mode: 'spin' })) {
      if (!check(v, index++, undefined)) break;
    }
  } else {
    const f = follow(file, (v, i, r) => check(v, i, r), { kind: TICK_KIND, mode, signal: ac.signal, onFileStart });
    await f.done;
  }
  rl.close();
  say({ event: 'summary', mode, count, valid, problems, capacities: [...capacities], finalLength });
  process.exit(0); // stdin may still be open
}

main().catch((err: unknown) => {
  say({ event: 'error', message: String((err as Error)?.stack ?? err) });
  process.exit(3);
});

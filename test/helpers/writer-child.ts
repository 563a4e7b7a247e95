// Child process: a writer that appends deterministic ticks (test/helpers/ticks.ts) to one RT file, resuming at the file's size.
//
// usage: writer-child.ts <file> [--count N | --forever] [--initial-capacity C] [--seed S]
//        [--pace P] [--pre K] [--wait-go]
//   --count N   append ticks size .. size+N-1 then close and print {"event":"done"}
//   --forever   append until killed or until an append fails
//   --pace P    after every P records sleep 1 ms (bounds the file size of long runs)
//   --pre K     with --wait-go: append K ticks, print {"event":"pre"}, wait for "go" on stdin
// Appends mix append() and appendBatch() (batch sizes from a PRNG seeded by seed and size).
// Prints {"event":"started","size":..} after opening; on an error prints
// {"event":"error","code":..,"message":..} and exits with status 3.

import readline from 'node:readline';
import { TickrecError } from '../../src/errors.js';
import { TICK_KIND } from '../../src/format/index.js';
import { RtWriter } from '../../src/store/index.js';
import { TICK_TRADING_DATE, makeTick, rng } from './ticks.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const file = process.argv[2]!;
const forever = process.argv.includes('--forever');
const count = Number(arg('--count') ?? 0);
const initialCapacity = Number(arg('--initial-capacity') ?? 64);
const seed = Number(arg('--seed') ?? 1);
const pace = Number(arg('--pace') ?? 0);
const pre = Number(arg('--pre') ?? 0);
const waitGo = process.argv.includes('--wait-go');

const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function fail(err: unknown): never {
  const e = err as TickrecError;
  say({ event: 'error', name: e?.name, code: e?.code, file: e?.file, message: String(e?.message ?? err) });
  process.exit(3);
}

async function main(): Promise<void> {
  const w = RtWriter.open(file, { kind: TICK_KIND, date: TICK_TRADING_DATE, initialCapacity });
  const start = w.size;
  say({ event: 'started', pid: process.pid, size: start, capacity: w.capacity, repairs: w.report.repairs });
  const end = forever ? Infinity : start + count;
  const rand = rng((seed ^ Math.imul(start + 1, 0x9e3779b1)) >>> 0);
  let seq = start;
  let sincePause = 0;

  const appendSome = (limit: number) => {
    // one in four steps is a batch of 2..64 records, the rest single appends
    if (rand() < 0.25) {
      const n = Math.min(limit - seq, 2 + Math.floor(rand() * 63));
      const batch = [];
      for (let k = 0; k < n; k++) batch.push(makeTick(seq + k, seed));
      w.appendBatch(batch);
      seq += n;
      sincePause += n;
    } else {
      const at = w.append(makeTick(seq, seed));
      if (at !== seq) throw new Error(`append returned index ${at}, expected ${seq}`);
      seq++;
      sincePause++;
    }
    if (pace > 0 && sincePause >= pace) {
      sincePause = 0;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  };

  if (waitGo) {
    while (seq < Math.min(end, start + pre)) appendSome(Math.min(end, start + pre));
    say({ event: 'pre', size: w.size, capacity: w.capacity });
    await new Promise<void>((resolve, reject) => {
      const rl = readline.createInterface({ input: process.stdin });
      rl.on('line', (l) => {
        if (l.trim() === 'go') {
          rl.close();
          resolve();
        }
      });
      rl.on('close', () => reject(new Error('stdin closed before "go"')));
    }).catch(() => undefined);
  }
  while (seq < end) appendSome(end);
  w.close();
  say({ event: 'done', size: w.size, capacity: w.capacity });
  process.exit(0); // stdin may still be open
}

main().catch(fail);

// Child process: opens and closes RtReaders on one path in a loop and counts the errors by code (map exhaustion and open/grow races).
//
// usage: open-loop-child.ts <file> --opens N [--until-stop]
//   --opens N      at most N opens (each reads length and the last record)
//   --until-stop   also stop when "stop" arrives on stdin
// Prints {"event":"ready"} and finally {"event":"summary","opens":..,"errors":{code:count},"samples":[..]}.

import readline from 'node:readline';
import { RtReader } from '../../src/store/index.js';

const file = process.argv[2]!;
const i = process.argv.indexOf('--opens');
const max = Number(i >= 0 ? process.argv[i + 1] : 1000);
const untilStop = process.argv.includes('--until-stop');
const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');

let stop = false;
if (untilStop) {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (l) => {
    if (l.trim() === 'stop') {
      stop = true;
      rl.close();
    }
  });
}

const errors: Record<string, number> = {};
const samples: string[] = [];
let opens = 0;

function burst(): void {
  const until = performance.now() + 20;
  while (opens < max && !stop && performance.now() < until) {
    try {
      const r = RtReader.open(file);
      opens++;
      const n = r.length;
      if (n > 0) r.last();
      r.close();
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string }; message?: string };
      const code = e.cause?.code === 'ENOENT' ? 'ENOENT' : String(e.code ?? 'unknown');
      errors[code] = (errors[code] ?? 0) + 1;
      if (code !== 'ENOENT' && samples.length < 5) samples.push(String(e.message));
    }
  }
  if (opens < max && !stop) setImmediate(burst);
  else {
    say({ event: 'summary', opens, errors, samples });
    process.exit(0); // stdin may still be open
  }
}

say({ event: 'ready' });
burst();

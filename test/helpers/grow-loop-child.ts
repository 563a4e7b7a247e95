// Child process: creates an RT tick file at one path over and over, growing it from capacity 1 by single appends, then moving it away.
//
// usage: grow-loop-child.ts <file> --files N --records R
// Each round: create <file> (capacity 1), append R ticks one by one (log2 R growths),
// close, rename to <file>.old. Prints {"event":"done","files":N,"growths":..}.

import fs from 'node:fs';
import { TICK_KIND } from '../../src/format/index.js';
import { RtWriter } from '../../src/store/index.js';
import { TICK_TRADING_DATE, makeTick } from './ticks.js';

const file = process.argv[2]!;
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const files = arg('--files', 100);
const records = arg('--records', 2048);
const ticks = Array.from({ length: records }, (_, i) => makeTick(i, 7));
let growths = 0;
for (let f = 0; f < files; f++) {
  const w = RtWriter.open(file, { kind: TICK_KIND, date: TICK_TRADING_DATE, initialCapacity: 1 });
  let cap = w.capacity;
  for (const t of ticks) {
    w.append(t);
    if (w.capacity !== cap) {
      growths++;
      cap = w.capacity;
    }
  }
  w.close();
  fs.renameSync(file, `${file}.old`);
}
process.stdout.write(JSON.stringify({ event: 'done', files, growths }) + '\n');

// Child process: a reader of one live tick file while someone else damages it (scripts/soak/outside.ts): `follow` (follow()) or `random` (RtReader.get at random indexes).
//
// usage: damage-reader-child.ts FILE follow|random
// Sends {event:'reading', n} once it read records, {event:'error', code, message} when
// the reader stops with a TickrecError (then exits 3). Dying of SIGBUS is what it must
// not do (the FAULT GUARD, src/store/fault-guard.ts).

import { TickrecError } from '../../src/errors.js';
import { RtReader, follow } from '../../src/store/index.js';

const [file, mode] = process.argv.slice(2) as [string, string];
const send = (m: object) => process.send?.(m);
let n = 0;
let told = false;
const progress = () => {
  if (!told && n > 0) {
    told = true;
    send({ event: 'reading', n });
  }
};
const fail = (err: unknown) => {
  send({ event: 'error', code: err instanceof TickrecError ? err.code : 'EUNKNOWN', message: (err as Error).message });
  setTimeout(() => process.exit(3), 100);
};

if (mode === 'follow') {
  const f = follow(file, () => void n++, { mode: 'timer', intervalMs: 2, rollCheckMs: 20 });
  const t = setInterval(progress, 20);
  f.done.then(
    () => clearInterval(t),
    (err: unknown) => {
      clearInterval(t);
      fail(err);
    },
  );
} else {
  const r = RtReader.open(file);
  let sum = 0;
  const loop = () => {
    try {
      for (let k = 0; k < 1000; k++) {
        const len = r.length;
        if (len > 0) sum += Number(r.get(Math.floor(Math.random() * len)).price);
        n++;
      }
      progress();
      setImmediate(loop);
    } catch (err) {
      fail(err);
    }
  };
  loop();
  process.on('exit', () => void sum);
}

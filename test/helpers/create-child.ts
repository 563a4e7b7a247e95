// Child process: a WriterPool that creates COUNT live tick files (one record each) as fast as it can, says so, and waits to be killed (test/reliability/create-durability.test.ts).
//
// usage: create-child.ts ROOT COUNT
// Lines (JSON): {event:'created', n, inFlight} every 25 files and after the last one;
// {event:'durable'} once no background fsync of a new file is queued or running
// (CREATE DURABILITY, src/store/durable.ts). It never closes the pool: it is killed.

import { TICK_KIND } from '../../src/format/index.js';
import { WriterPool } from '../../src/store/index.js';

const [root, countArg] = process.argv.slice(2) as [string, string];
const count = Number(countArg);
const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');
const DATE = 20250102;

const pool = new WriterPool(root, {
  maxOpenFiles: 4096,
  initialCapacity: { tick: 64 },
  onDurabilityError: (err) => say({ event: 'error', message: err.message }),
});
for (let i = 0; i < count; i++) {
  const code = `X${String(i).padStart(4, '0')}`;
  pool.append(TICK_KIND, 'SHFE', code, DATE, {
    exchg: 'SHFE',
    code,
    price: 1000 + i,
    trading_date: DATE,
    action_date: DATE,
    action_time: 90000000,
    total_volume: i + 1,
  });
  if ((i + 1) % 25 === 0 || i + 1 === count) say({ event: 'created', n: i + 1, inFlight: pool.creationsInFlight });
}
const poll = setInterval(() => {
  if (pool.creationsInFlight === 0) {
    clearInterval(poll);
    say({ event: 'durable' });
  }
}, 1);
setInterval(() => undefined, 1 << 30); // wait for the kill

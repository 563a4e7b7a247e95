// Child process: a WriterPool that creates COUNT live tick files (one record each) as fast as it can, says so, and waits to be killed (test/reliability/create-durability.test.ts).
//
// usage: create-child.ts ROOT COUNT [flush|close]
// With `flush`: the files are made by writers sharing one CreateDurability, which is
// flushed right after the last one ({event:'flushed', how}: ONE SYNCFS or fsyncs).
// With `close`: the pool's closeAll() right after the last one, as a stop does
// ({event:'closed', ms}: ONE SYNCFS AT STOP with COUNT >= 64 open files).
// Lines (JSON): {event:'created', n, inFlight} every 25 files and after the last one;
// {event:'durable'} once no background fsync of a new file is queued or running
// (CREATE DURABILITY, src/store/durable.ts). It never closes the pool: it is killed.

import fs from 'node:fs';
import { TICK_KIND } from '../../src/format/index.js';
import { rtExchangeDir, rtFilePath } from '../../src/layout/index.js';
import { CreateDurability } from '../../src/store/durable.js';
import { RtWriter, WriterPool } from '../../src/store/index.js';

const [root, countArg, mode] = process.argv.slice(2) as [string, string, string | undefined];
const count = Number(countArg);
const say = (m: Record<string, unknown>) => process.stdout.write(JSON.stringify(m) + '\n');
const DATE = 20250102;

const tick = (i: number, code: string) => ({
  exchg: 'SHFE',
  code,
  price: 1000 + i,
  trading_date: DATE,
  action_date: DATE,
  action_time: 90000000,
  total_volume: i + 1,
});

if (mode === 'flush') {
  const durability = new CreateDurability((err) => say({ event: 'error', message: err.message }));
  fs.mkdirSync(rtExchangeDir(root, TICK_KIND, 'SHFE'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const code = `X${String(i).padStart(4, '0')}`;
    const w = RtWriter.open(rtFilePath(root, TICK_KIND, 'SHFE', code), { kind: TICK_KIND, date: DATE, initialCapacity: 64, durability });
    w.append(tick(i, code)); // in the mapping only: the flush must carry it too
  }
  say({ event: 'created', n: count, inFlight: durability.inFlight });
  say({ event: 'flushed', how: durability.flush() });
  setInterval(() => undefined, 1 << 30); // wait for the kill
} else {
  poolChild();
}

function poolChild(): void {
  const pool = new WriterPool(root, {
    maxOpenFiles: 4096,
    initialCapacity: { tick: 64 },
    onDurabilityError: (err) => say({ event: 'error', message: err.message }),
  });
  for (let i = 0; i < count; i++) {
    const code = `X${String(i).padStart(4, '0')}`;
    pool.append(TICK_KIND, 'SHFE', code, DATE, tick(i, code));
    if ((i + 1) % 25 === 0 || i + 1 === count) say({ event: 'created', n: i + 1, inFlight: pool.creationsInFlight });
  }
  if (mode === 'close') {
    const t0 = performance.now();
    pool.closeAll();
    say({ event: 'closed', ms: Math.round(performance.now() - t0) });
    setInterval(() => undefined, 1 << 30); // wait for the kill
    return;
  }
  const poll = setInterval(() => {
    if (pool.creationsInFlight === 0) {
      clearInterval(poll);
      say({ event: 'durable' });
    }
  }, 1);
  setInterval(() => undefined, 1 << 30); // wait for the kill
}

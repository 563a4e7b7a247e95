// The bus bench's recorder stand-in (its own process): appends ticks into a data root with
// the store's writer, each stamped with the instant it was published (epoch ms in
// open_interest), so a reader in another process measures publish → seen.
//
//   node --import tsx bus-writer.ts ROOT INSTRUMENTS burst COUNT       as fast as it can, then exits
//   node --import tsx bus-writer.ts ROOT INSTRUMENTS paced RATE SECONDS   RATE ticks/s for SECONDS

import { TICK_KIND } from '../../src/format/index.js';
import { WriterPool } from '../../src/store/index.js';

const [root, instrumentsText, mode, a, b] = process.argv.slice(2);
const instruments = Number(instrumentsText);
const pool = new WriterPool(root!, { maxOpenFiles: 4096, initialCapacity: { tick: 8192 } });
const DATE = 20250102;
let seq = 0;

function tick(k: number): void {
  const i = seq++;
  // one millisecond per round over the instruments; the paced run starts an hour later than the burst (time order)
  const ms = (mode === 'burst' ? 9 : 10) * 3600_000 + Math.floor(i / instruments);
  const time =
    Math.floor(ms / 3600_000) * 10_000_000 + (Math.floor(ms / 60_000) % 60) * 100_000 + (Math.floor(ms / 1000) % 60) * 1000 + (ms % 1000);
  const price = 3000 + (i % 97);
  pool.append(TICK_KIND, 'BENCH', `C${k}`, DATE, {
    exchg: 'BENCH',
    code: `C${k}`,
    price,
    total_volume: i,
    volume: 1,
    open_interest: performance.timeOrigin + performance.now(), // the stamp: published now
    trading_date: DATE,
    action_date: DATE,
    action_time: time,
    bid_prices: [price - 1],
    ask_prices: [price + 1],
    bid_qty: [1],
    ask_qty: [1],
  });
}

if (mode === 'burst') {
  const count = Number(a);
  for (let n = 0; n < count; n++) tick(n % instruments);
  pool.closeAll();
} else {
  const rate = Number(a);
  const until = Date.now() + Number(b) * 1000;
  const t0 = performance.now();
  let sent = 0;
  const step = () => {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (sent < due) tick(sent++ % instruments);
    if (Date.now() < until) setTimeout(step, 1);
    else pool.closeAll();
  };
  step();
}

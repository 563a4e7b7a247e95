// Child process: the built-in simulator on an ephemeral port, run apart from the orchestrator so that file checks there never stall the feed; talks by IPC.
//
// usage: sim-child.ts '<json SimChildSpec>'
// Sends {event:'listening', url}, {event:'started', now} when the first client subscribed
// (the simulated clock starts then), {event:'done', now, sent} when `count` ticks went out,
// and answers {cmd:'stats', id} with {event:'stats', id, now, stats}. {cmd:'close'} closes and exits.

import { startSimulator } from '../../src/sim/index.js';
import { cryptoUniverse } from './expect.js';
import type { SimChildSpec } from './lib.js';

const spec = JSON.parse(process.argv[2]!) as SimChildSpec;
const send = (m: object) => process.send?.(m);

const sim = await startSimulator({
  instruments: cryptoUniverse(spec.instruments),
  rate: spec.rate,
  seed: spec.seed,
  start: spec.startMs,
  speed: spec.speed,
  ...(spec.count !== undefined ? { count: spec.count } : {}),
  ...(spec.faults ? { faults: spec.faults } : {}),
  ...(spec.highWaterBytes !== undefined ? { highWaterBytes: spec.highWaterBytes } : {}),
  // a recorder paused by a test (or a kill -9 storm) must not be dropped as a slow client
  stallTimeoutMs: 3_600_000,
});
send({ event: 'listening', url: sim.url });

// The clock starts at the first subscribe: poll for it every millisecond (cheap, bounded to the start).
const poll = setInterval(() => {
  if (!sim.stats().started) return;
  clearInterval(poll);
  send({ event: 'started', now: Date.now() });
}, 1);

void sim.done.then(() => send({ event: 'done', now: Date.now(), sent: sim.stats().sent }));

process.on('message', (m: { cmd?: string; id?: number }) => {
  if (m.cmd === 'stats') send({ event: 'stats', id: m.id, now: Date.now(), stats: sim.stats() });
  else if (m.cmd === 'close') {
    clearInterval(poll);
    void sim.close().then(() => {
      send({ event: 'closed' });
      process.exit(0);
    });
  }
});
process.on('disconnect', () => process.exit(0));

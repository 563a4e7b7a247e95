// Child process: the extend-ahead helper thread dies while a job of a live writer is pending; the writer must grow (inline) and close.
//
// usage: extender-death-child.ts <file>
// Holds the helper busy, makes the writer ask for its next growth (the job stays
// pending), terminates the helper, then appends past the capacity (a growth) and closes.
// Prints {"event":"closed","size":N,"capacity":C}. Before the fix the growth threw
// ETIMEDOUT after 2 min and close() waited forever (the test kills it).

import { TICK_KIND } from '../../src/format/index.js';
import { RtWriter } from '../../src/store/index.js';
import { holdHelper } from '../../src/store/extender.js';
import { TICK_TRADING_DATE, makeTick } from './ticks.js';

const file = process.argv[2]!;
const w = RtWriter.open(file, { kind: TICK_KIND, date: TICK_TRADING_DATE, initialCapacity: 1024 });
const held = holdHelper();
if (!held) throw new Error('no extend-ahead helper (the fs addon lacks KEEP_SIZE): nothing to test');
for (let i = 0; i < 600; i++) w.append(makeTick(i, 3)); // past half: the job is posted, pending behind the hold
await held.helper.terminate(); // the helper dies mid-job
for (let i = 600; i < 1500; i++) w.append(makeTick(i, 3)); // a growth over the abandoned range
const capacity = w.capacity;
w.close();
console.log(JSON.stringify({ event: 'closed', size: w.size, capacity }));

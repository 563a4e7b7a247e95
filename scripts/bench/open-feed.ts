// The feed of the `open` bench (a child process, so that sending never delays the bench's
// sampler): a websocket server speaking the tickrec protocol. On the recorder's subscribe
// it sends, for each phase, the first tick of every one of N instruments spread over one
// second (the session open), then one tick per instrument every 100 ms (10 ticks/s each)
// for `flow` seconds; phases are `gap` seconds apart. Each tick's action time is the
// instant it is sent (UTC: BINANCE's session), so lag = publish - action time.
// With --go-file PATH the first phase waits until PATH exists (the bench makes it once the
// recorder has prepared its files).
// Prints JSON lines: {"event":"listening","port"}, {"event":"phase","phase","startMs"}, {"event":"done"}.

import fs from 'node:fs';
import { WebSocketServer } from 'ws';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('instruments', 5000);
const PHASES = arg('phases', 2);
const FLOW_S = arg('flow', 10);
const GAP_S = arg('gap', 3);
const SLOT_MS = 10;
const GO_FILE = process.argv.includes('--go-file') ? process.argv[process.argv.indexOf('--go-file') + 1] : undefined;

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
export const code = (k: number) => `B${String(k).padStart(5, '0')}`;

function stamp(ms: number): { action_date: number; action_time: number } {
  const d = new Date(ms);
  return {
    action_date: d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate(),
    action_time: d.getUTCHours() * 10_000_000 + d.getUTCMinutes() * 100_000 + d.getUTCSeconds() * 1000 + d.getUTCMilliseconds(),
  };
}

const seq = new Uint32Array(N);
function frame(from: number, to: number): string {
  const now = Date.now();
  const { action_date, action_time } = stamp(now);
  const parts: string[] = [];
  for (let k = from; k < to; k++) {
    const s = ++seq[k]!;
    parts.push(
      `{"type":"tick","exchg":"BINANCE","code":"${code(k)}","price":${100 + (s % 50) / 10},"action_date":${action_date},"action_time":${action_time},"total_volume":${s}}`,
    );
  }
  return `[${parts.join(',')}]`;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sends ticks of instruments [0, N) spread evenly over `spanMs`, SLOT_MS at a time. */
async function sweep(send: (s: string) => void, spanMs: number): Promise<void> {
  const slots = spanMs / SLOT_MS;
  const t0 = Date.now();
  for (let i = 0; i < slots; i++) {
    const from = Math.floor((N * i) / slots);
    const to = Math.floor((N * (i + 1)) / slots);
    if (to > from) send(frame(from, to));
    const wait = t0 + (i + 1) * SLOT_MS - Date.now();
    if (wait > 0) await sleep(wait);
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => say({ event: 'listening', port: (wss.address() as { port: number }).port }));
wss.on('connection', (ws) => {
  ws.once('message', () => {
    void (async () => {
      const send = (s: string) => ws.send(s);
      while (GO_FILE !== undefined && !fs.existsSync(GO_FILE)) await sleep(10);
      for (let p = 0; p < PHASES; p++) {
        if (p > 0) await sleep(GAP_S * 1000);
        say({ event: 'phase', phase: p, startMs: Date.now() });
        await sweep(send, 1000); // the open: every instrument's first tick within one second
        for (let s = 0; s < FLOW_S * 10; s++) await sweep(send, 100); // then 10 ticks/s each
      }
      say({ event: 'done' });
    })();
  });
});

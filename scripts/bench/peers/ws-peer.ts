// Shared by the recorder bench's peer recorders: argv, a websocket client that subscribes like tickrec, and the progress lines the bench reads.
//
// A peer is a real recorder process of the same shape as tickrec's: one websocket
// connection to the simulator, `{"type":"subscribe","instruments":["*"]}` (what tickrec
// sends for subscribe ["*"]), JSON.parse of every frame, then its own store per frame.
// On stdout, one line per event, for the bench (scripts/bench/recorder.ts):
//   first <count> <monotonic ns>         the first frame is stored (acknowledged / committed)
//   done <count> <monotonic ns> <why>    `--expect` ticks stored (why = expected), or nothing
//                                        new for 1 s after the last store (why = idle)
// and on stderr a human line with its own count and timing. It stops on SIGTERM.

import WebSocket, { type RawData } from 'ws';

/** A tick as the tickrec protocol sends it (the parsed JSON object). */
export type WireTick = Record<string, unknown> & { exchg: string; code: string; action_date: number; action_time: number };

export interface PeerStore {
  /** Stores one frame's ticks: synchronously, or when the returned promise resolves. */
  frame(ticks: WireTick[]): void | Promise<void>;
  close(): Promise<void> | void;
}

/** `--name value` pairs. */
export function peerArgs(): Map<string, string> {
  const a = process.argv.slice(2);
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < a.length; i += 2) m.set(a[i]!.replace(/^--/, ''), a[i + 1]!);
  return m;
}

export function required(args: Map<string, string>, name: string): string {
  const v = args.get(name);
  if (v === undefined) {
    process.stderr.write(`missing --${name}\n`);
    process.exit(2);
  }
  return v;
}

const IDLE_DONE_NS = 1_000_000_000n;

/**
 * Connects, subscribes to everything and stores every frame. An async store may have
 * up to `maxInFlight` frames outstanding; beyond that the socket is paused (TCP
 * backpressure reaches the simulator, as it does for tickrec's synchronous path).
 */
export function runPeer(name: string, url: string, expect: number, store: PeerStore, maxInFlight = 16): void {
  let count = 0;
  let firstNs = 0n;
  let lastNs = 0n;
  let done = false;
  let inFlight = 0;
  let paused = false;
  let failed = false;

  const report = (why: string) => {
    done = true;
    process.stdout.write(`done ${count} ${lastNs} ${why}\n`);
    const s = Number(lastNs - firstNs) / 1e9;
    const cpu = process.cpuUsage();
    process.stderr.write(
      `${name}: ${count} ticks stored in ${s.toFixed(3)} s from first to last store = ${Math.round(count / s)} ticks/s (own clock); ` +
        `process CPU so far ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s\n`,
    );
  };

  const stored = (n: number) => {
    count += n;
    lastNs = process.hrtime.bigint();
    if (firstNs === 0n) {
      firstNs = lastNs;
      process.stdout.write(`first ${count} ${firstNs}\n`);
    }
    if (!done && count >= expect) report('expected');
  };

  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    process.stderr.write(`${name}: store failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  };

  const ws = new WebSocket(url, { maxPayload: 4 * 1024 * 1024 });
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', instruments: ['*'] })));
  ws.on('error', (err) => fail(err));
  ws.on('message', (data: RawData) => {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) return; // {"type":"heartbeat"}
    const ticks: WireTick[] = [];
    for (const m of v as Record<string, unknown>[]) if (m.type === 'tick') ticks.push(m as WireTick);
    if (ticks.length === 0) return;
    let r: void | Promise<void>;
    try {
      r = store.frame(ticks);
    } catch (err) {
      return fail(err);
    }
    if (!(r instanceof Promise)) return stored(ticks.length);
    inFlight++;
    if (inFlight >= maxInFlight && !paused) {
      paused = true;
      ws.pause();
    }
    r.then(() => {
      inFlight--;
      stored(ticks.length);
      if (paused && inFlight <= maxInFlight >> 1) {
        paused = false;
        ws.resume();
      }
    }, fail);
  });

  setInterval(() => {
    if (!done && count > 0 && process.hrtime.bigint() - lastNs > IDLE_DONE_NS) report('idle');
  }, 250);

  process.once('SIGTERM', () => {
    ws.terminate();
    Promise.resolve(store.close()).then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`${name}: close failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  });
}

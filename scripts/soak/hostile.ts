// Hostile feed, run long: a websocket server sends the recorder a seeded stream of valid ticks mixed with hostile messages (duplicates, out-of-order ticks, path-like and control-character names, NaN/Infinity/DBL_MAX prices, wrong types, malformed JSON, binary frames, arrays over the element limit, frames over max_payload_bytes that close the connection); the recorder must stay up and store exactly the valid ticks, create nothing outside its root and keep every file valid.
//
// A smaller sibling of test/e2e/fuzz-live.test.ts (whose model counts every rejection
// reason): this one is built to run 100,000 messages and more through one recorder.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { inspectFile } from '../../src/cli/inspect.js';
import { TICK_KIND } from '../../src/format/index.js';
import { RtReader } from '../../src/store/index.js';
import { getHealth, listFiles, recorderConfig, startRecorder, waitFor, waitHealth, writeConfig } from './lib.js';

export interface HostileOptions {
  dir: string;
  /** Messages to send (array elements count one each). */
  messages: number;
  seed: number;
  log?: (line: string) => void;
}

export interface HostileReport {
  messages: number;
  frames: number;
  validTicks: number;
  hostile: number;
  connectionKillers: number;
  received: number;
  written: number;
  rejected: Record<string, number>;
  reconnects: number;
  seconds: number;
  lines: string[];
  problems: string[];
}

const DATE = 20250106;
const MAX_PAYLOAD = 1 << 20;
const DBL_MAX = 1.7976931348623157e308;

/** Instruments of the valid ticks: ordinary names and the oddest and longest legal ones. */
const INSTS = [
  { exchg: 'SHFE', code: 'rb2505' },
  { exchg: 'DCE', code: 'm2505' },
  { exchg: 'BINANCE', code: 'BTCUSDT' },
  { exchg: 'X-1.b_c', code: 'Z9.a-b_c' },
  { exchg: 'E'.repeat(15), code: 'c'.repeat(31) },
] as const;

const HOSTILE_NAMES = [
  '../../x',
  '..',
  '.',
  'a/b',
  '/etc/passwd',
  '../../../../../../../../tmp/x',
  'x/../../y',
  '..\\..\\x',
  'x\u0000y',
  '\u0000',
  'ру2505',
  '铜2505',
  '😀',
  '\u202ex',
  'x y',
  ' x',
  '-x',
  '_x',
  '.x',
  '',
  'x\\y',
  'C:\\x',
  'x\n{"level":60,"msg":"forged"}',
  '%2e%2e',
  'x:y',
  'x*',
  'c'.repeat(32),
  'E'.repeat(300),
];
const BAD_PRICES = [DBL_MAX, -DBL_MAX, 1e300, -1e300, '@@INF@@', '@@-INF@@', '3500', null, [3500], { v: 1 }, true];
/** A field set to a value the rules reject (docs/protocol.md); undefined: the field removed. Values a rule repairs (N3, N5, N8) are not here. */
const MUTATIONS: [string, unknown][] = [
  ['price', undefined],
  ['exchg', 5],
  ['exchg', null],
  ['code', ['x']],
  ['code', undefined],
  ['type', 7],
  ['type', 'tock'],
  ['type', 'TICK'],
  ['type', null],
  ['action_date', 19891231],
  ['action_date', 21000101],
  ['action_date', 20251301],
  ['action_date', 20250230],
  ['action_date', 20250106.5],
  ['action_date', '20250106'],
  ['action_date', undefined],
  ['action_time', 240000000],
  ['action_time', 96000000],
  ['action_time', 90060000],
  ['action_time', -1],
  ['action_time', true],
  ['bid_prices', Array.from({ length: 11 }, (_, j) => 100 - j)],
  ['bid_prices', [1, '2']],
  ['ask_qty', 'x'],
  ['open', '1'],
  ['volume', true],
];
const RAW_GARBAGE = [
  'NaN',
  '[NaN]',
  'Infinity',
  '{',
  '[',
  '[{"type":"tick"',
  '{"type":"tick",}',
  "{'type':'tick'}",
  '[]',
  '',
  'null',
  '"tick"',
  '\u0000',
  '{"type":"tick"}',
  '[{"type":"heartbeat"},7,"x",null,[],{}]',
  '{"__proto__":{"type":"tick"}}',
];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const msToTime = (ms: number) =>
  Math.floor(ms / 3_600_000) * 10_000_000 + (Math.floor(ms / 60_000) % 60) * 100_000 + (Math.floor(ms / 1000) % 60) * 1000 + (ms % 1000);

export interface Frame {
  data: string | Buffer;
  binary: boolean;
  /** Closes the connection (over max_payload_bytes, invalid UTF-8): not counted as a received message. */
  killer: boolean;
}

/** The stream and what it must leave: the valid ticks of each instrument, in order. */
class Stream {
  readonly frames: Frame[] = [];
  readonly valid = INSTS.map(() => [] as { price: number; tv: number; time: number }[]);
  readonly hostilePaths = new Set<string>();
  messages = 0;
  hostile = 0;
  private readonly st = INSTS.map(() => ({ ms: 0, tv: 0, last: undefined as Record<string, unknown> | undefined, lastText: '' }));

  constructor(
    private readonly r: () => number,
    private readonly root: string,
  ) {}

  private pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.r() * a.length)]!;
  }

  private text(o: unknown): string {
    return JSON.stringify(o).split('"@@INF@@"').join('1e400').split('"@@-INF@@"').join('-1e400');
  }

  private tick(i: number, ms: number, tv: number, price: number): Record<string, unknown> {
    const { exchg, code } = INSTS[i]!;
    return {
      type: 'tick',
      exchg,
      code,
      price,
      open: price,
      high: price + 1,
      low: price - 1,
      settle_price: 0,
      upper_limit: price * 2,
      lower_limit: price / 2,
      total_volume: tv,
      volume: 1,
      open_interest: 1000,
      pre_close: price,
      pre_settle: price,
      pre_interest: 1000,
      trading_date: DATE,
      action_date: DATE,
      action_time: msToTime(9 * 3_600_000 + ms),
      bid_prices: [price - 0.25, price - 0.5],
      ask_prices: [price + 0.25, price + 0.5],
      bid_qty: [1 + (tv % 50), 2],
      ask_qty: [2 + (tv % 30), 3],
    };
  }

  /** One message: the text of an array element (valid JSON), or of a whole frame (anything). */
  unit(inArray: boolean): string {
    this.messages++;
    const i = Math.floor(this.r() * INSTS.length);
    const s = this.st[i]!;
    const k = this.r();
    if (k < 0.45 || !s.last) {
      s.ms += 1 + Math.floor(this.r() * 400);
      s.tv += 1 + Math.floor(this.r() * 20);
      const price = (4000 + Math.floor(this.r() * 4000)) / 4;
      const o = this.tick(i, s.ms, s.tv, price);
      s.last = o;
      s.lastText = this.text(o);
      this.valid[i]!.push({ price, tv: s.tv, time: o.action_time as number });
      return s.lastText;
    }
    this.hostile++;
    if (k < 0.52) return s.lastText; // resent: duplicate
    if (k < 0.58)
      return this.text({
        ...s.last,
        total_volume: s.tv + 1,
        action_time: msToTime(9 * 3_600_000 + Math.max(0, s.ms - 1 - Math.floor(this.r() * 1000))),
      }); // out of order
    if (k < 0.7) {
      const o = this.tick(i, s.ms + 1, s.tv + 1, 1000);
      const bad = this.pick(HOSTILE_NAMES);
      if (this.r() < 0.5) o.exchg = bad;
      else o.code = bad;
      this.hostilePaths.add(path.resolve(this.root, 'rt', 'ticks', String(o.exchg), `${String(o.code)}.dmb`));
      return this.text(o);
    }
    if (k < 0.8) {
      const o = this.tick(i, s.ms + 1, s.tv + 1, 1000);
      o.price = this.pick(BAD_PRICES);
      return this.text(o);
    }
    if (k < 0.88) {
      const o = this.tick(i, s.ms + 1, s.tv + 1, 1000);
      const [f, v] = this.pick(MUTATIONS);
      if (v === undefined) delete o[f];
      else o[f] = v;
      return this.text(o);
    }
    // raw garbage would break a whole array frame (and the valid ticks in it): elements stay JSON
    return inArray
      ? this.pick(['7', '"x"', 'null', '[]', '{}', '{"type":"tock"}', '{"type":7}', '{"type":"tick"}'])
      : this.pick(RAW_GARBAGE);
  }

  build(target: number): void {
    while (this.messages < target) {
      const k = this.r();
      if (k < 0.02 && this.frames.length > 10) {
        // a frame over max_payload_bytes: the recorder closes the connection (and reconnects)
        this.messages++;
        this.hostile++;
        const head = `[${this.text(this.tick(0, 1, 1, 1000))}]`;
        this.frames.push({ data: head + ' '.repeat(MAX_PAYLOAD + 100 - head.length), binary: false, killer: true });
      } else if (k < 0.04) {
        this.messages++;
        this.hostile++;
        this.frames.push({
          data: Buffer.from([0xff, ...Array.from({ length: 32 }, () => Math.floor(this.r() * 256))]),
          binary: true,
          killer: false,
        });
      } else if (k < 0.045) {
        // more elements than a frame may hold: rejected whole
        this.messages++;
        this.hostile++;
        this.frames.push({
          data: `[${Array.from({ length: 10_050 }, () => '{"type":"heartbeat"}').join(',')}]`,
          binary: false,
          killer: false,
        });
      } else if (k < 0.3) {
        this.frames.push({ data: this.unit(false), binary: false, killer: false });
      } else {
        const n = 1 + Math.floor(this.r() * 50);
        const parts: string[] = [];
        for (let j = 0; j < n; j++) parts.push(this.unit(true));
        this.frames.push({ data: `[${parts.join(',')}]`, binary: false, killer: false });
      }
    }
  }
}

/**
 * Sends the frames in order, continuing on the next connection after each frame that
 * closes one. Before such a frame it waits until the recorder has received every frame
 * sent so far (its /health feed message count, at healthUrl), so that the frames before
 * it are known to be processed, not cut off with the connection. Used by the soak's
 * hostile scenario and by test/e2e/fuzz-live.test.ts.
 */
export class HostileServer {
  next = 0;
  counted = 0;
  connections = 0;
  done = false;
  healthUrl = '';

  private constructor(
    readonly wss: WebSocketServer,
    private readonly frames: readonly Frame[],
  ) {
    wss.on('connection', (ws) => {
      this.connections++;
      ws.on('error', () => undefined);
      ws.once('message', () => void this.run(ws));
    });
  }

  static async start(frames: readonly Frame[]): Promise<HostileServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 20 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    return new HostileServer(wss, frames);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as { port: number }).port}`;
  }

  private async run(ws: WebSocket): Promise<void> {
    const send = (f: Frame) =>
      new Promise<void>((resolve, reject) => ws.send(f.data, { binary: f.binary }, (err) => (err ? reject(err) : resolve())));
    try {
      while (this.next < this.frames.length && ws.readyState === ws.OPEN) {
        const f = this.frames[this.next]!;
        if (f.killer) {
          // the frames before it must be processed, not cut off with the connection
          const want = this.counted;
          await waitFor(
            async () => (await getHealth(this.healthUrl)).stats.feeds[0]!.messages >= want,
            `the recorder received ${want} frames`,
            { intervalMs: 10, timeoutMs: 60_000 },
          );
          const closed = new Promise<void>((r) => ws.once('close', () => r()));
          this.next++;
          ws.send(f.data, { binary: f.binary }, () => undefined);
          await closed;
          return;
        }
        await send(f);
        this.next++;
        this.counted++;
      }
      if (this.next >= this.frames.length) this.done = true;
    } catch {
      // the connection broke; the recorder reconnects and we go on at `next`
    }
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

export async function runHostile(o: HostileOptions): Promise<HostileReport> {
  const log = o.log ?? (() => undefined);
  const problems: string[] = [];
  const root = path.join(o.dir, 'nest', 'data');
  const tmpBefore = new Set(fs.readdirSync(os.tmpdir()));
  const stream = new Stream(rng(o.seed ^ 0x4057), root);
  stream.build(o.messages);
  const killers = stream.frames.filter((f) => f.killer).length;
  const validTicks = stream.valid.reduce((a, v) => a + v.length, 0);
  log(
    `hostile: ${stream.messages} messages in ${stream.frames.length} frames: ${validTicks} valid ticks, ${stream.hostile} hostile, ${killers} frames over max_payload_bytes`,
  );
  const server = await HostileServer.start(stream.frames);
  const cfg = writeConfig(
    o.dir,
    recorderConfig({
      root,
      url: server.url,
      storage: { roll_by_clock: false }, // the stream's day is in the past: only the data rolls it
      log: { reject_log_interval_ms: 5000 },
      feed: { name: 'hostile', max_payload_bytes: MAX_PAYLOAD, reconnect_min_ms: 5, reconnect_max_ms: 50 },
    }),
  );
  const t0 = Date.now();
  const rec = startRecorder(cfg);
  try {
    server.healthUrl = await rec.ready();
    const counted = stream.frames.length - killers;
    const s = await waitHealth(
      server.healthUrl,
      (x) => server.done && x.feeds[0]!.messages >= counted,
      'every frame sent and received',
      60_000 + o.messages * 2,
    );
    const seconds = (Date.now() - t0) / 1000;
    const h = await getHealth(server.healthUrl);
    if (rec.exited) problems.push(`the recorder died: ${JSON.stringify(rec.exited)}\n${rec.tail()}`);
    if (h.status !== 'ok') problems.push(`health ${h.status}: ${h.problems.join('; ')}`);
    if (s.writeErrors !== 0) problems.push(`${s.writeErrors} write errors`);
    if (s.ticksWritten !== validTicks)
      problems.push(`${s.ticksWritten} ticks written, ${validTicks} valid ticks sent (rejected ${JSON.stringify(s.rejected)})`);
    if (s.feeds[0]!.reconnects < killers) problems.push(`${s.feeds[0]!.reconnects} reconnects for ${killers} connection-closing frames`);
    if (rec.logs.some((l) => l.msg === 'forged' || l.level === 60)) problems.push('a forged log line got through');
    const e = await rec.stop();
    if (e.code !== 0) problems.push(`the recorder exited ${JSON.stringify(e)} on SIGTERM`);

    // the files: exactly the valid ticks of each instrument, in order
    INSTS.forEach((inst, i) => {
      const want = stream.valid[i]!;
      const f = path.join(root, 'rt', 'ticks', inst.exchg, `${inst.code}.dmb`);
      if (want.length === 0) return;
      const r = RtReader.open(f, { kind: TICK_KIND });
      try {
        if (r.length !== want.length) problems.push(`${f}: ${r.length} records, ${want.length} valid ticks sent`);
        for (let j = 0; j < Math.min(r.length, want.length); j++) {
          const v = r.at(j);
          const w = want[j]!;
          if (v.price !== w.price || v.total_volume !== w.tv || v.action_time !== w.time) {
            problems.push(
              `${f} record ${j}: price ${String(v.price)} tv ${String(v.total_volume)} time ${String(v.action_time)}, sent ${w.price} ${w.tv} ${w.time}`,
            );
            break;
          }
        }
      } finally {
        r.close();
      }
    });
    for (const f of listFiles(root).filter((p) => p.endsWith('.dmb'))) for (const p of inspectFile(f).problems) problems.push(`${f}: ${p}`);
    // nothing outside the root, nothing a hostile name named
    const plain = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
    for (const f of listFiles(o.dir)) {
      const rel = path.relative(root, f);
      if (f === cfg) continue;
      if (rel.startsWith('..')) problems.push(`a file outside the root: ${f}`);
      else if (!rel.split(path.sep).every((c) => plain.test(c))) problems.push(`a file with a name tickrec would not write: ${f}`);
    }
    for (const p of stream.hostilePaths) if (fs.existsSync(p)) problems.push(`a hostile name made ${p}`);
    const newInTmp = fs.readdirSync(os.tmpdir()).filter((n) => !tmpBefore.has(n) && /(^x$|passwd|\.dmb$|^\.\.|^y$)/.test(n));
    if (newInTmp.length > 0) problems.push(`new in ${os.tmpdir()}: ${newInTmp.join(', ')}`);

    const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
    const lines = [
      `${stream.messages} messages (${stream.frames.length} frames) through one recorder in ${seconds.toFixed(1)} s: ${validTicks} valid ticks, ${stream.hostile} hostile, ${killers} frames over max_payload_bytes (each closes the connection)`,
      `written ${s.ticksWritten} = valid ${validTicks}; rejected ${rejected} by reason ${JSON.stringify(s.rejected)}; reconnects ${s.feeds[0]!.reconnects}; write errors ${s.writeErrors}`,
      `recorder up throughout, SIGTERM exit ${JSON.stringify(e)}; every file valid; nothing outside the root (${stream.hostilePaths.size} hostile paths checked)`,
    ];
    return {
      messages: stream.messages,
      frames: stream.frames.length,
      validTicks,
      hostile: stream.hostile,
      connectionKillers: killers,
      received: s.ticksReceived,
      written: s.ticksWritten,
      rejected: s.rejected,
      reconnects: s.feeds[0]!.reconnects,
      seconds,
      lines,
      problems,
    };
  } finally {
    await server.close();
  }
}

// Hostile feed, run long: a websocket server sends the recorder the seeded stream of scripts/soak/hostile-stream.ts (valid ticks and trades mixed with duplicates, out-of-order ticks, path-like and control-character names, NaN/Infinity/DBL_MAX values, wrong types, malformed JSON, binary frames, arrays over the element limit, frames that close the connection); the recorder must stay up, reject exactly what the model rejects (by reason), store exactly the valid records, create nothing outside its root and keep every file valid.
//
// The stream is the one test/e2e/fuzz-live.test.ts sends (same generator and model), in a
// size of the caller's choosing: this one is built to run 100,000 messages and more
// through one recorder.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { inspectFile } from '../../src/cli/inspect.js';
import { TICK_KIND, TRADE_KIND, type RecordKind } from '../../src/format/index.js';
import { RtReader } from '../../src/store/index.js';
import { INSTS, hostileStream, type Frame, type Model } from './hostile-stream.js';
import { getHealth, listFiles, recorderConfig, startRecorder, waitFor, waitHealth, writeConfig } from './lib.js';

export interface HostileOptions {
  dir: string;
  /** About this many messages to send (array elements count one each). */
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

const MAX_PAYLOAD = 1 << 20;
/** Messages per frame of the stream, on average (a fifth single, three fifths arrays of 1 to 50, a few arrays of 1,000 to 2,000). */
const MESSAGES_PER_FRAME = 15;
const MAX_MESSAGES = 1_000_000;

/** The stream for about `messages` messages: the special frames in proportion (1% of the frames close the connection). */
function streamOf(o: HostileOptions, root: string): Model {
  // the valid records' times advance up to 1 s (ticks) and 2 s (trades) each from 09:00: more would run past the day
  if (!(o.messages >= 1 && o.messages <= MAX_MESSAGES)) throw new Error(`hostile: --messages ${o.messages}: from 1 to ${MAX_MESSAGES}`);
  const frames = Math.max(20, Math.ceil(o.messages / MESSAGES_PER_FRAME));
  const killers = Math.max(1, Math.round(frames / 200));
  const specials = {
    big: Math.max(1, Math.floor(frames / 600)),
    tooMany: Math.max(1, Math.round(frames / 300)),
    oversized: killers,
    badUtf8: killers,
  };
  return hostileStream({ seed: o.seed ^ 0x4057, frames, specials, root, maxPayloadBytes: MAX_PAYLOAD });
}

/** The stored records of a file against the valid ones sent (price, total_volume / volume, time), as problems. */
function compareRecords(
  file: string,
  kind: RecordKind,
  want: readonly Record<string, unknown>[],
  keys: readonly string[],
  problems: string[],
): void {
  if (want.length === 0) return;
  let r: RtReader;
  try {
    r = RtReader.open(file, { kind });
  } catch (err) {
    problems.push(`${file}: ${want.length} valid records sent, the file cannot be read (${(err as Error).message})`);
    return;
  }
  try {
    if (r.length !== want.length) problems.push(`${file}: ${r.length} records, ${want.length} valid ones sent`);
    for (let j = 0; j < Math.min(r.length, want.length); j++) {
      const v = r.at(j) as unknown as Record<string, unknown>;
      const bad = keys.find((k) => v[k] !== want[j]![k]);
      if (bad !== undefined) {
        problems.push(
          `${file} record ${j}: ${keys.map((k) => `${k} ${String(v[k])}`).join(' ')}, sent ${keys.map((k) => String(want[j]![k])).join(' ')}`,
        );
        break;
      }
    }
  } finally {
    r.close();
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

const sorted = (o: Record<string, number>) => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));

export async function runHostile(o: HostileOptions): Promise<HostileReport> {
  const log = o.log ?? (() => undefined);
  const problems: string[] = [];
  const root = path.join(o.dir, 'nest', 'data');
  const tmpBefore = new Set(fs.readdirSync(os.tmpdir()));
  const model = streamOf(o, root);
  const killers = model.frames.filter((f) => f.killer).length;
  const validTrades = model.trade.rows.length;
  const messages = model.hostileUnits + model.validTicks + validTrades;
  log(
    `hostile: ${messages} messages in ${model.frames.length} frames: ${model.validTicks} valid ticks, ${validTrades} valid trades, ${model.hostileUnits} hostile, ${killers} frames that close the connection`,
  );
  const server = await HostileServer.start(model.frames);
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
    const counted = model.frames.length - killers;
    const s = await waitHealth(
      server.healthUrl,
      (x) => server.done && x.feeds[0]!.messages >= counted,
      'every frame sent and received',
      60_000 + messages * 2,
    );
    const seconds = (Date.now() - t0) / 1000;
    const h = await getHealth(server.healthUrl);
    if (rec.exited) problems.push(`the recorder died: ${JSON.stringify(rec.exited)}\n${rec.tail()}`);
    if (h.status !== 'ok') problems.push(`health ${h.status}: ${h.problems.join('; ')}`);
    if (s.writeErrors !== 0) problems.push(`${s.writeErrors} write errors`);
    if (s.ticksWritten !== model.validTicks || s.tradesWritten !== validTrades)
      problems.push(
        `${s.ticksWritten} ticks and ${s.tradesWritten} trades written, ${model.validTicks} and ${validTrades} valid ones sent`,
      );
    if (s.ticksReceived !== model.ticksReceived || s.tradesReceived !== model.tradesReceived)
      problems.push(
        `${s.ticksReceived} ticks and ${s.tradesReceived} trades received, the model says ${model.ticksReceived} and ${model.tradesReceived}`,
      );
    if (sorted(s.rejected) !== sorted(model.rejects))
      problems.push(`rejected ${sorted(s.rejected)}, the model says ${sorted(model.rejects)}`);
    if (s.feeds[0]!.reconnects < killers) problems.push(`${s.feeds[0]!.reconnects} reconnects for ${killers} connection-closing frames`);
    if (rec.logs.some((l) => l.msg === 'forged' || l.level === 60)) problems.push('a forged log line got through');
    const e = await rec.stop();
    if (e.code !== 0) problems.push(`the recorder exited ${JSON.stringify(e)} on SIGTERM`);

    // the files: exactly the valid records of each instrument, in order
    INSTS.forEach((inst, i) =>
      compareRecords(
        path.join(root, 'rt', 'ticks', inst.exchg, `${inst.code}.dmb`),
        TICK_KIND,
        model.st[i]!.rows,
        ['price', 'total_volume', 'action_time'],
        problems,
      ),
    );
    compareRecords(
      path.join(root, 'rt', 'trans', INSTS[0].exchg, `${INSTS[0].code}.dmb`),
      TRADE_KIND,
      model.trade.rows,
      ['price', 'volume', 'action_time'],
      problems,
    );
    for (const f of listFiles(root).filter((p) => p.endsWith('.dmb'))) for (const p of inspectFile(f).problems) problems.push(`${f}: ${p}`);
    // nothing outside the root, nothing a hostile name named
    const plain = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
    for (const f of listFiles(o.dir)) {
      const rel = path.relative(root, f);
      if (f === cfg) continue;
      if (rel.startsWith('..')) problems.push(`a file outside the root: ${f}`);
      else if (!rel.split(path.sep).every((c) => plain.test(c))) problems.push(`a file with a name tickrec would not write: ${f}`);
    }
    for (const p of model.hostilePaths) if (fs.existsSync(p)) problems.push(`a hostile name made ${p}`);
    const newInTmp = fs.readdirSync(os.tmpdir()).filter((n) => !tmpBefore.has(n) && /(^x$|passwd|\.dmb$|^\.\.|^y$)/.test(n));
    if (newInTmp.length > 0) problems.push(`new in ${os.tmpdir()}: ${newInTmp.join(', ')}`);

    const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
    const lines = [
      `${messages} messages (${model.frames.length} frames) through one recorder in ${seconds.toFixed(1)} s: ${model.validTicks} valid ticks, ${validTrades} valid trades, ${model.hostileUnits} hostile, ${killers} frames that close the connection`,
      `written ${s.ticksWritten} ticks + ${s.tradesWritten} trades = the valid ones; rejected ${rejected} by reason ${sorted(s.rejected)} (as the model says: ${sorted(s.rejected) === sorted(model.rejects) ? 'yes' : 'NO'}); reconnects ${s.feeds[0]!.reconnects}; write errors ${s.writeErrors}`,
      `recorder up throughout, SIGTERM exit ${JSON.stringify(e)}; every file valid; nothing outside the root (${model.hostilePaths.size} hostile paths checked)`,
    ];
    return {
      messages,
      frames: model.frames.length,
      validTicks: model.validTicks,
      hostile: model.hostileUnits,
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

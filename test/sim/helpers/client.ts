// A test websocket client for the simulator: subscribes, keeps raw frames and parsed ticks, trades and heartbeats, and waits on conditions.

import WebSocket from 'ws';
import type { SimTick, SimTrade } from '../../../src/sim/index.js';

export type Frame = { raw: string; parsed: unknown; ok: boolean };

export class SimClient {
  readonly frames: Frame[] = [];
  /** Tick objects in arrival order, without their "type" field. */
  readonly ticks: SimTick[] = [];
  readonly trades: SimTrade[] = [];
  /** Elements in arrival order: 'tick' | 'trade' | other type names. */
  readonly kinds: string[] = [];
  heartbeats = 0;
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const raw = data.toString();
      let parsed: unknown;
      let ok = true;
      try {
        parsed = JSON.parse(raw);
      } catch {
        ok = false;
      }
      this.frames.push({ raw, parsed, ok });
      if (ok) {
        const items = Array.isArray(parsed) ? parsed : [parsed];
        for (const item of items as { type?: string }[]) {
          this.kinds.push(String(item?.type));
          if (item?.type === 'heartbeat') this.heartbeats++;
          else if (item?.type === 'tick') {
            const { type: _t, ...tick } = item as SimTick & { type: string };
            this.ticks.push(tick);
          } else if (item?.type === 'trade') {
            const { type: _t, ...trade } = item as SimTrade & { type: string };
            this.trades.push(trade);
          }
        }
      }
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
    ws.on('error', () => {});
  }

  static async connect(url: string): Promise<SimClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SimClient(ws);
  }

  subscribe(instruments: string[]): void {
    this.ws.send(JSON.stringify({ type: 'subscribe', instruments }));
  }

  /** Data frames (JSON arrays) received. */
  dataFrames(): Frame[] {
    return this.frames.filter((f) => !f.ok || Array.isArray(f.parsed));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when cond() holds (checked after every frame); a hang guard, not a timing assertion. */
  async waitFor(cond: () => boolean, what: string, guardMs = 15_000): Promise<void> {
    const deadline = Date.now() + guardMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (this.closeCode === undefined) {
      this.ws.close();
      await this.closed;
    }
  }
}

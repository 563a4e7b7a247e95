// One batch frame of the simulator's ticks and trades, '[e1,e2,...]', reused from batch to batch, from which a client of a few instruments gets a frame cut.

import { JsonBytes } from './bytes.js';
import type { SimTick } from './generator.js';

/**
 * One batch frame '[e1,e2,...]' of ticks and trades, reused from batch to batch, with
 * each element's byte range, instrument id and tick, so that a client of a few
 * instruments gets a frame cut from it.
 */
export class Batch {
  readonly out: JsonBytes;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly ids: string[] = [];
  private readonly ticks: SimTick[] = [];
  /** The regressed copies of this batch's ticks to send after it (fault injection). */
  readonly regress: { id: string; frame: string }[] = [];

  constructor(capacity: number) {
    this.out = new JsonBytes(capacity);
  }

  get size(): number {
    return this.starts.length;
  }

  reset(): void {
    this.out.reset();
    this.out.byte(0x5b); // [
    this.starts.length = 0;
    this.ends.length = 0;
    this.ids.length = 0;
    this.ticks.length = 0;
    this.regress.length = 0;
  }

  /** Appends one element written by `write` (after room for `bytes` of it and the comma). */
  add(id: string, tick: SimTick, bytes: number, write: (out: JsonBytes) => void): void {
    this.out.ensure(bytes + 1);
    if (this.starts.length > 0) this.out.byte(0x2c); // ,
    this.starts.push(this.out.pos);
    write(this.out);
    this.ends.push(this.out.pos);
    this.ids.push(id);
    this.ticks.push(tick);
  }

  /** Closes the frame. */
  end(): void {
    this.out.ensure(1);
    this.out.byte(0x5d); // ]
  }

  lastTick(): SimTick {
    return this.ticks[this.ticks.length - 1]!;
  }

  /** The frame of the elements of the instruments in `subs`, or undefined when none. */
  filteredFrame(subs: ReadonlySet<string>): { frame: Buffer; lastTick: SimTick } | undefined {
    let bytes = 0;
    let n = 0;
    let lastTick: SimTick | undefined;
    for (let i = 0; i < this.ids.length; i++) {
      if (!subs.has(this.ids[i]!)) continue;
      bytes += this.ends[i]! - this.starts[i]!;
      n++;
      lastTick = this.ticks[i];
    }
    if (n === 0 || !lastTick) return undefined;
    const frame = Buffer.allocUnsafe(bytes + n + 1);
    let p = 0;
    for (let i = 0; i < this.ids.length; i++) {
      if (!subs.has(this.ids[i]!)) continue;
      frame[p++] = 0x2c; // the first one becomes '[' below
      p += this.out.buf.copy(frame, p, this.starts[i], this.ends[i]);
    }
    frame[0] = 0x5b;
    frame[p] = 0x5d;
    return { frame, lastTick };
  }
}

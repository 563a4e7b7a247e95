// The simulator's clock and tick pump: paces tick slots by real time, asks the generator for each slot's tick, and hands the ticks to the clients in batches.
//
// Clock. The simulated clock starts at the first subscribe of any client (start()). Tick
// slot k (k = 0, 1, 2, ...) is due at real time k/rate seconds after that and happens at
// simulated time start + k/rate × speed seconds (slotTimeMs). Each slot asks the
// generator for one tick at that time: one tick when some instrument is in session,
// nothing otherwise. So the sequence of good ticks depends only on (seed, instruments,
// start, rate, speed), never on timers, load or clients: a slow machine or a slow
// client (backpressure pauses the pump) only delays the slots. With `count`, the pump
// stops after that many ticks.
//
// Tick-based fault: regressEvery N: after the N-th, 2N-th... good tick (global count), an
// extra frame holding a copy of that tick whose total_volume went backwards, for the
// clients subscribed to that instrument (sent by Clients.deliver after the batch).

import { Batch } from './batch.js';
import { slotTimeMs, type Generator, type SimTick, type SimTrade } from './generator.js';
import { regressedTick, tickJson, tradeJson } from './json.js';

export interface PumpOptions {
  /** Tick slots per real second. */
  rate: number;
  /** Simulated seconds per real second. */
  speed: number;
  /** Most ticks in one batch. */
  batchMax: number;
  /** Stop after this many good ticks; undefined: never. */
  count: number | undefined;
  /** A trade print after each tick. */
  trades: boolean;
  regressEvery: number | undefined;
  /** Keep every good tick and trade (sentTicks, sentTrades). */
  keepSent: boolean;
  /** The simulated start, when given. */
  startMs: number | undefined;
  /** Read at start() for the simulated start instead of startMs (SimulatorOptions.clock). */
  clock: (() => number) | undefined;
}

/** Where the batches go: the clients. */
export interface BatchSink {
  /** Whether to hold the pump: some client has too much queued. */
  backpressured(nowMs: number): boolean;
  deliver(batch: Batch): void;
}

export class TickPump {
  /** Resolves once `count` ticks have been emitted (never without count). */
  readonly done: Promise<void>;
  /** Good ticks emitted. */
  sent = 0;
  /** Trade prints emitted. */
  trades = 0;
  started = false;
  /** `count` ticks have been emitted. */
  finished: boolean;
  /** Simulated epoch ms of the last slot; NaN before the clock started. */
  simTimeMs = NaN;
  readonly sentTicks: SimTick[] | undefined;
  readonly sentTrades: SimTrade[] | undefined;
  private stopped = false;
  private startMs = 0;
  /** Real time (performance.now) at which slot 0 was due; moves on when a lag is forgiven. */
  private t0Real = 0;
  /** The next slot to emit. */
  private slot = 0;
  /** At most one of the two is pending (schedule). */
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private resolveDone!: () => void;
  private readonly batch: Batch;

  constructor(
    private readonly o: PumpOptions,
    private readonly gen: Generator,
    private readonly sink: BatchSink,
  ) {
    this.finished = o.count === 0;
    this.done = new Promise<void>((r) => (this.resolveDone = r));
    if (this.finished) this.resolveDone();
    this.sentTicks = o.keepSent ? [] : undefined;
    this.sentTrades = o.keepSent && o.trades ? [] : undefined;
    this.batch = new Batch(Math.min(1 << 22, o.batchMax * (o.trades ? 1400 : 1100) + 4096));
  }

  /** Starts the clock (once; not after stop). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startMs = this.o.clock?.() ?? this.o.startMs ?? Date.now();
    this.t0Real = performance.now();
    if (!this.finished) this.schedule(0);
  }

  /** Stops pacing; leaves no timer behind. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.finished || this.timer || this.immediate) return;
    if (ms <= 0) this.immediate = setImmediate(this.pump);
    else this.timer = setTimeout(this.pump, ms);
  }

  /** Emits the slots due by now, in batches, for at most about 20 ms; then schedules itself again. */
  private readonly pump = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    if (this.stopped || this.finished) return;
    const { rate, batchMax } = this.o;
    const now = performance.now();
    let target = Math.floor(((now - this.t0Real) * rate) / 1000);
    // Far behind (a stall, a slow client): forgive the lag instead of bursting.
    const maxLag = Math.max(batchMax, rate * 0.1);
    if (target - this.slot > maxLag) {
      this.t0Real += ((target - this.slot - maxLag) * 1000) / rate;
      target = this.slot + Math.floor(maxLag);
    }
    const deadline = now + 20;
    while (this.slot < target && !this.finished) {
      if (this.sink.backpressured(performance.now())) {
        this.schedule(1);
        return;
      }
      this.emitBatch(target);
      if (performance.now() > deadline) {
        this.schedule(0);
        return;
      }
    }
    if (this.finished) return;
    const nextDue = this.t0Real + ((this.slot + 1) * 1000) / rate - performance.now();
    this.schedule(Math.max(1, Math.min(10, Math.ceil(nextDue))));
  };

  /** One batch: the slots up to `target`, at most batchMax ticks, to the sink. */
  private emitBatch(target: number): void {
    const { o, gen, batch } = this;
    batch.reset();
    let nTicks = 0;
    while (nTicks < o.batchMax && this.slot < target) {
      const t = slotTimeMs(this.startMs, this.slot, o.rate, o.speed);
      this.slot++;
      this.simTimeMs = t;
      const tick = gen.next(t);
      if (!tick) continue;
      nTicks++;
      this.sent++;
      this.sentTicks?.push(tick);
      const id = tick.exchg + '.' + tick.code;
      batch.add(id, tick, 1, (b) => gen.writeLast(b)); // writeLast makes room for the tick itself
      if (o.trades) {
        const trade = gen.lastTrade()!;
        this.trades++;
        this.sentTrades?.push(trade);
        const json = tradeJson(trade);
        batch.add(id, tick, json.length, (b) => b.str(json));
      }
      if (o.regressEvery && this.sent % o.regressEvery === 0) {
        batch.regress.push({ id, frame: '[' + tickJson(regressedTick(tick)) + ']' });
      }
      if (o.count !== undefined && this.sent >= o.count) {
        this.finished = true;
        break;
      }
    }
    batch.end();
    if (batch.size > 0) this.sink.deliver(batch);
    if (this.finished) this.resolveDone();
  }
}

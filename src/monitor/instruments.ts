// Per-instrument statistics for the monitor page, kept by the recorder: O(1) work and no allocation per tick.
//
// One InstrumentStats per (exchange, code), created the first time the instrument is
// written (the only allocation: the object and its 64-slot ring). The hot path
// (InstrumentTable.tick / .trade, called after a successful write) does two Map
// lookups, a few field stores and one ring increment; it reads no clock: the recorder
// passes the time it already read for the lag. Rates are derived when a snapshot is
// built, never per tick.
//
// Times are the recorder's clock (wall time, or the simulated clock of --clock-start).
//
// The ring holds ticks per wall-clock second: slot (sec & 63) counts the ticks of
// epoch second `sec`. Slots between the last tick's second and the current one are
// cleared lazily by the next tick (at most 64 stores, only when seconds have passed),
// and a reader treats seconds after `headSec` as zero, so a silent instrument's rate
// falls to 0 without any timer.

export const RING_SECONDS = 64;
const RING_MASK = RING_SECONDS - 1;
/** The window of the ticks/s column: the mean over the last complete seconds. */
export const RATE_WINDOW_SECONDS = 10;

export class InstrumentStats {
  /** 'EXCHG.CODE'. */
  readonly id: string;
  /** Ticks of `tradingDate` written by this process. */
  ticksToday = 0;
  /** Ticks of `tradingDate` already in the live file when this process first saw it (set by the file sampler). */
  ticksBase = 0;
  tradesToday = 0;
  /** Trading date YYYYMMDD of the last record (0: none yet). */
  tradingDate = 0;
  /** Last tick price (NaN: no tick yet). */
  price = Number.NaN;
  /** Exchange time of the last tick: YYYYMMDD and HHMMSSmmm. */
  actionDate = 0;
  actionTime = 0;
  /** The recorder's clock (epoch ms) when the last tick was published. */
  publishedMs = 0;
  /** Exchange time → publication of the last tick, ms (NaN: the instrument has no session). */
  lagMs = Number.NaN;
  /** Bumped on every record: the update builder sends rows whose version moved. */
  version = 0;
  /** Size of the live tick file, bytes (-1: not known yet); set by the file sampler. */
  fileBytes = -1;
  /** Epoch second counted in the ring's head slot. */
  private headSec = 0;
  private readonly ring = new Uint32Array(RING_SECONDS);

  constructor(
    readonly exchg: string,
    readonly code: string,
  ) {
    this.id = `${exchg}.${code}`;
  }

  /** One published tick. O(1), no allocation. */
  tick(nowMs: number, price: number, tradingDate: number, actionDate: number, actionTime: number, lagMs: number): void {
    if (tradingDate !== this.tradingDate) this.newDay(tradingDate);
    this.ticksToday++;
    this.price = price;
    this.actionDate = actionDate;
    this.actionTime = actionTime;
    this.publishedMs = nowMs;
    this.lagMs = lagMs;
    this.version++;
    const sec = Math.floor(nowMs / 1000);
    if (sec > this.headSec) this.advance(sec);
    this.ring[this.headSec & RING_MASK]!++; // a clock that went back counts in the newest second
  }

  /** One published trade. O(1), no allocation. */
  trade(tradingDate: number): void {
    if (tradingDate !== this.tradingDate) this.newDay(tradingDate);
    this.tradesToday++;
    this.version++;
  }

  /** Ticks of the current trading day: those in the file before this process plus those it wrote. */
  get ticks(): number {
    return this.ticksBase + this.ticksToday;
  }

  /** Mean ticks per second over the `window` complete seconds before `nowMs` (window ≤ 63). */
  rate(nowMs: number, window = RATE_WINDOW_SECONDS): number {
    const now = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let s = now - window; s < now; s++) sum += this.countAt(s);
    return sum / window;
  }

  /** Ticks counted in epoch second `sec` (0 when it left the ring or has not been reached). */
  countAt(sec: number): number {
    if (sec > this.headSec || sec <= this.headSec - RING_SECONDS) return 0;
    return this.ring[sec & RING_MASK]!;
  }

  private advance(sec: number): void {
    const n = Math.min(sec - this.headSec, RING_SECONDS);
    for (let i = 1; i <= n; i++) this.ring[(this.headSec + i) & RING_MASK] = 0;
    this.headSec = sec;
  }

  private newDay(tradingDate: number): void {
    // A later trading date starts a new day; an earlier one (a late record of a day
    // the pool still accepts) is not expected and only moves the label.
    if (tradingDate > this.tradingDate) {
      this.ticksToday = 0;
      this.ticksBase = 0;
      this.tradesToday = 0;
    }
    this.tradingDate = tradingDate;
  }
}

/** Every instrument the recorder wrote since it started, by exchange and code. */
export class InstrumentTable {
  private readonly byExchg = new Map<string, Map<string, InstrumentStats>>();
  private n = 0;

  get size(): number {
    return this.n;
  }

  /** Called by the recorder after a tick was written; `nowMs` is its clock at publication. */
  tick(
    exchg: string,
    code: string,
    nowMs: number,
    price: number,
    tradingDate: number,
    actionDate: number,
    actionTime: number,
    lagMs: number,
  ): void {
    this.of(exchg, code).tick(nowMs, price, tradingDate, actionDate, actionTime, lagMs);
  }

  /** Called by the recorder after a trade was written. */
  trade(exchg: string, code: string, tradingDate: number): void {
    this.of(exchg, code).trade(tradingDate);
  }

  get(exchg: string, code: string): InstrumentStats | undefined {
    return this.byExchg.get(exchg)?.get(code);
  }

  /** The stats of an instrument, created on first sight. */
  of(exchg: string, code: string): InstrumentStats {
    let byCode = this.byExchg.get(exchg);
    if (byCode === undefined) this.byExchg.set(exchg, (byCode = new Map<string, InstrumentStats>()));
    let s = byCode.get(code);
    if (s === undefined) {
      byCode.set(code, (s = new InstrumentStats(exchg, code)));
      this.n++;
    }
    return s;
  }

  *[Symbol.iterator](): IterableIterator<InstrumentStats> {
    for (const byCode of this.byExchg.values()) yield* byCode.values();
  }
}

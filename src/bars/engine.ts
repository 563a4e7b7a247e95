// BarEngine: 1-minute bars from ticks and longer bars from 1-minute bars, closed by later ticks, by a timer, or by a final flush. Pure: no I/O, no clock of its own.
//
// The recorder feeds it every tick it wrote and calls onTimer every few hundred ms; the
// offline rebuild (`tickrec bars --rebuild`) feeds it the ticks of a file and calls
// flush(). Both get their bars through the same `emit` callback, in the same order.
//
// RULES (docs/bars.md; the labels are in plan.ts):
// B1 a bar's fields: open/high/low/close = first/highest/lowest/last price of its ticks;
//    vol and money = sums of the ticks' per-tick `volume` and `turn_over` (the deltas of
//    the cumulative totals, computed by normalization); hold = open_interest of the last
//    tick; add = sum of the ticks' diff_interest; settle = 0; date = the ticks' trading
//    date; time = the label (plan.ts L6).
// B2 a bar is keyed by (trading date, time). A tick with a later key closes the
//    instrument's open bar and opens the next one. Minutes with no tick make NO bar
//    (live and offline alike); a derived bar exists when one of its minutes has a bar.
// B3 the timer closes every open bar whose end + graceMs has passed by the clock of its
//    session's time zone (onTimer(nowMs)); flush() closes every open bar.
// B4 LATE TICKS: a tick whose bar is already closed (its key is not after the
//    instrument's last closed bar, or the timer has closed its minute for the session)
//    is kept as a tick by the recorder but counted in no bar (stats.late). Offline, with
//    no timer, no tick is late; live and offline bars are equal when every tick arrives
//    within graceMs of its bar's end. `tickrec bars --rebuild` repairs the rest.
// B4b NO PRICE: a tick with price 0 and per-tick volume 0 is a quote without a trade
//    price (CTP's combination quotes and quotes before the first trade are stored with
//    price 0, docs/ctp.md C1): it is counted (stats.noPrice) and in no bar, so it never
//    drags a bar's low to 0. A trade at price 0 (a spread can trade at 0) has a volume
//    and counts.
// B5 derived periods (5, 15, 30, 60) are folded from closed 1-minute bars by the bucket
//    rule of plan.ts; a derived bar closes when its last minute's bar closes, when a
//    1-minute bar of a later bucket arrives, when the timer passes its end, or at flush.
//    Its fields: first open, max high, min low, last close, sum vol, sum money, last hold,
//    sum add.
// B6 CLOSED EVENT: when the timer has closed everything up to a bar end M of a session,
//    and the session made a bar in the section of M (a trading session, not a holiday),
//    the engine emits barsClosed({ session, date, time: M }) once, after the bars. It
//    means: every bar of every period of that session with time <= M is published.
//    After a stall of the timer, one event covers the minutes it skipped.

import { addDays, localDateTime, type Session, type SessionBook } from '../calendar/index.js';
import { decimalAdd, minuteBarDate, minuteBarTime, type Bar } from '../format/index.js';
import { TickrecError } from '../errors.js';
import { SessionPlan, hhmmOf, labelTime, newLabel, shiftDate, type MinuteLabel } from './plan.js';

/** Periods a BarEngine can build, in minutes. */
export const BAR_PERIODS = [1, 5, 15, 30, 60] as const;
export type BarPeriod = (typeof BAR_PERIODS)[number];
export type BarKindName = 'min1' | 'min5' | 'min15' | 'min30' | 'min60';

export const DEFAULT_PERIODS: readonly BarPeriod[] = [1, 5];
export const DEFAULT_GRACE_MS = 3000;

export function kindNameOfPeriod(p: BarPeriod): BarKindName {
  return `min${p}` as BarKindName;
}

/** Checks a periods list: a subset of 1, 5, 15, 30, 60 that includes 1. Returns it sorted, without repeats. */
export function parsePeriods(periods: readonly unknown[], where = 'periods'): BarPeriod[] {
  const out = new Set<BarPeriod>();
  for (const p of periods) {
    if (!BAR_PERIODS.includes(p as BarPeriod)) {
      throw new TickrecError(
        'E_CONFIG',
        `${where}: ${JSON.stringify(p)} is not a bar period; use minutes among ${BAR_PERIODS.join(', ')}.`,
      );
    }
    out.add(p as BarPeriod);
  }
  if (!out.has(1)) throw new TickrecError('E_CONFIG', `${where}: must include 1 (every longer bar is folded from 1-minute bars).`);
  return [...out].sort((a, b) => a - b);
}

/** The tick fields the engine reads (a TickRecord, a decoded tick, or a zero-copy view). */
export interface BarTick {
  readonly exchg: string;
  readonly code: string;
  readonly price: number;
  readonly volume: number;
  readonly turn_over: number;
  readonly open_interest: number;
  readonly diff_interest: number;
  readonly trading_date: number;
  readonly action_date: number;
  readonly action_time: number;
}

/** Key of a published bar: trading date and time label. */
export interface BarKey {
  date: number;
  time: number;
}

export interface BarsClosedEvent {
  session: string;
  /** Trading date of the closed bars. */
  date: number;
  /** Bar `time` of the minute closed through (every bar with time <= it is published). */
  time: number;
}

export type BarEmit = (kind: BarKindName, exchg: string, code: string, bar: Bar) => void;

export interface BarEngineOptions {
  sessions: SessionBook;
  /** Default [1, 5]. Must include 1. */
  periods?: readonly BarPeriod[];
  /** The timer closes a bar this long after its end. Default 3000. */
  graceMs?: number;
  emit: BarEmit;
  barsClosed?: (ev: BarsClosedEvent) => void;
}

export type TickVerdict = 'bar' | 'outside' | 'late' | 'no_session' | 'no_price' | 'replayed_old';

export interface BarEngineStats {
  ticks: number;
  /** Ticks outside every section and auction (L5). */
  outside: number;
  /** Ticks whose bar was already closed (B4). */
  late: number;
  /** Ticks of instruments without a session. */
  noSession: number;
  /** Quotes without a trade price (B4b). */
  noPrice: number;
  bars: Record<BarKindName, number>;
  events: number;
}

interface OpenBar {
  date: number;
  time: number;
  section: number;
  end: number;
  /** Calendar date of the day the section started. */
  startDate: number;
  open: number;
  high: number;
  low: number;
  close: number;
  money: number;
  vol: number;
  hold: number;
  add: number;
}

interface SessionState {
  readonly plan: SessionPlan;
  readonly name: string;
  readonly timezone: string;
  /** Instruments with an open bar of any period. */
  readonly open: Set<Inst>;
  /** Bar `time` through which the timer has closed everything (0: not yet). */
  closedThrough: number;
  lastEventTime: number;
  /** Sections in which a bar was opened: `${section}@${startDate}` → trading date. */
  readonly active: Map<string, number>;
}

interface Inst {
  readonly exchg: string;
  readonly code: string;
  readonly s: SessionState | undefined;
  bar: OpenBar | undefined;
  lastDate: number;
  lastTime: number;
  /** Open derived bars, by index in the engine's derived periods. */
  readonly derived: (OpenBar | undefined)[];
  readonly derivedLastDate: number[];
  readonly derivedLastTime: number[];
}

const after = (d1: number, t1: number, d2: number, t2: number) => d1 > d2 || (d1 === d2 && t1 > t2);

export class BarEngine {
  readonly periods: readonly BarPeriod[];
  readonly graceMs: number;
  readonly stats: BarEngineStats = {
    ticks: 0,
    outside: 0,
    late: 0,
    noSession: 0,
    noPrice: 0,
    bars: { min1: 0, min5: 0, min15: 0, min30: 0, min60: 0 },
    events: 0,
  };
  private readonly sessions: SessionBook;
  private readonly derivedMinutes: readonly number[];
  private readonly derivedKinds: readonly BarKindName[];
  private readonly emitFn: BarEmit;
  private readonly closedFn: ((ev: BarsClosedEvent) => void) | undefined;
  private readonly states = new Map<Session, SessionState>();
  private readonly insts = new Map<string, Map<string, Inst>>();
  private readonly lbl: MinuteLabel = newLabel();

  constructor(opts: BarEngineOptions) {
    this.sessions = opts.sessions;
    this.periods = parsePeriods(opts.periods ?? DEFAULT_PERIODS);
    const grace = opts.graceMs ?? DEFAULT_GRACE_MS;
    if (!(Number.isInteger(grace) && grace >= 0 && grace <= 60_000)) {
      throw new TickrecError('E_CONFIG', `grace_ms: ${grace} must be a whole number of ms in 0..60000.`);
    }
    this.graceMs = grace;
    this.derivedMinutes = this.periods.filter((p) => p !== 1);
    this.derivedKinds = this.derivedMinutes.map((p) => kindNameOfPeriod(p as BarPeriod));
    this.emitFn = opts.emit;
    this.closedFn = opts.barsClosed;
    for (const session of opts.sessions.sessions.values()) new SessionPlan(session); // refuse a bad session now, not at its first tick
  }

  /** Feeds one written tick. Returns what became of it. */
  onTick(t: BarTick): TickVerdict {
    return this.tick(t, false);
  }

  /**
   * Recovery after a restart: a tick that was written before the restart. Like onTick,
   * but the timer's closing of the session's minutes does not make it late (its bar was
   * never closed: the process that would have closed it died); ticks of bars already
   * published (restore) are skipped.
   */
  replay(t: BarTick): TickVerdict {
    return this.tick(t, true);
  }

  /**
   * Recovery after a restart: what the instrument had published. `min1` is its last
   * 1-minute bar, `derived` the last bar of each derived period, and `min1Bars` the
   * published 1-minute bars after the oldest of those (in order); they are folded into
   * the derived periods whose last bar they follow, which may close and emit derived bars.
   */
  restore(exchg: string, code: string, r: { min1?: BarKey; derived?: Partial<Record<number, BarKey>>; min1Bars?: readonly Bar[] }): void {
    const inst = this.inst(exchg, code);
    if (!inst.s) return;
    if (r.min1 && after(r.min1.date, r.min1.time, inst.lastDate, inst.lastTime)) {
      inst.lastDate = r.min1.date;
      inst.lastTime = r.min1.time;
    }
    this.derivedMinutes.forEach((p, i) => {
      const k = r.derived?.[p];
      if (k && after(k.date, k.time, inst.derivedLastDate[i]!, inst.derivedLastTime[i]!)) {
        inst.derivedLastDate[i] = k.date;
        inst.derivedLastTime[i] = k.time;
      }
    });
    const lbl = newLabel();
    for (const b of r.min1Bars ?? []) {
      const hhmm = b.time % 10000;
      if (!inst.s.plan.labelOfBarEnd(hhmm, lbl)) continue;
      const labelDate = minuteBarDate(b.time);
      const bar: OpenBar = {
        date: b.date,
        time: b.time,
        section: lbl.section,
        end: lbl.end,
        startDate: shiftDate(labelDate, lbl.startShift),
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        money: b.money ?? 0,
        vol: b.vol ?? 0,
        hold: b.hold ?? 0,
        add: b.add ?? 0,
      };
      this.fold(inst, bar);
    }
    if (this.hasOpen(inst)) inst.s.open.add(inst);
  }

  /** Recovery after a restart: the last closed event published for a session. */
  restoreLastEvent(session: string, time: number): void {
    const s = this.stateOfName(session);
    if (s && time > s.lastEventTime) s.lastEventTime = time;
  }

  /**
   * Closes every bar whose end + graceMs has passed at `nowMs` (epoch ms), by the clock
   * of its session's time zone; then emits closed events. `graceMs` overrides the
   * engine's (the recorder's stop uses END_TOLERANCE_MS). Returns the bars closed.
   */
  onTimer(nowMs: number, graceMs: number = this.graceMs): number {
    let closed = 0;
    for (const s of this.states.values()) {
      const local = localDateTime(nowMs - graceMs, s.timezone);
      const minute = Math.floor(local.time / 10000000) * 60 + (Math.floor(local.time / 100000) % 100);
      const through = minuteBarTime(local.date, hhmmOf(minute));
      if (through > s.closedThrough) s.closedThrough = through;
      const ct = s.closedThrough;
      for (const inst of s.open) {
        closed += this.closeThrough(inst, ct);
        if (!this.hasOpen(inst)) s.open.delete(inst);
      }
      if (this.closedFn && s.active.size > 0) {
        const latest = s.plan.latestBarEnd(local.date, addDays(local.date, -1), minute);
        if (latest && latest.time > s.lastEventTime && latest.time <= ct) {
          const td = s.active.get(`${latest.section}@${latest.startDate}`);
          if (td !== undefined) {
            s.lastEventTime = latest.time;
            this.stats.events++;
            this.closedFn({ session: s.name, date: td, time: latest.time });
          }
        }
      }
      if (s.active.size > 64) {
        const keep = [...s.active].slice(-16); // the most recent sections
        s.active.clear();
        for (const [k, v] of keep) s.active.set(k, v);
      }
    }
    return closed;
  }

  /** Closes every open bar (offline end of input). Emits no closed event. Returns the bars closed. */
  flush(): number {
    let closed = 0;
    for (const byCode of this.insts.values()) {
      for (const inst of byCode.values()) {
        closed += this.closeThrough(inst, Number.MAX_SAFE_INTEGER);
        inst.s?.open.delete(inst);
      }
    }
    return closed;
  }

  private tick(t: BarTick, replay: boolean): TickVerdict {
    this.stats.ticks++;
    const inst = this.inst(t.exchg, t.code);
    const s = inst.s;
    if (!s) {
      this.stats.noSession++;
      return 'no_session';
    }
    if (t.price === 0 && t.volume === 0) {
      this.stats.noPrice++;
      return 'no_price';
    }
    const lbl = this.lbl;
    if (!s.plan.labelTick(t.action_time, lbl)) {
      this.stats.outside++;
      return 'outside';
    }
    const shift = lbl.startShift + Math.floor(lbl.end / 1440);
    const time = minuteBarTime(shiftDate(t.action_date, shift), hhmmOf(lbl.end));
    const date = t.trading_date;
    const bar = inst.bar;
    const price = t.price;
    if (bar !== undefined && bar.time === time && bar.date === date) {
      if (price > bar.high) bar.high = price;
      if (price < bar.low) bar.low = price;
      bar.close = price;
      bar.vol = decimalAdd(bar.vol, t.volume);
      bar.money = decimalAdd(bar.money, t.turn_over);
      bar.hold = t.open_interest;
      bar.add = decimalAdd(bar.add, t.diff_interest);
      return 'bar';
    }
    // A new bar: it must come after the open one, the last closed one, and (live) the timer.
    if ((bar !== undefined && !after(date, time, bar.date, bar.time)) || !after(date, time, inst.lastDate, inst.lastTime)) {
      if (replay) return 'replayed_old';
      this.stats.late++;
      return 'late';
    }
    if (!replay && time <= s.closedThrough) {
      this.stats.late++;
      return 'late';
    }
    if (bar !== undefined) this.close1(inst, bar);
    const startDate = shiftDate(t.action_date, lbl.startShift);
    inst.bar = {
      date,
      time,
      section: lbl.section,
      end: lbl.end,
      startDate,
      open: price,
      high: price,
      low: price,
      close: price,
      money: t.turn_over,
      vol: t.volume,
      hold: t.open_interest,
      add: t.diff_interest,
    };
    const key = `${lbl.section}@${startDate}`;
    if (s.active.get(key) !== date) {
      s.active.delete(key);
      s.active.set(key, date);
    }
    s.open.add(inst);
    return 'bar';
  }

  private inst(exchg: string, code: string): Inst {
    let byCode = this.insts.get(exchg);
    if (!byCode) this.insts.set(exchg, (byCode = new Map<string, Inst>()));
    let inst = byCode.get(code);
    if (!inst) {
      const session = this.sessions.sessionOf(exchg, code);
      const n = this.derivedMinutes.length;
      inst = {
        exchg,
        code,
        s: session ? this.stateOf(session) : undefined,
        bar: undefined,
        lastDate: 0,
        lastTime: 0,
        derived: new Array<OpenBar | undefined>(n).fill(undefined),
        derivedLastDate: new Array<number>(n).fill(0),
        derivedLastTime: new Array<number>(n).fill(0),
      };
      byCode.set(code, inst);
    }
    return inst;
  }

  private stateOf(session: Session): SessionState {
    let s = this.states.get(session);
    if (!s) {
      s = {
        plan: new SessionPlan(session),
        name: session.name,
        timezone: session.timezone,
        open: new Set(),
        closedThrough: 0,
        lastEventTime: 0,
        active: new Map(),
      };
      this.states.set(session, s);
    }
    return s;
  }

  private stateOfName(name: string): SessionState | undefined {
    const session = this.sessions.sessions.get(name);
    return session ? this.stateOf(session) : undefined;
  }

  private hasOpen(inst: Inst): boolean {
    return inst.bar !== undefined || inst.derived.some((d) => d !== undefined);
  }

  /** Closes the instrument's bars (1-minute first, then derived) with time <= through. */
  private closeThrough(inst: Inst, through: number): number {
    let n = 0;
    const bar = inst.bar;
    if (bar !== undefined && bar.time <= through) {
      n += this.close1(inst, bar);
    }
    for (let i = 0; i < inst.derived.length; i++) {
      const d = inst.derived[i];
      if (d !== undefined && d.time <= through) {
        this.closeDerived(inst, i, d);
        n++;
      }
    }
    return n;
  }

  /** Emits the instrument's open 1-minute bar and folds it into the derived periods. Returns the bars emitted. */
  private close1(inst: Inst, bar: OpenBar): number {
    inst.bar = undefined;
    inst.lastDate = bar.date;
    inst.lastTime = bar.time;
    this.stats.bars.min1++;
    this.emitFn('min1', inst.exchg, inst.code, toBar(bar));
    return 1 + this.fold(inst, bar);
  }

  /** Folds a closed 1-minute bar into every derived period (B5). Returns the derived bars emitted. */
  private fold(inst: Inst, bar: OpenBar): number {
    const plan = inst.s!.plan;
    let n = 0;
    for (let i = 0; i < this.derivedMinutes.length; i++) {
      const bEnd = plan.bucketEnd(bar.section, bar.end, this.derivedMinutes[i]!);
      const bTime =
        Math.floor(bEnd / 1440) === Math.floor(bar.end / 1440) ? bar.time - hhmmOf(bar.end) + hhmmOf(bEnd) : labelTime(bar.startDate, bEnd);
      if (!after(bar.date, bTime, inst.derivedLastDate[i]!, inst.derivedLastTime[i]!)) continue; // already published
      let d = inst.derived[i];
      if (d !== undefined && d.time === bTime && d.date === bar.date) {
        if (bar.high > d.high) d.high = bar.high;
        if (bar.low < d.low) d.low = bar.low;
        d.close = bar.close;
        d.vol = decimalAdd(d.vol, bar.vol);
        d.money = decimalAdd(d.money, bar.money);
        d.hold = bar.hold;
        d.add = decimalAdd(d.add, bar.add);
      } else {
        if (d !== undefined) {
          this.closeDerived(inst, i, d);
          n++;
        }
        d = { ...bar, time: bTime, end: bEnd };
        inst.derived[i] = d;
      }
      if (bTime === bar.time) {
        this.closeDerived(inst, i, d);
        n++;
      }
    }
    return n;
  }

  private closeDerived(inst: Inst, i: number, d: OpenBar): void {
    inst.derived[i] = undefined;
    inst.derivedLastDate[i] = d.date;
    inst.derivedLastTime[i] = d.time;
    const kind = this.derivedKinds[i]!;
    this.stats.bars[kind]++;
    this.emitFn(kind, inst.exchg, inst.code, toBar(d));
  }
}

function toBar(b: OpenBar): Bar {
  return {
    date: b.date,
    time: b.time,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    settle: 0,
    money: b.money,
    vol: b.vol,
    hold: b.hold,
    add: b.add,
  };
}

// Test oracles for simulated ticks: field validity, trading sections and the trading-date rule, written independently of src/sim.

import type { Instrument, SimTick } from '../../../src/sim/index.js';
import { nameProblem } from '../../../src/layout/index.js';
import { TICK, valueFields } from '../../../src/format/index.js';
import { TICK_INPUT_LEVELS, type TickNumberField } from '../../../src/feed/types.js';

/** The number fields of the record that are prices, volumes and amounts (every f64 that is not a book level). */
const NUMERIC = valueFields(TICK)
  .filter((f) => f.type === 'f64' && !f.isArray)
  .map((f) => f.name as TickNumberField);

export function ymdToDate(ymd: number): Date {
  return new Date(Date.UTC(Math.floor(ymd / 10000), (Math.floor(ymd / 100) % 100) - 1, ymd % 100));
}
export function dateToYmd(d: Date): number {
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}
export function addDays(ymd: number, n: number): number {
  return dateToYmd(new Date(ymdToDate(ymd).getTime() + n * 86_400_000));
}
/** 0 Sunday .. 6 Saturday */
export function dow(ymd: number): number {
  return ymdToDate(ymd).getUTCDay();
}
function validYmd(ymd: number): boolean {
  return Number.isInteger(ymd) && dateToYmd(ymdToDate(ymd)) === ymd && ymd > 19900101 && ymd < 21000101;
}

const onTick = (x: number, tick: number): boolean => Math.abs(x / tick - Math.round(x / tick)) < 1e-6;

/** HHMM of a HHMMSSmmm time. */
export const hhmm = (t: number): number => Math.floor(t / 100000);

/**
 * The session oracle: whether a futures product trades at local calendar `ymd`, `hm` (HHMM),
 * from the brief's table (not from src/sim).
 */
export function futuresOpen(product: string, exchg: string, ymd: number, hm: number): boolean {
  const w = dow(ymd);
  const weekdayOk = w >= 1 && w <= 5;
  const inR = (a: number, b: number) => hm >= a && hm < b;
  if (exchg === 'CFFEX') return weekdayOk && (inR(930, 1130) || inR(1300, 1500));
  if (weekdayOk && (inR(900, 1015) || inR(1030, 1130) || inR(1330, 1500))) return true;
  const nightEnd = ['cu', 'al', 'zn'].includes(product) ? 100 : ['au', 'ag', 'sc'].includes(product) ? 230 : 2300;
  if (nightEnd === 2300) return weekdayOk && inR(2100, 2300);
  if (weekdayOk && hm >= 2100) return true;
  // after midnight: the previous evening must have been Monday..Friday
  return hm < nightEnd && w >= 2 && w <= 6;
}

/** The trading-date oracle for a futures tick at local `ymd`, `hm`. */
export function expectedTradingDate(ymd: number, hm: number): number {
  const nextWeekday = (d: number) => {
    let n = addDays(d, 1);
    while (dow(n) === 0 || dow(n) === 6) n = addDays(n, 1);
    return n;
  };
  if (hm >= 1800) return nextWeekday(ymd);
  if (hm < 600) return nextWeekday(addDays(ymd, -1));
  return ymd;
}

/** Everything wrong with one tick, [] when it is valid. */
export function tickProblems(t: SimTick, inst: Instrument): string[] {
  const p: string[] = [];
  const where = `${t.exchg}.${t.code} ${t.action_date} ${t.action_time}`;
  const bad = (m: string) => p.push(`${where}: ${m}`);
  if (nameProblem(t.exchg, 15)) bad(`exchange ${t.exchg}`);
  if (nameProblem(t.code, 31)) bad(`code ${t.code}`);
  for (const k of NUMERIC) {
    const v = t[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 1e300) bad(`${k} = ${v}`);
  }
  const L = inst.kind === 'crypto' ? 10 : 5;
  for (const k of TICK_INPUT_LEVELS) {
    if (!Array.isArray(t[k]) || t[k].length !== L) bad(`${k} has ${t[k]?.length} levels, expected ${L}`);
    for (const v of t[k]) if (!Number.isFinite(v) || v <= 0) bad(`${k} holds ${v}`);
  }
  const tick = inst.tickSize;
  for (const [k, v] of [
    ['price', t.price],
    ['open', t.open],
    ['high', t.high],
    ['low', t.low],
    ['pre_close', t.pre_close],
    ...t.bid_prices.map((x) => ['bid', x]),
    ...t.ask_prices.map((x) => ['ask', x]),
  ] as [string, number][]) {
    if (!onTick(v, tick)) bad(`${k} ${v} is not a multiple of the tick ${tick}`);
  }
  if (!(t.bid_prices[0]! < t.ask_prices[0]!)) bad(`bid ${t.bid_prices[0]} >= ask ${t.ask_prices[0]}`);
  for (let i = 1; i < L; i++) {
    if (!(t.bid_prices[i]! < t.bid_prices[i - 1]!)) bad('bids not decreasing');
    if (!(t.ask_prices[i]! > t.ask_prices[i - 1]!)) bad('asks not increasing');
  }
  if (t.price !== t.bid_prices[0] && t.price !== t.ask_prices[0]) bad('price is neither best bid nor best ask');
  if (!(t.low <= t.price && t.price <= t.high && t.low <= t.open && t.open <= t.high)) bad('open/high/low do not bracket the price');
  if (inst.kind === 'future') {
    if (!(t.lower_limit > 0 && t.upper_limit > t.lower_limit)) bad(`limits ${t.lower_limit}..${t.upper_limit}`);
    if (!onTick(t.upper_limit, tick) || !onTick(t.lower_limit, tick)) bad('limits off the tick');
    if (t.price < t.lower_limit || t.price > t.upper_limit) bad(`price ${t.price} outside ${t.lower_limit}..${t.upper_limit}`);
    if (t.bid_prices[L - 1]! < t.lower_limit || t.ask_prices[L - 1]! > t.upper_limit) bad('book outside the limits');
    const mid = t.pre_settle;
    if (
      Math.abs(t.upper_limit - mid * (1 + inst.limitPct)) > tick + 1e-9 ||
      Math.abs(t.lower_limit - mid * (1 - inst.limitPct)) > tick + 1e-9
    )
      bad('limits are not pre_settle ± limitPct');
  } else if (t.upper_limit !== 0 || t.lower_limit !== 0) bad('crypto has limits');
  if (!(t.volume > 0)) bad(`volume ${t.volume}`);
  if (!(t.total_volume >= t.volume)) bad('total_volume < volume');
  const ms = t.action_time % 1000;
  const ss = Math.floor(t.action_time / 1000) % 100;
  const mm = Math.floor(t.action_time / 100000) % 100;
  const hh = Math.floor(t.action_time / 10000000);
  if (!Number.isInteger(t.action_time) || hh > 23 || mm > 59 || ss > 59 || ms > 999) bad(`action_time ${t.action_time}`);
  if ((t.exchg === 'SHFE' || t.exchg === 'INE') && ms !== 0 && ms !== 500) bad(`SHFE millis ${ms}`);
  if (!validYmd(t.action_date) || !validYmd(t.trading_date)) bad(`dates ${t.action_date}/${t.trading_date}`);
  const hm = hhmm(t.action_time);
  if (inst.kind === 'future') {
    if (!futuresOpen(inst.product, inst.exchg, t.action_date, hm)) bad('outside the trading sections');
    const td = expectedTradingDate(t.action_date, hm);
    if (t.trading_date !== td) bad(`trading_date ${t.trading_date}, expected ${td}`);
  } else if (t.trading_date !== t.action_date) bad('crypto trading_date is not the UTC date');
  return p;
}

/**
 * Problems across a sequence: per instrument and trading day, cumulative fields never go
 * back and each tick's volume/turnover is the change since the previous tick; open/high/low
 * follow the prices; a new trading day starts from pre_close = last price.
 */
export function sequenceProblems(ticks: readonly SimTick[]): string[] {
  const p: string[] = [];
  const last = new Map<string, SimTick>();
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  for (const t of ticks) {
    const id = `${t.exchg}.${t.code}`;
    const prev = last.get(id);
    const where = `${id} ${t.action_date} ${t.action_time}`;
    if (prev && (t.action_date < prev.action_date || (t.action_date === prev.action_date && t.action_time < prev.action_time)))
      p.push(`${where}: time went back`);
    if (prev && prev.trading_date === t.trading_date) {
      if (t.total_volume < prev.total_volume) p.push(`${where}: total_volume went back`);
      if (!near(t.total_volume - prev.total_volume, t.volume))
        p.push(`${where}: volume ${t.volume} != delta ${t.total_volume - prev.total_volume}`);
      if (!near(t.total_turnover - prev.total_turnover, t.turn_over)) p.push(`${where}: turn_over != delta`);
      if (t.open !== prev.open) p.push(`${where}: open changed within the day`);
      if (t.high !== Math.max(prev.high, t.price) || t.low !== Math.min(prev.low, t.price)) p.push(`${where}: high/low`);
      if (t.pre_close !== prev.pre_close || t.pre_settle !== prev.pre_settle || t.upper_limit !== prev.upper_limit)
        p.push(`${where}: day constants changed`);
    } else {
      if (!near(t.total_volume, t.volume) || !near(t.total_turnover, t.turn_over))
        p.push(`${where}: first tick of the day is not its own total`);
      if (t.open !== t.price || t.high !== t.price || t.low !== t.price) p.push(`${where}: first tick of the day: open/high/low`);
      if (prev) {
        if (t.trading_date < prev.trading_date) p.push(`${where}: trading_date went back`);
        if (t.pre_close !== prev.price) p.push(`${where}: pre_close ${t.pre_close} != last price ${prev.price}`);
        if (t.pre_interest !== prev.open_interest) p.push(`${where}: pre_interest`);
      }
    }
    if (prev && !near(t.open_interest - prev.open_interest, t.diff_interest)) p.push(`${where}: diff_interest != delta`);
    last.set(id, t);
  }
  return p;
}

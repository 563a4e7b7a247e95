// Test ticks for the bar tests: full tick records with hand-chosen fields, the bundled sessions, and bar collection from an engine.

import fs from 'node:fs';
import path from 'node:path';
import { buildSessionBook, epochOfLocal, type SessionBook } from '../../../src/calendar/index.js';
import type { BarKindName } from '../../../src/bars/index.js';
import type { Bar } from '../../../src/format/index.js';
import type { TickRecord } from '../../../src/recorder/normalize.js';

export const BUNDLED_SESSIONS = path.resolve(import.meta.dirname, '../../../config/sessions.json');

let book: SessionBook | undefined;
export function bundledSessions(): SessionBook {
  book ??= buildSessionBook(JSON.parse(fs.readFileSync(BUNDLED_SESSIONS, 'utf8')), BUNDLED_SESSIONS);
  return book;
}

export interface TickSpec {
  exchg: string;
  code: string;
  trading_date: number;
  action_date: number;
  /** HHMMSSmmm */
  action_time: number;
  price: number;
  volume: number;
  /** Default volume * 100. */
  turn_over?: number;
  open_interest?: number;
  diff_interest?: number;
}

/** A complete tick record (every field the writer encodes). */
export function tick(s: TickSpec): TickRecord {
  return {
    exchg: s.exchg,
    code: s.code,
    price: s.price,
    open: 0,
    high: 0,
    low: 0,
    settle_price: 0,
    upper_limit: 0,
    lower_limit: 0,
    total_volume: 0,
    volume: s.volume,
    total_turnover: 0,
    turn_over: s.turn_over ?? s.volume * 100,
    open_interest: s.open_interest ?? 0,
    diff_interest: s.diff_interest ?? 0,
    trading_date: s.trading_date,
    action_date: s.action_date,
    action_time: s.action_time,
    pre_close: 0,
    pre_settle: 0,
    pre_interest: 0,
    bid_prices: new Array<number>(10).fill(0),
    ask_prices: new Array<number>(10).fill(0),
    bid_qty: new Array<number>(10).fill(0),
    ask_qty: new Array<number>(10).fill(0),
  };
}

/** A bar as the engine emits it: settle 0, every field present. */
export function bar(
  date: number,
  time: number,
  o: number,
  h: number,
  l: number,
  c: number,
  vol: number,
  money: number,
  hold: number,
  add: number,
): Bar {
  return { date, time, open: o, high: h, low: l, close: c, settle: 0, money, vol, hold, add };
}

/** Collects what an engine emits, by kind and instrument. */
export class Collector {
  readonly byKey = new Map<string, Bar[]>();
  readonly order: string[] = [];
  readonly emit = (kind: BarKindName, exchg: string, code: string, b: Bar): void => {
    const k = `${kind} ${exchg}.${code}`;
    let list = this.byKey.get(k);
    if (!list) this.byKey.set(k, (list = []));
    list.push(b);
    this.order.push(`${k} ${b.time}`);
  };
  get(kind: BarKindName, exchg: string, code: string): Bar[] {
    return this.byKey.get(`${kind} ${exchg}.${code}`) ?? [];
  }
}

/** Epoch ms of a local instant in Asia/Shanghai. */
export function shanghai(date: number, time: number): number {
  return epochOfLocal(date, time, 'Asia/Shanghai');
}

// Peer for the recorder bench: a SQLite tick recorder as in vn.py's default database, one row per tick, WAL, one transaction per frame.
//
//   node --import tsx scripts/bench/peers/sqlite-recorder.ts --url ws://127.0.0.1:P --expect N --db FILE
//
// The table has the columns of vn.py's DbTickData (vnpy_sqlite): symbol, exchange,
// datetime (text 'YYYY-MM-DD HH:MM:SS.ffffff', as peewee stores a DateTimeField), name,
// volume (cumulative), turnover, open_interest, last_price, last_volume, limit_up/down,
// open/high/low_price, pre_close, 5 levels of bid/ask price and volume, localtime, and
// its index on (symbol, exchange, datetime). vn.py's index is UNIQUE and it inserts with
// ON CONFLICT REPLACE; here the index is not unique so that every tick keeps its row
// (SHFE/INE ticks share half-second stamps). journal_mode WAL, synchronous NORMAL; one
// prepared INSERT per tick inside one transaction per frame (100 ticks from the
// simulator), better-sqlite3 (synchronous: the event loop, and so the socket, waits).

import Database from 'better-sqlite3';
import { peerArgs, required, runPeer, type WireTick } from './ws-peer.js';

const args = peerArgs();
const url = required(args, 'url');
const expect = Number(required(args, 'expect'));
const file = required(args, 'db');

const LEVELS = [1, 2, 3, 4, 5];
const COLUMNS = [
  'symbol',
  'exchange',
  'datetime',
  'name',
  'volume',
  'turnover',
  'open_interest',
  'last_price',
  'last_volume',
  'limit_up',
  'limit_down',
  'open_price',
  'high_price',
  'low_price',
  'pre_close',
  ...LEVELS.map((i) => `bid_price_${i}`),
  ...LEVELS.map((i) => `ask_price_${i}`),
  ...LEVELS.map((i) => `bid_volume_${i}`),
  ...LEVELS.map((i) => `ask_volume_${i}`),
  'localtime',
];
const TEXT = new Set(['symbol', 'exchange', 'datetime', 'name', 'localtime']);

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(
  `CREATE TABLE IF NOT EXISTS dbtickdata (id INTEGER PRIMARY KEY AUTOINCREMENT, ` +
    COLUMNS.map((c) => `${c} ${TEXT.has(c) ? 'TEXT' : 'REAL'}${c === 'localtime' ? '' : ' NOT NULL'}`).join(', ') +
    `); CREATE INDEX IF NOT EXISTS dbtickdata_symbol_exchange_datetime ON dbtickdata (symbol, exchange, datetime);`,
);
const insert = db.prepare(`INSERT INTO dbtickdata (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const level = (v: unknown, i: number): number => (Array.isArray(v) ? num(v[i]) : 0);
const p2 = (n: number) => (n < 10 ? '0' : '') + n;

/** action_date 20250106, action_time 210500500 → '2025-01-06 21:05:00.500000'. */
function datetime(date: number, time: number): string {
  const ms = time % 1000;
  const s = Math.floor(time / 1000) % 100;
  const m = Math.floor(time / 100000) % 100;
  const h = Math.floor(time / 10000000);
  const y = Math.floor(date / 10000);
  return `${y}-${p2(Math.floor(date / 100) % 100)}-${p2(date % 100)} ${p2(h)}:${p2(m)}:${p2(s)}.${String(ms * 1000).padStart(6, '0')}`;
}

function row(t: WireTick): unknown[] {
  const r: unknown[] = [
    t.code,
    t.exchg,
    datetime(t.action_date, t.action_time),
    '',
    num(t.total_volume),
    num(t.total_turnover),
    num(t.open_interest),
    num(t.price),
    num(t.volume),
    num(t.upper_limit),
    num(t.lower_limit),
    num(t.open),
    num(t.high),
    num(t.low),
    num(t.pre_close),
  ];
  for (const f of ['bid_prices', 'ask_prices', 'bid_qty', 'ask_qty']) for (let i = 0; i < 5; i++) r.push(level(t[f], i));
  r.push(null);
  return r;
}

const storeFrame = db.transaction((ticks: WireTick[]) => {
  for (const t of ticks) insert.run(row(t));
});

runPeer('sqlite-recorder', url, expect, {
  frame(ticks) {
    storeFrame(ticks);
  },
  close() {
    db.close();
  },
});

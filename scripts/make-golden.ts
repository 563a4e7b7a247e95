// Writes the golden .dmb files of test/fixtures/golden/ by assembling bytes with DataView from FORMAT.md's offsets (not with tickrec's codec).
//
// Usage: npx tsx scripts/make-golden.ts
//
// The layouts below are a second, hand-written transcription of the on-disk format, on
// purpose: test/format/golden.test.ts checks that tickrec's reader decodes these bytes to
// test/fixtures/golden/records.ts and that tickrec's writer produces them byte for byte.
// Every file: RTDayBlockHeader (24 bytes, packed) then GOLDEN_CAPACITY records, the slots
// past the last record zero.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GOLDEN_BARS, GOLDEN_CAPACITY, GOLDEN_DATE, GOLDEN_TICKS, GOLDEN_TRADES } from '../test/fixtures/golden/records.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../test/fixtures/golden/', import.meta.url));

const FLAG = [0x26, 0x5e, 0x25, 0x24, 0x23, 0x40, 0x21, 0x00]; // "&^%$#@!" + NUL
const HEADER_BYTES = 24;
const VERSION_RAW = 3;
const TYPE_RT_MIN1 = 1;
const TYPE_RT_TICKS = 3;
const TYPE_RT_TRANS = 5;

type Writer<T> = (d: DataView, at: number, rec: T) => void;

function chars(d: DataView, at: number, max: number, s: string): void {
  if (s.length >= max) throw new Error(`make-golden: '${s}' does not fit in char[${max}]`);
  for (let k = 0; k < s.length; k++) d.setUint8(at + k, s.charCodeAt(k)); // the rest stays 0 (NUL padding)
}

function f64s(d: DataView, at: number, values: ArrayLike<number>): void {
  for (let k = 0; k < 10; k++) d.setFloat64(at + 8 * k, values[k] ?? 0, true);
}

// TickStruct, 512 bytes: FORMAT.md "Tick record".
const writeTick: Writer<(typeof GOLDEN_TICKS)[number]> = (d, at, t) => {
  chars(d, at + 0, 16, t.exchg);
  chars(d, at + 16, 32, t.code);
  const doubles1 = [t.price, t.open, t.high, t.low, t.settle_price, t.upper_limit, t.lower_limit];
  doubles1.forEach((v, k) => d.setFloat64(at + 48 + 8 * k, v, true));
  const doubles2 = [t.total_volume, t.volume, t.total_turnover, t.turn_over, t.open_interest, t.diff_interest];
  doubles2.forEach((v, k) => d.setFloat64(at + 104 + 8 * k, v, true));
  d.setUint32(at + 152, t.trading_date, true);
  d.setUint32(at + 156, t.action_date, true);
  d.setUint32(at + 160, t.action_time, true);
  d.setUint32(at + 164, 0, true); // reserved
  [t.pre_close, t.pre_settle, t.pre_interest].forEach((v, k) => d.setFloat64(at + 168 + 8 * k, v, true));
  f64s(d, at + 192, t.bid_prices);
  f64s(d, at + 272, t.ask_prices);
  f64s(d, at + 352, t.bid_qty);
  f64s(d, at + 432, t.ask_qty);
};

// TransStruct, 112 bytes: FORMAT.md "Transaction record".
const writeTrade: Writer<(typeof GOLDEN_TRADES)[number]> = (d, at, t) => {
  chars(d, at + 0, 16, t.exchg);
  chars(d, at + 16, 32, t.code);
  d.setUint32(at + 48, t.trading_date, true);
  d.setUint32(at + 52, t.action_date, true);
  d.setUint32(at + 56, t.action_time, true);
  d.setUint32(at + 60, 0, true); // padding
  d.setBigInt64(at + 64, BigInt(t.index), true);
  d.setUint32(at + 72, t.ttype, true);
  d.setUint32(at + 76, t.side, true);
  d.setFloat64(at + 80, t.price, true);
  d.setUint32(at + 88, t.volume, true);
  d.setUint32(at + 92, 0, true); // padding
  d.setBigInt64(at + 96, BigInt(t.askorder), true);
  d.setBigInt64(at + 104, BigInt(t.bidorder), true);
};

// BarStruct, 88 bytes: FORMAT.md "Bar record".
const writeBar: Writer<(typeof GOLDEN_BARS)[number]> = (d, at, b) => {
  d.setUint32(at + 0, b.date, true);
  d.setUint32(at + 4, 0, true); // reserved
  d.setBigUint64(at + 8, BigInt(b.time), true);
  [b.open, b.high, b.low, b.close, b.settle, b.money, b.vol, b.hold, b.add].forEach((v, k) => d.setFloat64(at + 16 + 8 * k, v, true));
};

function rtFile<T>(type: number, recordBytes: number, records: readonly T[], write: Writer<T>): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + GOLDEN_CAPACITY * recordBytes);
  const d = new DataView(bytes.buffer);
  FLAG.forEach((b, k) => d.setUint8(k, b));
  d.setUint16(8, type, true);
  d.setUint16(10, VERSION_RAW, true);
  d.setUint32(12, records.length, true); // size
  d.setUint32(16, GOLDEN_CAPACITY, true); // capacity
  d.setUint32(20, GOLDEN_DATE, true); // date
  records.forEach((r, i) => write(d, HEADER_BYTES + i * recordBytes, r));
  return bytes;
}

/** File name → bytes of every golden file. */
export function goldenFiles(): Map<string, Uint8Array> {
  return new Map([
    ['ticks.dmb', rtFile(TYPE_RT_TICKS, 512, GOLDEN_TICKS, writeTick)],
    ['trades.dmb', rtFile(TYPE_RT_TRANS, 112, GOLDEN_TRADES, writeTrade)],
    ['min1.dmb', rtFile(TYPE_RT_MIN1, 88, GOLDEN_BARS, writeBar)],
  ]);
}

function main(): void {
  fs.mkdirSync(GOLDEN_DIR, { recursive: true });
  for (const [name, bytes] of goldenFiles()) {
    const file = path.join(GOLDEN_DIR, name);
    fs.writeFileSync(file, bytes);
    console.log(`${path.relative(process.cwd(), file)}: ${bytes.length} bytes`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();

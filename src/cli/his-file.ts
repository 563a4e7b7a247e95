// A historical block file (.tsb tickrec's, .dsb datakit's: a day block or a bar history, any version; the header decides) opened whole for cat and inspect, with the index API of an RtReader.

import fs from 'node:fs';
import { TickrecError, ioError } from '../errors.js';
import { MIN1_KIND, Mem, TICK_KIND, TRADE_KIND, type Rec, type RecordKind } from '../format/index.js';
import { BarHistory, hisKindByType, parseBlockHead, readAt, readHisBlock, type BlockFormat, type HisKind } from '../his/index.js';

/** What cat and the range options need of a file's records: RtReader has the same members. */
export interface KeyedRecords {
  readonly path: string;
  readonly kind: RecordKind;
  readonly length: number;
  get(i: number): Rec;
  keyAt(i: number): number;
  /** First index in [0, n) whose key is >= key (n when none). */
  lowerBound(key: number, n: number): number;
}

/** The decoded records of a historical file. */
export class HisRecords implements KeyedRecords {
  readonly kind: RecordKind;
  readonly length: number;
  private readonly mem: Mem;

  constructor(
    readonly path: string,
    readonly hisKind: HisKind,
    readonly format: BlockFormat,
    readonly type: number,
    readonly version: number,
    /** Day blocks: the trading date (tickrec: the header; datakit: the first record's). */
    readonly date: number | undefined,
    /** Bar histories: the days held, in date order. */
    readonly days: readonly { date: number; count: number }[] | undefined,
    records: Uint8Array,
  ) {
    // A day bar has the bar layout of a minute bar; its key is its date (time 0).
    this.kind = hisKind.name === 'tick' ? TICK_KIND : hisKind.name === 'trade' ? TRADE_KIND : (hisKind.rt ?? MIN1_KIND);
    this.mem = new Mem(records.byteOffset % 8 === 0 ? records : records.slice());
    this.length = records.length / hisKind.recordBytes;
  }

  get(i: number): Rec {
    return this.kind.codec.decode(this.mem, i * this.kind.recordBytes);
  }

  keyAt(i: number): number {
    return this.kind.keyAt(this.mem, i * this.kind.recordBytes);
  }

  lowerBound(key: number, n: number): number {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keyAt(mid) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** True when `file` holds a historical block type (21..25, tickrec's 121..123); false otherwise (the real-time reader then names what is wrong). */
export function isHistoricalFile(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw ioError(err, file, 'open for reading');
  }
  try {
    const head = readAt(fd, 0, Math.min(12, fs.fstatSync(fd).size), file);
    if (head.length < 12) return false; // the real-time probe names the problem
    const type = new DataView(head.buffer, head.byteOffset, head.length).getUint16(8, true);
    return hisKindByType(type) !== undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens and decodes a historical file whole (every check of its format applies; errors name the file). */
export function openHisFile(file: string): HisRecords {
  const head = parseBlockHead(readHead(file), file);
  if (head.kind.layout === 'daily') {
    const b = readHisBlock(file);
    return new HisRecords(file, b.hisKind, b.format, head.type, head.version, b.date, undefined, b.records);
  }
  const h = BarHistory.open(file);
  try {
    return new HisRecords(file, h.kind, h.format, head.type, head.version, undefined, h.days(), h.read());
  } finally {
    h.close();
  }
}

function readHead(file: string): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) throw new TickrecError('E_TRUNCATED', `${file}: empty; not a block file.`, { file });
    return readAt(fd, 0, Math.min(64, size), file);
  } finally {
    fs.closeSync(fd);
  }
}

// Bar histories (his/<min1|min5|day|...>/<EXCHG>/<CODE>.dsb): the tickrec container (append a day in O(day), read a range of days) and datakit's whole-file zstd block.
//
// CONTAINER (version 0x0102; offsets in docs/history.md):
//   0    HisContainerHeader (64): flag, type, version, record_bytes, data_start 256, CRC
//   64   meta slot 0 (64)        generation g lives in slot g % 2
//   128  meta slot 1 (64)
//   192  zero
//   256  chunks: each is a payload (COLS8 + LZ4 of its bars) followed by its day table
//        (HisChunkDay entries: date, count); then, after the last chunk written, the
//        index (HisChunkEntry x chunk_count, in date order). `end` = committed length.
//
// APPEND PROTOCOL (one commit per day; a crash at any instant leaves the last committed
// generation intact, because nothing below the committed `end` is ever written again):
//   1. bytes past the committed `end` (left by an interrupted append) are cut off;
//   2. the new chunk(s) and the new index are written from `end` on, then fsync;
//   3. the meta slot of generation g+1 (the slot NOT holding g) is written, then fsync.
// A reader takes the slot with a valid CRC and the highest generation (a slot torn by a
// crash in step 3 fails its CRC, so the reader keeps generation g).
//
// MERGE POLICY: each appended day is a level-0 chunk. Whenever the last MERGE_FANOUT
// chunks (in date order) have the same level L < MERGE_MAX_LEVEL and hold at most
// MERGE_MAX_RAW_BYTES of bars, they are merged into one level-L+1 chunk in the same
// commit. So a history is a few large chunks followed by fewer than 8 chunks per level
// (at most 8 + 8 + 8 small ones), each bar is rewritten at most 3 times in its life, and
// an append costs O(that day) plus, every 8^L days, a merge of O(8^L days).
// VACUUM: merged chunks and old indexes become dead space; when dead bytes exceed both
// the live bytes and VACUUM_MIN_DEAD_BYTES, the file is rewritten whole (chunks copied,
// not decoded) under a temporary name and renamed over: amortized O(1) per byte.
// Idempotent: appending a date already present is a no-op when its bars are identical,
// an error otherwise; the file's bytes depend only on the sequence of appended days.
//
// DATAKIT (version 4): BlockHeaderV2 + one zstd frame of every bar; the day history raw
// (version 3) up to 100 bars, as datakit's writer keeps it (datakitHistory below);
// versions 1 and 2 (old structs) are read converted and rewritten as 3/4 on the next
// append. Appending a day rewrites the whole file (O(history)), as datakit does. Used
// with --codec zstd, and for any existing datakit history.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { syncDir } from '../fsync.js';
import { BLOCK_HEADER_V2 } from '../format/index.js';
import { CODEC_LZ4 } from './codec.js';
import { assert } from '../assert.js';
import {
  checksumError,
  crc32,
  decodeDayBlock,
  decodePayload,
  decodePayloadColumns,
  encodeDatakitBlock,
  encodeDatakitRaw,
  encodePayload,
  parseBlockHead,
  type BlockFormat,
  type HisCodec,
  type PayloadInfo,
} from './block.js';
import { getHeader, offsetOf, putHeader } from './fields.js';
import { readAt, readWhole, writeAll, writeFileDurable } from './files.js';
import {
  CONTAINER_DATA_START,
  HIS_CHUNK_DAY,
  HIS_CHUNK_ENTRY,
  HIS_CONTAINER_HEADER,
  HIS_META_SLOT,
  HIS_VERSION_CONTAINER,
  META_SLOT_OFFSETS,
  type HisKind,
} from './layout.js';
import { TRANSFORM_COLS8, groupRecords, type ColumnPlan, type DecodeRun } from './transform.js';

export const MERGE_FANOUT = 8;
export const MERGE_MAX_LEVEL = 3;
export const MERGE_MAX_RAW_BYTES = 16 * 1024 * 1024;
export const VACUUM_MIN_DEAD_BYTES = 1024 * 1024;

export interface ReadColumnsOptions {
  /** Also check the CRC-32 of the raw bars (decodes rows, hashes them, extracts the columns from them). Default false; see readColumns. */
  checkRaw?: boolean;
}

export interface HistoryDay {
  date: number;
  count: number;
}

interface Chunk {
  offset: number;
  payloadBytes: number;
  payloadCrc: number;
  count: number;
  rawCrc: number;
  firstDate: number;
  lastDate: number;
  dayCount: number;
  daysCrc: number;
  codec: number;
  transform: number;
  level: number;
}

export interface MetaSlot {
  slot: number;
  generation: number;
  indexOffset: number;
  end: number;
  indexBytes: number;
  indexCrc: number;
  chunkCount: number;
  dayCount: number;
  recordCount: number;
  liveBytes: number;
}

interface Loaded {
  meta: MetaSlot;
  chunks: Chunk[];
  fileBytes: number;
  /** Each slot: its content, or why it is not usable. */
  slots: (MetaSlot | string)[];
}

const MAX_DATE = 99999999;
const R = HIS_CHUNK_ENTRY.size;
const D = HIS_CHUNK_DAY.size;

function damaged(file: string, what: string): TickrecError {
  return new TickrecError(
    'E_CORRUPT',
    `${file}: ${what}; the bar history is damaged. Restore it from a backup (tickrec verify names every damaged file).`,
    { file },
  );
}

/** Parses a meta slot; a string says why it is unusable. */
function slotText(s: MetaSlot | string | undefined): string {
  return typeof s === 'string' ? s : s === undefined ? 'missing' : `generation ${s.generation}`;
}

function parseSlot(b: Uint8Array, slot: number, fileBytes: number): MetaSlot | string {
  const crcAt = offsetOf(HIS_META_SLOT, 'slot_crc32');
  const view = b.subarray(META_SLOT_OFFSETS[slot], META_SLOT_OFFSETS[slot]! + HIS_META_SLOT.size);
  if (view.every((x) => x === 0)) return 'empty';
  if (crc32(view.subarray(0, crcAt)) !== new DataView(view.buffer, view.byteOffset).getUint32(crcAt, true))
    return 'CRC mismatch (torn write or damage)';
  const h = getHeader(HIS_META_SLOT, view);
  const m: MetaSlot = {
    slot,
    generation: h.generation!,
    indexOffset: h.index_offset!,
    end: h.end!,
    indexBytes: h.index_bytes!,
    indexCrc: h.index_crc32!,
    chunkCount: h.chunk_count!,
    dayCount: h.day_count!,
    recordCount: h.record_count!,
    liveBytes: h.live_bytes!,
  };
  if (m.generation === 0 || m.generation % 2 !== slot) return `generation ${m.generation} in slot ${slot}`;
  if (m.indexOffset < CONTAINER_DATA_START || m.indexOffset + m.indexBytes !== m.end || m.indexBytes !== m.chunkCount * R)
    return 'index bounds disagree';
  if (m.end > fileBytes) return `end ${m.end} beyond the file (${fileBytes} bytes)`;
  return m;
}

function parseChunk(b: Uint8Array, at: number): Chunk {
  const h = getHeader(HIS_CHUNK_ENTRY, b, at);
  return {
    offset: h.offset!,
    payloadBytes: h.payload_bytes!,
    payloadCrc: h.payload_crc32!,
    count: h.record_count!,
    rawCrc: h.raw_crc32!,
    firstDate: h.first_date!,
    lastDate: h.last_date!,
    dayCount: h.day_count!,
    daysCrc: h.days_crc32!,
    codec: h.codec!,
    transform: h.transform!,
    level: h.level!,
  };
}

function chunkFields(c: Chunk): Record<string, number> {
  return {
    offset: c.offset,
    payload_bytes: c.payloadBytes,
    payload_crc32: c.payloadCrc,
    record_count: c.count,
    raw_crc32: c.rawCrc,
    first_date: c.firstDate,
    last_date: c.lastDate,
    day_count: c.dayCount,
    days_crc32: c.daysCrc,
    codec: c.codec,
    transform: c.transform,
    level: c.level,
  };
}

/** Reads and checks the header, both slots and the index of an open container. */
function loadContainer(fd: number, file: string, kind: HisKind): Loaded {
  const fileBytes = fs.fstatSync(fd).size;
  if (fileBytes < CONTAINER_DATA_START)
    throw new TickrecError(
      'E_TRUNCATED',
      `${file}: ${fileBytes} bytes, shorter than the 256-byte container header; restore it from a backup.`,
      { file },
    );
  const head = readAt(fd, 0, CONTAINER_DATA_START, file);
  const crcAt = offsetOf(HIS_CONTAINER_HEADER, 'header_crc32');
  if (crc32(head.subarray(0, crcAt)) !== new DataView(head.buffer).getUint32(crcAt, true))
    throw checksumError(file, 'the container header');
  const h = getHeader(HIS_CONTAINER_HEADER, head);
  if (h.record_bytes !== kind.recordBytes || h.data_start !== CONTAINER_DATA_START || h.slot_bytes !== HIS_META_SLOT.size) {
    throw damaged(file, `container header says record_bytes ${h.record_bytes}, data_start ${h.data_start}, slot_bytes ${h.slot_bytes}`);
  }
  if (!head.subarray(32, 64).every((x) => x === 0) || !head.subarray(192, CONTAINER_DATA_START).every((x) => x === 0)) {
    throw damaged(file, 'reserved bytes of the container header are not zero');
  }
  const slots = [parseSlot(head, 0, fileBytes), parseSlot(head, 1, fileBytes)];
  const valid = slots.filter((s): s is MetaSlot => typeof s !== 'string').sort((a, b) => b.generation - a.generation);
  const meta = valid[0];
  if (!meta) throw damaged(file, `no usable meta slot (slot 0: ${slotText(slots[0])}; slot 1: ${slotText(slots[1])})`);
  const index = readAt(fd, meta.indexOffset, meta.indexBytes, file);
  if (crc32(index) !== meta.indexCrc) throw checksumError(file, `the index (generation ${meta.generation})`);
  const chunks: Chunk[] = [];
  let records = 0;
  let days = 0;
  let live = meta.indexBytes;
  for (let i = 0; i < meta.chunkCount; i++) {
    const c = parseChunk(index, i * R);
    if (
      c.offset < CONTAINER_DATA_START ||
      c.offset + c.payloadBytes + c.dayCount * D > meta.indexOffset ||
      c.dayCount === 0 ||
      c.firstDate > c.lastDate
    ) {
      throw damaged(
        file,
        `chunk ${i} has bounds that disagree with the file (offset ${c.offset}, ${c.payloadBytes} bytes, ${c.dayCount} days)`,
      );
    }
    records += c.count;
    days += c.dayCount;
    live += c.payloadBytes + c.dayCount * D;
    chunks.push(c);
  }
  if (records !== meta.recordCount || days !== meta.dayCount || live !== meta.liveBytes) {
    throw damaged(file, `meta slot counts (${meta.recordCount} bars, ${meta.dayCount} days) disagree with the index (${records}, ${days})`);
  }
  return { meta, chunks, fileBytes, slots };
}

/** The day table of a chunk, checked. */
function readChunkDays(fd: number, file: string, c: Chunk): HistoryDay[] {
  const b = readAt(fd, c.offset + c.payloadBytes, c.dayCount * D, file);
  if (crc32(b) !== c.daysCrc) throw checksumError(file, `the day table of the chunk at ${c.offset}`);
  const dv = new DataView(b.buffer);
  const out: HistoryDay[] = [];
  let total = 0;
  for (let i = 0; i < c.dayCount; i++) {
    const date = dv.getUint32(i * D, true);
    const count = dv.getUint32(i * D + 4, true);
    if (i > 0 && date <= out[i - 1]!.date) throw damaged(file, `day table of the chunk at ${c.offset} is not in date order`);
    out.push({ date, count });
    total += count;
  }
  if (total !== c.count || out[0]!.date !== c.firstDate || out[out.length - 1]!.date !== c.lastDate) {
    throw damaged(file, `day table of the chunk at ${c.offset} disagrees with its index entry`);
  }
  return out;
}

/** Appends run (src, count) → dst, extending the last run when both sides continue it. */
function addRun(runs: DecodeRun[], src: number, count: number, dst: number): void {
  const last = runs[runs.length - 1];
  if (last && last.src + last.count === src && last.dst + last.count === dst)
    runs[runs.length - 1] = { src: last.src, count: last.count + count, dst: last.dst };
  else runs.push({ src, count, dst });
}

/**
 * Payloads of the columnar read are read into this buffer, reused from chunk to chunk
 * (a fresh buffer per chunk costs a page fault per 4 KiB on first touch, about as much
 * as decoding it). Only payloads up to PAYLOAD_SCRATCH_MAX bytes use it, so that a
 * process does not keep a large buffer alive after one big read.
 */
const PAYLOAD_SCRATCH_MAX = 1 << 20;
let payloadBuf = new Uint8Array(0);
function payloadScratch(bytes: number): Uint8Array | undefined {
  if (bytes > PAYLOAD_SCRATCH_MAX) return undefined;
  if (payloadBuf.length < bytes) payloadBuf = new Uint8Array(Math.min(PAYLOAD_SCRATCH_MAX, Math.max(bytes, 2 * payloadBuf.length, 65536)));
  return payloadBuf;
}

function readChunkRecords(fd: number, file: string, kind: HisKind, c: Chunk, checkRaw = true): Uint8Array {
  const payload = readAt(fd, c.offset, c.payloadBytes, file);
  return decodePayload(
    payload,
    {
      codec: c.codec,
      transform: c.transform,
      recordBytes: kind.recordBytes,
      count: c.count,
      groupRecords: c.transform === TRANSFORM_COLS8 ? groupRecords(kind.recordBytes) : 0,
      payloadCrc: c.payloadCrc,
      rawCrc: c.rawCrc,
    },
    file,
    checkRaw,
  );
}

/** Splits sorted records into days by their date field. */
function daysOf(kind: HisKind, records: Uint8Array): HistoryDay[] {
  const dv = new DataView(records.buffer, records.byteOffset, records.length);
  const out: HistoryDay[] = [];
  for (let o = 0; o < records.length; o += kind.recordBytes) {
    const date = dv.getUint32(o + kind.dateOffset, true);
    const last = out[out.length - 1];
    if (last && last.date === date) last.count++;
    else out.push({ date, count: 1 });
  }
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(parts.reduce((a, p) => a + p.length, 0)));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0
  );
}

/** A read-only view of one bar history (tickrec container or datakit block). */
export class BarHistory {
  readonly path: string;
  readonly kind: HisKind;
  readonly format: BlockFormat;
  /** Container: the committed generation read; datakit: 0. */
  readonly generation: number;
  private fd: number | undefined;
  private readonly chunks: Chunk[];
  private readonly dayTables = new Map<number, HistoryDay[]>();
  private readonly all: Uint8Array | undefined;
  private readonly allDays: HistoryDay[] | undefined;
  private cached: { chunk: number; records: Uint8Array } | undefined;
  /** Container only: both meta slots as read (for verify). */
  readonly slots: readonly (MetaSlot | string)[];
  readonly fileBytes: number;
  readonly meta: MetaSlot | undefined;

  private constructor(
    file: string,
    kind: HisKind,
    format: BlockFormat,
    fd: number | undefined,
    loaded: Loaded | undefined,
    all: Uint8Array | undefined,
  ) {
    this.path = file;
    this.kind = kind;
    this.format = format;
    this.fd = fd;
    this.chunks = loaded?.chunks ?? [];
    this.slots = loaded?.slots ?? [];
    this.meta = loaded?.meta;
    this.generation = loaded?.meta.generation ?? 0;
    this.fileBytes = loaded?.fileBytes ?? all?.length ?? 0;
    this.all = all;
    this.allDays = all ? daysOf(kind, all) : undefined;
  }

  /** Opens a bar history; `expected` refuses a file of another kind. */
  static open(file: string, expected?: HisKind): BarHistory {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw ioError(err, file, 'open for reading');
    }
    try {
      const head = parseBlockHead(readAt(fd, 0, Math.min(64, fs.fstatSync(fd).size), file), file);
      const kind = head.kind;
      if (kind.layout !== 'history')
        throw new TickrecError('E_WRONG_TYPE', `${file}: holds ${kind.name} records (a day block), not a bar history; use readHisBlock.`, {
          file,
        });
      if (expected && expected !== kind) {
        throw new TickrecError(
          'E_WRONG_TYPE',
          `${file}: holds ${kind.name} bars (type ${kind.hisType}), expected ${expected.name} (type ${expected.hisType}); the file is in the wrong folder.`,
          { file },
        );
      }
      if (head.format === 'container') return new BarHistory(file, kind, 'container', fd, loadContainer(fd, file, kind), undefined);
      fs.closeSync(fd);
      const d = decodeDayBlock(readWhole(file), file);
      return new BarHistory(file, kind, d.format, undefined, undefined, d.records);
    } catch (err) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      throw err;
    }
  }

  /** Every day of the history in date order, with its number of bars. */
  days(): HistoryDay[] {
    if (this.allDays) return this.allDays.map((d) => ({ ...d }));
    const out: HistoryDay[] = [];
    for (let i = 0; i < this.chunks.length; i++) out.push(...this.chunkDays(i));
    return out.sort((a, b) => a.date - b.date);
  }

  /** Bars in the history. */
  get recordCount(): number {
    return this.all ? this.all.length / this.kind.recordBytes : this.chunks.reduce((a, c) => a + c.count, 0);
  }

  /** Chunks of the container (empty for datakit files): level, dates, bars. For tests and inspect. */
  chunkList(): { level: number; firstDate: number; lastDate: number; count: number; offset: number; bytes: number }[] {
    return this.chunks.map((c) => ({
      level: c.level,
      firstDate: c.firstDate,
      lastDate: c.lastDate,
      count: c.count,
      offset: c.offset,
      bytes: c.payloadBytes + c.dayCount * D,
    }));
  }

  /** The raw bars of every day in [fromDate, toDate], in date order; decodes only the chunks that hold them. */
  read(fromDate = 0, toDate = MAX_DATE): Uint8Array {
    const rb = this.kind.recordBytes;
    if (this.all) {
      let a = 0;
      let at = 0;
      for (const d of this.allDays!) {
        if (d.date < fromDate) a = at + d.count;
        if (d.date <= toDate) at += d.count;
      }
      return this.all.slice(a * rb, Math.max(a, at) * rb);
    }
    const pieces = this.pieces(fromDate, toDate);
    const decoded = new Map<number, Uint8Array>(); // each chunk decoded once, even when its days interleave with another's
    for (const p of pieces) if (!decoded.has(p.chunk)) decoded.set(p.chunk, this.chunkRecords(p.chunk));
    return concat(pieces.map((p) => decoded.get(p.chunk)!.subarray(p.first * rb, (p.first + p.count) * rb)));
  }

  /** Bars of the days in [fromDate, toDate]: the rows readColumns writes for that range. Reads day tables only. */
  rowCount(fromDate = 0, toDate = MAX_DATE): number {
    if (this.allDays) return this.allDays.reduce((a, d) => (d.date >= fromDate && d.date <= toDate ? a + d.count : a), 0);
    return this.pieces(fromDate, toDate).reduce((a, p) => a + p.count, 0);
  }

  /**
   * The bars of every day in [fromDate, toDate], in date order, decoded straight into the
   * columns of `plan`: bar i goes to row dst + i of every sink (which must hold
   * dst + rowCount(fromDate, toDate) rows). Returns the number of bars written.
   *
   * WHAT THIS CHECKS (the rule of the columnar read): the header, the meta slot, the index
   * and the day tables (CRCs, as open() and days() do), then for each chunk decoded the
   * CRC-32 of its payload as stored, the decompressed size and the structure of the COLS8
   * groups. Together they detect any flipped bit of the file: every stored byte is under
   * one of those CRCs. What it does NOT check by default is the CRC of the raw bars
   * (raw_crc32): the columnar decode never rebuilds the rows it was computed over, and
   * that CRC only guards against a bug of the transform itself, which `tickrec verify
   * --deep` and compaction's read-back check. `{ checkRaw: true }` checks it: the chunk
   * is then decoded to rows (cols8Decode), hashed, and the columns extracted from the rows
   * (slower: the raw bars are written, hashed and read once more). A datakit history (zstd,
   * no checksum) is decoded whole at open and extracted from its rows.
   */
  readColumns(fromDate: number, toDate: number, plan: ColumnPlan, dst: number, opts: ReadColumnsOptions = {}): number {
    assert(
      plan.recordBytes === this.kind.recordBytes,
      `columns planned for ${plan.recordBytes}-byte records, ${this.path} holds ${this.kind.recordBytes}-byte bars`,
    );
    if (this.all) {
      const runs: DecodeRun[] = [];
      let first = 0;
      let at = dst;
      for (const d of this.allDays!) {
        if (d.date >= fromDate && d.date <= toDate) {
          addRun(runs, first, d.count, at);
          at += d.count;
        }
        first += d.count;
      }
      plan.fromRows(this.all, runs);
      return at - dst;
    }
    // Days in date order get consecutive rows; each chunk is decoded once, into the rows of its days.
    const byChunk = new Map<number, DecodeRun[]>();
    let at = dst;
    for (const p of this.pieces(fromDate, toDate)) {
      let runs = byChunk.get(p.chunk);
      if (!runs) byChunk.set(p.chunk, (runs = []));
      addRun(runs, p.first, p.count, at);
      at += p.count;
    }
    const fd = this.openFd();
    for (const [i, runs] of byChunk) {
      const c = this.chunks[i]!;
      if (opts.checkRaw) {
        plan.fromRows(this.chunkRecords(i), runs);
        continue;
      }
      const payload = readAt(fd, c.offset, c.payloadBytes, this.path, payloadScratch(c.payloadBytes));
      decodePayloadColumns(payload, this.payloadInfo(c), this.path, plan, runs, false);
    }
    return at - dst;
  }

  /** The days of [fromDate, toDate] as pieces of chunks, in date order (chunks may interleave in dates: an old day appended late is its own chunk). */
  private pieces(fromDate: number, toDate: number): { date: number; chunk: number; first: number; count: number }[] {
    const out: { date: number; chunk: number; first: number; count: number }[] = [];
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      if (c.lastDate < fromDate || c.firstDate > toDate) continue;
      let first = 0;
      for (const d of this.chunkDays(i)) {
        if (d.date >= fromDate && d.date <= toDate) out.push({ date: d.date, chunk: i, first, count: d.count });
        first += d.count;
      }
    }
    return out.sort((a, b) => a.date - b.date);
  }

  private payloadInfo(c: Chunk): PayloadInfo {
    return {
      codec: c.codec,
      transform: c.transform,
      recordBytes: this.kind.recordBytes,
      count: c.count,
      groupRecords: c.transform === TRANSFORM_COLS8 ? groupRecords(this.kind.recordBytes) : 0,
      payloadCrc: c.payloadCrc,
      rawCrc: c.rawCrc,
    };
  }

  /** The bars of one day, or undefined when the history does not hold it. */
  readDay(date: number): Uint8Array | undefined {
    return this.hasDay(date) ? this.read(date, date) : undefined;
  }

  hasDay(date: number): boolean {
    if (this.allDays) return this.allDays.some((d) => d.date === date);
    return this.chunks.some((c, i) => c.firstDate <= date && date <= c.lastDate && this.chunkDays(i).some((d) => d.date === date));
  }

  /** Checks the CRC of every chunk payload and day table as stored, without decoding (verify without --deep). */
  checkStored(): void {
    const fd = this.openFd();
    this.chunks.forEach((c, i) => {
      if (crc32(readAt(fd, c.offset, c.payloadBytes, this.path)) !== c.payloadCrc)
        throw checksumError(this.path, `the chunk at ${c.offset}`);
      this.chunkDays(i);
    });
  }

  /** Decodes every chunk (CRCs included): what verify --deep runs. Returns the bars in date order. */
  readAll(): Uint8Array {
    return this.read(0, MAX_DATE);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.cached = undefined;
  }

  private chunkDays(i: number): HistoryDay[] {
    let d = this.dayTables.get(i);
    if (!d) {
      d = readChunkDays(this.openFd(), this.path, this.chunks[i]!);
      this.dayTables.set(i, d);
    }
    return d;
  }

  private chunkRecords(i: number): Uint8Array {
    if (this.cached?.chunk === i) return this.cached.records;
    const records = readChunkRecords(this.openFd(), this.path, this.kind, this.chunks[i]!);
    this.cached = { chunk: i, records };
    return records;
  }

  private openFd(): number {
    if (this.fd === undefined) throw new TickrecError('E_IO', `${this.path}: the history is closed; open it again.`, { file: this.path });
    return this.fd;
  }
}

// ---------------------------------------------------------------------------------------
// Writing

export interface AppendOptions {
  /** Codec of a NEW file: 'lz4' makes a container, 'zstd' a datakit block. An existing file keeps its format. */
  codec: HisCodec;
  /** Test hook: told of each durable step (a crash test kills the process there). */
  onStep?: (step: string) => void;
}

export interface AppendResult {
  outcome: 'created' | 'appended' | 'present';
  format: BlockFormat;
  /** Chunks merged by this append (container). */
  merged: number;
  vacuumed: boolean;
  /** Bytes written to the file (data, index, meta; the whole file for a rewrite). */
  bytesWritten: number;
}

/** A chunk not yet on disk: its bars and day table. */
interface NewChunk {
  records: Uint8Array;
  days: HistoryDay[];
  level: number;
}

type Entry = { disk: Chunk } | { mem: NewChunk };

function entryFirst(e: Entry): number {
  return 'disk' in e ? e.disk.firstDate : e.mem.days[0]!.date;
}
function entryLevel(e: Entry): number {
  return 'disk' in e ? e.disk.level : e.mem.level;
}
function entryRaw(e: Entry, rb: number): number {
  return 'disk' in e ? e.disk.count * rb : e.mem.records.length;
}

/**
 * Appends the bars of trading day `date` to the bar history at `file` (created when
 * missing). Idempotent: a day already present with the same bars is a no-op ('present');
 * present with other bars is refused (E_CORRUPT names both). `records` must be whole
 * bars of that day in time order.
 */
export function appendBarDay(file: string, kind: HisKind, date: number, records: Uint8Array, opts: AppendOptions): AppendResult {
  if (records.length === 0 || records.length % kind.recordBytes !== 0) {
    throw new TickrecError('E_FIELD', `${file}: ${records.length} bytes are not whole bars of ${kind.recordBytes}; nothing appended.`, {
      file,
    });
  }
  if (!fs.existsSync(file)) {
    const dk = opts.codec === 'zstd' ? datakitHistory(kind, records, false) : undefined;
    const bytes = dk ? [dk.bytes] : newContainer(kind, [{ records, days: [{ date, count: records.length / kind.recordBytes }], level: 0 }]);
    writeFileDurable(file, bytes, opts.onStep);
    return {
      outcome: 'created',
      format: dk ? dk.format : 'container',
      merged: 0,
      vacuumed: false,
      bytesWritten: bytes.reduce((a, b) => a + b.length, 0),
    };
  }
  const head = parseBlockHead(readWhole64(file), file);
  if (head.kind !== kind) {
    throw new TickrecError(
      'E_WRONG_TYPE',
      `${file}: holds ${head.kind.name} records, not ${kind.name} bars; the file is in the wrong folder. Move it aside.`,
      { file },
    );
  }
  if (head.format === 'container') return appendToContainer(file, kind, date, records, opts);
  return appendToDatakit(file, kind, date, records, opts);
}

function readWhole64(file: string): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    return readAt(fd, 0, Math.min(64, fs.fstatSync(fd).size), file);
  } finally {
    fs.closeSync(fd);
  }
}

function conflict(file: string, date: number): TickrecError {
  return new TickrecError(
    'E_CORRUPT',
    `${file}: already holds trading day ${date} with other bars than the ones being appended; nothing changed. ` +
      'Compare the two (tickrec verify --deep), then remove the wrong one by hand.',
    { file },
  );
}

/** Largest day history datakit keeps raw (version 3); past it, or once compressed, it writes zstd (WtDataWriter's day dump). */
export const DATAKIT_DAY_RAW_MAX_BARS = 100;

/**
 * A datakit bar history as datakit's writer lays it out: min1/min5 (and tickrec's longer
 * periods) always one zstd frame (version 4); the day history raw (version 3, 12-byte
 * BlockHeader) while it holds at most DATAKIT_DAY_RAW_MAX_BARS bars and was never
 * compressed, else zstd. (An old version 1/2 file is converted, as datakit converts it.)
 */
function datakitHistory(kind: HisKind, all: Uint8Array, wasCompressed: boolean): { bytes: Uint8Array; format: BlockFormat } {
  const raw = kind.name === 'day' && !wasCompressed && all.length / kind.recordBytes <= DATAKIT_DAY_RAW_MAX_BARS;
  return raw
    ? { bytes: encodeDatakitRaw(kind.hisType, all), format: 'datakit-raw' }
    : { bytes: encodeDatakitBlock(kind.hisType, all), format: 'datakit-zstd' };
}

function appendToDatakit(file: string, kind: HisKind, date: number, records: Uint8Array, opts: AppendOptions): AppendResult {
  const decoded = decodeDayBlock(readWhole(file), file);
  const all = decoded.records;
  const wasCompressed = decoded.format === 'datakit-zstd' || decoded.format === 'datakit-old-zstd';
  const rb = kind.recordBytes;
  const days = daysOf(kind, all);
  let before = 0;
  for (const d of days) {
    if (d.date === date) {
      const existing = all.subarray(before * rb, (before + d.count) * rb);
      if (sameBytes(existing, records)) return { outcome: 'present', format: decoded.format, merged: 0, vacuumed: false, bytesWritten: 0 };
      throw conflict(file, date);
    }
    if (d.date < date) before += d.count;
  }
  const merged = concat([all.subarray(0, before * rb), records, all.subarray(before * rb)]);
  const { bytes, format } = datakitHistory(kind, merged, wasCompressed);
  writeFileDurable(file, [bytes], opts.onStep);
  return { outcome: 'appended', format, merged: 0, vacuumed: false, bytesWritten: bytes.length };
}

/** Encodes a chunk: payload + day table, and its index entry (offset filled by the caller). */
function encodeChunk(kind: HisKind, c: NewChunk): { bytes: Uint8Array; entry: Chunk } {
  const p = encodePayload(c.records, kind.recordBytes, { codec: CODEC_LZ4, transform: TRANSFORM_COLS8 });
  const table = new Uint8Array(c.days.length * D);
  const dv = new DataView(table.buffer);
  c.days.forEach((d, i) => {
    dv.setUint32(i * D, d.date, true);
    dv.setUint32(i * D + 4, d.count, true);
  });
  const entry: Chunk = {
    offset: 0,
    payloadBytes: p.payload.length,
    payloadCrc: p.payloadCrc,
    count: c.records.length / kind.recordBytes,
    rawCrc: p.rawCrc,
    firstDate: c.days[0]!.date,
    lastDate: c.days[c.days.length - 1]!.date,
    dayCount: c.days.length,
    daysCrc: crc32(table),
    codec: p.codec,
    transform: p.transform,
    level: c.level,
  };
  return { bytes: concat([p.payload, table]), entry };
}

function headerBytes(kind: HisKind): Uint8Array {
  const b = new Uint8Array(CONTAINER_DATA_START);
  putHeader(HIS_CONTAINER_HEADER, b, {
    type: kind.hisType,
    version: HIS_VERSION_CONTAINER,
    record_bytes: kind.recordBytes,
    data_start: CONTAINER_DATA_START,
    slot_bytes: HIS_META_SLOT.size,
  });
  const crcAt = offsetOf(HIS_CONTAINER_HEADER, 'header_crc32');
  new DataView(b.buffer).setUint32(crcAt, crc32(b.subarray(0, crcAt)), true);
  return b;
}

function slotBytes(m: Omit<MetaSlot, 'slot'>): Uint8Array {
  const b = new Uint8Array(HIS_META_SLOT.size);
  putHeader(HIS_META_SLOT, b, {
    generation: m.generation,
    index_offset: m.indexOffset,
    end: m.end,
    index_bytes: m.indexBytes,
    index_crc32: m.indexCrc,
    chunk_count: m.chunkCount,
    day_count: m.dayCount,
    record_count: m.recordCount,
    live_bytes: m.liveBytes,
  });
  const crcAt = offsetOf(HIS_META_SLOT, 'slot_crc32');
  new DataView(b.buffer).setUint32(crcAt, crc32(b.subarray(0, crcAt)), true);
  return b;
}

function indexBytes(chunks: readonly Chunk[]): Uint8Array {
  const b = new Uint8Array(chunks.length * R);
  chunks.forEach((c, i) => putHeader(HIS_CHUNK_ENTRY, b, chunkFields(c), i * R));
  return b;
}

function metaOf(generation: number, chunks: readonly Chunk[], index: Uint8Array, indexOffset: number): Omit<MetaSlot, 'slot'> {
  return {
    generation,
    indexOffset,
    end: indexOffset + index.length,
    indexBytes: index.length,
    indexCrc: crc32(index),
    chunkCount: chunks.length,
    dayCount: chunks.reduce((a, c) => a + c.dayCount, 0),
    recordCount: chunks.reduce((a, c) => a + c.count, 0),
    liveBytes: index.length + chunks.reduce((a, c) => a + c.payloadBytes + c.dayCount * D, 0),
  };
}

/** The bytes of a whole container holding `chunks` (a new file, or a vacuum's rewrite), at generation `generation`. */
function containerBytes(kind: HisKind, generation: number, bodies: readonly { bytes: Uint8Array; entry: Chunk }[]): Uint8Array[] {
  const head = headerBytes(kind);
  let at = CONTAINER_DATA_START;
  const chunks = bodies.map((b) => {
    const c = { ...b.entry, offset: at };
    at += b.bytes.length;
    return c;
  });
  const index = indexBytes(chunks);
  head.set(slotBytes(metaOf(generation, chunks, index, at)), META_SLOT_OFFSETS[generation % 2]);
  return [head, ...bodies.map((b) => b.bytes), index];
}

function newContainer(kind: HisKind, chunks: readonly NewChunk[]): Uint8Array[] {
  return containerBytes(
    kind,
    1,
    chunks.map((c) => encodeChunk(kind, c)),
  );
}

/** Merges the tail of `entries` while the policy says so; returns how many chunks were merged away. */
function mergeTail(fd: number, file: string, kind: HisKind, entries: Entry[]): number {
  let merged = 0;
  for (;;) {
    if (entries.length < MERGE_FANOUT) return merged;
    const tail = entries.slice(entries.length - MERGE_FANOUT);
    const level = entryLevel(tail[0]!);
    if (level >= MERGE_MAX_LEVEL || tail.some((e) => entryLevel(e) !== level)) return merged;
    if (tail.reduce((a, e) => a + entryRaw(e, kind.recordBytes), 0) > MERGE_MAX_RAW_BYTES) return merged;
    const days: { day: HistoryDay; bytes: Uint8Array }[] = [];
    for (const e of tail) {
      const recs = 'disk' in e ? readChunkRecords(fd, file, kind, e.disk) : e.mem.records;
      const table = 'disk' in e ? readChunkDays(fd, file, e.disk) : e.mem.days;
      let first = 0;
      for (const d of table) {
        days.push({ day: d, bytes: recs.subarray(first * kind.recordBytes, (first + d.count) * kind.recordBytes) });
        first += d.count;
      }
    }
    days.sort((a, b) => a.day.date - b.day.date);
    entries.splice(entries.length - MERGE_FANOUT, MERGE_FANOUT, {
      mem: { records: concat(days.map((d) => d.bytes)), days: days.map((d) => d.day), level: level + 1 },
    });
    merged += MERGE_FANOUT;
  }
}

function appendToContainer(file: string, kind: HisKind, date: number, records: Uint8Array, opts: AppendOptions): AppendResult {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (err) {
    throw ioError(err, file, 'open for appending');
  }
  try {
    const st = loadContainer(fd, file, kind);
    const end = st.meta.end;
    if (st.fileBytes > end) {
      // Garbage of an interrupted append: never part of a committed generation.
      try {
        fs.ftruncateSync(fd, end);
        fs.fsyncSync(fd);
      } catch (err) {
        throw ioError(err, file, 'cut off the bytes of an interrupted append');
      }
    }
    for (const c of st.chunks) {
      if (c.firstDate > date || c.lastDate < date) continue;
      const table = readChunkDays(fd, file, c);
      let first = 0;
      for (const d of table) {
        if (d.date === date) {
          const recs = readChunkRecords(fd, file, kind, c);
          if (!sameBytes(recs.subarray(first * kind.recordBytes, (first + d.count) * kind.recordBytes), records))
            throw conflict(file, date);
          const vacuumed = maybeVacuum(fd, file, kind, st.meta, st.chunks, opts);
          return { outcome: 'present', format: 'container', merged: 0, vacuumed, bytesWritten: 0 };
        }
        first += d.count;
      }
    }
    const entries: Entry[] = st.chunks.map((c) => ({ disk: c }));
    let at = entries.length;
    while (at > 0 && entryFirst(entries[at - 1]!) > date) at--;
    entries.splice(at, 0, { mem: { records, days: [{ date, count: records.length / kind.recordBytes }], level: 0 } });
    const merged = mergeTail(fd, file, kind, entries);
    let pos = end;
    const writes: { at: number; bytes: Uint8Array }[] = [];
    const chunks = entries.map((e) => {
      if ('disk' in e) return e.disk;
      const enc = encodeChunk(kind, e.mem);
      writes.push({ at: pos, bytes: enc.bytes });
      const c = { ...enc.entry, offset: pos };
      pos += enc.bytes.length;
      return c;
    });
    const index = indexBytes(chunks);
    writes.push({ at: pos, bytes: index });
    const meta = { ...metaOf(st.meta.generation + 1, chunks, index, pos), slot: (st.meta.generation + 1) % 2 };
    let written = 0;
    try {
      for (const w of writes) {
        writeAll(fd, w.bytes, file, w.at);
        written += w.bytes.length;
      }
      opts.onStep?.('container-data-written');
      fs.fdatasyncSync(fd);
      opts.onStep?.('container-data-synced');
      writeAll(fd, slotBytes(meta), file, META_SLOT_OFFSETS[meta.slot]);
      opts.onStep?.('container-meta-written');
      fs.fdatasyncSync(fd);
      opts.onStep?.('container-committed');
    } catch (err) {
      // Nothing committed: cut back to the last committed end (best effort; the next append does it anyway).
      try {
        fs.ftruncateSync(fd, end);
      } catch {
        // the next append cuts the garbage off
      }
      throw ioError(err, file, 'append a day');
    }
    const vacuumed = maybeVacuum(fd, file, kind, meta, chunks, opts);
    return { outcome: 'appended', format: 'container', merged, vacuumed, bytesWritten: written + HIS_META_SLOT.size };
  } finally {
    fs.closeSync(fd);
  }
}

/** Rewrites the container without dead space when dead bytes exceed the live bytes (and VACUUM_MIN_DEAD_BYTES). */
function maybeVacuum(fd: number, file: string, kind: HisKind, meta: MetaSlot, chunks: readonly Chunk[], opts: AppendOptions): boolean {
  const dead = meta.end - CONTAINER_DATA_START - meta.liveBytes;
  if (dead <= meta.liveBytes || dead <= VACUUM_MIN_DEAD_BYTES) return false;
  const bodies = chunks.map((c) => {
    const bytes = readAt(fd, c.offset, c.payloadBytes + c.dayCount * D, file);
    if (crc32(bytes.subarray(0, c.payloadBytes)) !== c.payloadCrc) throw checksumError(file, `the chunk at ${c.offset}`);
    if (crc32(bytes.subarray(c.payloadBytes)) !== c.daysCrc) throw checksumError(file, `the day table of the chunk at ${c.offset}`);
    return { bytes, entry: c };
  });
  writeFileDurable(file, containerBytes(kind, meta.generation + 1, bodies), opts.onStep);
  return true;
}

/** For tests and verify: BlockHeaderV2 size of a datakit file. */
export const DATAKIT_HEADER_BYTES = BLOCK_HEADER_V2.size;

// ---------------------------------------------------------------------------------------
// Undo of appends

/** Suffix of the hard link that keeps a bar history's previous inode while appends to it are checked. */
export const UNDO_SUFFIX = '.undo';

export interface HistoryUndo {
  /** Puts the history back exactly as it was when the undo was taken (or removes it, if it did not exist). */
  restore(): void;
  /** The appends were checked: forget the old state. */
  discard(): void;
}

/**
 * UNDO OF A BAR HISTORY (the promise that a failed compaction leaves a bar history as it
 * was, so that a rerun can never append a day twice): taken before the first append of a
 * compaction step, restored when anything after it fails, discarded after the read-back.
 * An append changes a history in one of two ways, and the undo keeps what each needs:
 * - in place (a container append: bytes past the committed end, then one meta slot):
 *   the first 256 bytes (header and both slots), the bytes from the committed end to the
 *   file's length, and that length; restore writes them back and truncates;
 * - by rename (a datakit history rewritten, a container vacuumed): the old inode, kept by
 *   a hard link `<file>.undo` (a copy where the filesystem has no hard links); restore
 *   renames it back over the file.
 * A kill leaves a stale `<file>.undo` behind; the next undo of the file replaces it (the
 * rerun finds the day present with the same bars, or appends it: nothing doubles).
 */
export function historyUndo(file: string): HistoryUndo {
  const link = file + UNDO_SUFFIX;
  fs.rmSync(link, { force: true });
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(err, file, 'stat');
    return {
      restore: () => {
        fs.rmSync(file, { force: true });
        fs.rmSync(file + '.tmp', { force: true });
      },
      discard: () => {},
    };
  }
  let end = st.size;
  try {
    const h = BarHistory.open(file);
    if (h.format === 'container') end = h.meta!.end;
    h.close();
  } catch {
    // not readable as a history: restore will put every byte back from the link
    end = 0;
  }
  const fd = fs.openSync(file, 'r');
  let head: Uint8Array;
  let tail: Uint8Array;
  try {
    head = readAt(fd, 0, Math.min(CONTAINER_DATA_START, st.size), file);
    tail = readAt(fd, Math.max(end, head.length), st.size - Math.max(end, head.length), file);
  } finally {
    fs.closeSync(fd);
  }
  try {
    if (end === 0) throw new Error('unreadable: keep a copy, not a link');
    fs.linkSync(file, link);
  } catch {
    fs.copyFileSync(file, link);
  }
  const linked = fs.statSync(link).ino === st.ino;
  return {
    restore: () => {
      const now = fs.statSync(file, { throwIfNoEntry: false });
      if (now && linked && now.ino === st.ino && end > 0) {
        const w = fs.openSync(file, 'r+');
        try {
          writeAll(w, head, file, 0);
          writeAll(w, tail, file, Math.max(end, head.length));
          fs.ftruncateSync(w, st.size);
          fs.fsyncSync(w);
        } finally {
          fs.closeSync(w);
        }
        fs.rmSync(link, { force: true });
      } else {
        fs.renameSync(link, file);
      }
      syncDir(path.dirname(file));
    },
    discard: () => {
      fs.rmSync(link, { force: true });
    },
  };
}

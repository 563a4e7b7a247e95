// Opening a real-time (.dmb) file and checking what its header claims against what is
// on disk. Shared by the writer (which may repair) and the reader (which never writes).

import fs from 'node:fs';
import { TickrecError, ioError } from '../errors.js';
import {
  BLOCK_VERSION_RAW,
  RT_HEADER_BYTES,
  hasBlockFlag,
  kindByRtType,
  readRtHeader,
  type RecordKind,
  type RtHeader,
} from '../format/index.js';

export interface RtProbe {
  readonly path: string;
  readonly header: RtHeader;
  readonly kind: RecordKind;
  /** Length of the file on disk, bytes. */
  readonly fileBytes: number;
  /** Whole records that fit in the file's real length. */
  readonly realCapacity: number;
  /** Bytes past the last whole record (an interrupted growth leaves some). */
  readonly tailBytes: number;
}

/** Reads and checks the header of an open RT file. Throws for a file nobody should trust. */
export function probeRtFile(fd: number, path: string, expected?: RecordKind): RtProbe {
  // The header first, then the length: while a writer grows the file, the length only
  // grows and `capacity` is stored after the file grew, so a length taken after the
  // header read always covers the capacity that header holds.
  const head = Buffer.alloc(RT_HEADER_BYTES);
  let got: number;
  let fileBytes: number;
  try {
    got = fs.readSync(fd, head, 0, RT_HEADER_BYTES, 0); // EISDIR when `path` is a folder
    fileBytes = fs.fstatSync(fd).size;
  } catch (err) {
    throw ioError(err, path, 'reading the header');
  }
  if (got < RT_HEADER_BYTES) {
    throw new TickrecError(
      'E_TRUNCATED',
      `${path}: ${fileBytes} bytes, shorter than the ${RT_HEADER_BYTES}-byte header; the file is not a usable block file. ` +
        'Move it aside; if it should hold data, restore it from a backup.',
      { file: path },
    );
  }
  if (!hasBlockFlag(head)) {
    throw new TickrecError(
      'E_NOT_BLOCK_FILE',
      `${path}: does not start with the block flag "&^%$#@!" (found ${head.subarray(0, 8).toString('hex')}); ` +
        "this is not a tickrec/datakit block file. Check the path; if it is a recorder's own file whose header was destroyed, " +
        'move it aside (mv FILE FILE.damaged): the recorder starts a new one, and the old records can only come back from a backup ' +
        '(tickrec repair cannot rebuild a header).',
      { file: path },
    );
  }
  const header = readRtHeader(head);
  const kind = kindByRtType(header.type);
  if (!kind) {
    throw new TickrecError(
      'E_WRONG_TYPE',
      `${path}: block type ${header.type} is not a real-time type tickrec reads (1 min1, 2 min5, 3 ticks, 5 transactions, 101-103 min15/min30/min60).`,
      { file: path },
    );
  }
  if (expected && expected.rtType !== kind.rtType) {
    throw new TickrecError(
      'E_WRONG_TYPE',
      `${path}: holds ${kind.name} records (type ${kind.rtType}), expected ${expected.name} (type ${expected.rtType}); ` +
        'the file is in the wrong folder or was overwritten.',
      { file: path },
    );
  }
  if (header.version !== BLOCK_VERSION_RAW) {
    throw new TickrecError(
      'E_VERSION',
      `${path}: version ${header.version}; real-time files are version ${BLOCK_VERSION_RAW} (raw records). ` +
        'Upgrade tickrec or convert the file.',
      { file: path },
    );
  }
  const body = fileBytes - RT_HEADER_BYTES;
  const realCapacity = Math.floor(body / kind.recordBytes);
  return { path, header, kind, fileBytes, realCapacity, tailBytes: body - realCapacity * kind.recordBytes };
}

/**
 * TRADING DATE OF A REAL-TIME FILE (the one rule; see RecordKind.datedByRecords): for
 * ticks and trades the header `date`; for bars the `date` field of the last published
 * record, and the header `date` only while no record is published. datakit's writer puts
 * the calendar date of a bar file's CREATION in its header (a file created at 21:00 on
 * Monday holds the night bars of Tuesday's trading day), tickrec puts the trading date
 * there; the records say the same thing for both. `lastRecordDate` is that field of the
 * last published record, or undefined when there is none.
 */
export function rtTradingDate(kind: RecordKind, headerDate: number, lastRecordDate: number | undefined): number {
  return kind.datedByRecords && lastRecordDate !== undefined ? lastRecordDate : headerDate;
}

/** The trading date of an open real-time file (rtTradingDate), reading the last record's date through `fd` when the rule needs it. */
export function readRtTradingDate(fd: number, p: RtProbe): number {
  const { kind, header } = p;
  const n = Math.min(header.size, header.capacity, p.realCapacity);
  if (!kind.datedByRecords || n === 0) return rtTradingDate(kind, header.date, undefined);
  const b = Buffer.alloc(4);
  const got = fs.readSync(fd, b, 0, 4, RT_HEADER_BYTES + (n - 1) * kind.recordBytes + kind.tradingDateOffset);
  return rtTradingDate(kind, header.date, got === 4 ? b.readUInt32LE(0) : undefined);
}

/** The checks a reader applies: the header must agree with the file. */
export function checkReadable(p: RtProbe): void {
  const { header, path, kind } = p;
  if (header.capacity > p.realCapacity) {
    throw new TickrecError(
      'E_TRUNCATED',
      `${path}: header says capacity ${header.capacity} (${RT_HEADER_BYTES + header.capacity * kind.recordBytes} bytes) ` +
        `but the file has ${p.fileBytes} bytes (room for ${p.realCapacity} ${kind.name} records); the file was truncated. ` +
        `Run 'tickrec repair ${path}' to keep the records that remain.`,
      { file: path },
    );
  }
  if (header.size > header.capacity) {
    throw new TickrecError(
      'E_CORRUPT',
      `${path}: header says ${header.size} records published but capacity is ${header.capacity}; the header is damaged. ` +
        `Run 'tickrec repair ${path}' to keep the ${header.capacity} records that fit.`,
      { file: path },
    );
  }
}

const CHUNK_BYTES = 1 << 20;

/**
 * Reads [from, to) of fd in 1 MiB chunks and calls onDirty(at, bytes) for each chunk that
 * holds a non-zero byte; stops early when onDirty returns false. Reads through the fd,
 * never through a mapping (see rt-writer.ts: a page first read through a writable
 * mapping makes its first write slow). Used to check (inspect) and to zero (the writer's
 * reopen) the slots past `size`.
 */
export function visitNonZeroChunks(fd: number, from: number, to: number, onDirty: (at: number, bytes: number) => boolean | void): void {
  const buf = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(0, to - from)));
  for (let at = from; at < to;) {
    const got = fs.readSync(fd, buf, 0, Math.min(buf.length, to - at), at);
    if (got <= 0) break;
    let dirty = false;
    for (let i = 0; i < got && !dirty; i++) dirty = buf[i] !== 0;
    if (dirty && onDirty(at, got) === false) return;
    at += got;
  }
}

/**
 * True when every byte of `path` is zero (and it has at least one): what a new file whose
 * name became durable before its header holds after a power loss (durable.ts). Read in
 * 1 MiB chunks; only called for a file that already failed the block-flag check.
 */
export function isAllZeroFile(path: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw ioError(err, path, 'check whether the file holds only zero bytes');
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let seen = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, 0, buf.length, seen);
      if (got === 0) return seen > 0;
      for (let i = 0; i < got; i++) if (buf[i] !== 0) return false;
      seen += got;
    }
  } catch (err) {
    throw ioError(err, path, 'check whether the file holds only zero bytes');
  } finally {
    fs.closeSync(fd);
  }
}

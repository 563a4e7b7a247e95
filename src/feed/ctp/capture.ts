// Capture files of a CTP feed: the path rule, and a reader that yields each record (receive time + CThostFtdcDepthMarketDataField) of either layout.
//
// FORMAT (written by native/ctp/src/capture.cc; docs/ctp.md, "Capture files"):
//   header, 16 bytes: ASCII "TRCTPCAP", u32 LE struct size in bytes (584 for 6.7.x,
//   408 for 6.3.x), u32 LE format version = 1;
//   then records: u64 LE receive time (ns since the Unix epoch), then the struct's bytes.
// A capture is append-only; a torn last record (the writer killed inside a write) is
// ignored by the reader and reported (tornBytes).

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError } from '../../errors.js';
import type { CtpDepthMarketData } from './fields.js';
import { decodeDepthMarketData, layoutOfSize, type CtpLayout } from './layout.js';

export const CAPTURE_MAGIC = 'TRCTPCAP';
export const CAPTURE_VERSION = 1;
export const CAPTURE_HEADER_BYTES = 16;

/** <root>/capture/ctp/<feed>: the folder of a feed's capture files (<YYYYMMDD>.cap, local calendar date). */
export function captureDir(root: string, feed: string): string {
  return path.join(root, 'capture', 'ctp', feed);
}

export interface CaptureRecord {
  /** Receive time, ns since the Unix epoch. */
  receivedNs: bigint;
  field: CtpDepthMarketData;
}

export interface CaptureInfo {
  file: string;
  structBytes: number;
  layout: CtpLayout;
  /** Whole records in the file. */
  records: number;
  /** Bytes of a torn last record, ignored (0 when the file ends cleanly). */
  tornBytes: number;
}

/** The 16-byte header of a capture file. */
export function captureHeader(structBytes: number): Uint8Array {
  const h = new Uint8Array(CAPTURE_HEADER_BYTES);
  for (let i = 0; i < 8; i++) h[i] = CAPTURE_MAGIC.charCodeAt(i);
  const dv = new DataView(h.buffer);
  dv.setUint32(8, structBytes, true);
  dv.setUint32(12, CAPTURE_VERSION, true);
  return h;
}

/** One record's bytes: receive time then the struct. */
export function captureRecord(receivedNs: bigint, struct: Uint8Array): Uint8Array {
  const r = new Uint8Array(8 + struct.length);
  new DataView(r.buffer).setBigUint64(0, receivedNs, true);
  r.set(struct, 8);
  return r;
}

/** Reads and checks the header; an E_NOT_BLOCK_FILE / E_VERSION / E_CORRUPT naming the file when it is not a capture tickrec reads. */
export function openCapture(file: string): CaptureInfo & { fd: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new TickrecError('E_IO', `${file}: cannot open the capture file (${(err as Error).message}).`, { file, cause: err });
  }
  try {
    const size = fs.fstatSync(fd).size;
    const h = Buffer.alloc(CAPTURE_HEADER_BYTES);
    const n = size >= CAPTURE_HEADER_BYTES ? fs.readSync(fd, h, 0, CAPTURE_HEADER_BYTES, 0) : 0;
    if (n < CAPTURE_HEADER_BYTES || h.toString('latin1', 0, 8) !== CAPTURE_MAGIC) {
      throw new TickrecError('E_NOT_BLOCK_FILE', `${file}: not a CTP capture file (it does not start with ${CAPTURE_MAGIC}).`, { file });
    }
    const structBytes = h.readUInt32LE(8);
    const version = h.readUInt32LE(12);
    if (version !== CAPTURE_VERSION) {
      throw new TickrecError('E_VERSION', `${file}: capture format version ${version}; this tickrec reads version ${CAPTURE_VERSION}.`, {
        file,
      });
    }
    const layout = layoutOfSize(structBytes);
    if (layout === undefined) {
      throw new TickrecError(
        'E_CORRUPT',
        `${file}: the header gives a struct size of ${structBytes} bytes; tickrec reads 408 (CTP 6.3.x) and 584 (6.5.1 to 6.7.x).`,
        { file },
      );
    }
    const rec = 8 + structBytes;
    const body = size - CAPTURE_HEADER_BYTES;
    return { fd, file, structBytes, layout, records: Math.floor(body / rec), tornBytes: body % rec };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** The records of a capture, in file order, read in chunks (a day's capture may be gigabytes). */
export function* readCapture(file: string, info?: (i: CaptureInfo) => void): Generator<CaptureRecord> {
  const c = openCapture(file);
  try {
    info?.(c);
    const rec = 8 + c.structBytes;
    const perChunk = 4096;
    const buf = Buffer.alloc(rec * perChunk);
    for (let done = 0; done < c.records;) {
      const k = Math.min(perChunk, c.records - done);
      const pos = CAPTURE_HEADER_BYTES + done * rec;
      const n = fs.readSync(c.fd, buf, 0, k * rec, pos);
      if (n < k * rec) throw new TickrecError('E_TRUNCATED', `${file}: the file shrank while it was read (at byte ${pos + n}).`, { file });
      for (let i = 0; i < k; i++) {
        yield { receivedNs: buf.readBigUInt64LE(i * rec), field: decodeDepthMarketData(c.layout, buf, i * rec + 8) };
      }
      done += k;
    }
  } finally {
    fs.closeSync(c.fd);
  }
}

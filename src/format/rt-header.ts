// Reading and writing the 24-byte RTDayBlockHeader as a value (not the hot path: the
// writer and readers touch `size`/`capacity` through Atomics, see src/store).

import { BLOCK_FLAG, RT_DAY_BLOCK_HEADER, RT_HEADER_BYTES } from './header.js';

export interface RtHeader {
  type: number;
  version: number;
  /** Records published. */
  size: number;
  /** Records that fit. */
  capacity: number;
  /** Trading date YYYYMMDD. */
  date: number;
}

const off = (name: string) => RT_DAY_BLOCK_HEADER.field(name).offset;
const TYPE = off('type');
const VERSION = off('version');
const SIZE = off('size');
const CAPACITY = off('capacity');
const DATE = off('date');

export function hasBlockFlag(bytes: Uint8Array): boolean {
  if (bytes.length < BLOCK_FLAG.length) return false;
  for (let i = 0; i < BLOCK_FLAG.length; i++) if (bytes[i] !== BLOCK_FLAG[i]) return false;
  return true;
}

export function readRtHeader(bytes: Uint8Array): RtHeader {
  if (bytes.length < RT_HEADER_BYTES) throw new RangeError(`an RT header needs ${RT_HEADER_BYTES} bytes, got ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, RT_HEADER_BYTES);
  return {
    type: dv.getUint16(TYPE, true),
    version: dv.getUint16(VERSION, true),
    size: dv.getUint32(SIZE, true),
    capacity: dv.getUint32(CAPACITY, true),
    date: dv.getUint32(DATE, true),
  };
}

export function writeRtHeader(bytes: Uint8Array, h: RtHeader): void {
  if (bytes.length < RT_HEADER_BYTES) throw new RangeError(`an RT header needs ${RT_HEADER_BYTES} bytes, got ${bytes.length}`);
  bytes.set(BLOCK_FLAG, 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, RT_HEADER_BYTES);
  dv.setUint16(TYPE, h.type, true);
  dv.setUint16(VERSION, h.version, true);
  dv.setUint32(SIZE, h.size, true);
  dv.setUint32(CAPACITY, h.capacity, true);
  dv.setUint32(DATE, h.date, true);
}

/** Bytes of an RT file holding `capacity` records of `recordBytes`. */
export function rtFileBytes(capacity: number, recordBytes: number): number {
  return RT_HEADER_BYTES + capacity * recordBytes;
}

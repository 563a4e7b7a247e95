// Encoding and decoding historical blocks in memory: payloads (transform + compressor), tickrec day blocks, datakit blocks. No I/O.
//
// A tickrec day block (version 0x0101) is HisBlockHeader (64 bytes) + payload; the
// payload is compress(transform(records)). A datakit block (version 4) is BlockHeaderV2
// (20 bytes) + one zstd level-1 frame of the raw records, file length = 20 + size; a
// datakit raw block (version 3) is a 12-byte BlockHeader + raw records.
//
// Checks on decode, in order (each failure names the file and says what to do): length
// and flag, header CRC, type and version, field consistency, payload CRC, decompression
// to exactly raw_bytes, the inverse transform, and the CRC of the raw records.

import zlib from 'node:zlib';
import { TickrecError } from '../errors.js';
import {
  BLOCK_HEADER,
  BLOCK_HEADER_V2,
  OLD_BAR_BYTES,
  OLD_TICK_BYTES,
  convertOldBars,
  convertOldTicks,
  hasBlockFlag,
} from '../format/index.js';
import {
  CODEC_LZ4,
  CODEC_NONE,
  CODEC_ZSTD,
  codecName,
  lz4Compress,
  lz4Decompress,
  zstdCompress,
  zstdDecompress,
  zstdFrameInfo,
} from './codec.js';
import { getHeader, offsetOf, putHeader } from './fields.js';
import {
  DATAKIT_VERSION_OLD_RAW,
  DATAKIT_VERSION_OLD_ZSTD,
  DATAKIT_VERSION_RAW,
  DATAKIT_VERSION_ZSTD,
  HIS_BLOCK_HEADER,
  HIS_VERSION_BLOCK,
  HIS_VERSION_CONTAINER,
  hisKindByType,
  type HisKind,
} from './layout.js';
import { AssertionError, assert } from '../assert.js';
import {
  TRANSFORM_COLS8,
  TRANSFORM_NONE,
  cols8Decode,
  cols8DecodeColumns,
  cols8Encode,
  groupRecords,
  type ColumnPlan,
  type DecodeRun,
} from './transform.js';

export const crc32 = (b: Uint8Array): number => zlib.crc32(b) >>> 0;

/** What to write: tickrec's LZ4 block (default) or datakit's zstd block. */
export type HisCodec = 'lz4' | 'zstd';

export interface PayloadOptions {
  codec: number;
  transform: number;
}

export interface Payload {
  readonly codec: number;
  readonly transform: number;
  readonly groupRecords: number;
  readonly payload: Uint8Array;
  readonly rawCrc: number;
  readonly payloadCrc: number;
}

export interface PayloadInfo {
  codec: number;
  transform: number;
  recordBytes: number;
  count: number;
  groupRecords: number;
  payloadCrc: number;
  rawCrc: number;
}

/** compress(transform(records)) with the CRCs of both. */
export function encodePayload(
  records: Uint8Array,
  recordBytes: number,
  opts: PayloadOptions = { codec: CODEC_LZ4, transform: TRANSFORM_COLS8 },
): Payload {
  const transform = recordBytes % 8 === 0 ? opts.transform : TRANSFORM_NONE;
  const laid = transform === TRANSFORM_COLS8 ? cols8Encode(records, recordBytes) : records;
  const payload = opts.codec === CODEC_LZ4 ? lz4Compress(laid) : opts.codec === CODEC_ZSTD ? zstdCompress(laid, 1) : laid.slice();
  return {
    codec: opts.codec,
    transform,
    groupRecords: transform === TRANSFORM_COLS8 ? groupRecords(recordBytes) : 0,
    payload,
    rawCrc: crc32(records),
    payloadCrc: crc32(payload),
  };
}

/** Checks the payload CRC, decompresses, reverses the transform and (unless checkRaw is false) checks the raw CRC. */
export function decodePayload(payload: Uint8Array, info: PayloadInfo, file: string, checkRaw = true): Uint8Array {
  const laid = checkedLaid(payload, info, file);
  let records: Uint8Array;
  if (info.transform === TRANSFORM_COLS8) {
    try {
      records = cols8Decode(laid, info.recordBytes, info.count);
    } catch (err) {
      throw undecodable(file, err);
    }
  } else {
    records = laid.byteOffset % 8 === 0 ? laid : laid.slice();
  }
  if (checkRaw && crc32(records) !== info.rawCrc) throw checksumError(file, 'the decoded records');
  return records;
}

/**
 * Decodes a payload straight into columns (see ColumnPlan): records [run.src, ...) of
 * each run to rows [run.dst, ...) of every sink. Checks the payload CRC, the decompressed
 * size and the transform's structure, as decodePayload does, but NOT the CRC of the raw
 * records: a COLS8 payload is never rebuilt into rows here, so there is nothing to hash
 * (the payload CRC already covers every stored byte; see BarHistory.readColumns). A
 * payload without transform is raw rows: it is extracted with plan.fromRows, and its raw
 * CRC is checked when `checkRaw` says so (it costs one pass over bytes already there).
 */
export function decodePayloadColumns(
  payload: Uint8Array,
  info: PayloadInfo,
  file: string,
  plan: ColumnPlan,
  runs: readonly DecodeRun[],
  checkRaw: boolean,
): void {
  const laid = checkedLaid(payload, info, file);
  if (info.transform === TRANSFORM_COLS8) {
    assert(
      plan.recordBytes === info.recordBytes,
      `columns planned for ${plan.recordBytes}-byte records, the payload holds ${info.recordBytes}-byte ones`,
    );
    try {
      cols8DecodeColumns(laid, info.count, plan, runs);
    } catch (err) {
      if (err instanceof AssertionError) throw err;
      throw undecodable(file, err);
    }
    return;
  }
  const records = laid.byteOffset % 8 === 0 ? laid : laid.slice();
  if (checkRaw && crc32(records) !== info.rawCrc) throw checksumError(file, 'the decoded records');
  plan.fromRows(records, runs);
}

function undecodable(file: string, err: unknown): TickrecError {
  return new TickrecError('E_CORRUPT', `${file}: the transformed records do not decode (${(err as Error).message}); the file is damaged.`, {
    file,
  });
}

/** The payload CRC, the compressor (to the size its frame or the header states) and the transform's group size: the transformed bytes ("laid"). */
function checkedLaid(payload: Uint8Array, info: PayloadInfo, file: string): Uint8Array {
  if (crc32(payload) !== info.payloadCrc) throw checksumError(file, 'the payload');
  const rawBytes = info.count * info.recordBytes;
  let laid: Uint8Array;
  if (info.transform === TRANSFORM_COLS8) {
    // The transformed size is not stored: the compressor's own frame says it.
    laid =
      info.codec === CODEC_LZ4 ? lz4DecompressAny(payload, file) : info.codec === CODEC_ZSTD ? zstdDecompressAny(payload, file) : payload;
  } else if (info.transform === TRANSFORM_NONE) {
    laid =
      info.codec === CODEC_LZ4
        ? lz4Decompress(payload, rawBytes, file)
        : info.codec === CODEC_ZSTD
          ? zstdDecompress(payload, rawBytes, file)
          : payload;
  } else {
    throw new TickrecError('E_VERSION', `${file}: transform ${info.transform} is unknown to this tickrec; upgrade tickrec to read it.`, {
      file,
    });
  }
  if (info.codec !== CODEC_LZ4 && info.codec !== CODEC_ZSTD && info.codec !== CODEC_NONE) {
    throw new TickrecError('E_VERSION', `${file}: codec ${info.codec} is unknown to this tickrec; upgrade tickrec to read it.`, { file });
  }
  if (info.transform === TRANSFORM_COLS8) {
    if (info.groupRecords !== groupRecords(info.recordBytes)) {
      throw new TickrecError(
        'E_VERSION',
        `${file}: transform groups of ${info.groupRecords} records; this tickrec uses ${groupRecords(info.recordBytes)}. Upgrade tickrec.`,
        { file },
      );
    }
  } else if (laid.length !== rawBytes) {
    throw new TickrecError('E_CORRUPT', `${file}: payload holds ${laid.length} bytes, expected ${rawBytes}.`, { file });
  }
  return laid;
}

function lz4DecompressAny(payload: Uint8Array, file: string): Uint8Array {
  const size = payload.length >= 4 ? payload[0]! | (payload[1]! << 8) | (payload[2]! << 16) | (payload[3]! * 16777216) : -1;
  return lz4Decompress(payload, size, file);
}

function zstdDecompressAny(payload: Uint8Array, file: string): Uint8Array {
  return zstdDecompress(payload, zstdContentSize(payload, file), file);
}

function zstdContentSize(payload: Uint8Array, file: string): number {
  const info = zstdFrameInfo(payload);
  if (!info)
    throw new TickrecError('E_CORRUPT', `${file}: the payload is not a zstd frame (no magic number 28 B5 2F FD); the file is damaged.`, {
      file,
    });
  if (info.contentSize === undefined)
    throw new TickrecError(
      'E_CORRUPT',
      `${file}: zstd frame without content size (datakit always writes it); the file is damaged or not datakit's.`,
      { file },
    );
  return info.contentSize;
}

export function checksumError(file: string, what: string): TickrecError {
  return new TickrecError(
    'E_CHECKSUM',
    `${file}: the checksum of ${what} does not match: the bytes changed after they were written. ` +
      'Restore the file from a backup; if the real-time file of that day still exists, remove this file and run tickrec compact again.',
    { file },
  );
}

/** The bytes of a tickrec day block (header + payload) of `records`, all of trading date `date`. */
export function encodeDayBlock(kind: HisKind, date: number, records: Uint8Array, opts?: PayloadOptions): Uint8Array {
  const p = encodePayload(records, kind.recordBytes, opts);
  const out = new Uint8Array(HIS_BLOCK_HEADER.size + p.payload.length);
  putHeader(HIS_BLOCK_HEADER, out, {
    type: kind.hisType,
    version: HIS_VERSION_BLOCK,
    codec: p.codec,
    transform: p.transform,
    record_bytes: kind.recordBytes,
    record_count: records.length / kind.recordBytes,
    group_records: p.groupRecords,
    date,
    raw_bytes: records.length,
    payload_bytes: p.payload.length,
    raw_crc32: p.rawCrc,
    payload_crc32: p.payloadCrc,
    header_bytes: HIS_BLOCK_HEADER.size,
  });
  const crcAt = offsetOf(HIS_BLOCK_HEADER, 'header_crc32');
  new DataView(out.buffer).setUint32(crcAt, crc32(out.subarray(0, crcAt)), true);
  out.set(p.payload, HIS_BLOCK_HEADER.size);
  return out;
}

/** datakit's historical block: BlockHeaderV2 (type, version 4, size) + one zstd level-1 frame of the raw records. */
export function encodeDatakitBlock(hisType: number, records: Uint8Array): Uint8Array {
  const frame = zstdCompress(records, 1);
  const out = new Uint8Array(BLOCK_HEADER_V2.size + frame.length);
  putHeader(BLOCK_HEADER_V2, out, { type: hisType, version: DATAKIT_VERSION_ZSTD, size: frame.length });
  out.set(frame, BLOCK_HEADER_V2.size);
  return out;
}

/**
 * tickrec's day block and container; datakit's current blocks (version 4 zstd, 3 raw) and
 * its old ones (version 2 zstd, 1 raw, of the old packed structs: src/format/old-structs.ts).
 */
/** datakit's raw historical block: BlockHeader (type, version 3) + the raw records. */
export function encodeDatakitRaw(hisType: number, records: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK_HEADER.size + records.length);
  putHeader(BLOCK_HEADER, out, { type: hisType, version: DATAKIT_VERSION_RAW });
  out.set(records, BLOCK_HEADER.size);
  return out;
}

export type BlockFormat = 'tickrec' | 'datakit-zstd' | 'datakit-raw' | 'datakit-old-zstd' | 'datakit-old-raw' | 'container';

/** What the first bytes of a historical file say, checked as far as the header goes. */
export interface BlockHead {
  format: BlockFormat;
  kind: HisKind;
  type: number;
  version: number;
  /** tickrec blocks: the full header; datakit: type/version/size. */
  fields: Record<string, number>;
}

function fail(
  code: 'E_TRUNCATED' | 'E_NOT_BLOCK_FILE' | 'E_WRONG_TYPE' | 'E_VERSION' | 'E_CORRUPT',
  file: string,
  msg: string,
): TickrecError {
  return new TickrecError(code, `${file}: ${msg}`, { file });
}

/** Reads and checks the header at the start of `bytes` (the whole file or at least its header). */
export function parseBlockHead(bytes: Uint8Array, file: string): BlockHead {
  if (bytes.length < BLOCK_HEADER.size) {
    throw fail(
      'E_TRUNCATED',
      file,
      `${bytes.length} bytes, shorter than a block header; the file is not usable. Remove it and compact the day again, or restore it.`,
    );
  }
  if (!hasBlockFlag(bytes)) {
    throw fail(
      'E_NOT_BLOCK_FILE',
      file,
      `does not start with the block flag "&^%$#@!" (found ${Buffer.from(bytes.subarray(0, 8)).toString('hex')}); not a tickrec/datakit block file.`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const type = dv.getUint16(8, true);
  const version = dv.getUint16(10, true);
  if (version === HIS_VERSION_BLOCK) {
    if (bytes.length < HIS_BLOCK_HEADER.size)
      throw fail(
        'E_TRUNCATED',
        file,
        `${bytes.length} bytes, shorter than the 64-byte header of a tickrec block; restore the file or compact the day again.`,
      );
    const crcAt = offsetOf(HIS_BLOCK_HEADER, 'header_crc32');
    if (crc32(bytes.subarray(0, crcAt)) !== dv.getUint32(crcAt, true)) throw checksumError(file, 'the header');
  }
  const kind = hisKindByType(type);
  if (!kind)
    throw fail(
      'E_WRONG_TYPE',
      file,
      `block type ${type} is not a historical type tickrec reads (21 min1, 22 min5, 23 day, 24 ticks, 25 transactions, 121-123 tickrec bars).`,
    );
  if (version === HIS_VERSION_BLOCK) return { format: 'tickrec', kind, type, version, fields: getHeader(HIS_BLOCK_HEADER, bytes) };
  if (version === HIS_VERSION_CONTAINER) return { format: 'container', kind, type, version, fields: {} };
  if (version === DATAKIT_VERSION_ZSTD) {
    if (bytes.length < BLOCK_HEADER_V2.size)
      throw fail('E_TRUNCATED', file, `${bytes.length} bytes, shorter than BlockHeaderV2 (20); restore the file.`);
    return { format: 'datakit-zstd', kind, type, version, fields: getHeader(BLOCK_HEADER_V2, bytes) };
  }
  if (version === DATAKIT_VERSION_RAW) return { format: 'datakit-raw', kind, type, version, fields: {} };
  if (version === DATAKIT_VERSION_OLD_ZSTD || version === DATAKIT_VERSION_OLD_RAW) {
    if (kind.name === 'trade')
      throw fail(
        'E_VERSION',
        file,
        `version ${version}: datakit's old struct layout, which exists for ticks and bars only (datakit never wrote trades in it); the file is not datakit's. Move it aside.`,
      );
    if (version === DATAKIT_VERSION_OLD_RAW) return { format: 'datakit-old-raw', kind, type, version, fields: {} };
    if (bytes.length < BLOCK_HEADER_V2.size)
      throw fail('E_TRUNCATED', file, `${bytes.length} bytes, shorter than BlockHeaderV2 (20); restore the file.`);
    return { format: 'datakit-old-zstd', kind, type, version, fields: getHeader(BLOCK_HEADER_V2, bytes) };
  }
  throw fail(
    'E_VERSION',
    file,
    `version ${version} (0x${version.toString(16)}); tickrec reads 1 to 4 (datakit) and 0x0101, 0x0102 (tickrec). Upgrade tickrec.`,
  );
}

export interface DecodedBlock {
  kind: HisKind;
  format: BlockFormat;
  /** Trading date: from the header (tickrec), else from the first record (0 when empty). */
  date: number;
  /** The raw records, 8-aligned. */
  records: Uint8Array;
  count: number;
  /** Compressor of the file: 'lz4', 'zstd' or 'none'. */
  codec: string;
}

/** Decodes a whole day block file held in `bytes` (tickrec or datakit). */
export function decodeDayBlock(bytes: Uint8Array, file: string, opts: { checkRaw?: boolean } = {}): DecodedBlock {
  const head = parseBlockHead(bytes, file);
  const { kind } = head;
  if (head.format === 'container')
    throw fail('E_WRONG_TYPE', file, 'is a bar-history container, not a day block; open it with BarHistory.open.');
  if (head.format === 'tickrec') {
    const h = head.fields;
    const rb = h.record_bytes!;
    const count = h.record_count!;
    if (rb !== kind.recordBytes || h.header_bytes !== HIS_BLOCK_HEADER.size || h.raw_bytes !== count * rb) {
      throw fail(
        'E_CORRUPT',
        file,
        `header fields disagree (record_bytes ${rb} for ${kind.name}, ${count} records, raw_bytes ${h.raw_bytes}); the header is damaged.`,
      );
    }
    const expected = HIS_BLOCK_HEADER.size + h.payload_bytes!;
    if (bytes.length !== expected) {
      throw fail(
        bytes.length < expected ? 'E_TRUNCATED' : 'E_CORRUPT',
        file,
        `${bytes.length} bytes, the header says ${expected} (64 + payload ${h.payload_bytes}); the file was cut or appended to. Restore it or compact the day again.`,
      );
    }
    const records = decodePayload(
      bytes.subarray(HIS_BLOCK_HEADER.size),
      {
        codec: h.codec!,
        transform: h.transform!,
        recordBytes: rb,
        count,
        groupRecords: h.group_records!,
        payloadCrc: h.payload_crc32!,
        rawCrc: h.raw_crc32!,
      },
      file,
      opts.checkRaw ?? true,
    );
    return { kind, format: 'tickrec', date: h.date!, records, count, codec: codecName(h.codec!) };
  }
  let records: Uint8Array;
  if (head.format === 'datakit-zstd' || head.format === 'datakit-old-zstd') {
    const size = head.fields.size!;
    const expected = BLOCK_HEADER_V2.size + size;
    if (bytes.length !== expected) {
      throw fail(
        bytes.length < expected ? 'E_TRUNCATED' : 'E_CORRUPT',
        file,
        `${bytes.length} bytes, BlockHeaderV2 says ${expected} (20 + size ${size}); restore the file or compact the day again.`,
      );
    }
    const frame = bytes.subarray(BLOCK_HEADER_V2.size);
    const raw = zstdContentSize(frame, file);
    records = zstdDecompress(frame, raw, file);
  } else {
    records = bytes.slice(BLOCK_HEADER.size);
  }
  if (head.format === 'datakit-old-zstd' || head.format === 'datakit-old-raw') records = convertOld(kind, records, file);
  if (records.length % kind.recordBytes !== 0) {
    throw fail(
      'E_CORRUPT',
      file,
      `${records.length} bytes of records are not whole ${kind.name} records of ${kind.recordBytes} bytes; the file is damaged.`,
    );
  }
  if (records.byteOffset % 8 !== 0) records = records.slice();
  const count = records.length / kind.recordBytes;
  const date = count > 0 ? new DataView(records.buffer, records.byteOffset).getUint32(kind.dateOffset, true) : 0;
  const zstd = head.format === 'datakit-zstd' || head.format === 'datakit-old-zstd';
  return { kind, format: head.format, date, records, count, codec: zstd ? 'zstd' : 'none' };
}

/** Old-layout records (block versions 1 and 2) converted to the current struct, as datakit converts them. */
function convertOld(kind: HisKind, old: Uint8Array, file: string): Uint8Array {
  const tick = kind.name === 'tick';
  const r = tick ? convertOldTicks(old) : convertOldBars(old);
  if (r instanceof Uint8Array) return r;
  const what = tick ? `old ticks (WTSTickStructOld, ${OLD_TICK_BYTES} bytes)` : `old bars (WTSBarStructOld, ${OLD_BAR_BYTES} bytes)`;
  throw fail(
    'E_CORRUPT',
    file,
    `${r.record >= 0 ? `record ${r.record} of ` : ''}${what}: ${r.what}; the file is damaged. Restore it from a backup.`,
  );
}

// The compressors of historical blocks: LZ4 (lz4-napi, tickrec's default) and zstd (a WebAssembly build, for datakit's format).
//
// LZ4 payload: lz4-napi's block format, which is lz4_flex's "size-prepended" block: a
// u32 LE uncompressed size, then one standard LZ4 block (any LZ4 block decoder reads it
// given that size). zstd payload: one zstd frame made by ZSTD_compress at level 1, so it
// carries the content size in its frame header, as datakit writes it.
//
// Why @bokuweb/zstd-wasm: Node 20 has no zstd in node:zlib; this package is the zstd C
// library compiled to WebAssembly, shipped inside the npm tarball (no install script, no
// binary download, no native build), so `npm ci` works with the registry alone. Level 1
// compresses at ~800 MB/s here; zstd only serves datakit compatibility, not the default.

import { createRequire } from 'node:module';
import lz4 from 'lz4-napi';
import { TickrecError } from '../errors.js';

interface ZstdWasm {
  init(): Promise<void>;
  compress(buf: Uint8Array, level?: number): Uint8Array;
  decompress(buf: Uint8Array, opts?: { defaultHeapSize: number }): Uint8Array;
}
const zstd = createRequire(import.meta.url)('@bokuweb/zstd-wasm') as ZstdWasm;
// The WebAssembly module loads once, here (a few ms), so every function below is synchronous.
await zstd.init();

export const CODEC_NONE = 0;
export const CODEC_LZ4 = 1;
export const CODEC_ZSTD = 2;
export type CodecId = typeof CODEC_NONE | typeof CODEC_LZ4 | typeof CODEC_ZSTD;

export function codecName(id: number): string {
  return id === CODEC_NONE ? 'none' : id === CODEC_LZ4 ? 'lz4' : id === CODEC_ZSTD ? 'zstd' : `unknown(${id})`;
}

/** The zstd frame magic number, little-endian bytes 28 B5 2F FD. */
const ZSTD_MAGIC = 0xfd2fb528;

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
}

export function lz4Compress(raw: Uint8Array): Uint8Array {
  return lz4.compressSync(asBuffer(raw));
}

/** Decompresses a size-prepended LZ4 block that must hold exactly `rawBytes`. */
export function lz4Decompress(payload: Uint8Array, rawBytes: number, file: string): Uint8Array {
  if (payload.length < 4) throw corrupt(file, `LZ4 payload of ${payload.length} bytes is too short`);
  const claimed = payload[0]! | (payload[1]! << 8) | (payload[2]! << 16) | (payload[3]! * 16777216);
  if (claimed !== rawBytes) throw corrupt(file, `LZ4 payload says ${claimed} bytes, the header says ${rawBytes}`);
  let out: Buffer;
  try {
    out = lz4.uncompressSync(asBuffer(payload));
  } catch (err) {
    throw corrupt(file, `LZ4 payload does not decompress (${(err as Error).message})`);
  }
  if (out.length !== rawBytes) throw corrupt(file, `LZ4 payload gave ${out.length} bytes, expected ${rawBytes}`);
  return out;
}

/** One zstd frame at `level` (datakit: 1), with the content size in the frame header. */
export function zstdCompress(raw: Uint8Array, level = 1): Uint8Array {
  return zstd.compress(raw, level);
}

export interface ZstdFrameInfo {
  /** Content size from the frame header, or undefined when the frame does not carry it. */
  contentSize: number | undefined;
  /** Bytes of the frame header. */
  headerBytes: number;
}

/** Parses a zstd frame header (RFC 8878 3.1.1.1); undefined when `b` does not start with one. */
export function zstdFrameInfo(b: Uint8Array): ZstdFrameInfo | undefined {
  if (b.length < 6) return undefined;
  const magic = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) return undefined;
  const fhd = b[4]!;
  const fcsFlag = fhd >>> 6;
  const single = (fhd >>> 5) & 1;
  const didFlag = fhd & 3;
  const didBytes = [0, 1, 2, 4][didFlag]!;
  const fcsBytes = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  const at = 5 + (single ? 0 : 1) + didBytes;
  const headerBytes = at + fcsBytes;
  if (b.length < headerBytes) return undefined;
  if (fcsBytes === 0) return { contentSize: undefined, headerBytes };
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + b[at + i]!;
  if (fcsBytes === 2) size += 256;
  return { contentSize: size, headerBytes };
}

/** Decompresses one zstd frame that must hold exactly `rawBytes` (checked against the frame header first). */
export function zstdDecompress(payload: Uint8Array, rawBytes: number, file: string): Uint8Array {
  const info = zstdFrameInfo(payload);
  if (!info) throw corrupt(file, 'payload is not a zstd frame (no magic number 28 B5 2F FD)');
  if (info.contentSize === undefined) throw corrupt(file, 'zstd frame without content size (datakit always writes it)');
  if (info.contentSize !== rawBytes) throw corrupt(file, `zstd frame holds ${info.contentSize} bytes, expected ${rawBytes}`);
  let out: Uint8Array;
  try {
    out = zstd.decompress(payload, { defaultHeapSize: rawBytes });
  } catch (err) {
    throw corrupt(file, `zstd frame does not decompress (${zstdErrorText((err as Error).message)})`);
  }
  if (out.length !== rawBytes) throw corrupt(file, `zstd frame gave ${out.length} bytes, expected ${rawBytes}`);
  return out;
}

/** zstd's error codes (lib/zstd_errors.h) that a damaged frame gives, by number. */
const ZSTD_ERRORS: Record<number, string> = {
  1: 'generic error',
  10: 'unknown frame prefix',
  12: 'unsupported version',
  14: 'unsupported frame parameter',
  16: 'frame window too large',
  20: 'corrupted data',
  22: 'checksum mismatch',
  24: 'bad literals header',
  64: 'out of memory',
  70: 'output larger than the frame header says',
  72: 'wrong compressed size',
};

/**
 * zstd-wasm reports every decompression failure as "Failed to compress with code -N"
 * (its wording, for decompression too): the text of zstd's error N instead.
 */
export function zstdErrorText(message: string): string {
  const m = /code -?(\d+)/.exec(message);
  if (!m) return message;
  const n = Number(m[1]);
  return `zstd error ${n}: ${ZSTD_ERRORS[n] ?? 'unknown error'}`;
}

function corrupt(file: string, what: string): TickrecError {
  return new TickrecError(
    'E_CORRUPT',
    `${file}: ${what}; the file is damaged. Restore it from a backup, or recompact the day from its real-time file if it still exists.`,
    {
      file,
    },
  );
}

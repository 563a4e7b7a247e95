// Day blocks on disk (his/<ticks|trans>/<EXCHG>/<YYYYMMDD>/<CODE>.tsb or .dsb, named by src/layout/root.ts and src/his/names.ts): writing one durably, reading one back.

import { TickrecError } from '../errors.js';
import { decodeDayBlock, encodeDatakitBlock, encodeDayBlock, type BlockFormat, type HisCodec, type PayloadOptions } from './block.js';
import { readWhole, writeFileDurable } from './files.js';
import { BarHistory } from './history.js';
import { HIS_KINDS, type HisKind, type HisKindName } from './layout.js';
import { hisDayFile, hisHistoryFile } from './names.js';

/** The bytes of a day block in the chosen codec: tickrec's LZ4 block, or datakit's zstd block. */
export function dayBlockBytes(kind: HisKind, date: number, records: Uint8Array, codec: HisCodec, payload?: PayloadOptions): Uint8Array {
  return codec === 'zstd' ? encodeDatakitBlock(kind.hisType, records) : encodeDayBlock(kind, date, records, payload);
}

/** Writes a day block durably (temporary name, fsync, rename, fsync folder). Returns the bytes written. */
export function writeDayBlock(file: string, bytes: Uint8Array, onStep?: (step: string) => void): number {
  writeFileDurable(file, [bytes], onStep);
  return bytes.length;
}

export interface HisBlock {
  readonly path: string;
  readonly kind: HisKindName;
  readonly hisKind: HisKind;
  /** Trading date YYYYMMDD (tickrec: the header; datakit: the first record's trading date). */
  readonly date: number;
  /** The raw records (structs of the kind's layout), 8-aligned: wrap in a Mem to read fields. */
  readonly records: Uint8Array;
  readonly count: number;
  readonly format: BlockFormat;
  readonly codec: string;
}

export interface ReadHisBlockOptions {
  /** Check the CRC of the decoded records (default true; the payload CRC is always checked). */
  checkRaw?: boolean;
  /** Refuse a block of another kind. */
  expected?: HisKind;
}

/** Reads and decodes one day block (tickrec LZ4 or datakit zstd/raw): every check applies, errors name the file. */
export function readHisBlock(file: string, opts: ReadHisBlockOptions = {}): HisBlock {
  const d = decodeDayBlock(readWhole(file), file, opts.checkRaw === undefined ? {} : { checkRaw: opts.checkRaw });
  if (opts.expected && d.kind !== opts.expected) {
    throw new TickrecError(
      'E_WRONG_TYPE',
      `${file}: holds ${d.kind.name} records, expected ${opts.expected.name}; the file is in the wrong folder.`,
      { file },
    );
  }
  if (d.kind.layout !== 'daily')
    throw new TickrecError('E_WRONG_TYPE', `${file}: is a bar history (${d.kind.name}); open it with BarHistory.open.`, { file });
  return {
    path: file,
    kind: d.kind.name,
    hisKind: d.kind,
    date: d.date,
    records: d.records,
    count: d.count,
    format: d.format,
    codec: d.codec,
  };
}

/**
 * True when his/ already holds trading day `date` of an instrument for real-time kind
 * `rtKindName` (a day block, or that day in the bar history). For the recorder's rule that
 * a record of a finished day is refused (src/store/writer-pool.ts checks only day blocks).
 */
export function hisHoldsDay(root: string, rtKindName: string, exchg: string, code: string, date: number): boolean {
  const kind = HIS_KINDS.find((k) => k.rt?.name === rtKindName);
  if (!kind) return false;
  if (kind.layout === 'daily') return hisDayFile(root, kind, exchg, date, code) !== undefined;
  const file = hisHistoryFile(root, kind, exchg, code);
  if (file === undefined) return false;
  const h = BarHistory.open(file, kind);
  try {
    return h.hasDay(date);
  } finally {
    h.close();
  }
}

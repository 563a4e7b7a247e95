// Instrument metadata kept in the data root (<root>/meta/instruments/<EXCHG>/<CODE>.json), written by the recorder before an instrument's first record and read by every reader (API, cat, export): how to turn stored trade volumes back into quantities and local times into UTC.
//
// RULES (docs/format.md, "Instrument metadata in the data root"):
// - the recorder writes an instrument's file before the first record of the instrument
//   it stores in a run (tmp file, rename: visible before that record is published); it is
//   made durable before any of the instrument's records are synced (META FIRST in
//   src/store/writer-pool.ts: fsync of the file and its folder in the background, batched);
// - `volume_decimals` and `timezone` are facts about the stored records: once written they
//   never change (a later configuration with a finer lot step is logged, and trades finer
//   than the stored unit are refused as `volume_precision`); the other fields follow the
//   configuration;
// - an instrument with no file (a root written before tickrec kept metadata, or by
//   datakit) reads with volume_decimals 0 (whole units, datakit's meaning) and the time
//   zone of the bundled sessions file (unlabelledFacts); when such an instrument's records
//   are already in the root, its first file states those facts, not the configuration's
//   (UNLABELLED RECORDS, src/meta/prior-records.ts): written once, never changed, they must
//   be true of every record stored before them too.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSessionBook, type SessionBook } from '../calendar/index.js';
import { TickrecError, ioError } from '../errors.js';
import { syncDir } from '../fsync.js';
import { instrumentMetaPath, isCodeName, isExchangeName, rtTmpPath } from '../layout/index.js';
import { openSpare, returnSpare, type SpareSource } from '../spare-file.js';
import type { InstrumentMeta } from './instruments.js';
import { validVolumeDecimals } from './units.js';
import { priorRecordsFile } from './prior-records.js';
import { ALL_KINDS, TRADE_KIND } from '../format/index.js';

/** The metadata of an instrument as stored in the data root. */
export interface StoredMeta extends Omit<InstrumentMeta, 'sources'> {
  /** File format version: 1. */
  format: 1;
}

const META_FORMAT = 1;
const BUNDLED_SESSIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../config/sessions.json');

/**
 * The stored metadata of an instrument, undefined when it has none; a damaged file is
 * refused (E_CORRUPT). A name that fails the name rule has none: the recorder refuses
 * such names, so no file was ever written for one (and none is looked for).
 */
export function readStoredMeta(root: string, exchg: string, code: string): StoredMeta | undefined {
  if (!isExchangeName(exchg) || !isCodeName(code)) return undefined;
  const file = instrumentMetaPath(root, exchg, code);
  // the usual answer for a new instrument, without the cost of an exception (read below if it appears meanwhile);
  // any other failure (EACCES, ENOTDIR) is an error naming the file, as the read's
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    throw ioError(err, file, 'read the instrument metadata');
  }
  if (st === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(err, file, 'read the instrument metadata');
  }
  return parseStoredMeta(text, file);
}

/**
 * The metadata of one file's text (`file` names it in errors: a path, or where the text
 * came from). Not JSON, or not tickrec metadata of format 1: E_CORRUPT.
 */
export function parseStoredMeta(text: string, file: string): StoredMeta {
  let m: Partial<StoredMeta>;
  try {
    m = JSON.parse(text) as Partial<StoredMeta>;
  } catch (err) {
    throw new TickrecError('E_CORRUPT', `${file}: not JSON (${(err as Error).message}); restore it from a backup or delete it.`, { file });
  }
  if (m === null || typeof m !== 'object' || m.format !== META_FORMAT || !validVolumeDecimals(m.volume_decimals)) {
    throw new TickrecError(
      'E_CORRUPT',
      `${file}: not tickrec instrument metadata of format ${META_FORMAT} (volume_decimals missing or invalid); restore it from a backup.`,
      { file },
    );
  }
  return m as StoredMeta;
}

/**
 * Writes an instrument's metadata file with the rules of the recorder's writer (tmp file,
 * fsync when volume_decimals > 0, rename): `text` is the file's whole content, as the
 * recorder wrote it (a mirror writes the publisher's bytes, src/bus/mirror.ts).
 */
export function writeStoredMetaText(root: string, exchg: string, code: string, text: string, meta: StoredMeta): void {
  writeAtomically(instrumentMetaPath(root, exchg, code), text, meta.volume_decimals > 0);
}

/**
 * Writes `file` through a temporary file and a rename (a reader never sees half of it).
 * `durable`: the file is fsync'ed before the rename and its folder after (inline). Returns
 * the folders that got a new entry (the file's, and the parent of each folder made).
 */
function writeAtomically(file: string, text: string, durable: boolean, spares?: SpareSource): string[] {
  const spare = spares?.take();
  let tmp = spare ?? rtTmpPath(file, process.pid);
  let fromSpare = false;
  let renamed = false;
  const dir = path.dirname(file);
  const entered = [dir];
  try {
    const made = fs.mkdirSync(dir, { recursive: true });
    if (made !== undefined) for (let d = dir; d !== path.dirname(made); d = path.dirname(d)) entered.push(path.dirname(d));
    let fd = spare === undefined ? undefined : openSpare(spare); // SPARE FILES: no new inode here
    if (fd === undefined) fd = fs.openSync((tmp = rtTmpPath(file, process.pid)), 'w');
    else fromSpare = true;
    try {
      fs.writeFileSync(fd, text);
      if (durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    renamed = true;
    if (durable) for (const d of entered) syncDir(d);
  } catch (err) {
    try {
      if (!renamed && fromSpare) returnSpare(spares!, tmp);
      else if (!renamed) fs.rmSync(tmp, { force: true });
    } catch {
      // the clean-up failed too (the same cause): the first error is the one to report
    }
    throw ioError(err, file, 'write the instrument metadata');
  }
  return entered;
}

export interface RootMetaWriterOptions {
  /**
   * Makes a written file durable in the background (the recorder: WriterPool.afterMetaWrite,
   * META FIRST in src/store/writer-pool.ts, which syncs none of the instrument's records
   * before). Without it, each file is fsync'ed with its folder inline, before ensure() returns.
   */
  afterWrite?: (exchg: string, code: string, file: string, dirs: readonly string[]) => void;
  /** An empty file on the same file system to write in instead of a temporary file (the recorder's SPARE FILES, src/store/spare.ts), or undefined. */
  spare?: SpareSource;
}

export interface EnsureResult {
  stored: StoredMeta;
  /** Set when the configuration asks for a finer volume unit than the stored one. */
  warning?: string;
}

/** The recorder's side: makes sure each instrument's file exists and is current, once per instrument per run. */
export class RootMetaWriter {
  private readonly done = new Map<string, StoredMeta>();

  constructor(
    private readonly root: string,
    private readonly opts: RootMetaWriterOptions = {},
  ) {}

  /** The stored metadata of `meta`'s instrument after writing what changed. */
  ensure(meta: InstrumentMeta): EnsureResult {
    const key = `${meta.exchg}.${meta.code}`;
    const hit = this.done.get(key);
    if (hit) return { stored: hit };
    const { sources: _sources, ...fields } = meta;
    const existing = readStoredMeta(this.root, meta.exchg, meta.code);
    const metaFile = instrumentMetaPath(this.root, meta.exchg, meta.code);
    const facts: StoredFacts = existing
      ? { volume_decimals: existing.volume_decimals, timezone: existing.timezone, unitFile: metaFile, zoneFile: undefined }
      : factsOfPriorRecords(this.root, meta);
    const stored: StoredMeta = { format: META_FORMAT, ...fields, volume_decimals: facts.volume_decimals, timezone: facts.timezone };
    let warning: string | undefined;
    if (facts.unitFile !== undefined && meta.volume_decimals > facts.volume_decimals) {
      warning =
        `${key}: the configured lot step ${meta.lot_step} is finer than the volume unit 1e-${facts.volume_decimals} ` +
        `its records are stored in (${facts.unitFile}); trades finer than that unit are refused ` +
        `(volume_precision). To store them, record this instrument into a new data root.`;
    }
    if (facts.zoneFile !== undefined) {
      const zone =
        `the configured time zone ${meta.timezone ?? '(none)'} differs from the zone ${facts.timezone ?? '(none)'} ` +
        `its records are read in (${facts.zoneFile}); that zone is kept.`;
      warning = warning === undefined ? `${key}: ${zone}` : `${warning} Also, ${zone}`;
    }
    const text = JSON.stringify(stored, null, 2) + '\n';
    if (!existing || JSON.stringify(existing, null, 2) + '\n' !== text) {
      const after = this.opts.afterWrite;
      const dirs = writeAtomically(metaFile, text, after === undefined, this.opts.spare);
      after?.(meta.exchg, meta.code, metaFile, dirs);
    }
    if (this.done.size > 200_000) this.done.clear();
    this.done.set(key, stored);
    return warning === undefined ? { stored } : { stored, warning };
  }
}

/** The two facts about an instrument's stored records, and the files that fix them (undefined: the configuration's). */
export interface StoredFacts {
  volume_decimals: number;
  timezone: string | null;
  /** The file whose records fix volume_decimals: the metadata file, or a record file from before it (UNLABELLED RECORDS). */
  unitFile: string | undefined;
  /** A record file from before the metadata file that fixes the zone other than the configuration's (UNLABELLED RECORDS). */
  zoneFile: string | undefined;
}

/**
 * UNLABELLED RECORDS: an instrument with no metadata file whose records are already in
 * `root` (written before tickrec kept metadata, or by datakit) has them read in whole
 * units and the bundled zone (unlabelledFacts). Its first file must say so, not the
 * configuration (or a publisher's file, src/bus/mirror.ts): else the stored trades would
 * read in the new unit, quietly. Trades decide the unit, records of any kind the zone;
 * each is looked for only when `meta` differs from what such records are read with.
 */
export function factsOfPriorRecords(root: string, meta: Pick<StoredMeta, 'exchg' | 'code' | 'volume_decimals' | 'timezone'>): StoredFacts {
  const old = unlabelledFacts(meta.exchg, meta.code);
  const unitFile = meta.volume_decimals !== old.volumeDecimals ? priorRecordsFile(root, [TRADE_KIND], meta.exchg, meta.code) : undefined;
  const zoneFile = meta.timezone !== old.timezone ? (unitFile ?? priorRecordsFile(root, ALL_KINDS, meta.exchg, meta.code)) : undefined;
  return {
    volume_decimals: unitFile === undefined ? meta.volume_decimals : old.volumeDecimals,
    timezone: zoneFile === undefined ? meta.timezone : old.timezone,
    unitFile,
    zoneFile,
  };
}

/**
 * How readers take an instrument that has no metadata file (a root written before tickrec
 * kept metadata, or by datakit): whole units (datakit's meaning) and the zone and day end
 * of the bundled sessions file. One definition for the reader (RootMetaReader) and the
 * writer (UNLABELLED RECORDS).
 */
export function unlabelledFacts(exchg: string, code: string): Omit<ReadMeta, 'stored'> {
  const s = bundledBook().sessionOf(exchg, code);
  const last = s?.sections[s.sections.length - 1];
  const close = last ? last.to % 1440 || (last.to > 0 ? 1440 : 0) : undefined;
  return {
    volumeDecimals: 0,
    timezone: bundledBook().timezoneOf(exchg, code) ?? null,
    sessionClose: close === undefined ? null : `${String(Math.floor(close / 60)).padStart(2, '0')}:${String(close % 60).padStart(2, '0')}`,
  };
}

/** What a reader needs of an instrument: volume decimals, zone and day end; from the root, else the defaults above. */
export interface ReadMeta {
  volumeDecimals: number;
  timezone: string | null;
  /** "HH:MM" local end of the trading day (day bars' timestamp), or null. */
  sessionClose: string | null;
  /** True when the root has a file for the instrument. */
  stored: boolean;
}

let bundled: SessionBook | undefined;
function bundledBook(): SessionBook {
  return (bundled ??= loadSessionBook(BUNDLED_SESSIONS));
}

/** The reader's side: metadata per instrument of one data root, cached. */
export class RootMetaReader {
  private readonly cache = new Map<string, ReadMeta>();

  constructor(readonly root: string | undefined) {}

  of(exchg: string, code: string): ReadMeta {
    const key = `${exchg}.${code}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const m = this.root === undefined ? undefined : readStoredMeta(this.root, exchg, code);
    let r: ReadMeta;
    if (m) r = { volumeDecimals: m.volume_decimals, timezone: m.timezone, sessionClose: m.session_close ?? null, stored: true };
    else r = { ...unlabelledFacts(exchg, code), stored: false };
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(key, r);
    return r;
  }
}

// Offline bars: the ticks of a tick file through the same BarEngine the recorder runs, then flush(); and writing the result next to where the recorder writes bars.
//
// WHERE (rebuildTarget): a tick file in a data root's layout has its bars in the
// parallel folder of each period:
//   <root>/rt/ticks/<EXCHG>/<NAME>.dmb            → <root>/rt/min1/<EXCHG>/<NAME>.dmb
//   <root>/rt/ticks/<EXCHG>/<YYYYMMDD>/<NAME>.dmb → <root>/rt/min1/<EXCHG>/<YYYYMMDD>/<NAME>.dmb
// With an output root, the same relative place under it; a tick file outside a data
// root's layout goes to <out>/rt/<period>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb (header date).
// (Paths parsed and built by src/layout/root.ts.) A bar file is replaced whole: the new
// one is built under a temporary name and renamed over the old one, kept as <file>.bak.

import fs from 'node:fs';
import path from 'node:path';
import type { SessionBook } from '../calendar/index.js';
import { TickrecError, ioError } from '../errors.js';
import { Mem, TICK_KIND, kindByName, type Bar, type RecordKind } from '../format/index.js';
import { backupPath, checkInstrument, parseRtPath, rtFinishedPath, rtPlacePath, rtTmpPath, type RtPlace } from '../layout/index.js';
import { RtReader, RtWriter } from '../store/index.js';
import { syncDir } from '../fsync.js';
import { BarEngine, kindNameOfPeriod, type BarEngineStats, type BarKindName, type BarPeriod, type BarTick } from './engine.js';

export interface RebuildOptions {
  sessions: SessionBook;
  periods?: readonly BarPeriod[];
}

export interface RebuiltBars {
  /** Instruments met in the ticks, in order of appearance. */
  instruments: { exchg: string; code: string }[];
  /** Bars by kind, in the order the engine emitted them. */
  bars: Map<BarKindName, Bar[]>;
  stats: BarEngineStats;
  periods: readonly BarPeriod[];
}

/** Feeds ticks through a BarEngine (no timer) and flushes it: the offline half of the shared code path. */
export function barsFromTicks(ticks: Iterable<BarTick>, opts: RebuildOptions): RebuiltBars {
  const bars = new Map<BarKindName, Bar[]>();
  const instruments: { exchg: string; code: string }[] = [];
  const seen = new Set<string>();
  const engine = new BarEngine({
    sessions: opts.sessions,
    ...(opts.periods ? { periods: opts.periods } : {}),
    emit: (kind, _exchg, _code, bar) => {
      let list = bars.get(kind);
      if (!list) bars.set(kind, (list = []));
      list.push(bar);
    },
  });
  for (const p of engine.periods) if (!bars.has(kindNameOfPeriod(p))) bars.set(kindNameOfPeriod(p), []);
  for (const t of ticks) {
    const id = `${t.exchg}.${t.code}`;
    if (!seen.has(id)) {
      seen.add(id);
      instruments.push({ exchg: t.exchg, code: t.code });
    }
    engine.onTick(t);
  }
  engine.flush();
  return { instruments, bars, stats: engine.stats, periods: engine.periods };
}

/** Every published tick of a tick file, as zero-copy views. */
function* ticksOf(reader: RtReader): IterableIterator<BarTick> {
  const n = reader.length;
  for (let i = 0; i < n; i++) yield reader.at(i) as unknown as BarTick;
}

/** Rebuilds the bars of one tick file (live or finished). The file must hold one instrument. */
export function rebuildTickFile(file: string, opts: RebuildOptions): RebuiltBars & { date: number; exchg: string; code: string } {
  const reader = RtReader.open(file, { kind: TICK_KIND });
  try {
    const r = barsFromTicks(ticksOf(reader), opts);
    if (r.instruments.length > 1) {
      throw new TickrecError(
        'E_FIELD',
        `${file}: holds ticks of ${r.instruments.length} instruments (${r.instruments
          .slice(0, 3)
          .map((i) => `${i.exchg}.${i.code}`)
          .join(', ')}); a tick file holds one. Not rebuilt.`,
        { file },
      );
    }
    const first = r.instruments[0];
    return { ...r, date: reader.date, exchg: first?.exchg ?? '', code: first?.code ?? '' };
  } finally {
    reader.close();
  }
}

/** Where a tick file is in a data root's layout (rt/ticks/...), if it is. */
export function tickFilePlace(file: string): RtPlace | undefined {
  const place = parseRtPath(file);
  return place?.folder === TICK_KIND.folder ? place : undefined;
}

/**
 * Bar file of `kind` for the bars of `tickFile`: in its data root (or under `outRoot`),
 * in the folder of `kind`, at the tick file's relative place (header above).
 */
export function rebuildTarget(
  tickFile: string,
  kind: RecordKind,
  r: { exchg: string; code: string; date: number },
  outRoot?: string,
): string {
  const place = tickFilePlace(tickFile);
  if (place) return rtPlacePath(place, kind, outRoot ?? place.root);
  if (!outRoot) {
    throw new TickrecError(
      'E_USAGE',
      `${tickFile}: not in a data root's layout (<root>/rt/ticks/<EXCHG>/[<YYYYMMDD>/]<CODE>.dmb); give --out <folder> to say where the bars go.`,
      { file: tickFile },
    );
  }
  try {
    checkInstrument(r.exchg, r.code);
  } catch {
    throw new TickrecError('E_FIELD', `${tickFile}: instrument '${r.exchg}.${r.code}' cannot name a file.`, { file: tickFile });
  }
  return rtFinishedPath(outRoot, kind, r.exchg, r.date, r.code);
}

export interface WrittenBars {
  file: string;
  bars: number;
  /** The file already held exactly these bars (and this date): it was left alone. */
  unchanged: boolean;
  /** Where the file it replaced was kept, if there was one. */
  backup: string | undefined;
}

/** Whether the bar file `file` holds exactly `bars` (published records, byte for byte) and trading date `date`. */
function sameBars(file: string, kind: RecordKind, date: number, bars: readonly Bar[]): boolean {
  let r: RtReader;
  try {
    r = RtReader.open(file, { kind });
  } catch {
    return false; // damaged or of another kind: replace it
  }
  try {
    if (r.date !== date || r.length !== bars.length) return false;
    const mine = Mem.alloc(bars.length * kind.recordBytes);
    bars.forEach((b, i) => kind.codec.encode(b, mine, i * kind.recordBytes));
    return Buffer.from(r.rawRecords(0, bars.length)).equals(Buffer.from(mine.u8));
  } finally {
    r.close();
  }
}

/**
 * Writes `bars` as the whole content of the bar file `file` (header date `date`),
 * replacing an existing file by rename (the old one kept as <file>.bak); a file that
 * already holds exactly these bars is left alone. No bars: no new file, and an existing
 * one is moved to <file>.bak.
 */
export function writeBarFile(file: string, kindName: BarKindName, date: number, bars: readonly Bar[]): WrittenBars {
  const kind = kindByName(kindName)!;
  const backup = backupPath(file);
  const exists = fs.existsSync(file);
  const dir = path.dirname(file);
  if (exists && bars.length > 0 && sameBars(file, kind, date, bars)) return { file, bars: bars.length, unchanged: true, backup: undefined };
  try {
    if (bars.length === 0) {
      if (exists) fs.renameSync(file, backup);
      return { file, bars: 0, unchanged: !exists, backup: exists ? backup : undefined };
    }
    const tmp = rtTmpPath(file, process.pid);
    fs.rmSync(tmp, { force: true });
    const w = RtWriter.open(tmp, { kind, date, initialCapacity: bars.length });
    try {
      w.appendBatch(bars);
    } finally {
      w.close();
    }
    if (exists) fs.renameSync(file, backup);
    fs.renameSync(tmp, file);
    syncDir(dir);
    return { file, bars: bars.length, unchanged: false, backup: exists ? backup : undefined };
  } catch (err) {
    throw ioError(err, file, 'write rebuilt bars');
  }
}

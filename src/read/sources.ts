// Where the records of a kind live under a data root, per instrument: historical day blocks or the bar history, finished real-time days, and the live file.
//
//   his/<ticks|trans>/<EXCHG>/<YYYYMMDD>/<CODE>.tsb   a compacted day (tickrec LZ4; .dsb: datakit zstd/raw)
//   his/<min1|…|day>/<EXCHG>/<CODE>.tsb               a bar history (tickrec container; .dsb: datakit zstd/raw)
//   rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dmb         a finished day not compacted yet
//   rt/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>~<n>.dmb     a second file of that day (a replay)
//   rt/<folder>/<EXCHG>/<CODE>.dmb                    the live file (today)
//   his/<min1|…|day>/CZCE/<4-digit CODE>.dsb          an older contract of a CZCE 3-digit code (read as that code's days)
// (names built and parsed by src/layout/root.ts; either his name is read, the header tells
// the format, and a day or history under both names is refused when read: src/his/names.ts).
// Day bars have no real-time files: the days not yet in his/day come from the tick files.
//
// A listing is taken once per query (directory reads, no file opened but a stat of each
// live file); src/read/instrument-days.ts opens the files, and re-lists an instrument whose
// live file rolled after its listing.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError } from '../errors.js';
import {
  CZCE_EXCHANGE,
  EXCHG_MAX_CHARS,
  HIS_EXT,
  TICKREC_HIS_EXT,
  checkInstrument,
  czceShortCode,
  groupFinished,
  hisExchangeDir,
  hisKindDir,
  isCzce3DigitCode,
  isExchangeName,
  nameProblem,
  parseDateFolder,
  parseHisName,
  parseLiveName,
  rtExchangeDir,
  rtKindDir,
} from '../layout/index.js';
import { groupHisNames, twoFiles } from '../his/index.js';
import { readKind, type ReadKind } from './kinds.js';

export interface Listing {
  readonly root: string;
  readonly kind: ReadKind;
  readonly exchange: string;
  /** Day blocks (ticks, trades): code → trading date → file. */
  readonly hisDays: Map<string, Map<number, string>>;
  /** Bar histories: code → file. */
  readonly histories: Map<string, string>;
  /**
   * Bar histories of older contracts of a CZCE 3-digit code, under their 4-digit names
   * (his/min1/CZCE/SR1505.dsb for SR505: src/compact/contract-history.ts): 3-digit code →
   * files. Read as days of the 3-digit code; not listed as instruments of their own
   * unless asked for by name.
   */
  readonly retired: Map<string, string[]>;
  /** Finished real-time days: code → trading date → files (<CODE>.dmb first, then <CODE>~<n>.dmb by n). */
  readonly finished: Map<string, Map<number, string[]>>;
  /** Codes whose his data sits under both names (<CODE>.dsb and <CODE>.tsb): reading them is refused with this error. */
  readonly conflicts: Map<string, TickrecError>;
  /** Live files: code → file. */
  readonly live: Map<string, string>;
  /** Inode of each live file when listed (a different one at open: the file rolled since). */
  readonly liveIno: Map<string, number>;
  /** Day bars: the tick files whose days are not in his/day yet. */
  readonly ticks: Listing | undefined;
}

function entries(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new TickrecError('E_IO', `${dir}: cannot list the folder (${(err as Error).message}); check its permissions.`, {
      file: dir,
      cause: err,
    });
  }
}

/** Refuses a root that is not a folder (E_USAGE), naming it. */
export function checkRoot(root: unknown): string {
  if (typeof root !== 'string' || root.length === 0)
    throw new TickrecError('E_USAGE', 'root: give the data root folder (the one holding rt/ and his/).');
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new TickrecError('E_USAGE', `${root}: no such data root; check the path (it is the folder holding rt/ and his/).`, {
      file: root,
    });
  }
  if (!st.isDirectory())
    throw new TickrecError('E_USAGE', `${root}: not a folder; the data root is the folder holding rt/ and his/.`, { file: root });
  return root;
}

export function checkExchange(exchange: unknown): string {
  const p = nameProblem(exchange, EXCHG_MAX_CHARS);
  if (p) throw new TickrecError('E_USAGE', `exchange '${String(exchange).slice(0, 40)}': ${p}.`);
  return exchange as string;
}

export function checkCode(exchange: string, code: unknown): string {
  try {
    checkInstrument(exchange, code);
  } catch (err) {
    throw new TickrecError('E_USAGE', (err as Error).message);
  }
  return code as string;
}

function getMap<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

function exists(file: string): boolean {
  return fs.existsSync(file);
}

function ino(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

/** Trading dates a listing looks at. */
export interface DateWindow {
  readonly firstDate: number;
  readonly lastDate: number;
}

/** Every date. */
export const ALL_DATES: DateWindow = { firstDate: 0, lastDate: 99999999 };

/**
 * Days after the window's last date that are still listed: a trading day's records start
 * at most this many calendar days before its date (a night session before a weekend or a
 * holiday); the reader then reads them only while they start before the range's end.
 */
export const LOOKAHEAD_DAYS = 15;

function windowTest(w: DateWindow): (date: number) => boolean {
  if (w.lastDate >= 99999999) return (d) => d >= w.firstDate;
  const t = new Date(
    Date.UTC(Math.floor(w.lastDate / 10000), (Math.floor(w.lastDate / 100) % 100) - 1, (w.lastDate % 100) + LOOKAHEAD_DAYS),
  );
  const end = t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
  return (d) => d >= w.firstDate && d <= end;
}

/** Lists the real-time files (finished days of the window, live files) of a kind folder. */
function listRt(
  root: string,
  folder: { readonly folder: string },
  exchange: string,
  code: string | undefined,
  inWindow: (d: number) => boolean,
  into: Pick<Listing, 'finished' | 'live' | 'liveIno'>,
): void {
  const exDir = rtExchangeDir(root, folder, exchange);
  for (const e of entries(exDir)) {
    const c = parseLiveName(e);
    const date = parseDateFolder(e);
    if (c !== undefined) {
      if (code !== undefined && c !== code) continue;
      const f = path.join(exDir, e);
      const i = ino(f);
      if (i === undefined) continue; // rolled away meanwhile: found in its dated folder
      into.live.set(c, f);
      into.liveIno.set(c, i);
    } else if (date !== undefined && inWindow(date)) {
      const dir = path.join(exDir, e);
      for (const [c, files] of groupFinished(dir, entries(dir), code).byCode) getMap(into.finished, c, () => new Map()).set(date, files);
    }
  }
}

/**
 * Lists the files of `kind` for one exchange (every instrument, or only `code`), for the
 * trading dates of `window` (and LOOKAHEAD_DAYS after it). The live file is listed
 * before the dated folders, so a file set aside meanwhile is seen in one place or the other.
 */
export function listKind(
  root: string,
  kind: ReadKind,
  exchange: string,
  code: string | undefined,
  window: DateWindow = ALL_DATES,
  rtOnly = false,
): Listing {
  const inWindow = windowTest(window);
  const l: Listing = {
    root,
    kind,
    exchange,
    hisDays: new Map(),
    histories: new Map(),
    retired: new Map(),
    conflicts: new Map(),
    finished: new Map(),
    live: new Map(),
    liveIno: new Map(),
    ticks: kind.name === 'day' ? listKind(root, readKind('tick'), exchange, code, window, true) : undefined,
  };
  if (kind.rt) listRt(root, kind.rt, exchange, code, inWindow, l);
  if (rtOnly) return l;
  const hisDir = hisExchangeDir(root, kind.his, exchange);
  // One code: its two possible names are looked up (no listing of a folder of every code).
  const names = (dir: string) =>
    code === undefined ? entries(dir) : [code + HIS_EXT, code + TICKREC_HIS_EXT].filter((n) => exists(path.join(dir, n)));
  const conflicts = (both: Map<string, [string, string]>) => {
    for (const [c, [dsb, tsb]] of both) if (!l.conflicts.has(c)) l.conflicts.set(c, twoFiles(dsb, tsb));
  };
  if (kind.his.layout === 'history') {
    const g = groupHisNames(hisDir, names(hisDir));
    for (const [c, f] of g.byCode) l.histories.set(c, f);
    conflicts(g.both);
    if (code !== undefined && isCzce3DigitCode(exchange, code)) {
      const r = groupHisNames(
        hisDir,
        entries(hisDir).filter((e) => czceShortCode(parseHisName(e) ?? '') === code),
      );
      for (const f of r.byCode.values()) getMap(l.retired, code, () => []).push(f);
      for (const [dsb, tsb] of r.both.values()) if (!l.conflicts.has(code)) l.conflicts.set(code, twoFiles(dsb, tsb));
    } else if (code === undefined) attachRetired(l);
  } else {
    for (const e of entries(hisDir)) {
      const date = parseDateFolder(e);
      if (date === undefined || !inWindow(date)) continue;
      const dir = path.join(hisDir, e);
      const g = groupHisNames(dir, names(dir));
      for (const [c, f] of g.byCode) getMap(l.hisDays, c, () => new Map()).set(date, f);
      conflicts(g.both);
    }
  }
  return l;
}

/**
 * A listing of every code: a 4-digit CZCE history (SR1505.dsb) whose 3-digit code (SR505)
 * has files of the kind too is that code's retired contract: it moves to `retired` and is
 * not an instrument of its own (else its bars would be read twice). A 4-digit code with
 * nothing under its 3-digit name (a feed that sends 4-digit codes) stays an instrument.
 */
function attachRetired(l: Listing): void {
  if (l.exchange !== CZCE_EXCHANGE) return;
  const has = (c: string) =>
    l.histories.has(c) || l.finished.has(c) || l.live.has(c) || !!l.ticks?.finished.has(c) || !!l.ticks?.live.has(c);
  for (const [c, f] of [...l.histories]) {
    const short = czceShortCode(c);
    if (short === undefined || !has(short)) continue;
    getMap(l.retired, short, () => []).push(f);
    l.histories.delete(c);
    const conflict = l.conflicts.get(c);
    if (conflict && !l.conflicts.has(short)) l.conflicts.set(short, conflict); // reading the code reads its retired files
  }
}

/** Every instrument code a listing knows of, sorted. */
export function listingCodes(l: Listing): string[] {
  const s = new Set<string>([...l.hisDays.keys(), ...l.histories.keys(), ...l.retired.keys(), ...l.finished.keys(), ...l.live.keys()]);
  if (l.ticks) for (const c of listingCodes(l.ticks)) s.add(c);
  return [...s].sort();
}

/** Exchanges that hold any file of `kind` under the root (his/ and rt/), sorted. */
export function listExchanges(root: string, kind: ReadKind): string[] {
  const dirs = [hisKindDir(root, kind.his)];
  if (kind.rt) dirs.push(rtKindDir(root, kind.rt));
  if (kind.name === 'day') dirs.push(rtKindDir(root, readKind('tick').rt!));
  const s = new Set<string>();
  for (const d of dirs)
    for (const e of entries(d)) if (isExchangeName(e) && fs.statSync(path.join(d, e), { throwIfNoEntry: false })?.isDirectory()) s.add(e);
  return [...s].sort();
}

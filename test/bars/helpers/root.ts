// A data root for the bar tests: every bar of an instrument in its files (finished days, then the live file), and the same rebuilt offline from its tick files.

import fs from 'node:fs';
import path from 'node:path';
import { rebuildTickFile, type BarKindName, type BarPeriod } from '../../../src/bars/index.js';
import { kindByName, type Bar } from '../../../src/format/index.js';
import { RtReader } from '../../../src/store/index.js';
import { bundledSessions } from './ticks.js';

/** The files of an instrument in a kind's folder: finished days in date order (CODE.dmb, then CODE.<n>.dmb), then the live file. */
export function filesOf(root: string, folder: string, exchg: string, code: string): string[] {
  const dir = path.join(root, 'rt', folder, exchg);
  const out: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const day of names.filter((n) => /^\d{8}$/.test(n)).sort()) {
    const files = fs
      .readdirSync(path.join(dir, day))
      .filter((f) => f === `${code}.dmb` || (f.startsWith(`${code}.`) && /^\.\d+\.dmb$/.test(f.slice(code.length))));
    files.sort((a, b) => a.length - b.length || a.localeCompare(b));
    for (const f of files) out.push(path.join(dir, day, f));
  }
  const live = path.join(dir, `${code}.dmb`);
  if (fs.existsSync(live)) out.push(live);
  return out;
}

export function barsInFiles(root: string, kind: BarKindName, exchg: string, code: string): Bar[] {
  const k = kindByName(kind)!;
  const out: Bar[] = [];
  for (const f of filesOf(root, k.folder, exchg, code)) {
    const r = RtReader.open(f, { kind: k });
    try {
      for (let i = 0; i < r.length; i++) out.push(r.get(i) as unknown as Bar);
    } finally {
      r.close();
    }
  }
  return out;
}

/** Bars rebuilt offline from every tick file of the instrument (finished days, then live). */
export function rebuiltBars(root: string, kind: BarKindName, exchg: string, code: string, periods: BarPeriod[]): Bar[] {
  const out: Bar[] = [];
  for (const f of filesOf(root, 'ticks', exchg, code))
    out.push(...(rebuildTickFile(f, { sessions: bundledSessions(), periods }).bars.get(kind) ?? []));
  return out;
}

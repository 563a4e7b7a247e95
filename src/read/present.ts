// How readers present a record to people and tools: the real trade quantity (stored units ÷ 10^volume_decimals) and one UTC timestamp column `ts_utc` beside the exchange-local date and time (bars: their end).
//
// RULES (docs/format.md, "Reading quantities and times"; every reader follows them: the API,
// cat, export, and the Python reader):
// - trade `volume` = stored u32 / 10^volume_decimals of the instrument (src/meta/root.ts);
// - `ts_utc` of a tick or a trade = (action_date, action_time) in the instrument's zone;
//   of a minute bar = its END, (time + 199000000000 → YYYYMMDDHHMM) in the zone; of a day
//   bar = the trading date at the session's close ("15:00" for SHFE), in the zone;
//   null when the zone is unknown (no metadata and no session in the bundled file).

import { utcMsOfLocal } from '../calendar/index.js';
import { pow10 } from '../format/decimal.js';
import { minuteBarStamp, type Rec } from '../format/index.js';
import { instrumentOfFile, rootOfFile } from '../layout/index.js';
import { RootMetaReader, type ReadMeta } from '../meta/index.js';

export type PresentKind = 'tick' | 'trade' | 'bar' | 'day';

/** The present-kind of a record kind name. */
export function presentKind(name: string): PresentKind {
  return name === 'tick' || name === 'trade' ? name : name === 'day' ? 'day' : 'bar';
}

/** UTC epoch ms of a record, or null when the zone is unknown. */
export function recordUtcMs(kind: PresentKind, rec: Rec, meta: ReadMeta): number | null {
  const tz = meta.timezone;
  if (tz === null) return null;
  if (kind === 'tick' || kind === 'trade') return utcMsOfLocal(rec.action_date as number, rec.action_time as number, tz);
  if (kind === 'bar') {
    const stamp = minuteBarStamp(rec.time as number); // YYYYMMDDHHMM of the bar's end
    const hhmm = stamp % 10000;
    return utcMsOfLocal(Math.floor(stamp / 10000), Math.floor(hhmm / 100) * 10000000 + (hhmm % 100) * 100000, tz);
  }
  if (meta.sessionClose === null) return null;
  const [h, m] = meta.sessionClose.split(':').map(Number) as [number, number];
  // the close as a local time (not midnight + minutes: a clock change can fall in between)
  return utcMsOfLocal(rec.date as number, h * 10000000 + m * 100000, tz);
}

/** ISO 8601 UTC text of epoch ms ("2026-12-07T01:30:00.500Z"), or '' for null. */
export function isoUtc(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}

/** Presents records of one data root: the real trade volume and ts_utc. */
export class Presenter {
  readonly meta: RootMetaReader;

  constructor(
    readonly kind: PresentKind,
    root: string | undefined,
  ) {
    this.meta = new RootMetaReader(root);
  }

  /** The record with `volume` as the real quantity (trades) and `ts_utc` (ISO text, or null) added; changes `rec` in place. */
  present(rec: Rec, exchg: string, code: string): Rec {
    const m = this.meta.of(exchg, code);
    if (this.kind === 'trade' && m.volumeDecimals > 0) rec.volume = (rec.volume as number) / pow10(m.volumeDecimals);
    const ms = recordUtcMs(this.kind, rec, m);
    (rec as Record<string, unknown>).ts_utc = ms === null ? null : isoUtc(ms);
    return rec;
  }
}

/** ts_utc of `count` extracted rows (columns action_date/action_time, or date/time for bars), or null when the zone is unknown. */
export function utcColumn(kind: PresentKind, cols: Record<string, ArrayLike<number>>, count: number, meta: ReadMeta): Float64Array | null {
  if (meta.timezone === null || (kind === 'day' && meta.sessionClose === null)) return null;
  const out = new Float64Array(count);
  const rec: Rec = {};
  const names = kind === 'tick' || kind === 'trade' ? ['action_date', 'action_time'] : ['date', 'time'];
  const a = cols[names[0]!]!;
  const b = cols[names[1]!]!;
  for (let i = 0; i < count; i++) {
    rec[names[0]!] = a[i]!;
    rec[names[1]!] = b[i]!;
    out[i] = recordUtcMs(kind, rec, meta)!;
  }
  return out;
}

/**
 * Presents the records of one block file, real-time or historical, as `cat FILE` and `tail FILE`
 * print them: the data root and the instrument come from the file's path
 * (<root>/rt|his/<kind>/<EXCHG>/[<DATE>/]<CODE>.dmb|dsb); a record's own exchg/code win.
 */
export class FilePresenter {
  private readonly presenter: Presenter;
  private readonly inst: { exchg: string; code: string } | undefined;
  private noted = false;

  /** kindName: the file's record kind ('tick', 'trade', 'min1' .. 'min60', 'day'). */
  constructor(
    readonly file: string,
    readonly kindName: string,
  ) {
    this.presenter = new Presenter(presentKind(kindName), rootOfFile(file));
    this.inst = instrumentOfFile(file);
  }

  /** The record with the real trade volume and ts_utc (Presenter.present); changes `rec` in place. */
  present(rec: Rec): Rec {
    const { exchg, code } = this.instrumentOf(rec);
    return this.presenter.present(rec, exchg, code);
  }

  /**
   * Once per file, for trades whose instrument has no metadata in the file's data root: the
   * note that volumes are shown as stored (whole units). Undefined otherwise and after the first call that returned one.
   */
  missingMetaNote(rec: Rec): string | undefined {
    if (this.noted || this.kindName !== 'trade') return undefined;
    const { exchg, code } = this.instrumentOf(rec);
    if (this.presenter.meta.of(exchg, code).stored) return undefined;
    this.noted = true;
    return `no instrument metadata for ${exchg}.${code} beside ${this.file} (meta/instruments/ in its data root): volumes are shown as stored (whole units).`;
  }

  private instrumentOf(rec: Rec): { exchg: string; code: string } {
    return {
      exchg: typeof rec.exchg === 'string' ? rec.exchg : (this.inst?.exchg ?? ''),
      code: typeof rec.code === 'string' ? rec.code : (this.inst?.code ?? ''),
    };
  }
}

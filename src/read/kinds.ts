// The kinds the reader API reads (ticks, trades, bars of every period), with their record layout and where each lives under a data root.

import { TickrecError } from '../errors.js';
import {
  BAR,
  MIN1_KIND,
  TICK,
  TICK_KIND,
  TRADE,
  TRADE_KIND,
  kindByName,
  type Codec,
  type Mem,
  type RecordKind,
  type StructDef,
} from '../format/index.js';
import { hisKindByName, type HisKind } from '../his/index.js';

/** Bar periods: 1, 5, 15, 30, 60 minutes (tickrec's real-time bars) and the day bar. */
export type BarPeriodName = 'min1' | 'min5' | 'min15' | 'min30' | 'min60' | 'day';
export type ReadKindName = 'tick' | 'trade' | BarPeriodName;

export const BAR_PERIOD_NAMES: readonly BarPeriodName[] = ['min1', 'min5', 'min15', 'min30', 'min60', 'day'];
export const READ_KIND_NAMES: readonly ReadKindName[] = ['tick', 'trade', ...BAR_PERIOD_NAMES];

export interface ReadKind {
  readonly name: ReadKindName;
  /** The record's field table (TICK, TRADE or BAR). */
  readonly struct: StructDef;
  readonly recordBytes: number;
  /** Compiled codec of the record (views, decode). */
  readonly codec: Codec;
  /** Where the history lives: day blocks (tick, trade) or a bar history per instrument. */
  readonly his: HisKind;
  /**
   * The real-time kind whose files hold this kind's finished and live days; undefined for
   * day bars, which tickrec builds from the day's last tick (as compaction does).
   */
  readonly rt: RecordKind | undefined;
  /** Time key of the record at `offset` (RecordKind.keyAt). */
  keyAt: (m: Mem, offset: number) => number;
  /** Bars: records carry no exchange/code fields (the instrument is the file's). */
  readonly isBar: boolean;
  /** Minute bars: labelled by their END (docs/bars.md), selected by end in (from, to]. */
  readonly minuteBar: boolean;
}

function make(name: ReadKindName, struct: StructDef, rt: RecordKind | undefined, base: RecordKind): ReadKind {
  const his = hisKindByName(name);
  if (!his) throw new Error(`no historical kind '${name}'`);
  const isBar = struct === BAR;
  return {
    name,
    struct,
    recordBytes: struct.size,
    codec: base.codec,
    his,
    rt,
    keyAt: base.keyAt,
    isBar,
    minuteBar: isBar && name !== 'day',
  };
}

const KINDS: ReadonlyMap<ReadKindName, ReadKind> = new Map(
  READ_KIND_NAMES.map((n): [ReadKindName, ReadKind] => {
    if (n === 'tick') return [n, make(n, TICK, TICK_KIND, TICK_KIND)];
    if (n === 'trade') return [n, make(n, TRADE, TRADE_KIND, TRADE_KIND)];
    const rt = n === 'day' ? undefined : kindByName(n);
    return [n, make(n, BAR, rt, rt ?? MIN1_KIND)];
  }),
);

/** The kind named `name`; an unknown name is refused (E_USAGE) with the list of known ones. */
export function readKind(name: unknown): ReadKind {
  const k = typeof name === 'string' ? KINDS.get(name as ReadKindName) : undefined;
  if (!k) {
    throw new TickrecError('E_USAGE', `kind '${String(name).slice(0, 40)}' is unknown: use one of ${READ_KIND_NAMES.join(', ')}.`);
  }
  return k;
}

/** The kind of a bar period; anything else is refused (E_USAGE). */
export function barKind(period: unknown): ReadKind {
  if (typeof period !== 'string' || !(BAR_PERIOD_NAMES as readonly string[]).includes(period)) {
    throw new TickrecError('E_USAGE', `period '${String(period).slice(0, 40)}' is unknown: use one of ${BAR_PERIOD_NAMES.join(', ')}.`);
  }
  return readKind(period);
}

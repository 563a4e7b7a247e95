// Record kinds: which struct a block type holds, its compiled codec, and its time key
// (the order that lower-bound searches and range reads use).

import { BAR } from './bar.js';
import { compileCodec, type Codec } from './codec.js';
import { BlockType, TickrecBlockType } from './header.js';
import type { Mem } from './mem.js';
import { TICK } from './tick.js';
import { minuteBarTime, timeKey } from './time.js';
import { TRADE } from './trade.js';

export type KindName = 'tick' | 'trade' | 'min1' | 'min5' | 'min15' | 'min30' | 'min60';

export interface RecordKind {
  readonly name: KindName;
  /** Real-time block type of this kind's .dmb files. */
  readonly rtType: number;
  /** Folder under rt/ and his/ (datakit's names). */
  readonly folder: string;
  readonly recordBytes: number;
  readonly codec: Codec;
  /** Byte offset of the u32 trading date of a record (ticks, trades: trading_date; bars: date). */
  readonly tradingDateOffset: number;
  /**
   * Where the trading date of a real-time file of this kind comes from (the one rule:
   * src/store/rt-file.ts rtTradingDate). false: the header `date` (datakit writes the
   * trading date there for ticks and trades). true: the `date` of its last published
   * record, the header only while it has none: datakit's writer stamps a bar file's
   * header with the calendar date it was CREATED, so a night session's bar file is dated
   * the evening before the trading day its bars belong to.
   */
  readonly datedByRecords: boolean;
  /**
   * A number that orders records in time, exact below 2^53:
   * ticks and trades: timeKey(action_date, action_time) (src/format/time.ts);
   * bars: the bar `time` (minute bars), or minuteBarTime(date, 0) for day bars.
   */
  readonly keyAt: (m: Mem, offset: number) => number;
  /** The key of an instant given as calendar date YYYYMMDD and time HHMMSSmmm. */
  readonly keyOf: (date: number, timeHHMMSSmmm: number) => number;
}

const TICK_CODEC = compileCodec(TICK);
const TRADE_CODEC = compileCodec(TRADE);
const BAR_CODEC = compileCodec(BAR);

function actionKindKeys(dateField: number, timeField: number) {
  const d = dateField / 4;
  const t = timeField / 4;
  return {
    keyAt: (m: Mem, o: number) => timeKey(m.u32[(o >>> 2) + d]!, m.u32[(o >>> 2) + t]!),
    keyOf: timeKey,
  };
}

const barTime = BAR.field('time').offset / 4;
const barDate = BAR.field('date').offset / 4;
const barKeys = {
  keyAt: (m: Mem, o: number) => {
    const w = o >>> 2;
    const time = m.u32[w + barTime + 1]! * 4294967296 + m.u32[w + barTime]!;
    return time !== 0 ? time : minuteBarTime(m.u32[w + barDate]!, 0);
  },
  // A minute bar labelled HH:MM covers the minute before it; the key of an instant
  // is the label of the bar containing it only after rounding up, which callers that
  // need it do themselves. Here: HHMM of the instant.
  keyOf: (date: number, time: number) => minuteBarTime(date, Math.floor(time / 100000)),
};

export const TICK_KIND: RecordKind = {
  name: 'tick',
  rtType: BlockType.RT_TICKS,
  folder: 'ticks',
  recordBytes: TICK.size,
  codec: TICK_CODEC,
  tradingDateOffset: TICK.field('trading_date').offset,
  datedByRecords: false,
  ...actionKindKeys(TICK.field('action_date').offset, TICK.field('action_time').offset),
};

export const TRADE_KIND: RecordKind = {
  name: 'trade',
  rtType: BlockType.RT_TRANS,
  folder: 'trans',
  recordBytes: TRADE.size,
  codec: TRADE_CODEC,
  tradingDateOffset: TRADE.field('trading_date').offset,
  datedByRecords: false,
  ...actionKindKeys(TRADE.field('action_date').offset, TRADE.field('action_time').offset),
};

export const MIN1_KIND: RecordKind = {
  name: 'min1',
  rtType: BlockType.RT_MIN1,
  folder: 'min1',
  recordBytes: BAR.size,
  codec: BAR_CODEC,
  tradingDateOffset: BAR.field('date').offset,
  datedByRecords: true,
  ...barKeys,
};

export const MIN5_KIND: RecordKind = { ...MIN1_KIND, name: 'min5', rtType: BlockType.RT_MIN5, folder: 'min5' };

/** The kinds of datakit's layout. */
export const KINDS: readonly RecordKind[] = [TICK_KIND, TRADE_KIND, MIN1_KIND, MIN5_KIND];

// tickrec extension: bars of periods derived from 1-minute bars (src/bars), same record.
export const MIN15_KIND: RecordKind = { ...MIN1_KIND, name: 'min15', rtType: TickrecBlockType.RT_MIN15, folder: 'min15' };
export const MIN30_KIND: RecordKind = { ...MIN1_KIND, name: 'min30', rtType: TickrecBlockType.RT_MIN30, folder: 'min30' };
export const MIN60_KIND: RecordKind = { ...MIN1_KIND, name: 'min60', rtType: TickrecBlockType.RT_MIN60, folder: 'min60' };

/** tickrec's own kinds (block types in TickrecBlockType). */
export const EXTENSION_KINDS: readonly RecordKind[] = [MIN15_KIND, MIN30_KIND, MIN60_KIND];

/** Every kind tickrec reads and writes. */
export const ALL_KINDS: readonly RecordKind[] = [...KINDS, ...EXTENSION_KINDS];

export function kindByRtType(type: number): RecordKind | undefined {
  return ALL_KINDS.find((k) => k.rtType === type);
}

export function kindByName(name: string): RecordKind | undefined {
  return ALL_KINDS.find((k) => k.name === name);
}

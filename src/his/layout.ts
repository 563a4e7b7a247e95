// Historical file layouts: the field tables of tickrec's day block and bar-history container, their versions, and the historical kinds.
//
// Every table here is the one definition of its bytes (docs/history.md shows them, and
// test/his/layout.test.ts holds the doc to these tables). All little-endian.
//
//   his/<ticks|trans>/<EXCHG>/<YYYYMMDD>/<CODE>.dsb   one trading day (HisBlockHeader + payload,
//                                                      or datakit's BlockHeaderV2 + zstd frame)
//   his/<min1|min5|day|min15..>/<EXCHG>/<CODE>.dsb     an instrument's bar history (container,
//                                                      or datakit's BlockHeaderV2 + zstd frame)

import {
  BAR,
  BLOCK_HEADER,
  BlockType,
  MIN1_KIND,
  TICK,
  TICK_KIND,
  TRADE,
  TRADE_KIND,
  defineStruct,
  kindByName,
  type Mem,
  type RecordKind,
} from '../format/index.js';

/** Version of a tickrec day block: distinct from datakit's 1..4, so a datakit reader never takes it for zstd. */
export const HIS_VERSION_BLOCK = 0x0101;
/** Version of a tickrec bar-history container. */
export const HIS_VERSION_CONTAINER = 0x0102;
/** datakit's versions: 3 raw records after a 12-byte BlockHeader, 4 one zstd frame after BlockHeaderV2. */
export const DATAKIT_VERSION_RAW = 3;
export const DATAKIT_VERSION_ZSTD = 4;
/** datakit's old versions, read and converted (src/format/old-structs.ts): 1 raw old structs, 2 one zstd frame of them. */
export const DATAKIT_VERSION_OLD_RAW = 1;
export const DATAKIT_VERSION_OLD_ZSTD = 2;

export const HIS_BLOCK_HEADER = defineStruct({
  name: 'HisBlockHeader',
  size: 64,
  packed: true,
  fields: [
    ...BLOCK_HEADER.fields.slice(0, 2),
    { name: 'version', type: 'u16', offset: 10, doc: `${HIS_VERSION_BLOCK} (0x0101): a tickrec day block` },
    { name: 'codec', type: 'u16', offset: 12, doc: 'compressor of the payload: 1 LZ4 (size-prepended block), 2 zstd (one frame), 0 none' },
    { name: 'transform', type: 'u16', offset: 14, doc: 'layout transform before compression: 0 none, 1 COLS8 (docs/history.md)' },
    { name: 'record_bytes', type: 'u32', offset: 16, doc: 'bytes of one record (512 tick, 112 trade, 88 bar)' },
    { name: 'record_count', type: 'u32', offset: 20, doc: 'records in the block' },
    { name: 'group_records', type: 'u32', offset: 24, doc: 'COLS8: records per transform group; 0 without transform' },
    { name: 'date', type: 'u32', offset: 28, doc: 'trading date YYYYMMDD' },
    { name: 'raw_bytes', type: 'u64', offset: 32, doc: 'record_count * record_bytes' },
    { name: 'payload_bytes', type: 'u64', offset: 40, doc: 'bytes of payload after the header; file length = 64 + payload_bytes' },
    { name: 'raw_crc32', type: 'u32', offset: 48, doc: 'CRC-32 (zlib) of the raw records' },
    { name: 'payload_crc32', type: 'u32', offset: 52, doc: 'CRC-32 of the payload bytes as stored' },
    { name: 'header_bytes', type: 'u32', offset: 56, doc: '64: bytes of this header' },
    { name: 'header_crc32', type: 'u32', offset: 60, doc: 'CRC-32 of bytes 0..59' },
  ],
});

export const HIS_CONTAINER_HEADER = defineStruct({
  name: 'HisContainerHeader',
  size: 64,
  packed: true,
  fields: [
    ...BLOCK_HEADER.fields.slice(0, 2),
    { name: 'version', type: 'u16', offset: 10, doc: `${HIS_VERSION_CONTAINER} (0x0102): a tickrec bar-history container` },
    { name: 'record_bytes', type: 'u32', offset: 12, doc: 'bytes of one record (88, the Bar)' },
    { name: 'data_start', type: 'u32', offset: 16, doc: '256: offset of the first chunk' },
    { name: 'slot_bytes', type: 'u32', offset: 20, doc: '64: bytes of a meta slot; slots at 64 and 128' },
    { name: 'reserved', type: 'pad', offset: 24, count: 4, doc: 'zero' },
    { name: 'header_crc32', type: 'u32', offset: 28, doc: 'CRC-32 of bytes 0..27' },
    { name: 'reserved2', type: 'pad', offset: 32, count: 32, doc: 'zero' },
  ],
});

export const HIS_META_SLOT = defineStruct({
  name: 'HisMetaSlot',
  size: 64,
  packed: true,
  fields: [
    { name: 'generation', type: 'u64', offset: 0, doc: 'commit number, 1, 2, 3...; 0 = empty slot. Generation g lives in slot g % 2' },
    { name: 'index_offset', type: 'u64', offset: 8, doc: 'offset of the index' },
    { name: 'end', type: 'u64', offset: 16, doc: 'committed length: bytes past it are garbage of an interrupted append' },
    { name: 'index_bytes', type: 'u32', offset: 24, doc: '48 * chunk_count: the chunk entries, in date order' },
    { name: 'index_crc32', type: 'u32', offset: 28, doc: 'CRC-32 of the index bytes' },
    { name: 'chunk_count', type: 'u32', offset: 32, doc: 'chunks in the index' },
    { name: 'day_count', type: 'u32', offset: 36, doc: 'days in all chunks' },
    { name: 'record_count', type: 'u64', offset: 40, doc: 'bars in all chunks' },
    { name: 'live_bytes', type: 'u64', offset: 48, doc: 'bytes of live chunks and the index (the rest past 256 is dead space)' },
    { name: 'reserved', type: 'pad', offset: 56, count: 4, doc: 'zero' },
    { name: 'slot_crc32', type: 'u32', offset: 60, doc: 'CRC-32 of bytes 0..59 of the slot' },
  ],
});

export const HIS_CHUNK_ENTRY = defineStruct({
  name: 'HisChunkEntry',
  size: 48,
  packed: true,
  fields: [
    { name: 'offset', type: 'u64', offset: 0, doc: 'offset of the chunk payload; its day table follows the payload' },
    { name: 'payload_bytes', type: 'u32', offset: 8, doc: 'bytes of the payload' },
    { name: 'payload_crc32', type: 'u32', offset: 12, doc: 'CRC-32 of the payload as stored' },
    { name: 'record_count', type: 'u32', offset: 16, doc: 'bars in the chunk' },
    { name: 'raw_crc32', type: 'u32', offset: 20, doc: 'CRC-32 of the raw bars' },
    { name: 'first_date', type: 'u32', offset: 24, doc: 'first trading date in the chunk' },
    { name: 'last_date', type: 'u32', offset: 28, doc: 'last trading date in the chunk' },
    { name: 'day_count', type: 'u32', offset: 32, doc: 'entries of the day table (8 bytes each) right after the payload' },
    { name: 'days_crc32', type: 'u32', offset: 36, doc: 'CRC-32 of the day table' },
    { name: 'codec', type: 'u16', offset: 40, doc: 'as HisBlockHeader.codec' },
    { name: 'transform', type: 'u16', offset: 42, doc: 'as HisBlockHeader.transform (COLS8 groups: the fixed size of the transform)' },
    { name: 'level', type: 'u16', offset: 44, doc: 'merge level: 0 one appended day; L+1 = MERGE_FANOUT chunks of level L merged' },
    { name: 'reserved', type: 'pad', offset: 46, count: 2, doc: 'zero' },
  ],
});

export const HIS_CHUNK_DAY = defineStruct({
  name: 'HisChunkDay',
  size: 8,
  packed: true,
  fields: [
    { name: 'date', type: 'u32', offset: 0, doc: 'trading date YYYYMMDD (entries in date order, each date once)' },
    { name: 'count', type: 'u32', offset: 4, doc: 'bars of the day; the day starts after the bars of the entries before it' },
  ],
});

export const CONTAINER_DATA_START = 256;
export const META_SLOT_OFFSETS = [64, 128] as const;

/** tickrec's historical block types for its extension bar periods (rt type + 20, as datakit's min1/min5). */
export const TickrecHisType = {
  HIS_MIN15: 121,
  HIS_MIN30: 122,
  HIS_MIN60: 123,
} as const;

export type HisKindName = 'tick' | 'trade' | 'min1' | 'min5' | 'min15' | 'min30' | 'min60' | 'day';

/** A kind of historical file: where it lives, its block type, and how it is laid out. */
export interface HisKind {
  readonly name: HisKindName;
  /** Folder under his/ (datakit's names: ticks, trans, min1, min5, day; tickrec's min15...). */
  readonly folder: string;
  readonly hisType: number;
  readonly recordBytes: number;
  /** 'daily': one file per day (his/<folder>/<EXCHG>/<DATE>/<CODE>.dsb); 'history': one file per instrument. */
  readonly layout: 'daily' | 'history';
  /** The real-time kind compacted into it (none for day bars, which come from the ticks). */
  readonly rt: RecordKind | undefined;
  /** Time key of the record at `offset` (RecordKind.keyAt). */
  readonly keyAt: (m: Mem, offset: number) => number;
  /** Byte offset of the u32 trading date in a record. */
  readonly dateOffset: number;
}

const barDate = BAR.field('date').offset;

function barHis(name: HisKindName, hisType: number): HisKind {
  const rt = name === 'day' ? undefined : kindByName(name);
  return { name, folder: name, hisType, recordBytes: BAR.size, layout: 'history', rt, keyAt: MIN1_KIND.keyAt, dateOffset: barDate };
}

export const HIS_KINDS: readonly HisKind[] = [
  {
    name: 'tick',
    folder: 'ticks',
    hisType: BlockType.HIS_TICKS,
    recordBytes: TICK.size,
    layout: 'daily',
    rt: TICK_KIND,
    keyAt: TICK_KIND.keyAt,
    dateOffset: TICK.field('trading_date').offset,
  },
  {
    name: 'trade',
    folder: 'trans',
    hisType: BlockType.HIS_TRANS,
    recordBytes: TRADE.size,
    layout: 'daily',
    rt: TRADE_KIND,
    keyAt: TRADE_KIND.keyAt,
    dateOffset: TRADE.field('trading_date').offset,
  },
  barHis('min1', BlockType.HIS_MIN1),
  barHis('min5', BlockType.HIS_MIN5),
  barHis('day', BlockType.HIS_DAY),
  barHis('min15', TickrecHisType.HIS_MIN15),
  barHis('min30', TickrecHisType.HIS_MIN30),
  barHis('min60', TickrecHisType.HIS_MIN60),
];

export function hisKindByType(type: number): HisKind | undefined {
  return HIS_KINDS.find((k) => k.hisType === type);
}

export function hisKindByName(name: string): HisKind | undefined {
  return HIS_KINDS.find((k) => k.name === name);
}

/** The historical kind a real-time kind is compacted into. */
export function hisKindOfRt(rt: RecordKind): HisKind | undefined {
  return HIS_KINDS.find((k) => k.rt === rt) ?? HIS_KINDS.find((k) => k.rt?.name === rt.name);
}

export const DAY_HIS_KIND: HisKind = hisKindByName('day')!;

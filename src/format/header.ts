// Block headers (packed, 1-byte alignment) and the block type/version numbers.
//
// A real-time (.dmb) file is an RTDayBlockHeader followed by `capacity` records:
//   file length = RT_HEADER_BYTES + capacity * recordSize   (exactly, between growths)
// `size` is the number of published records; it is the ONLY publication point
// (see src/store/rt-writer.ts for the publish protocol).

import { defineStruct } from './struct.js';

/** The 8 flag bytes every block starts with: "&^%$#@!" and a NUL. */
export const BLOCK_FLAG = new Uint8Array([0x26, 0x5e, 0x25, 0x24, 0x23, 0x40, 0x21, 0x00]);
export const BLOCK_FLAG_TEXT = '&^%$#@!';

export const BLOCK_HEADER = defineStruct({
  name: 'BlockHeader',
  size: 12,
  packed: true,
  fields: [
    { name: 'flag', type: 'char', offset: 0, count: 8, doc: 'bytes 26 5E 25 24 23 40 21 00 ("&^%$#@!" + NUL)' },
    { name: 'type', type: 'u16', offset: 8, doc: 'block type (BlockType)' },
    { name: 'version', type: 'u16', offset: 10, doc: 'block version: 3 raw records, 4 compressed' },
  ],
});

export const RT_BLOCK_HEADER = defineStruct({
  name: 'RTBlockHeader',
  size: 20,
  packed: true,
  fields: [
    ...BLOCK_HEADER.fields,
    { name: 'size', type: 'u32', offset: 12, doc: 'records published; stored last, with Atomics.store' },
    { name: 'capacity', type: 'u32', offset: 16, doc: 'records that fit in the file; stored after the file grew' },
  ],
});

export const RT_DAY_BLOCK_HEADER = defineStruct({
  name: 'RTDayBlockHeader',
  size: 24,
  packed: true,
  fields: [...RT_BLOCK_HEADER.fields, { name: 'date', type: 'u32', offset: 20, doc: 'trading date YYYYMMDD' }],
});

export const BLOCK_HEADER_V2 = defineStruct({
  name: 'BlockHeaderV2',
  size: 20,
  packed: true,
  fields: [...BLOCK_HEADER.fields, { name: 'size', type: 'u64', offset: 12, doc: 'bytes of compressed payload that follow the header' }],
});

export const RT_HEADER_BYTES = RT_DAY_BLOCK_HEADER.size;

/** u32 index of `size` and `capacity` in a Uint32Array over the mapped file. */
export const RT_SIZE_U32 = RT_DAY_BLOCK_HEADER.field('size').offset / 4;
export const RT_CAPACITY_U32 = RT_DAY_BLOCK_HEADER.field('capacity').offset / 4;
export const RT_DATE_U32 = RT_DAY_BLOCK_HEADER.field('date').offset / 4;

export const BlockType = {
  RT_MIN1: 1,
  RT_MIN5: 2,
  RT_TICKS: 3,
  RT_CACHE: 4,
  RT_TRANS: 5,
  RT_ORDER_DETAIL: 6,
  RT_ORDER_QUEUE: 7,
  HIS_MIN1: 21,
  HIS_MIN5: 22,
  HIS_DAY: 23,
  HIS_TICKS: 24,
  HIS_TRANS: 25,
  HIS_ORDER_DETAIL: 26,
  HIS_ORDER_QUEUE: 27,
} as const;
export type BlockTypeValue = (typeof BlockType)[keyof typeof BlockType];

/**
 * tickrec's own block types (a tickrec extension, not upstream's): real-time bars of the
 * periods derived from 1-minute bars, in the bar layout of RT_MIN1/RT_MIN5.
 */
export const TickrecBlockType = {
  RT_MIN15: 101,
  RT_MIN30: 102,
  RT_MIN60: 103,
} as const;

export const BLOCK_VERSION_RAW = 3;
export const BLOCK_VERSION_COMPRESSED = 4;

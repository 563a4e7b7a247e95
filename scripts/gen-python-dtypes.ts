// Generates python/tickrec/_dtypes.py (numpy dtypes and format constants) from the field tables of src/format and src/his.
//
// Usage: npx tsx scripts/gen-python-dtypes.ts
//
// The Python package (python/tickrec) defines no offset, size or number of its own: every
// struct is a numpy dtype with the offsets of its TypeScript table (padding left out of
// the names, kept in the offsets and the itemsize), and every block type, version, codec,
// folder and limit is copied from the constant the TypeScript code uses.
// test/python/dtypes.test.ts renders the file in memory and fails when the committed one differs.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ALL_KINDS,
  BAR,
  BLOCK_FLAG,
  BLOCK_HEADER,
  BLOCK_HEADER_V2,
  BLOCK_VERSION_COMPRESSED,
  BLOCK_VERSION_RAW,
  BlockType,
  MAX_DECIMALS,
  OLD_BAR_BYTES,
  OLD_BAR_FIELDS,
  OLD_TICK_BYTES,
  OLD_TICK_FIELDS,
  RT_DAY_BLOCK_HEADER,
  TICK,
  TRADE,
  TickrecBlockType,
  type Field,
  type StructDef,
} from '../src/format/index.js';
import {
  CODEC_LZ4,
  CODEC_NONE,
  CODEC_ZSTD,
  CONTAINER_DATA_START,
  DATAKIT_VERSION_OLD_RAW,
  DATAKIT_VERSION_OLD_ZSTD,
  DATAKIT_VERSION_RAW,
  DATAKIT_VERSION_ZSTD,
  GROUP_BYTES,
  HIS_BLOCK_HEADER,
  HIS_CHUNK_DAY,
  HIS_CHUNK_ENTRY,
  HIS_CONTAINER_HEADER,
  HIS_KINDS,
  HIS_META_SLOT,
  HIS_VERSION_BLOCK,
  HIS_VERSION_CONTAINER,
  META_SLOT_OFFSETS,
  TRANSFORM_COLS8,
  TRANSFORM_NONE,
  TickrecHisType,
} from '../src/his/index.js';
import { CODE_MAX_CHARS, EXCHG_MAX_CHARS } from '../src/layout/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
export const PY_DTYPES_PATH = path.join(ROOT, 'python/tickrec/_dtypes.py');

/** Python name of each struct, and the struct. */
const STRUCTS: readonly [string, StructDef][] = [
  ['BLOCK_HEADER', BLOCK_HEADER],
  ['RT_HEADER', RT_DAY_BLOCK_HEADER],
  ['BLOCK_HEADER_V2', BLOCK_HEADER_V2],
  ['HIS_BLOCK_HEADER', HIS_BLOCK_HEADER],
  ['HIS_CONTAINER_HEADER', HIS_CONTAINER_HEADER],
  ['HIS_META_SLOT', HIS_META_SLOT],
  ['HIS_CHUNK_ENTRY', HIS_CHUNK_ENTRY],
  ['HIS_CHUNK_DAY', HIS_CHUNK_DAY],
  ['TICK', TICK],
  ['BAR', BAR],
  ['TRADE', TRADE],
];

/** numpy type string of one element of a field (little-endian, as the files are). */
function npType(f: Field): string {
  switch (f.type) {
    case 'f64':
      return '<f8';
    case 'u64':
      return '<u8';
    case 'i64':
      return '<i8';
    case 'u32':
      return '<u4';
    case 'u16':
      return '<u2';
    case 'char':
      return `S${f.count}`;
    case 'pad':
      throw new Error(`${f.name}: padding has no dtype`);
  }
}

function pyStr(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function dtypeOf(name: string, s: StructDef): string {
  const fields = s.fields.filter((f) => f.type !== 'pad');
  const fmt = (f: Field) => (f.isArray ? `(${pyStr(npType(f))}, (${f.count},))` : pyStr(npType(f)));
  return [
    `# ${s.name}: ${s.size} bytes, ${s.packed ? 'packed' : 'natural alignment (8)'}; padding is in the offsets, not in the names.`,
    `${name} = np.dtype(`,
    '    {',
    `        'names': [${fields.map((f) => pyStr(f.name)).join(', ')}],`,
    `        'formats': [${fields.map(fmt).join(', ')}],`,
    `        'offsets': [${fields.map((f) => f.offset).join(', ')}],`,
    `        'itemsize': ${s.size},`,
    '    }',
    ')',
  ].join('\n');
}

/** Field types as in the tables (numpy cannot tell a char field from padding, nor say u64 meant a time). */
function fieldTypes(name: string, s: StructDef): string {
  const rows = s.fields.map((f) => `    (${pyStr(f.name)}, ${pyStr(f.type)}, ${f.offset}, ${f.count}),`);
  return [`${name}_FIELDS = (`, ...rows, ')'].join('\n');
}

/** datakit's old packed structs (src/format/old-structs.ts): a dtype (char fields as raw bytes) and the table. */
function oldStruct(name: string, size: number, fields: readonly { name: string; type: string; offset: number; count: number }[]): string {
  const t: Record<string, string> = { f64: '<f8', u32: '<u4', i32: '<i4', char: 'u1' };
  const fmt = (f: { type: string; count: number }) => (f.count > 1 ? `(${pyStr(t[f.type]!)}, (${f.count},))` : pyStr(t[f.type]!));
  return [
    `# ${name}: ${size} bytes, packed (datakit's block versions 1 and 2); char fields as raw bytes.`,
    `${name} = np.dtype(`,
    '    {',
    `        'names': [${fields.map((f) => pyStr(f.name)).join(', ')}],`,
    `        'formats': [${fields.map(fmt).join(', ')}],`,
    `        'offsets': [${fields.map((f) => f.offset).join(', ')}],`,
    `        'itemsize': ${size},`,
    '    }',
    ')',
    '',
    `${name}_FIELDS = (`,
    ...fields.map((f) => `    (${pyStr(f.name)}, ${pyStr(f.type)}, ${f.offset}, ${f.count}),`),
    ')',
  ].join('\n');
}

function pyDict(entries: readonly [string, string][]): string {
  return `{${entries.map(([k, v]) => `${pyStr(k)}: ${v}`).join(', ')}}`;
}

export function renderPythonDtypes(): string {
  const structName = (s: StructDef) => STRUCTS.find(([, d]) => d === s)![0];
  const rtKinds = ALL_KINDS.map(
    (k) =>
      `    ${pyStr(k.name)}: RtKind(${pyStr(k.name)}, ${pyStr(k.folder)}, ${k.rtType}, ${k.recordBytes}, ${structName(
        k.recordBytes === TICK.size ? TICK : k.recordBytes === TRADE.size ? TRADE : BAR,
      )}),`,
  );
  const hisKinds = HIS_KINDS.map(
    (k) =>
      `    ${pyStr(k.name)}: HisKind(${pyStr(k.name)}, ${pyStr(k.folder)}, ${k.hisType}, ${k.recordBytes}, ${pyStr(k.layout)}, ${
        k.rt ? pyStr(k.rt.name) : 'None'
      }, ${k.dateOffset}),`,
  );
  const lines = [
    '# Generated by scripts/gen-python-dtypes.ts from the field tables of src/format and src/his.',
    '# Do not edit: change those, then run `npx tsx scripts/gen-python-dtypes.ts`;',
    '# test/python/dtypes.test.ts fails when this file differs from what the generator renders.',
    '"""numpy dtypes of every tickrec struct and the format constants, from the TypeScript tables."""',
    '',
    'from collections import namedtuple',
    '',
    'import numpy as np',
    '',
    `VERSION = ${pyStr(VERSION)}  # package.json's; python/pyproject.toml holds the same (test/python/dtypes.test.ts)`,
    `BLOCK_FLAG = bytes([${[...BLOCK_FLAG].join(', ')}])`,
    `BLOCK_TYPE = ${pyDict(Object.entries(BlockType).map(([k, v]) => [k, String(v)]))}`,
    `TICKREC_BLOCK_TYPE = ${pyDict(Object.entries(TickrecBlockType).map(([k, v]) => [k, String(v)]))}`,
    `TICKREC_HIS_TYPE = ${pyDict(Object.entries(TickrecHisType).map(([k, v]) => [k, String(v)]))}`,
    `BLOCK_VERSION_RAW = ${BLOCK_VERSION_RAW}`,
    `BLOCK_VERSION_COMPRESSED = ${BLOCK_VERSION_COMPRESSED}`,
    `DATAKIT_VERSION_RAW = ${DATAKIT_VERSION_RAW}`,
    `DATAKIT_VERSION_ZSTD = ${DATAKIT_VERSION_ZSTD}`,
    `DATAKIT_VERSION_OLD_RAW = ${DATAKIT_VERSION_OLD_RAW}`,
    `DATAKIT_VERSION_OLD_ZSTD = ${DATAKIT_VERSION_OLD_ZSTD}`,
    `HIS_VERSION_BLOCK = ${HIS_VERSION_BLOCK}`,
    `HIS_VERSION_CONTAINER = ${HIS_VERSION_CONTAINER}`,
    `CODEC_NONE = ${CODEC_NONE}`,
    `CODEC_LZ4 = ${CODEC_LZ4}`,
    `CODEC_ZSTD = ${CODEC_ZSTD}`,
    `TRANSFORM_NONE = ${TRANSFORM_NONE}`,
    `TRANSFORM_COLS8 = ${TRANSFORM_COLS8}`,
    `GROUP_BYTES = ${GROUP_BYTES}`,
    `CONTAINER_DATA_START = ${CONTAINER_DATA_START}`,
    `META_SLOT_OFFSETS = (${META_SLOT_OFFSETS.join(', ')})`,
    `EXCHG_MAX_CHARS = ${EXCHG_MAX_CHARS}`,
    `CODE_MAX_CHARS = ${CODE_MAX_CHARS}`,
    `VOLUME_DECIMALS_MAX = ${MAX_DECIMALS}  # src/format/decimal.ts MAX_DECIMALS: the most volume_decimals a data root may hold`,
    '',
    ...STRUCTS.flatMap(([n, s]) => [dtypeOf(n, s), '', fieldTypes(n, s), '']),
    oldStruct('OLD_TICK', OLD_TICK_BYTES, OLD_TICK_FIELDS),
    '',
    oldStruct('OLD_BAR', OLD_BAR_BYTES, OLD_BAR_FIELDS),
    '',
    "RtKind = namedtuple('RtKind', 'name folder rt_type record_bytes dtype')",
    "HisKind = namedtuple('HisKind', 'name folder his_type record_bytes layout rt date_offset')",
    '',
    '# Real-time kinds (src/format/kinds.ts ALL_KINDS): rt/<folder>/<EXCHG>/<CODE>.dmb',
    'RT_KINDS = {',
    ...rtKinds,
    '}',
    '',
    "# Historical kinds (src/his/layout.ts HIS_KINDS): 'daily' his/<folder>/<EXCHG>/<DATE>/<CODE>.tsb|.dsb, 'history' his/<folder>/<EXCHG>/<CODE>.tsb|.dsb",
    'HIS_KINDS = {',
    ...hisKinds,
    '}',
    '',
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  fs.writeFileSync(PY_DTYPES_PATH, renderPythonDtypes());
  console.log(`wrote ${path.relative(ROOT, PY_DTYPES_PATH)}`);
}

// Renders the field tables of src/his/layout.ts as docs/history.md shows them (the same table format as docs/format.md).

import type { Field, StructDef } from '../../../src/format/index.js';
import { HIS_BLOCK_HEADER, HIS_CHUNK_DAY, HIS_CHUNK_ENTRY, HIS_CONTAINER_HEADER, HIS_META_SLOT } from '../../../src/his/index.js';

export const HIS_STRUCTS: readonly StructDef[] = [HIS_BLOCK_HEADER, HIS_CONTAINER_HEADER, HIS_META_SLOT, HIS_CHUNK_ENTRY, HIS_CHUNK_DAY];

function typeName(f: Field): string {
  if (f.type === 'char' || f.type === 'pad' || f.isArray) return `${f.type}[${f.count}]`;
  return f.type;
}

export function structTable(s: StructDef): string {
  const rows = s.fields.map(
    (f) =>
      `| ${f.offset} | ${f.size} | ${typeName(f)} | ${f.type === 'pad' ? `(${f.name})` : `\`${f.name}\``} | ${f.doc.replace(/\|/g, '\\|')} |`,
  );
  return [
    `**${s.name}**: ${s.size} bytes, packed, little-endian.`,
    '',
    '| offset | size | type | field | rule |',
    '|---:|---:|---|---|---|',
    ...rows,
  ].join('\n');
}

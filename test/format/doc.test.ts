// Keeps docs/format.md equal to what scripts/gen-format-doc.ts renders from the field tables, so the spec cannot drift from the code.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BAR, BLOCK_HEADER_V2, RT_DAY_BLOCK_HEADER, TICK, TRADE } from '../../src/format/index.js';
import { DOC_PATH, TEMPLATE_PATH, renderFormatDoc } from '../../scripts/gen-format-doc.js';

const FIX =
  'docs/format.md is out of date with src/format or docs/format.template.md: run `npx tsx scripts/gen-format-doc.ts` and commit the result.';

describe('docs/format.md', () => {
  it('the renderer refuses an unknown placeholder, an unknown struct, and a template missing a table', () => {
    const template = fs.readFileSync(TEMPLATE_PATH, 'utf8');
    expect(() => renderFormatDoc(`${template}\n{{nonsense}}\n`)).toThrow(/unknown placeholder \{\{nonsense\}\}/);
    expect(() => renderFormatDoc(`${template}\n{{table Nope}}\n`)).toThrow(/\{\{table Nope\}\} names no struct/);
    expect(() => renderFormatDoc(template.replace('{{table Trade}}', ''))).toThrow(/no \{\{table \.\.\.\}\} for Trade/);
  });

  it('is exactly what scripts/gen-format-doc.ts renders', () => {
    if (!fs.existsSync(DOC_PATH)) throw new Error(`${DOC_PATH} is missing. ${FIX}`);
    const onDisk = fs.readFileSync(DOC_PATH, 'utf8');
    const rendered = renderFormatDoc();
    if (onDisk !== rendered) {
      const a = onDisk.split('\n');
      const b = rendered.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      const at = line === -1 ? Math.min(a.length, b.length) : line;
      throw new Error(`${FIX}\nFirst difference at line ${at + 1}:\n  on disk:  ${a[at] ?? '(end)'}\n  rendered: ${b[at] ?? '(end)'}`);
    }
    expect(onDisk).toBe(rendered);
  });

  it('has a row for every field of every struct, with its offset, size and rule', () => {
    const doc = renderFormatDoc();
    for (const s of [RT_DAY_BLOCK_HEADER, BLOCK_HEADER_V2, TICK, BAR, TRADE]) {
      expect(doc, `${s.name} heading`).toContain(`**${s.name}**: ${s.size} bytes`);
      for (const f of s.fields) {
        const name = f.type === 'pad' ? `(${f.name})` : `\`${f.name}\``;
        expect(doc, `${s.name}.${f.name} row`).toContain(`| ${f.offset} | ${f.size} | `);
        expect(doc, `${s.name}.${f.name} row`).toContain(`| ${name} | ${f.doc.replace(/\|/g, '\\|')} |`);
      }
    }
  });
});

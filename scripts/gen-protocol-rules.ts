// Copies the normalization rules from the header of src/recorder/normalize.ts into docs/protocol.md (run: npx tsx scripts/gen-protocol-rules.ts).

import fs from 'node:fs';

const srcPath = new URL('../src/recorder/normalize.ts', import.meta.url);
const docPath = new URL('../docs/protocol.md', import.meta.url);

export function rulesText(src: string): string {
  const header = src.slice(src.indexOf('// N1 names'), src.indexOf('\n\nimport'));
  return header
    .split('\n')
    .map((l) => l.replace(/^\/\/ ?/, ''))
    .join('\n');
}

const doc = fs.readFileSync(docPath, 'utf8');
const start = doc.indexOf('```\nN1 names');
const end = doc.indexOf('\n```', start + 4);
if (start < 0 || end < 0) throw new Error('docs/protocol.md: the rules block (```\\nN1 names … ```) is missing');
const next = doc.slice(0, start) + '```\n' + rulesText(fs.readFileSync(srcPath, 'utf8')) + doc.slice(end);
fs.writeFileSync(docPath, next);
console.log('docs/protocol.md: normalization rules updated');

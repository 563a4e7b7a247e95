// Docs that must not drift from the code: normalization rules, error codes, README config reference.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { ConfigSchema, WebsocketFeedSchema } from '../../src/config/schema.js';

const read = (p: string) => fs.readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

describe('docs match the code', () => {
  it('docs/protocol.md carries the normalization rules of src/recorder/normalize.ts word for word', () => {
    const src = read('src/recorder/normalize.ts');
    const header = src.slice(src.indexOf('// N1 names'), src.indexOf('\n\nimport'));
    const rules = header.split('\n').map((l) => l.replace(/^\/\/ ?/, ''));
    const doc = read('docs/protocol.md');
    for (const line of rules)
      expect(doc, `docs/protocol.md lacks the rule line: ${line}; run npx tsx scripts/gen-protocol-rules.ts`).toContain(line);
  });

  it('docs/errors.md has a section for every error code, and no other', () => {
    const doc = read('docs/errors.md');
    const sections = [...doc.matchAll(/^## (E_[A-Z_]+)$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('the README configuration reference names every config key and every feed key', () => {
    const readme = read('README.md');
    const keys = (shape: Record<string, unknown>) => Object.keys(shape);
    for (const k of keys(ConfigSchema.shape)) expect(readme, `README lacks config key ${k}`).toContain(`\`${k}`);
    for (const k of keys(WebsocketFeedSchema.shape)) expect(readme, `README lacks feed key ${k}`).toContain(`\`${k}\``);
    const nested = ['metrics', 'log', 'storage'] as const;
    for (const n of nested) {
      const inner = (ConfigSchema.shape[n] as unknown as { unwrap?: () => { shape: Record<string, unknown> } }).unwrap?.().shape ?? {};
      for (const k of Object.keys(inner)) expect(readme, `README lacks ${n}.${k}`).toContain(`\`${n}.${k}\``);
    }
  });
});

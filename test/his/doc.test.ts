// docs/history.md shows the field tables of src/his/layout.ts exactly as the code defines them.

import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/child.js';
import { HIS_STRUCTS, structTable } from './helpers/tables.js';

it('every historical struct table in docs/history.md matches the code', () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/history.md'), 'utf8');
  for (const s of HIS_STRUCTS) expect(doc, `${s.name}: regenerate the table from src/his/layout.ts`).toContain(structTable(s));
});

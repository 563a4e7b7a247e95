// The library under test: the built dist/ (what ships; `npm run bench` builds first), typed by src/.

import fs from 'node:fs';
import type * as Tickrec from '../../src/index.js';

const entry = new URL('../../dist/index.js', import.meta.url);
if (!fs.existsSync(entry)) {
  console.error('dist/ is missing: run `npm run build` first (`npm run bench` does it).');
  process.exit(2);
}
export const lib = (await import(entry.href)) as typeof Tickrec;

// Writes the golden .dmb files of test/fixtures/golden/ by assembling bytes with DataView from docs/format.md's offsets (not with tickrec's codec).
//
// Usage: npx tsx scripts/make-golden.ts
//
// The layouts are a second, hand-written transcription of the on-disk format, on purpose
// (test/fixtures/struct-bytes.ts, shared with the datakit corpus): test/format/golden.test.ts
// checks that tickrec's reader decodes these bytes to test/fixtures/golden/records.ts and
// that tickrec's writer produces them byte for byte. Every file: RTDayBlockHeader (24
// bytes, packed) then GOLDEN_CAPACITY records, the slots past the last record zero.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GOLDEN_BARS, GOLDEN_CAPACITY, GOLDEN_DATE, GOLDEN_TICKS, GOLDEN_TRADES } from '../test/fixtures/golden/records.js';
import { BAR_BYTES, BLOCK_TYPE, TICK_BYTES, TRADE_BYTES, rtFileBytes } from '../test/fixtures/struct-bytes.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../test/fixtures/golden/', import.meta.url));

/** File name → bytes of every golden file. */
export function goldenFiles(): Map<string, Uint8Array> {
  return new Map([
    ['ticks.dmb', rtFileBytes(BLOCK_TYPE.RT_TICKS, GOLDEN_DATE, TICK_BYTES, GOLDEN_TICKS, GOLDEN_CAPACITY)],
    ['trades.dmb', rtFileBytes(BLOCK_TYPE.RT_TRANS, GOLDEN_DATE, TRADE_BYTES, GOLDEN_TRADES, GOLDEN_CAPACITY)],
    ['min1.dmb', rtFileBytes(BLOCK_TYPE.RT_MIN1, GOLDEN_DATE, BAR_BYTES, GOLDEN_BARS, GOLDEN_CAPACITY)],
  ]);
}

function main(): void {
  fs.mkdirSync(GOLDEN_DIR, { recursive: true });
  for (const [name, bytes] of goldenFiles()) {
    const file = path.join(GOLDEN_DIR, name);
    fs.writeFileSync(file, bytes);
    console.log(`${path.relative(process.cwd(), file)}: ${bytes.length} bytes`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();

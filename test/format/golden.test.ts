// Holds tickrec's reader and writer to the committed golden .dmb files (hand-assembled by scripts/make-golden.ts), so the format cannot drift.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN1_KIND, TICK_KIND, TRADE_KIND, type RecordKind } from '../../src/format/index.js';
import { RtReader, RtWriter } from '../../src/store/index.js';
import { GOLDEN_DIR, goldenFiles } from '../../scripts/make-golden.js';
import { GOLDEN_BARS, GOLDEN_CAPACITY, GOLDEN_DATE, GOLDEN_TICKS, GOLDEN_TRADES } from '../fixtures/golden/records.js';

const REGENERATE = 'If the change is intended, run `npx tsx scripts/make-golden.ts` and commit the files with the reason.';

const CASES: { file: string; kind: RecordKind; records: readonly Record<string, unknown>[] }[] = [
  { file: 'ticks.dmb', kind: TICK_KIND, records: GOLDEN_TICKS },
  { file: 'trades.dmb', kind: TRADE_KIND, records: GOLDEN_TRADES },
  { file: 'min1.dmb', kind: MIN1_KIND, records: GOLDEN_BARS },
];

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-golden-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Index of the first differing byte, or -1. */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function expectSameBytes(actual: Uint8Array, golden: Uint8Array, what: string): void {
  const at = firstDiff(actual, golden);
  expect(at, `${what}: first differing byte at offset ${at} (lengths ${actual.length} vs ${golden.length}). ${REGENERATE}`).toBe(-1);
}

describe('golden .dmb files', () => {
  it('the committed files are exactly what scripts/make-golden.ts builds from records.ts', () => {
    const built = goldenFiles();
    expect([...built.keys()].sort()).toEqual(CASES.map((c) => c.file).sort());
    for (const [name, bytes] of built) {
      const file = path.join(GOLDEN_DIR, name);
      if (!fs.existsSync(file)) throw new Error(`${file} is missing. ${REGENERATE}`);
      expectSameBytes(fs.readFileSync(file), bytes, file);
    }
  });

  for (const { file, kind, records } of CASES) {
    const golden = path.join(GOLDEN_DIR, file);

    it(`${file}: a few KB, 24 + ${GOLDEN_CAPACITY} × ${kind.recordBytes} bytes`, () => {
      expect(fs.statSync(golden).size).toBe(24 + GOLDEN_CAPACITY * kind.recordBytes);
    });

    it(`${file}: the TS reader decodes the header and every record to records.ts exactly`, () => {
      const r = RtReader.open(golden, { kind });
      try {
        expect(r.header, `${golden}: header`).toEqual({
          type: kind.rtType,
          version: 3,
          size: records.length,
          capacity: GOLDEN_CAPACITY,
          date: GOLDEN_DATE,
        });
        expect(r.length).toBe(records.length);
        for (let i = 0; i < records.length; i++) {
          expect(r.get(i), `${golden} record ${i}`).toEqual(records[i]);
          expect(r.at(i).toObject(), `${golden} record ${i} through a view`).toEqual(records[i]);
        }
        expect(() => r.get(records.length), 'the free slot is not published').toThrow(RangeError);
      } finally {
        r.close();
      }
    });

    it(`${file}: the TS writer, given the same records, writes the same bytes (fresh file, capacity ${GOLDEN_CAPACITY})`, () => {
      const out = path.join(tmp, 'append', file);
      const w = RtWriter.open(out, { kind, date: GOLDEN_DATE, initialCapacity: GOLDEN_CAPACITY });
      expect(w.report.created).toBe(true);
      for (const rec of records) w.append(rec);
      w.close();
      expectSameBytes(fs.readFileSync(out), fs.readFileSync(golden), `${out} (append) vs ${golden}`);
    });

    it(`${file}: appendBatch writes the same bytes too`, () => {
      const out = path.join(tmp, 'batch', file);
      const w = RtWriter.open(out, { kind, date: GOLDEN_DATE, initialCapacity: GOLDEN_CAPACITY });
      w.appendBatch(records);
      w.close();
      expectSameBytes(fs.readFileSync(out), fs.readFileSync(golden), `${out} (appendBatch) vs ${golden}`);
    });

    it(`${file}: reopening a copy for append keeps it byte-identical (no repair, nothing rewritten)`, () => {
      const copy = path.join(tmp, 'reopen', file);
      fs.mkdirSync(path.dirname(copy), { recursive: true });
      fs.copyFileSync(golden, copy);
      const w = RtWriter.open(copy, { kind, date: GOLDEN_DATE });
      expect(w.report).toEqual({ repairs: [], notes: [], created: false });
      expect(w.size).toBe(records.length);
      w.close();
      expectSameBytes(fs.readFileSync(copy), fs.readFileSync(golden), `${copy} (reopened) vs ${golden}`);
    });
  }
});

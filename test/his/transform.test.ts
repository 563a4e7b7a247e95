// The COLS8 transform: malformed input refused, then exact round trips (fast-check over random records with NaN payloads, -0, decimals, extremes).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/assert.js';
import { cols8Decode, cols8Encode, groupRecords } from '../../src/his/index.js';
import { f64bits, word } from './helpers/words.js';

function recordsOf(words: readonly bigint[], recordBytes: number): Uint8Array {
  const n = Math.floor((words.length * 8) / recordBytes);
  const out = new Uint8Array(new ArrayBuffer(n * recordBytes));
  const dv = new DataView(out.buffer);
  for (let i = 0; i < (n * recordBytes) / 8; i++) dv.setBigUint64(i * 8, words[i]!, true);
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

describe('COLS8: invalid input', () => {
  it('refuses a record size that is not a multiple of 8', () => {
    expect(() => cols8Encode(new Uint8Array(12), 12)).toThrow(AssertionError);
    expect(() => cols8Decode(new Uint8Array(0), 12, 0)).toThrow(AssertionError);
  });
  it('refuses bytes that are not whole records', () => {
    expect(() => cols8Encode(new Uint8Array(20), 16)).toThrow(AssertionError);
  });
  it('refuses a truncated, padded or malformed encoding', () => {
    const recs = recordsOf(
      Array.from({ length: 64 }, (_, i) => BigInt(i * 1000)),
      16,
    );
    const enc = cols8Encode(recs, 16);
    expect(() => cols8Decode(enc.subarray(0, enc.length - 1), 16, 32)).toThrow(RangeError);
    expect(() => cols8Decode(new Uint8Array([...enc, 0]), 16, 32)).toThrow(RangeError);
    const bad = enc.slice();
    bad[0] = 7; // mode
    expect(() => cols8Decode(bad, 16, 32)).toThrow(/mode 7/);
    const wide = enc.slice();
    wide[2] = 9; // width
    expect(() => cols8Decode(wide, 16, 32)).toThrow(/width 9/);
  });
});

describe('COLS8: round trip', () => {
  it('empty input', () => {
    const enc = cols8Encode(new Uint8Array(0), 512);
    expect(enc.length).toBe(0);
    expect(cols8Decode(enc, 512, 0).length).toBe(0);
  });

  it('is exact for random records of every size (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom(8, 16, 88, 112, 512), fc.array(word, { minLength: 0, maxLength: 600 }), (rb, words) => {
        const recs = recordsOf(words, rb);
        const enc = cols8Encode(recs, rb);
        const back = cols8Decode(enc, rb, recs.length / rb);
        expect(same(back, recs)).toBe(true);
        expect(same(cols8Encode(recs, rb), enc)).toBe(true); // deterministic
      }),
      { numRuns: 300 },
    );
  });

  it('is exact across group boundaries, with a column that changes mode between groups', () => {
    const rb = 16;
    const n = groupRecords(rb) * 2 + 17;
    const words: bigint[] = [];
    for (let i = 0; i < n; i++) {
      words.push(i < groupRecords(rb) ? 0n : f64bits((i * 3) / 100)); // zeros, then decimals
      words.push(i === n - 1 ? f64bits(NaN) : f64bits(i / 7)); // non-decimal doubles, a NaN at the end
    }
    const recs = recordsOf(words, rb);
    expect(same(cols8Decode(cols8Encode(recs, rb), rb, n), recs)).toBe(true);
  });

  it('keeps -0 and every NaN payload bit for bit', () => {
    const words = [f64bits(-0), 0x7ff8000000000001n, 0xfff0000000000001n, f64bits(0.1), f64bits(-0), 0x7ff0000000000000n + 5n];
    const recs = recordsOf(words, 8);
    const back = cols8Decode(cols8Encode(recs, 8), 8, words.length);
    const dv = new DataView(back.buffer, back.byteOffset);
    words.forEach((w, i) => expect(dv.getBigUint64(i * 8, true)).toBe(w));
  });

  it('accepts an unaligned input view', () => {
    const recs = recordsOf(
      Array.from({ length: 40 }, (_, i) => f64bits(i * 0.25)),
      8,
    );
    const shifted = new Uint8Array(recs.length + 3);
    shifted.set(recs, 3);
    expect(same(cols8Decode(cols8Encode(shifted.subarray(3), 8), 8, 40), recs)).toBe(true);
  });
});

describe('COLS8: every fused decode path', () => {
  it('INT64 and DECIMAL columns of widths 0..8 and scales 0..9', () => {
    for (const step of [0, 1, 100, 30000, 2 ** 20, 2 ** 30, 2 ** 40]) {
      for (const k of [0, 2, 5, 9]) {
        const n = 700;
        const words: bigint[] = [];
        for (let i = 0; i < n; i++) {
          const x = (i % 2 ? 1 : -1) * Math.floor((i * step) / 3) + 5;
          words.push(BigInt.asUintN(64, BigInt(x))); // INT64 column
          words.push(f64bits(x / 10 ** k)); // DECIMAL column (when it passes)
        }
        const recs = recordsOf(words, 16);
        expect(same(cols8Decode(cols8Encode(recs, 16), 16, n), recs), `step ${step}, scale ${k}`).toBe(true);
      }
    }
  });
});

// A flipped bit anywhere in a tickrec historical file (header, meta slots, index, day tables, payloads) is found by verify, naming the file; readers throw naming it, or return only correct data.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyRoot } from '../../src/compact/index.js';

import { TickrecError } from '../../src/errors.js';
import { MIN1_KIND, TICK_KIND } from '../../src/format/index.js';
import { BarHistory, appendBarDay, dayBlockBytes, hisKindByName, readHisBlock, writeDayBlock } from '../../src/his/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { bundledSessionBook } from '../compact/helpers/sessions.js';
import { INSTRUMENTS, dayBars, dayTicks, encode } from '../compact/helpers/root.js';
import { rng } from '../helpers/ticks.js';
import { hisDayPath, hisHistoryPath, TICKREC_HIS_EXT } from '../../src/layout/index.js';

afterEach(() => removeTempDirs());

const sessions = bundledSessionBook();

function flip(file: string, byte: number, bit: number): Buffer {
  const b = fs.readFileSync(file);
  const orig = Buffer.from(b);
  b[byte]! ^= 1 << bit;
  fs.writeFileSync(file, b);
  return orig;
}

function problemsFor(root: string, file: string): string[] {
  return verifyRoot({ root, sessions })
    .problems.filter((p) => p.file === file)
    .map((p) => p.problem);
}

describe('flipped bits', () => {
  it('day block (LZ4): every byte, one random bit each: verify and the reader name the file', () => {
    const root = makeTempDir();
    const inst = INSTRUMENTS[0]!;
    const ticks = encode(TICK_KIND, dayTicks(inst, 20250106, 40, 5));
    const f = hisDayPath(root, hisKindByName('tick')!, inst.exchg, 20250106, inst.code, TICKREC_HIS_EXT);
    writeDayBlock(f, dayBlockBytes(hisKindByName('tick')!, 20250106, ticks, 'lz4'));
    expect(problemsFor(root, f)).toEqual([]);
    const size = fs.statSync(f).size;
    const r = rng(7);
    for (let byte = 0; byte < size; byte++) {
      const orig = flip(f, byte, Math.floor(r() * 8));
      expect(problemsFor(root, f).length, `byte ${byte}`).toBeGreaterThan(0);
      let err: unknown;
      try {
        readHisBlock(f);
      } catch (e) {
        err = e;
      }
      expect(err, `byte ${byte}`).toBeInstanceOf(TickrecError);
      expect((err as TickrecError).file).toBe(f);
      fs.writeFileSync(f, orig);
    }
  });

  it('bar history: every live byte (header, both slots, chunks, day tables, index): verify names the file; the reader never returns a wrong bar', () => {
    const root = makeTempDir();
    const k = hisKindByName('min1')!;
    const f = hisHistoryPath(root, k, 'SHFE', 'rb2505', TICKREC_HIS_EXT);
    const dates = [20250106, 20250107, 20250108, 20250109, 20250110, 20250113, 20250114, 20250115, 20250116, 20250117];
    const days = new Map(dates.map((d) => [d, encode(MIN1_KIND, dayBars(d, 6, 1, d))]));
    for (const d of dates) appendBarDay(f, k, d, days.get(d)!, { codec: 'lz4' });
    expect(problemsFor(root, f)).toEqual([]);
    // The live regions: the 256-byte header area, each chunk with its day table, the index.
    const h = BarHistory.open(f);
    const live: [number, number][] = [
      [0, 256],
      ...h.chunkList().map((c): [number, number] => [c.offset, c.offset + c.bytes]),
      [h.meta!.indexOffset, h.meta!.end],
    ];
    h.close();
    const r = rng(11);
    let checked = 0;
    for (const [from, to] of live) {
      for (let byte = from; byte < to; byte++) {
        const orig = flip(f, byte, Math.floor(r() * 8));
        expect(problemsFor(root, f).length, `byte ${byte}`).toBeGreaterThan(0);
        try {
          const hh = BarHistory.open(f);
          for (const d of hh.days()) {
            const got = hh.readDay(d.date)!;
            expect(Buffer.from(got).equals(Buffer.from(days.get(d.date)!)), `byte ${byte}: day ${d.date}`).toBe(true);
          }
          hh.close();
        } catch (e) {
          expect(e, `byte ${byte}`).toBeInstanceOf(TickrecError);
          expect((e as TickrecError).file).toBe(f);
        }
        fs.writeFileSync(f, orig);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(600);
  });

  it('datakit zstd blocks have no checksum: verify --deep still finds damage that breaks the frame or the records', () => {
    const root = makeTempDir();
    const inst = INSTRUMENTS[0]!;
    const ticks = encode(TICK_KIND, dayTicks(inst, 20250106, 40, 5));
    const f = hisDayPath(root, hisKindByName('tick')!, inst.exchg, 20250106, inst.code);
    writeDayBlock(f, dayBlockBytes(hisKindByName('tick')!, 20250106, ticks, 'zstd'));
    flip(f, 12, 0); // the size field
    expect(problemsFor(root, f).length).toBeGreaterThan(0);
    expect(() => readHisBlock(f)).toThrow(TickrecError);
    void path;
  });
});

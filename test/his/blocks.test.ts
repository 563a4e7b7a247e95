// Historical files: refusals of damaged or foreign files first, then round trips of every kind x codec, and datakit's zstd rules checked with the real zstd CLI.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { MIN1_KIND, TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import {
  BarHistory,
  HIS_BLOCK_HEADER,
  HIS_KINDS,
  HIS_VERSION_BLOCK,
  appendBarDay,
  dayBlockBytes,
  hisKindByName,
  readHisBlock,
  writeDayBlock,
  zstdFrameInfo,
} from '../../src/his/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { INSTRUMENTS, dayBars, dayTicks, dayTrades, encode } from '../compact/helpers/root.js';

afterEach(() => removeTempDirs());

const DATE = 20250106;
const ticks = encode(TICK_KIND, dayTicks(INSTRUMENTS[1]!, DATE, 500, 9));
const trades = encode(TRADE_KIND, dayTrades(dayTicks(INSTRUMENTS[3]!, DATE, 500, 9)));
const bars = encode(MIN1_KIND, dayBars(DATE, 240, 1, 9));

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof TickrecError ? e.code : `not a TickrecError: ${String(e)}`;
  }
  return undefined;
}

describe('refusals', () => {
  it('names the file and refuses: short, no flag, unknown type, unknown version, truncated, extended', () => {
    const dir = makeTempDir();
    const f = path.join(dir, 'x.dsb');
    const good = dayBlockBytes(hisKindByName('tick')!, DATE, ticks, 'lz4');
    const cases: [Uint8Array, string][] = [
      [good.subarray(0, 5), 'E_TRUNCATED'],
      [new Uint8Array(200), 'E_NOT_BLOCK_FILE'],
      [good.subarray(0, good.length - 1), 'E_TRUNCATED'],
      [new Uint8Array([...good, 0]), 'E_CORRUPT'],
    ];
    const wrongType = dayBlockBytes(hisKindByName('tick')!, DATE, ticks, 'zstd');
    wrongType[8] = 99;
    cases.push([wrongType, 'E_WRONG_TYPE']);
    const wrongVersion = dayBlockBytes(hisKindByName('tick')!, DATE, ticks, 'zstd');
    wrongVersion[10] = 9;
    cases.push([wrongVersion, 'E_VERSION']);
    for (const [bytes, want] of cases) {
      fs.writeFileSync(f, bytes);
      let err: TickrecError | undefined;
      try {
        readHisBlock(f);
      } catch (e) {
        err = e as TickrecError;
      }
      expect(err?.code, want).toBe(want);
      expect(err?.file).toBe(f);
      expect(err?.message).toContain(f);
    }
  });

  it('refuses a bar history where a day block is expected and the reverse', () => {
    const dir = makeTempDir();
    const h = path.join(dir, 'h.dsb');
    appendBarDay(h, hisKindByName('min1')!, DATE, bars, { codec: 'lz4' });
    expect(code(() => readHisBlock(h))).toBe('E_WRONG_TYPE');
    const d = path.join(dir, 'd.dsb');
    writeDayBlock(d, dayBlockBytes(hisKindByName('tick')!, DATE, ticks, 'lz4'));
    expect(code(() => BarHistory.open(d))).toBe('E_WRONG_TYPE');
    expect(code(() => BarHistory.open(h, hisKindByName('min5')))).toBe('E_WRONG_TYPE');
  });
});

describe('round trips', () => {
  for (const codecName of ['lz4', 'zstd'] as const) {
    for (const [name, recs] of [
      ['tick', ticks],
      ['trade', trades],
    ] as const) {
      it(`${name} day block, ${codecName}`, () => {
        const dir = makeTempDir();
        const f = path.join(dir, 'D', `${name}.dsb`);
        writeDayBlock(f, dayBlockBytes(hisKindByName(name)!, DATE, recs, codecName));
        const b = readHisBlock(f);
        expect(b.kind).toBe(name);
        expect(b.date).toBe(DATE);
        expect(b.count).toBe(recs.length / hisKindByName(name)!.recordBytes);
        expect(b.codec).toBe(codecName);
        expect(b.records.byteOffset % 8).toBe(0);
        expect(same(b.records, recs)).toBe(true);
        expect(fs.readdirSync(path.dirname(f))).toEqual([`${name}.dsb`]); // no temporary file left
      });
    }
    for (const k of HIS_KINDS.filter((x) => x.layout === 'history')) {
      it(`${k.name} bar history, ${codecName}: days appended, read by range and by day`, () => {
        const dir = makeTempDir();
        const f = path.join(dir, `${k.name}.dsb`);
        const days = [20250106, 20250107, 20250108];
        const each = days.map((d) => encode(MIN1_KIND, dayBars(d, k.name === 'day' ? 1 : 30, 1, d)));
        days.forEach((d, i) => appendBarDay(f, k, d, each[i]!, { codec: codecName }));
        const h = BarHistory.open(f);
        expect(h.kind).toBe(k);
        // datakit keeps a day history raw (version 3) up to 100 bars
        expect(h.format).toBe(codecName === 'lz4' ? 'container' : k.name === 'day' ? 'datakit-raw' : 'datakit-zstd');
        expect(h.days()).toEqual(days.map((d, i) => ({ date: d, count: each[i]!.length / 88 })));
        expect(same(h.read(), Buffer.concat(each))).toBe(true);
        expect(same(h.read(20250107, 20250108), Buffer.concat(each.slice(1)))).toBe(true);
        expect(same(h.readDay(20250107)!, each[1]!)).toBe(true);
        expect(h.readDay(20250109)).toBeUndefined();
        h.close();
      });
    }
  }

  it('records the transform and both CRCs in the tickrec header', () => {
    const b = dayBlockBytes(hisKindByName('tick')!, DATE, ticks, 'lz4');
    const dv = new DataView(b.buffer, b.byteOffset);
    expect(dv.getUint16(10, true)).toBe(HIS_VERSION_BLOCK);
    expect(dv.getUint16(12, true)).toBe(1); // LZ4
    expect(dv.getUint16(14, true)).toBe(1); // COLS8
    expect(dv.getUint32(20, true)).toBe(500);
    expect(dv.getUint32(28, true)).toBe(DATE);
    expect(b.length).toBe(HIS_BLOCK_HEADER.size + Number(dv.getBigUint64(40, true)));
    expect(ticks.length / b.length).toBeGreaterThan(5);
  });
});

describe('datakit zstd output', () => {
  it('BlockHeaderV2 type 24 version 4, one level-1 frame with the content size, length = 20 + size, and the zstd CLI decodes it', () => {
    const dir = makeTempDir();
    const f = path.join(dir, 'rb2505.dsb');
    writeDayBlock(f, dayBlockBytes(hisKindByName('tick')!, DATE, ticks, 'zstd'));
    const b = fs.readFileSync(f);
    expect(b.subarray(0, 8)).toEqual(Buffer.from([0x26, 0x5e, 0x25, 0x24, 0x23, 0x40, 0x21, 0x00]));
    expect(b.readUInt16LE(8)).toBe(24);
    expect(b.readUInt16LE(10)).toBe(4);
    const size = Number(b.readBigUInt64LE(12));
    expect(b.length).toBe(20 + size);
    const frame = b.subarray(20);
    expect(zstdFrameInfo(frame)?.contentSize).toBe(ticks.length);
    fs.writeFileSync(path.join(dir, 'frame.zst'), frame);
    execFileSync('/usr/bin/zstd', ['-q', '-d', '-f', path.join(dir, 'frame.zst'), '-o', path.join(dir, 'frame.raw')]);
    expect(same(fs.readFileSync(path.join(dir, 'frame.raw')), ticks)).toBe(true);
    // One frame, nothing after it: the CLI lists exactly one.
    const listed = execFileSync('/usr/bin/zstd', ['-l', '-v', path.join(dir, 'frame.zst')]).toString();
    expect(listed).toMatch(/# Zstandard Frames: 1/);
    expect(listed).toMatch(/Decompressed Size: .*\(256000 B\)/);
  });

  it('bar history in datakit format: type 21, version 4, the CLI decodes the concatenated days', () => {
    const dir = makeTempDir();
    const f = path.join(dir, 'rb2505.dsb');
    const a = encode(MIN1_KIND, dayBars(20250106, 30, 1, 1));
    const c = encode(MIN1_KIND, dayBars(20250107, 30, 1, 2));
    appendBarDay(f, hisKindByName('min1')!, 20250107, c, { codec: 'zstd' });
    appendBarDay(f, hisKindByName('min1')!, 20250106, a, { codec: 'zstd' }); // an older day goes before
    const b = fs.readFileSync(f);
    expect(b.readUInt16LE(8)).toBe(21);
    expect(b.readUInt16LE(10)).toBe(4);
    expect(b.length).toBe(20 + Number(b.readBigUInt64LE(12)));
    fs.writeFileSync(path.join(dir, 'f.zst'), b.subarray(20));
    execFileSync('/usr/bin/zstd', ['-q', '-d', '-f', path.join(dir, 'f.zst'), '-o', path.join(dir, 'f.raw')]);
    expect(same(fs.readFileSync(path.join(dir, 'f.raw')), Buffer.concat([a, c]))).toBe(true);
  });

  it('reads what the zstd CLI writes the datakit way', () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, 'raw'), ticks);
    execFileSync('/usr/bin/zstd', ['-q', '-1', '-f', path.join(dir, 'raw'), '-o', path.join(dir, 'raw.zst')]);
    const frame = fs.readFileSync(path.join(dir, 'raw.zst'));
    const head = Buffer.alloc(20);
    Buffer.from([0x26, 0x5e, 0x25, 0x24, 0x23, 0x40, 0x21, 0x00]).copy(head);
    head.writeUInt16LE(24, 8);
    head.writeUInt16LE(4, 10);
    head.writeBigUInt64LE(BigInt(frame.length), 12);
    const f = path.join(dir, 'x.dsb');
    fs.writeFileSync(f, Buffer.concat([head, frame]));
    const b = readHisBlock(f);
    expect(b.format).toBe('datakit-zstd');
    expect(b.date).toBe(DATE);
    expect(same(b.records, ticks)).toBe(true);
  });
});

// Holds the hand-written C header (native/include/tickrec.h) against the TS field tables, and has a C reader decode files the TS writer wrote.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BAR,
  BLOCK_HEADER,
  BLOCK_HEADER_V2,
  MIN1_KIND,
  RT_BLOCK_HEADER,
  RT_DAY_BLOCK_HEADER,
  TICK,
  TICK_KIND,
  TRADE,
  TRADE_KIND,
  minuteBarTime,
  type FieldValue,
  type RecordKind,
  type StructDef,
} from '../../src/format/index.js';
import { RtReader, RtWriter } from '../../src/store/index.js';
import { GOLDEN_BARS, GOLDEN_CAPACITY, GOLDEN_DATE, GOLDEN_TICKS, GOLDEN_TRADES } from '../fixtures/golden/records.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INCLUDE = path.join(ROOT, 'native/include');
const SOURCE = path.join(ROOT, 'test/fixtures/c/read_dmb.c');
const CFLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2', `-I${INCLUDE}`];

/** C struct name → the TS table that must describe the same bytes. */
const TABLES: Record<string, StructDef> = {
  BlockHeader: BLOCK_HEADER,
  RTBlockHeader: RT_BLOCK_HEADER,
  RTDayBlockHeader: RT_DAY_BLOCK_HEADER,
  BlockHeaderV2: BLOCK_HEADER_V2,
  TickStruct: TICK,
  BarStruct: BAR,
  TransStruct: TRADE,
};

let tmp = '';
let bin = '';

function gcc(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.error) {
    throw new Error(
      `c-layout.test.ts needs gcc to compile ${SOURCE} (${r.error.message}). ` +
        'Install it (Debian: apt-get install gcc); CI installs it. This test does not skip.',
    );
  }
  return { status: r.status, stderr: r.stderr };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-c-layout-'));
  bin = path.join(tmp, 'read_dmb');
  const r = gcc([...CFLAGS, SOURCE, '-o', bin]);
  if (r.status !== 0) throw new Error(`gcc failed to compile ${SOURCE}:\n${r.stderr}`);
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface CField {
  name: string;
  offset: number;
  size: number;
  type: string;
  count: number;
}

function cLayout(): Map<string, { size: number; fields: CField[] }> {
  const out = execFileSync(bin, ['layout'], { encoding: 'utf8' });
  const structs = new Map<string, { size: number; fields: CField[] }>();
  for (const line of out.trim().split('\n')) {
    const w = line.split(' ');
    if (w[0] === 'struct') structs.set(w[1]!, { size: Number(w[2]), fields: [] });
    else if (w[0] === 'field') {
      const s = structs.get(w[1]!);
      if (!s) throw new Error(`read_dmb layout: field before its struct: ${line}`);
      if (s.fields.some((f) => f.name === w[2])) throw new Error(`read_dmb layout: field printed twice: ${line}`);
      s.fields.push({ name: w[2]!, offset: Number(w[3]), size: Number(w[4]), type: w[5]!, count: Number(w[6]) });
    } else throw new Error(`read_dmb layout: unexpected line: ${line}`);
  }
  return structs;
}

/** Byte ranges of a C struct that no member covers (the compiler's padding). */
function gaps(size: number, fields: readonly CField[]): string[] {
  const sorted = [...fields].sort((a, b) => a.offset - b.offset);
  const out: string[] = [];
  let end = 0;
  for (const f of sorted) {
    if (f.offset > end) out.push(`${end}+${f.offset - end}`);
    end = Math.max(end, f.offset + f.size);
  }
  if (end < size) out.push(`${end}+${size - end}`);
  return out;
}

describe('C header layout vs TS field tables', () => {
  it('refuses to compile when a layout assertion is false (the asserts are live)', () => {
    const src = path.join(tmp, 'bad.c');
    fs.writeFileSync(src, '#include "tickrec.h"\nTICKREC_SIZE(TickStruct, 511);\nint main(void) { return 0; }\n');
    const r = gcc([...CFLAGS, '-c', src, '-o', path.join(tmp, 'bad.o')]);
    expect(r.status, 'a false TICKREC_SIZE must stop the compiler').not.toBe(0);
    expect(r.stderr).toContain('sizeof(TickStruct) must be 511');
  });

  it('compiles as C99 -pedantic (the header promises C99/C11)', () => {
    const src = path.join(tmp, 'c99.c');
    fs.writeFileSync(src, '#include "tickrec.h"\nint main(void) { return (int)sizeof(TickStruct) - 512; }\n');
    const r = gcc(['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Werror', `-I${INCLUDE}`, src, '-o', path.join(tmp, 'c99')]);
    expect(r.status, r.stderr).toBe(0);
  });

  it.skipIf(spawnSync('g++', ['--version']).error !== undefined)('compiles as C++11 (when g++ is installed)', () => {
    const src = path.join(tmp, 'cxx.cpp');
    fs.writeFileSync(src, '#include "tickrec.h"\nint main() { return tickrec_has_flag("&^%$#@!") ? 0 : 1; }\n');
    const r = spawnSync(
      'g++',
      ['-std=c++11', '-pedantic', '-Wall', '-Wextra', '-Werror', `-I${INCLUDE}`, src, '-o', path.join(tmp, 'cxx')],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync(path.join(tmp, 'cxx')).status).toBe(0);
  });

  it('prints every struct the TS side defines, and no other', () => {
    expect([...cLayout().keys()].sort()).toEqual(Object.keys(TABLES).sort());
  });

  for (const [cName, table] of Object.entries(TABLES)) {
    it(`${cName}: size and every field's offset, size, type and count equal ${table.name}`, () => {
      const c = cLayout().get(cName);
      if (!c) throw new Error(`read_dmb layout printed no struct ${cName}`);
      expect(c.size, `sizeof(${cName}) vs ${table.name}.size`).toBe(table.size);
      for (const cf of c.fields) {
        const where = `${cName}.${cf.name} vs ${table.name}.${cf.name}`;
        const tf = table.fields.find((f) => f.name === cf.name);
        if (!tf) throw new Error(`${where}: the TS table has no field '${cf.name}'`);
        expect(tf.offset, `${where}: offset`).toBe(cf.offset);
        expect(tf.size, `${where}: size`).toBe(cf.size);
        if (tf.type === 'pad') continue; // a reserved member in C, written as zeros by TS
        expect(tf.type, `${where}: type`).toBe(cf.type);
        expect(tf.count, `${where}: count`).toBe(cf.count);
      }
      // TS fields C does not name must be padding, exactly where the C compiler pads.
      const tsOnly = table.fields.filter((f) => !c.fields.some((cf) => cf.name === f.name));
      for (const f of tsOnly) expect(f.type, `${table.name}.${f.name} is not in ${cName}, so it must be padding`).toBe('pad');
      expect(
        tsOnly.map((f) => `${f.offset}+${f.size}`),
        `${table.name} padding vs the gaps of ${cName}`,
      ).toEqual(gaps(c.size, c.fields));
    });
  }
});

// ---- the same files through two readers ----------------------------------------

const MAX_U32 = 4294967295;
const TICK_LEVELS_5 = [3501, 3500.5, 3500, 3499.5, 3499];
const TICK_LEVELS_10 = [0.1 + 0.2, 1e-310, 5e-324, -0, 1.7976931348623157e308, 2 ** 53, -(2 ** 53), 1 / 3, 1e21, 123456.789];

function tick(i: number): Record<string, unknown> {
  const base = {
    exchg: i % 2 === 0 ? 'SHFE' : 'EXCHANGE-15char',
    code: i % 3 === 0 ? 'rb2505' : 'code with space\\and=31 chars..',
    price: 3500 + i * 0.5,
    open: 3490.25,
    high: Number.MAX_VALUE, // CTP's "no value"
    low: -0,
    settle_price: 5e-324,
    upper_limit: 0.1 + 0.2,
    lower_limit: -1.5e300,
    total_volume: 2 ** 53 - i,
    volume: i,
    total_turnover: 1e21 + i,
    turn_over: 1 / 3,
    open_interest: 123456789.125,
    diff_interest: -42,
    trading_date: 20240102,
    action_date: i === 10 ? MAX_U32 : 20240101 + (i % 2),
    action_time: 235959999 - i,
    pre_close: Math.PI,
    pre_settle: Math.E,
    pre_interest: 1e-300,
  };
  if (i === 7) return { ...base, price: Number.NaN, open: Infinity, high: -Infinity }; // stored as given
  if (i % 2 === 0)
    return { ...base, bid_prices: TICK_LEVELS_5, ask_prices: TICK_LEVELS_5.map((p) => p + 1), bid_qty: [1, 2, 3, 4, 5], ask_qty: [5, 4] };
  return { ...base, bid_prices: TICK_LEVELS_10, ask_prices: TICK_LEVELS_10, bid_qty: TICK_LEVELS_10, ask_qty: TICK_LEVELS_10 };
}

function trade(i: number): Record<string, unknown> {
  const ids = [-1, -(2 ** 53 - 1), 2 ** 53 - 1, -123456789012, 2 ** 40, 0, 4294967296, -4294967296];
  return {
    exchg: 'BINANCE',
    code: 'BTCUSDT',
    trading_date: 20240102,
    action_date: 20240102,
    action_time: 93000000 + i * 500,
    index: ids[i % ids.length],
    ttype: [0x4d, 0x43, 0x55][i % 3],
    side: [0x42, 0x53, 0x20][i % 3],
    price: 42000.01 + i / 7,
    volume: i === 5 ? MAX_U32 : i + 1,
    askorder: ids[(i + 3) % ids.length],
    bidorder: ids[(i + 5) % ids.length],
  };
}

function bar(i: number): Record<string, unknown> {
  const times = [
    minuteBarTime(20240102, 931), // 3401020931, above 2^31
    4294967295,
    4294967296,
    minuteBarTime(20400101, 931), // 2040: above 2^32, where upstream's 32-bit value wraps
    minuteBarTime(20991231, 2359),
    2 ** 53 - 1,
  ];
  return {
    date: 20240102 + i,
    time: times[i % times.length],
    open: 100 + i,
    high: 101.5,
    low: -0,
    close: 0.1 + 0.2,
    settle: 5e-324,
    money: 1e21,
    vol: 2 ** 53,
    hold: Number.MAX_VALUE,
    add: -7.25,
  };
}

interface Written {
  file: string;
  kind: RecordKind;
  count: number;
}

const CASES: { name: string; kind: RecordKind; count: number; make: (i: number) => Record<string, unknown> }[] = [
  { name: 'ticks', kind: TICK_KIND, count: 11, make: tick },
  { name: 'trades', kind: TRADE_KIND, count: 9, make: trade },
  { name: 'min1 bars', kind: MIN1_KIND, count: 6, make: bar },
];

function unescapeC(s: string): string {
  return s.replace(/\\x([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function parseCDouble(s: string): number {
  if (/^-?nan$/i.test(s)) return Number.NaN;
  if (/^inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`read_dmb printed '${s}', not a double`);
  return v;
}

function parseRecordLine(line: string): Map<string, string> {
  const kv = new Map<string, string>();
  const [tag, ...pairs] = line.split(' ');
  if (tag !== 'record') throw new Error(`read_dmb dump: expected a record line, got: ${line}`);
  for (const p of pairs) {
    const eq = p.indexOf('=');
    kv.set(p.slice(0, eq), p.slice(eq + 1));
  }
  return kv;
}

function expectSame(where: string, type: string, cText: string, ts: FieldValue): void {
  if (type === 'char') {
    expect(unescapeC(cText), where).toBe(ts);
  } else if (type === 'f64') {
    const tsValues = typeof ts === 'number' ? [ts] : Array.from(ts as ArrayLike<number>);
    const cValues = cText.split(',').map(parseCDouble);
    expect(cValues.length, `${where}: element count`).toBe(tsValues.length);
    // Object.is: -0 is not 0, NaN is NaN; %.17g round-trips every other double exactly.
    cValues.forEach((v, k) =>
      expect(Object.is(v, tsValues[k]), `${where}[${k}]: C ${cText.split(',')[k]} vs TS ${tsValues[k]}`).toBe(true),
    );
  } else {
    expect(BigInt(cText), where).toBe(BigInt(ts as number));
  }
}

describe('the C reader decodes what the TS writer wrote, field for field', () => {
  const written = new Map<string, Written>();

  beforeAll(() => {
    for (const c of CASES) {
      const file = path.join(tmp, 'rt', c.kind.folder, 'X', `${c.name.replace(' ', '_')}.dmb`);
      const w = RtWriter.open(file, { kind: c.kind, date: 20240102, initialCapacity: 4 });
      for (let i = 0; i < c.count; i++) w.append(c.make(i));
      w.close();
      written.set(c.name, { file, kind: c.kind, count: c.count });
    }
  });

  for (const c of CASES) {
    it(`${c.name}: header and every field of every record equal the TS reader's decode`, () => {
      const { file, kind, count } = written.get(c.name)!;
      const r = RtReader.open(file, { kind });
      try {
        expect(r.length).toBe(count);
        expect(r.capacity, 'the writer must have grown the file past its initial capacity 4').toBeGreaterThan(4);
        const lines = execFileSync(bin, ['dump', file], { encoding: 'utf8', maxBuffer: 64 << 20 })
          .trim()
          .split('\n');
        expect(lines[0]).toBe(
          `header type=${kind.rtType} version=3 size=${count} capacity=${r.capacity} date=20240102 ` +
            `file_bytes=${fs.statSync(file).size}`,
        );
        expect(lines.length - 1, `${file}: records printed by read_dmb`).toBe(count);
        const struct = kind.codec.struct;
        for (let i = 0; i < count; i++) {
          const cRec = parseRecordLine(lines[i + 1]!);
          const tsRec = r.get(i);
          expect(cRec.get('i')).toBe(String(i));
          const named = struct.fields.filter((f) => f.type !== 'pad').map((f) => f.name);
          const cPads = struct.fields.filter((f) => f.type === 'pad' && cRec.has(f.name)).map((f) => f.name);
          expect([...cRec.keys()].filter((k) => k !== 'i').sort(), `${file} record ${i}: fields printed by C`).toEqual(
            [...named, ...cPads].sort(),
          );
          for (const f of struct.fields) {
            const where = `${file} record ${i} ${struct.name}.${f.name}`;
            const cText = cRec.get(f.name);
            if (f.type === 'pad') {
              if (cText !== undefined) expect(cText, `${where}: reserved must read 0`).toBe('0');
              continue;
            }
            expectSame(where, f.type, cText!, tsRec[f.name]!);
          }
        }
      } finally {
        r.close();
      }
    });
  }

  const GOLDEN: [string, RecordKind, readonly Record<string, unknown>[]][] = [
    ['ticks.dmb', TICK_KIND, GOLDEN_TICKS],
    ['trades.dmb', TRADE_KIND, GOLDEN_TRADES],
    ['min1.dmb', MIN1_KIND, GOLDEN_BARS],
  ];
  for (const [name, kind, records] of GOLDEN) {
    it(`golden ${name}: the C reader decodes the hand-assembled bytes to records.ts`, () => {
      const file = path.join(ROOT, 'test/fixtures/golden', name);
      const lines = execFileSync(bin, ['dump', file], { encoding: 'utf8' }).trim().split('\n');
      expect(lines[0]).toMatch(
        new RegExp(`^header type=${kind.rtType} version=3 size=${records.length} capacity=${GOLDEN_CAPACITY} date=${GOLDEN_DATE} `),
      );
      expect(lines.length - 1).toBe(records.length);
      const struct = kind.codec.struct;
      records.forEach((rec, i) => {
        const cRec = parseRecordLine(lines[i + 1]!);
        for (const f of struct.fields) {
          if (f.type !== 'pad')
            expectSame(`${file} record ${i} ${struct.name}.${f.name}`, f.type, cRec.get(f.name)!, rec[f.name] as FieldValue);
        }
      });
    });
  }

  it('the C reader refuses a file whose flag is wrong, naming the file', () => {
    const good = written.get('ticks')!.file;
    const bad = path.join(tmp, 'badflag.dmb');
    const bytes = fs.readFileSync(good);
    bytes[0] = 0x27;
    fs.writeFileSync(bad, bytes);
    const r = spawnSync(bin, ['dump', bad], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('no block flag');
    expect(r.stdout).toBe('');
  });
});

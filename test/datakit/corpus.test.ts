// The datakit corpus (test/fixtures/datakit: files laid out as datakit writes them, by a generator of our own) read through every tickrec reader path and compared field by field.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyRoot } from '../../src/compact/index.js';
import { Mem, kindByName } from '../../src/format/index.js';
import { BarHistory, dayBlockBytes, readHisBlock } from '../../src/his/index.js';
import { readBars, readTicks, readTrades } from '../../src/read/index.js';
import { RtReader } from '../../src/store/index.js';
import { makeCorpus } from '../fixtures/datakit/make-corpus.js';
import { bundledSessionBook } from '../compact/helpers/sessions.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { CORPUS_ROOT, EXPECTED, corpusCopy, expectedRecords, plain, tickrec } from './helpers/corpus.js';

afterAll(removeTempDirs);

const files = Object.entries(EXPECTED);
const rtFiles = files.filter(([, e]) => e.layout === 'rt');
const hisFiles = files.filter(([, e]) => e.layout !== 'rt');

describe('datakit corpus', () => {
  it('is what its generator writes, byte for byte', async () => {
    const out = makeTempDir('tickrec-corpus-');
    await makeCorpus(out);
    expect(fs.readFileSync(path.join(out, 'expected.json'), 'utf8')).toBe(
      fs.readFileSync(path.join(CORPUS_ROOT, '..', 'expected.json'), 'utf8'),
    );
    for (const [rel] of files) {
      expect(Buffer.compare(fs.readFileSync(path.join(out, 'root', rel)), fs.readFileSync(path.join(CORPUS_ROOT, rel))), rel).toBe(0);
    }
    expect(files.length).toBe(15);
  });

  it('RtReader: the real-time files, header and records', () => {
    for (const [rel, e] of rtFiles) {
      const r = RtReader.open(path.join(CORPUS_ROOT, rel));
      try {
        expect({ type: r.header.type, version: r.header.version, size: r.length, capacity: r.capacity, date: r.header.date }, rel).toEqual(
          e.header,
        );
        expect(r.kind.name, rel).toBe(e.kind);
        const got = Array.from({ length: r.length }, (_, i) => plain(r.get(i)));
        expect(got, rel).toEqual(e.records);
      } finally {
        r.close();
      }
    }
  });

  it('readHisBlock and BarHistory: every historical file, versions 1 to 4, old structs converted as datakit does', () => {
    for (const [rel, e] of hisFiles) {
      const file = path.join(CORPUS_ROOT, rel);
      let records: Uint8Array;
      if (e.layout === 'day') {
        const b = readHisBlock(file);
        expect(b.kind, rel).toBe(e.kind);
        records = b.records;
      } else {
        const h = BarHistory.open(file);
        expect(h.kind.name, rel).toBe(e.kind);
        records = h.read();
        h.close();
      }
      const kind = kindByName(e.kind === 'day' ? 'min1' : e.kind)!;
      expect(records.length, rel).toBe(e.records.length * kind.recordBytes);
      const m = new Mem(records.byteOffset % 8 === 0 ? records : records.slice());
      const decoded = e.records.map((_, i) => plain(kind.codec.decode(m, i * kind.recordBytes)));
      expect(decoded, rel).toEqual(e.records);
    }
  });

  it('tickrec cat FILE: every file, real-time or historical, prints its records', () => {
    for (const [rel, e] of files) {
      const r = tickrec('cat', path.join(CORPUS_ROOT, rel), '--format', 'jsonl');
      // the corpus root has no meta/instruments/: cat says volumes are shown as stored (issue 15)
      expect(r.stderr.replace(/^tickrec: note: no instrument metadata .*\n?/m, ''), rel).toBe('');
      expect(r.status, rel).toBe(0);
      const got = r.stdout
        .trim()
        .split('\n')
        .map((l) => {
          const { ts_utc: _ts, ...rec } = JSON.parse(l) as Record<string, unknown>; // cat adds the UTC instant (issue 15)
          return rec;
        });
      expect(got.map(plain), rel).toEqual(e.records);
    }
    // a range within a historical file, by the same rules as a real-time one
    const r = tickrec(
      'cat',
      path.join(CORPUS_ROOT, 'his/ticks/SHFE/20250103/rb2505.dsb'),
      '--from',
      '09:00',
      '--to',
      '09:10',
      '--format',
      'jsonl',
    );
    const want = EXPECTED['his/ticks/SHFE/20250103/rb2505.dsb']!.records.filter(
      (t) => t.action_date === 20250103 && (t.action_time as number) >= 90000000 && (t.action_time as number) < 91000000,
    );
    expect(want.length).toBeGreaterThan(0);
    const ranged = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // every record carries its UTC instant: action date and time are Beijing time (UTC+8)
    for (const x of ranged) {
      const t = String(x.action_time).padStart(9, '0');
      const d = String(x.action_date);
      const bj = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}.${t.slice(6)}+08:00`;
      expect(x.ts_utc).toBe(new Date(bj).toISOString());
    }
    expect(ranged.map(({ ts_utc: _ts, ...rec }) => rec)).toEqual(want);
    // a day history prints as a table of day bars
    const t = tickrec('cat', path.join(CORPUS_ROOT, 'his/day/SHFE/rb2505.dsb'));
    expect(t.stdout.split('\n')[0]).toMatch(/^\s+ts_utc\s+date\s+open\s+high/);
    expect(t.stdout).toContain('2025-01-06');
  });

  it('tickrec inspect FILE: every file, its header, format and records, no problem', () => {
    for (const [rel, e] of files) {
      const r = tickrec('inspect', path.join(CORPUS_ROOT, rel), '--json');
      expect(r.status, `${rel}: ${r.stdout}`).toBe(0);
      const rep = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(rep.problems, rel).toEqual([]);
      expect(rep.kind, rel).toBe(e.kind);
      expect(rep.type, rel).toBe(e.header.type);
      expect(rep.version, rel).toBe(e.header.version);
      expect(rep.size, rel).toBe(e.records.length);
      if (e.layout === 'rt') expect(rep.capacity, rel).toBe(e.header.capacity);
    }
    const bars = JSON.parse(tickrec('inspect', path.join(CORPUS_ROOT, 'rt/min1/SHFE/rb2505.dmb'), '--json').stdout) as Record<
      string,
      unknown
    >;
    expect(bars).toMatchObject({ date: 20250106, tradingDate: 20250107 });
    const old = JSON.parse(tickrec('inspect', path.join(CORPUS_ROOT, 'his/min5/SHFE/cu2502.dsb'), '--json').stdout) as Record<
      string,
      unknown
    >;
    expect(old).toMatchObject({ format: 'datakit-old-zstd', days: 2, firstDate: 20250102, lastDate: 20250103 });
  });

  it('tickrec verify --deep: the corpus has no problem; a trade with the former ttype 0 is reported', () => {
    const root = corpusCopy();
    const v = verifyRoot({ root, deep: true, sessions: bundledSessionBook() });
    expect(v.problems).toEqual([]);
    const file = path.join(root, 'his/trans/SHFE/20250106/rb2505.dsb');
    const b = readHisBlock(file);
    const recs = Buffer.from(b.records);
    recs.writeUInt32LE(0, 72); // ttype of the first trade
    fs.writeFileSync(file, dayBlockBytes(b.hisKind, 20250106, new Uint8Array(recs.buffer, recs.byteOffset, recs.length), 'zstd'));
    const w = verifyRoot({ root, deep: true, sessions: bundledSessionBook() });
    expect(w.problems.map((p) => p.problem)).toEqual([
      expect.stringMatching(/^1 trades with a ttype other than datakit's 'M' \(77\).*e\.g\. 0 \(tickrec before/),
    ]);
  });

  it('readTicks / readTrades / readBars: history and today in one call, field by field', () => {
    const q = { root: CORPUS_ROOT, exchange: 'SHFE', code: 'rb2505' };
    expect(readTicks(q).toArray().map(plain)).toEqual(
      expectedRecords(
        'his/ticks/SHFE/20250102/rb2505.dsb',
        'his/ticks/SHFE/20250103/rb2505.dsb',
        'his/ticks/SHFE/20250106/rb2505.dsb',
        'rt/ticks/SHFE/rb2505.dmb',
      ),
    );
    expect(readTrades(q).toArray().map(plain)).toEqual(expectedRecords('his/trans/SHFE/20250106/rb2505.dsb', 'rt/trans/SHFE/rb2505.dmb'));
    expect(
      readBars({ ...q, period: 'min1' })
        .toArray()
        .map(plain),
    ).toEqual(expectedRecords('his/min1/SHFE/rb2505.dsb', 'rt/min1/SHFE/rb2505.dmb'));
    expect(
      readBars({ ...q, period: 'min5' })
        .toArray()
        .map(plain),
    ).toEqual(expectedRecords('his/min5/SHFE/rb2505.dsb', 'rt/min5/SHFE/rb2505.dmb'));
    const day = readBars({ ...q, period: 'day' })
      .toArray()
      .map(plain);
    expect(day.slice(0, 3)).toEqual(expectedRecords('his/day/SHFE/rb2505.dsb'));
    expect(day.map((b) => b.date)).toEqual([20250102, 20250103, 20250106, 20250107]); // today's from the live ticks
    const cu = { root: CORPUS_ROOT, exchange: 'SHFE', code: 'cu2502' };
    expect(
      readBars({ ...cu, period: 'min1' })
        .toArray()
        .map(plain),
    ).toEqual(expectedRecords('his/min1/SHFE/cu2502.dsb'));
    expect(
      readBars({ ...cu, period: 'min5' })
        .toArray()
        .map(plain),
    ).toEqual(expectedRecords('his/min5/SHFE/cu2502.dsb'));
    expect(
      readBars({ ...cu, period: 'day' })
        .toArray()
        .map(plain),
    ).toEqual(expectedRecords('his/day/SHFE/cu2502.dsb'));
    // a range inside an old-version history, by calendar instant: the bars of the minutes of 2025-01-03 (ends 00:01 through 24:00)
    const one = readBars({ ...cu, period: 'min1', from: '20250103', to: '20250103' })
      .toArray()
      .map(plain);
    const want = expectedRecords('his/min1/SHFE/cu2502.dsb').filter(
      (b) => (b.time as number) > 3501030000 && (b.time as number) <= 3501032400,
    );
    expect(want.length).toBe(60 + 225); // 00:01-01:00 of the night, then the day session
    expect(one).toEqual(want);
  });
});

// Compaction and history decode: tickrec's COLS8+LZ4 blocks against `lz4 -1` and `zstd -1` (Debian's CLIs) on the same simulated day of ticks, in one run.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type * as His from '../../src/his/index.js';
import type * as Compact from '../../src/compact/index.js';
import { fixed, median, target, tempDir, type Row, type Suite } from './common.js';
import { lib } from './lib.js';

// The historical layer is loaded from dist/ like the rest of the library (what ships).
const his = (await import(new URL('../../dist/his/index.js', import.meta.url).href)) as typeof His;
const compact = (await import(new URL('../../dist/compact/index.js', import.meta.url).href)) as typeof Compact;
const sim = (await import(new URL('../../dist/sim/index.js', import.meta.url).href)) as typeof import('../../src/sim/index.js');

const INSTRUMENTS = 24;
/** Simulated ms between two generator calls (~0.7 ticks/s per instrument in session; ~350 MB of ticks). */
const STEP_MS = 60;
const TRADING_DATE = 20250106;
const RUNS = 3;
const GOAL_RATIO_VS = 'zstd -1';
const GOAL_COMPACT_MBS = 300;
const GOAL_DECODE_MBS = 1000;

interface Day {
  id: string;
  exchg: string;
  code: string;
  records: Uint8Array;
}

/** One trading day (Mon 2025-01-06, with Friday's night session) of simulated ticks, one buffer per instrument. */
function simulatedDay(): Day[] {
  const instruments = sim.buildUniverse(INSTRUMENTS);
  const g = sim.createGenerator({ seed: 20250106, instruments });
  const { Mem, TICK_KIND } = lib;
  const t0 = Date.UTC(2025, 0, 3, 12, 55); // Fri 20:55 Shanghai
  const t1 = Date.UTC(2025, 0, 6, 7, 0); // Mon 15:00 Shanghai
  const per = new Map<string, { exchg: string; code: string; m: InstanceType<typeof Mem>; n: number }>();
  for (let t = t0; t < t1; t += STEP_MS) {
    const k = g.next(t);
    if (!k || k.trading_date !== TRADING_DATE) continue;
    const id = `${k.exchg}.${k.code}`;
    let e = per.get(id);
    if (!e) per.set(id, (e = { exchg: k.exchg, code: k.code, m: Mem.alloc(1 << 20), n: 0 }));
    if ((e.n + 1) * 512 > e.m.byteLength) {
      const bigger = Mem.alloc(e.m.byteLength * 2);
      bigger.u8.set(e.m.u8);
      e.m = bigger;
    }
    TICK_KIND.codec.encode(k, e.m, e.n * 512);
    e.n++;
  }
  return [...per.entries()].map(([id, e]) => ({ id, exchg: e.exchg, code: e.code, records: e.m.u8.slice(0, e.n * 512) }));
}

function ms(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

function cli(bin: string, args: string[]): number {
  return ms(() => execFileSync(bin, args, { stdio: 'ignore' }));
}

function dirBytes(dir: string, suffix: string): number {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
}

async function run(): Promise<Row[]> {
  const days = simulatedDay();
  const raw = days.reduce((a, d) => a + d.records.length, 0);
  const records = raw / 512;
  const mb = raw / 1e6;
  const dir = tempDir('compact');
  const rawDir = path.join(dir, 'raw');
  fs.mkdirSync(rawDir);
  for (const d of days) fs.writeFileSync(path.join(rawDir, `${d.id}.bin`), d.records);
  const rawFiles = days.map((d) => path.join(rawDir, `${d.id}.bin`));
  const tk = his.hisKindByName('tick')!;
  const rows: Row[] = [];
  const row = (name: string, ratio: number, encMs: number[], decMs: number[] | undefined, note: string, tgt = ''): void => {
    const enc = mb / (median(encMs) / 1000);
    const dec = decMs ? mb / (median(decMs) / 1000) : NaN;
    rows.push({
      case: name,
      ratio: fixed(ratio, 2),
      'compress MB/s': fixed(enc, 0),
      'decode MB/s': decMs ? fixed(dec, 0) : '-',
      'decode Mrec/s': decMs ? fixed(records / 1e6 / (median(decMs) / 1000), 2) : '-',
      note,
      target: tgt,
    });
  };

  // CLIs: one process per instrument file (~1 ms of start-up each), output to /dev/null for the timings;
  // one more run writes the compressed files for the ratio.
  const clis: Record<string, { ratio: number; enc: number[]; dec: number[] }> = {};
  const quoted = rawFiles.map((f) => `'${f}'`).join(' ');
  for (const [name, bin, ext] of [
    ['lz4 -1', '/usr/bin/lz4', '.lz4'],
    ['zstd -1', '/usr/bin/zstd', '.zst'],
  ] as const) {
    const multi = bin.endsWith('lz4') ? '-m' : '';
    cli('bash', ['-c', `${bin} -1 -q -f ${multi} ${quoted}`]);
    const outs = rawFiles.map((f) => `'${f}${ext}'`).join(' ');
    const enc: number[] = [];
    const dec: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      enc.push(cli('bash', ['-c', `for f in ${quoted}; do ${bin} -1 -q -c "$f" > /dev/null; done`]));
      dec.push(cli('bash', ['-c', `for f in ${outs}; do ${bin} -d -q -c "$f" > /dev/null; done`]));
    }
    clis[name] = { ratio: raw / dirBytes(rawDir, ext), enc, dec };
  }

  // tickrec in memory: the block of each instrument-day (COLS8 + LZ4 + both CRCs), and its decode (all checks).
  const blocks: Uint8Array[] = [];
  const encT: number[] = [];
  const decT: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    blocks.length = 0;
    const e = ms(() => {
      for (const d of days) blocks.push(his.dayBlockBytes(tk, TRADING_DATE, d.records, 'lz4'));
    });
    const dd = ms(() => {
      blocks.forEach((b, i) => his.decodeDayBlock(b, days[i]!.id));
    });
    if (r > 0) {
      encT.push(e);
      decT.push(dd);
    }
  }
  const ours = raw / blocks.reduce((a, b) => a + b.length, 0);
  // Without the transform, for reference (rows as they are, LZ4).
  const plain: Uint8Array[] = [];
  const plainT = [
    ms(() =>
      days.forEach((d) => plain.push(his.encodePayload(d.records, 512, { codec: his.CODEC_LZ4, transform: his.TRANSFORM_NONE }).payload)),
    ),
  ];
  // End to end: a data root with the day as finished rt files; `runCompaction` (files, fsync, read back, release).
  const e2e: number[] = [];
  let e2eOut = 0;
  for (let r = 0; r < RUNS; r++) {
    const root = path.join(dir, `root${r}`);
    for (const d of days) {
      const live = lib.rtFilePath(root, lib.TICK_KIND, d.exchg, d.code);
      const w = lib.RtWriter.open(live, { kind: lib.TICK_KIND, date: TRADING_DATE, initialCapacity: d.records.length / 512 });
      w.appendRaw(d.records);
      const n = w.size;
      w.close();
      lib.setAside(live, TRADING_DATE, n);
    }
    const s = compact.runCompaction({ root });
    e2e.push(s.seconds * 1000);
    e2eOut = s.bytesOut;
    fs.rmSync(root, { recursive: true, force: true });
  }
  // Decode from disk: readHisBlock of every day file (page cache).
  const hisDir = path.join(dir, 'his');
  fs.mkdirSync(hisDir);
  blocks.forEach((b, i) => fs.writeFileSync(path.join(hisDir, `${days[i]!.id}.dsb`), b));
  const fileDec: number[] = [];
  for (let r = 0; r < RUNS; r++) fileDec.push(ms(() => days.forEach((d) => his.readHisBlock(path.join(hisDir, `${d.id}.dsb`)))));

  const fileDecNoRaw: number[] = [];
  for (let r = 0; r < RUNS; r++)
    fileDecNoRaw.push(ms(() => days.forEach((d) => his.readHisBlock(path.join(hisDir, `${d.id}.dsb`), { checkRaw: false }))));
  // Where decode time goes: each stage alone, on the same blocks (ms per run, medians).
  const payloads = blocks.map((b) => b.subarray(64));
  const laid = payloads.map((p) => his.lz4Decompress(p, p[0]! | (p[1]! << 8) | (p[2]! << 16) | (p[3]! * 16777216), 'bench'));
  const stage = (f: () => void) => median(Array.from({ length: RUNS }, () => ms(f)));
  const tLz4 = stage(() =>
    payloads.forEach((p) => his.lz4Decompress(p, p[0]! | (p[1]! << 8) | (p[2]! << 16) | (p[3]! * 16777216), 'bench')),
  );
  const tCols = stage(() => laid.forEach((l, i) => his.cols8Decode(l, 512, days[i]!.records.length / 512)));
  const tCrc = stage(() => days.forEach((d) => his.crc32(d.records)));
  const z = clis[GOAL_RATIO_VS]!;
  const encMbs = mb / (median(encT) / 1000);
  const decMbs = mb / (median(fileDec) / 1000);
  row(
    'tickrec COLS8+LZ4 (in memory, CRCs)',
    ours,
    encT,
    decT,
    'his.dayBlockBytes / decodeDayBlock',
    target(
      ours >= z.ratio && encMbs >= GOAL_COMPACT_MBS,
      `ratio >= ${GOAL_RATIO_VS} (${fixed(z.ratio, 2)}) at >= ${GOAL_COMPACT_MBS} MB/s`,
      `${fixed(ours, 2)} at ${fixed(encMbs, 0)} MB/s`,
    ),
  );
  row(
    'tickrec readHisBlock from files',
    ours,
    encT,
    fileDec,
    'read + every check',
    target(decMbs >= GOAL_DECODE_MBS, `decode >= ${GOAL_DECODE_MBS} MB/s`, `${fixed(decMbs, 0)} MB/s`),
  );
  row('tickrec readHisBlock, checkRaw: false', ours, encT, fileDecNoRaw, 'payload CRC only (the stored bytes)');
  rows.push({
    case: 'decode stages alone (MB/s)',
    ratio: '',
    'compress MB/s': '',
    'decode MB/s': '',
    'decode Mrec/s': '',
    note: `LZ4 ${fixed(mb / (tLz4 / 1000), 0)}, COLS8 inverse ${fixed(mb / (tCols / 1000), 0)}, CRC of records ${fixed(mb / (tCrc / 1000), 0)}`,
    target: '',
  });
  row('tickrec compact, end to end', raw / e2eOut, e2e, undefined, 'rt files → his, fsync, read back, release');
  row('LZ4 rows, no transform (lz4-napi)', raw / plain.reduce((a, p) => a + p.length, 0), plainT, undefined, 'reference');
  for (const [name, c] of Object.entries(clis))
    row(`${name} (Debian CLI)`, c.ratio, c.enc, c.dec, 'a process per file, output to /dev/null');
  rows.push({
    case: `data: ${days.length} instruments, ${records} ticks, ${fixed(mb, 1)} MB`,
    ratio: '',
    'compress MB/s': '',
    'decode MB/s': '',
    'decode Mrec/s': '',
    note: 'simulator, one trading day',
    target: '',
  });
  return rows;
}

export const suite: Suite = {
  title: 'Compaction and history decode',
  about:
    'One simulated trading day of ticks (src/sim, 24 instruments, night and day sessions), one block per instrument-day. ' +
    "tickrec's block is COLS8 (8-byte columns, decimal scaling, delta, zigzag, byte planes) + LZ4 (lz4-napi) with CRC-32 of header, payload and records; " +
    'decode checks all three. `lz4 -1` and `zstd -1` are the Debian CLIs run on the same per-instrument raw files in the same run (a process per file, output to /dev/null, wall time). ' +
    'MB/s are of raw record bytes; medians of 3 runs.',
  run,
};

// Reading history into typed arrays: one month of 1-minute bars of a whole market (800 instruments × 20 days × 240 bars) with readBarsMarket, from tickrec's bar histories and from datakit's zstd ones, and where the time goes; the same with Python (tickrec.read_bars_market into numpy, and pyarrow from a Parquet export when pyarrow is importable).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, median, settle, target, type Row, type Suite } from './common.js';
import { lib } from './lib.js';
import { rng } from '../lib/rng.js';

const INSTRUMENTS = 800;
const DAYS = 20;
const BARS_PER_DAY = 240;
const EXCHANGE = 'SHFE';
const RUNS = 5;
const GOAL_MS = 1000;
/** The month read: March 2025 (20 trading days from the 3rd to the 28th). */
const FROM = '20250301';
const TO = '20250331';
const CACHE_VERSION = 1;

/** Trading days: weekdays from 2025-03-03 on. */
function tradingDays(): number[] {
  const out: number[] = [];
  for (let d = new Date(Date.UTC(2025, 2, 3)); out.length < DAYS; d.setUTCDate(d.getUTCDate() + 1)) {
    const w = d.getUTCDay();
    if (w !== 0 && w !== 6) out.push(d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate());
  }
  return out;
}

/** Minute labels of a day: 09:01 .. 11:30 and 13:31 .. 15:00 (240 bars). */
const LABELS = (() => {
  const out: number[] = [];
  for (let m = 9 * 60 + 1; m <= 11 * 60 + 30; m++) out.push(Math.floor(m / 60) * 100 + (m % 60));
  for (let m = 13 * 60 + 31; m <= 15 * 60; m++) out.push(Math.floor(m / 60) * 100 + (m % 60));
  return out;
})();

/** A random walk on each instrument's tick size (1, 0.2, 0.02, 0.5, 5), realistic volumes and open interest. */
function dayBars(date: number, k: number, state: { p: number; hold: number; rnd: () => number }): Uint8Array {
  const m = lib.Mem.alloc(BARS_PER_DAY * 88);
  const tick = [1, 0.2, 0.02, 0.5, 5][k % 5]!;
  const f = (x: number) => Math.round(x * tick * 100) / 100;
  const { rnd } = state;
  LABELS.forEach((hhmm, i) => {
    const o = state.p;
    let h = o;
    let l = o;
    for (let j = 0; j < 4; j++) {
      state.p += Math.round((rnd() - 0.5) * 6);
      h = Math.max(h, state.p);
      l = Math.min(l, state.p);
    }
    const v = Math.floor(rnd() * 500);
    const add = Math.round((rnd() - 0.5) * 50);
    state.hold += add;
    lib.MIN1_KIND.codec.encode(
      {
        date,
        time: lib.minuteBarTime(date, hhmm),
        open: f(o),
        high: f(h),
        low: f(l),
        close: f(state.p),
        settle: 0,
        money: v * f(state.p) * 10,
        vol: v,
        hold: state.hold,
        add,
      },
      m,
      i * 88,
    );
  });
  return m.u8;
}

/**
 * The root of one codec, built once and kept in the temp folder between runs (building
 * appends 16,000 instrument-days with fsyncs: tens of seconds). Delete the folder to rebuild.
 */
function cachedRoot(codec: 'lz4' | 'zstd'): { root: string; built: boolean; seconds: number } {
  const root = path.join(os.tmpdir(), `tickrec-bench-history-read-v${CACHE_VERSION}-${codec}-${INSTRUMENTS}x${DAYS}x${BARS_PER_DAY}`);
  const marker = path.join(root, 'complete.json');
  if (fs.existsSync(marker)) return { root, built: false, seconds: 0 };
  fs.rmSync(root, { recursive: true, force: true });
  const t0 = performance.now();
  const kind = lib.hisKindByName('min1')!;
  const days = tradingDays();
  for (let k = 0; k < INSTRUMENTS; k++) {
    const code = `c${String(k).padStart(4, '0')}`;
    const file = lib.hisHistoryPath(root, kind, EXCHANGE, code, lib.hisExtOfCodec(codec));
    const state = { p: 2000 + k * 10, hold: 100000, rnd: rng(20250303 + k) };
    for (const d of days) lib.appendBarDay(file, kind, d, dayBars(d, k, state), { codec });
  }
  const seconds = (performance.now() - t0) / 1000;
  fs.writeFileSync(marker, JSON.stringify({ instruments: INSTRUMENTS, days, seconds }));
  return { root, built: true, seconds };
}

function ms(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

async function timeRuns(f: () => void): Promise<number[]> {
  f(); // warm-up: JIT, page cache
  const out: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    await settle();
    out.push(ms(f));
  }
  return out;
}

/** Times cases interleaved (A, B, C, A, B, C, ...) after one warm-up each, so that a busy moment of the machine spreads over all of them and their ratios hold. */
async function timeInterleaved(cases: Record<string, () => void>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, f] of Object.entries(cases)) {
    f();
    out[name] = [];
    await settle();
  }
  for (let r = 0; r < RUNS; r++) {
    for (const [name, f] of Object.entries(cases)) {
      await settle();
      out[name]!.push(ms(f));
    }
  }
  return out;
}

/** Debian's python3 (numpy, zstandard, lz4 from apt), as the tests use it. */
const PYTHON = process.env.TICKREC_PYTHON ?? '/usr/bin/python3';
const PY_SCRIPT = fileURLToPath(new URL('./python-history-read.py', import.meta.url));

/** Runs scripts/bench/python-history-read.py; its JSON answer, or why it failed. */
function python(args: string[]): Record<string, unknown> & { error?: string } {
  const r = spawnSync(PYTHON, [PY_SCRIPT, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() };
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function dirBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
}

async function run(): Promise<Row[]> {
  const rows: Row[] = [];
  const bars = INSTRUMENTS * DAYS * BARS_PER_DAY;
  const rawMB = (bars * 88) / 1e6;
  const row = (name: string, times: number[], note: string, tgt = ''): void => {
    const t = median(times);
    rows.push({
      case: name,
      'median ms': fixed(t, 0),
      'runs ms': times.map((x) => fixed(x, 0)).join(' '),
      'M bars/s': fixed(bars / 1e6 / (t / 1000), 2),
      'MB/s': fixed(rawMB / (t / 1000), 0),
      note,
      target: tgt,
    });
  };
  const query = (root: string, extra: { fields?: string[]; checkRaw?: boolean } = {}) =>
    lib.readBarsMarket({ root, exchange: EXCHANGE, period: 'min1', from: FROM, to: TO, ...extra });

  const py = python(['probe']);
  const pyLabel = py.error ? '' : `Python ${String(py.python)}, numpy ${String(py.numpy)}`;
  /** Python's read of the same month into numpy, right after Node's (same files, same page cache). */
  const pythonRow = (name: string, root: string, fields: string[] | undefined, note: string): void => {
    if (py.error || py.tickrec !== true) {
      rows.push({
        case: name,
        'median ms': '',
        'runs ms': '',
        'M bars/s': '',
        'MB/s': '',
        note: `not run: ${PYTHON}: ${py.error ?? String(py.why)}`,
        target: '',
      });
      return;
    }
    const r = python(['market', root, EXCHANGE, FROM, TO, String(RUNS), String(bars), (fields ?? []).join(',')]);
    if (r.error) throw new Error(`${name}: ${r.error}`);
    row(name, r.times_ms as number[], `${pyLabel}; ${note}`);
  };

  for (const codec of ['lz4', 'zstd'] as const) {
    const { root, built, seconds } = cachedRoot(codec);
    const dir = lib.hisExchangeDir(root, lib.hisKindByName('min1')!, EXCHANGE);
    const check = query(root);
    if (check.count !== bars || check.instruments.length !== INSTRUMENTS)
      throw new Error(
        `${root}: read ${check.count} bars of ${check.instruments.length} instruments, expected ${bars} of ${INSTRUMENTS}; delete the folder to rebuild it`,
      );
    const label = codec === 'lz4' ? 'tickrec containers (COLS8+LZ4)' : 'datakit zstd histories';
    const note = `${label}, ${fixed(dirBytes(dir) / 1e6, 1)} MB on disk${built ? `, built in ${fixed(seconds, 0)} s` : ', cached root'}`;
    if (codec === 'zstd') {
      row(
        `readBarsMarket, every column (${codec})`,
        await timeRuns(() => query(root)),
        `${note}; zstd decodes rows (WebAssembly), the columns are extracted from them`,
      );
      pythonRow(
        `Python tickrec.read_bars_market, every column (${codec})`,
        root,
        undefined,
        'python-zstandard decodes each history to rows, the columns are numpy views of them',
      );
      continue;
    }

    // The stages, on the same files, interleaved with the whole reads so that ratios hold.
    const codes = fs
      .readdirSync(dir)
      .filter((f) => lib.parseHisName(f) !== undefined)
      .sort();
    const kind = lib.hisKindByName('min1')!;
    const from = 20250228;
    const to = 20250331;
    const ex = lib.extractorOf(lib.BAR);
    const sinksOf = (cols: ReturnType<typeof ex.allocate>) =>
      ex.columns.map((c) => ({
        offset: c.offset,
        type: c.type,
        out: (cols as unknown as Record<string, Float64Array | Uint32Array>)[c.name]!,
      }));
    const columnar = (cols: ReturnType<typeof ex.allocate>) => {
      const plan = new lib.ColumnPlan(88, sinksOf(cols));
      let at = 0;
      for (const f of codes) {
        const h = lib.BarHistory.open(path.join(dir, f), kind);
        h.days();
        at += h.readColumns(from, to, plan, at);
        h.close();
      }
    };
    const touched = ex.allocate(bars);
    const t = await timeInterleaved({
      all: () => query(root),
      close: () => query(root, { fields: ['close'] }),
      checkRaw: () => query(root, { checkRaw: true }),
      open: () => {
        for (const f of codes) {
          const h = lib.BarHistory.open(path.join(dir, f), kind);
          h.days();
          h.close();
        }
      },
      columnarTouched: () => columnar(touched),
      columnarFresh: () => columnar(ex.allocate(bars)),
      // The path before the columnar decode: rows (CRC of the bars, concatenation of the
      // chunks of a run), then the compiled extractor into fresh arrays.
      rowPath: () => {
        const cols = ex.allocate(bars);
        let at = 0;
        for (const f of codes) {
          const h = lib.BarHistory.open(path.join(dir, f), kind);
          h.days();
          const b = h.read(from, to);
          h.close();
          ex.extract(new lib.Mem(b), 0, b.length / 88, cols, at);
          at += b.length / 88;
        }
      },
    });
    const all = t.all!;
    const met = median(all) < GOAL_MS;
    row(
      `readBarsMarket, every column (${codec})`,
      all,
      note,
      target(met, `whole-market month < ${GOAL_MS} ms`, `${fixed(median(all), 0)} ms`),
    );
    row('readBarsMarket, close only', t.close!, 'one column decoded (and the key columns time, date into scratch)');
    row(
      'readBarsMarket, every column, checkRaw: true',
      t.checkRaw!,
      'the CRC-32 of the raw bars too: each chunk decoded to rows, hashed, the columns extracted from the rows',
    );
    const whole = median(all);
    const share = (x: number) => `${fixed(x, 0)} ms (${fixed((100 * x) / whole, 0)}%)`;
    const fresh = median(t.columnarFresh!);
    const reused = median(t.columnarTouched!);
    const open = median(t.open!);
    rows.push({
      case: 'stages alone (median ms)',
      'median ms': '',
      'runs ms': '',
      'M bars/s': '',
      'MB/s': '',
      note:
        `open + index + day tables ${share(open)}; ` +
        `+ columnar decode (pread, CRC-32 of payloads, LZ4, COLS8 straight into the columns) into arrays already touched ${share(reused - open)}; ` +
        `first touch of the fresh arrays' pages ${share(Math.max(0, fresh - reused))}; ` +
        `the rest of readBarsMarket (listing, live-file checks, key range, instrument index) ${share(Math.max(0, whole - fresh))}`,
      target: '',
    });
    pythonRow(
      `Python tickrec.read_bars_market, every column (${codec})`,
      root,
      undefined,
      'into numpy arrays (a dict of columns and the instrument index); COLS8 undone with numpy a group at a time, python-lz4',
    );
    pythonRow(
      'Python tickrec.read_bars_market, close only',
      root,
      ['close'],
      'only the words of close, date and time (the key) are decoded',
    );
    if (typeof py.pyarrow === 'string') {
      const file = path.join(root, 'march.parquet');
      if (!fs.existsSync(file))
        lib.exportRecords({ root, kind: 'min1', exchange: EXCHANGE, from: FROM, to: TO, format: 'parquet', out: file });
      const r = python(['parquet', file, String(RUNS), String(bars)]);
      if (r.error) throw new Error(`pyarrow: ${r.error}`);
      row(
        'pyarrow: the same bars from a Parquet export (tickrec export)',
        r.times_ms as number[],
        `pyarrow ${py.pyarrow}, pq.read_table + to_numpy per column; ${fixed(fs.statSync(file).size / 1e6, 1)} MB file`,
      );
    } else {
      rows.push({
        case: 'pyarrow from a Parquet export',
        'median ms': '',
        'runs ms': '',
        'M bars/s': '',
        'MB/s': '',
        note: `not run: pyarrow is not importable by ${PYTHON}${pyLabel ? ` (${pyLabel})` : ''}; install python3-pyarrow or pip install pyarrow to compare`,
        target: '',
      });
    }
    row(
      'row path (before the columnar decode): BarHistory.read + extraction',
      t.rowPath!,
      `pread, CRC-32 of payloads and bars, LZ4, COLS8 to rows, concatenation, then the compiled extractor into fresh arrays; ${fixed(median(t.rowPath!) / fresh, 2)}× the columnar decode into fresh arrays`,
    );
  }
  rows.push({
    case: `data: ${INSTRUMENTS} instruments × ${DAYS} days × ${BARS_PER_DAY} bars`,
    'median ms': '',
    'runs ms': '',
    'M bars/s': '',
    'MB/s': '',
    note: `${bars} bars, ${fixed(rawMB, 1)} MB of raw 88-byte bars; MB/s of raw bars; files in the page cache`,
    target: '',
  });
  return rows;
}

export const suite: Suite = {
  title: 'Reading history into typed arrays',
  about:
    `One month of 1-minute bars of a whole market: ${INSTRUMENTS} instruments × ${DAYS} trading days × ${BARS_PER_DAY} bars (random walks on five tick sizes), ` +
    'each instrument a bar history built by appendBarDay (tickrec container; and, second, datakit zstd), read by `readBarsMarket` into one table of typed arrays ' +
    '(11 columns and the instrument index): tickrec histories are decoded straight into the columns (BarHistory.readColumns). The roots are built once and kept in the temp folder. ' +
    'The tickrec cases and stages run interleaved (A, B, C, A, B, C...), 5 timed runs each after a warm-up, files in the page cache; medians.',
  run,
};

// End to end: `tickrec record` with a ctp feed on the stand-in front records exactly what the front sent (DBL_MAX, night-session dates, empty ExchangeID, CZCE turnover, a reconnect); without the addon it exits 2 naming the build command.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/child.js';
import { diskHeader, makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { buildCtp, type CtpBuild } from './helpers/build.js';
import { Front, hex, type TickFields } from './helpers/front.js';
import { ten, tickRecords } from './helpers/ticks.js';

const PASSWORD = 'rec-Pa55word';
let build: CtpBuild;
let front: Front;
const children: ReturnType<typeof spawn>[] = [];

beforeAll(async () => {
  build = buildCtp();
  front = await Front.start();
}, 300_000);

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

afterAll(async () => {
  await front?.close();
  removeTempDirs();
});

function record(configFile: string, env: NodeJS.ProcessEnv) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.CTP_SDK_DIR;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'record', '-c', configFile, '--clock-start', '20250104 00:40'],
    {
      cwd: REPO_ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (stdout += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit, stderr: () => stderr, stdout: () => stdout };
}

function writeConfig(dir: string, feed: Record<string, unknown>): string {
  const file = path.join(dir, 'recorder.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      root: './data',
      feeds: [
        {
          type: 'ctp',
          name: 'ctp',
          fronts: [front.url],
          broker_id: '9999',
          user_id: 'u007',
          password: '${CTP_PASSWORD}',
          subscribe: ['SHFE.rb2505', 'SHFE.au2506', 'DCE.m2505', 'CZCE.SR505'],
          subscribe_batch: 2,
          library: build.lib4,
          czce_multipliers: { SR: 10 },
          ...feed,
        },
      ],
      metrics: { enabled: false },
      // the fixture's ticks run up to an hour past --clock-start: the N10 bound must allow it
      limits: { max_ahead_ms: 7_200_000 },
      log: { level: 'info', pretty: false },
      status_line: false,
    }),
  );
  return file;
}

async function until(pred: () => boolean, what: string, detail: () => string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// What the front sends (CTP field names; unset prices are DBL_MAX, as a real front sends them)
// and what must be on disk. Friday 2025-01-03, night session of Monday 2025-01-06; every tick
// inside its instrument's night session (N10): rb, m and SR trade 21:00-23:00, au to 02:30.
const A: TickFields = {
  ExchangeID: 'SHFE',
  InstrumentID: 'rb2505',
  TradingDay: '20250106',
  ActionDay: '20250103',
  UpdateTime: '22:30:00',
  UpdateMillisec: 500,
  LastPrice: 3500,
  PreSettlementPrice: 3480,
  PreClosePrice: 3490,
  PreOpenInterest: 900,
  OpenPrice: 3485,
  HighestPrice: 3510,
  LowestPrice: 3480,
  Volume: 100,
  Turnover: 35_000_000,
  OpenInterest: 1000,
  UpperLimitPrice: 3800,
  LowerLimitPrice: 3200,
  BidPrice1: 3499,
  BidVolume1: 1,
  BidPrice2: 3498,
  BidVolume2: 2,
  BidPrice3: 3497,
  BidVolume3: 3,
  BidPrice4: 3496,
  BidVolume4: 4,
  BidPrice5: 3495,
  BidVolume5: 5,
  AskPrice1: 3501,
  AskVolume1: 6,
  AskPrice2: 3502,
  AskVolume2: 7,
  AskPrice3: 3503,
  AskVolume3: 8,
  AskPrice4: 3504,
  AskVolume4: 9,
  AskPrice5: 3505,
  AskVolume5: 10,
};
const A_REC = {
  exchg: 'SHFE',
  code: 'rb2505',
  price: 3500,
  open: 3485,
  high: 3510,
  low: 3480,
  settle_price: 0,
  upper_limit: 3800,
  lower_limit: 3200,
  total_volume: 100,
  volume: 100,
  total_turnover: 35_000_000,
  turn_over: 35_000_000,
  open_interest: 1000,
  diff_interest: 0,
  trading_date: 20250106,
  action_date: 20250103,
  action_time: 223000500,
  pre_close: 3490,
  pre_settle: 3480,
  pre_interest: 900,
  bid_prices: ten(3499, 3498, 3497, 3496, 3495),
  ask_prices: ten(3501, 3502, 3503, 3504, 3505),
  bid_qty: ten(1, 2, 3, 4, 5),
  ask_qty: ten(6, 7, 8, 9, 10),
};
// No LastPrice and no book: nothing to store (C1 → bad_price). With a book it would be a quote stored at price 0.
const B_NO_PRICE: TickFields = {
  ...A,
  UpdateTime: '22:30:01',
  LastPrice: 'MAX',
  Volume: 100,
  ...Object.fromEntries(
    [1, 2, 3, 4, 5].flatMap((i) => [
      [`BidPrice${i}`, 'MAX'],
      [`AskPrice${i}`, 'MAX'],
    ]),
  ),
};
const C: TickFields = {
  ExchangeID: '',
  InstrumentID: 'au2506',
  TradingDay: '20250106',
  ActionDay: '20250104',
  UpdateTime: '00:30:00',
  UpdateMillisec: 0,
  LastPrice: 620.5,
  Volume: 5,
  Turnover: 3_102_500,
  OpenInterest: 200,
  BidPrice1: 620.4,
  BidVolume1: 2,
  AskPrice1: 620.6,
  AskVolume1: 1,
};
const C_REC = {
  exchg: 'SHFE',
  code: 'au2506',
  price: 620.5,
  open: 0,
  settle_price: 0,
  total_volume: 5,
  volume: 5,
  total_turnover: 3_102_500,
  turn_over: 3_102_500,
  open_interest: 200,
  trading_date: 20250106,
  action_date: 20250104,
  action_time: 3_000_000,
  pre_close: 0,
  bid_prices: ten(620.4),
  ask_prices: ten(620.6),
  bid_qty: ten(2),
  ask_qty: ten(1),
};
const D: TickFields = {
  ExchangeID: 'DCE',
  InstrumentID: 'm2505',
  TradingDay: '20250106',
  ActionDay: '20250106',
  UpdateTime: '22:30:00',
  UpdateMillisec: 0,
  LastPrice: 2900,
  Volume: 50,
  Turnover: 1_450_000,
  OpenInterest: 300,
  BidPrice1: 2899,
  BidVolume1: 1,
  AskPrice1: 2901,
  AskVolume1: 1,
};
const E: TickFields = { ...D, UpdateTime: '22:30:30', LastPrice: 2901, Volume: 60, Turnover: 1_740_100, OpenInterest: 305 };
const F: TickFields = {
  ExchangeID: 'CZCE',
  InstrumentID: 'SR505',
  TradingDay: '20250103',
  ActionDay: '20250103',
  UpdateTime: '22:30:00',
  UpdateMillisec: 0,
  LastPrice: 5800,
  Volume: 1000,
  Turnover: 5_800_000,
  OpenInterest: 500,
  BidPrice1: 5799,
  BidVolume1: 3,
  AskPrice1: 5801,
  AskVolume1: 4,
};
const G: TickFields = {
  ...F,
  UpdateTime: '22:30:30',
  LastPrice: 5801,
  Volume: 1010,
  Turnover: 5_858_010,
  OpenInterest: 505,
};
// After the reconnect: A again (the snapshot on subscribe), a new rb2505 tick, a regressed m2505 volume.
const I: TickFields = {
  ExchangeID: 'SHFE',
  InstrumentID: 'rb2505',
  TradingDay: '20250106',
  ActionDay: '20250103',
  UpdateTime: '22:30:02',
  UpdateMillisec: 0,
  LastPrice: 3502,
  Volume: 110,
  Turnover: 35_350_200,
  OpenInterest: 1002,
  BidPrice1: 3501,
  BidVolume1: 1,
  AskPrice1: 3502,
  AskVolume1: 2,
};
const J: TickFields = { ...E, UpdateTime: '22:30:31', Volume: 55 };

describe('tickrec record with a ctp feed', () => {
  it('records everything the stand-in front sent, across a reconnect', async () => {
    const dir = makeTempDir('tickrec-ctp-rec-');
    const root = path.join(dir, 'data');
    const cfg = writeConfig(dir, { capture: true });
    const p = record(cfg, { TICKREC_CTP_ADDON: build.addon, CTP_PASSWORD: PASSWORD, STANDIN_RETRY_MS: '50' });
    const detail = () => `stderr:\n${p.stderr()}`;
    const c1 = front.connections + 1;
    await front.waitCount('SUB', c1, 2);
    expect(front.of('SUB', c1).map((l) => l.args)).toEqual([
      ['2', 'rb2505', 'au2506'],
      ['2', 'm2505', 'SR505'],
    ]);
    expect(fs.existsSync(path.join(root, 'ctp-flow', 'ctp', 'DialogRsp.con'))).toBe(true);

    for (const t of [A, B_NO_PRICE, C, D, E, F, G]) front.tick(t);
    await front.ping();
    await until(
      () => tickRecords(root, 'CZCE', 'SR505').length === 2 && tickRecords(root, 'DCE', 'm2505').length === 2,
      'the first ticks on disk',
      detail,
    );

    front.drop(0x2003);
    const c2 = c1 + 1;
    await front.waitCount('SUB', c2, 2);
    await until(
      () => /logged_in/.test(p.stderr().slice(p.stderr().lastIndexOf('received an error packet'))),
      'the second login in the log',
      detail,
    );
    for (const t of [A, I, J]) front.tick(t);
    await front.ping();
    await until(
      () => tickRecords(root, 'SHFE', 'rb2505').length === 2 && tickRecords(root, 'DCE', 'm2505').length === 3,
      'the ticks after the reconnect',
      detail,
    );
    await new Promise((r) => setTimeout(r, 200)); // nothing more may come (the resent A is a duplicate)

    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);

    const rb = tickRecords(root, 'SHFE', 'rb2505');
    expect(rb).toHaveLength(2);
    expect(rb[0]).toEqual(expect.objectContaining(A_REC));
    expect(rb[1]).toEqual(
      expect.objectContaining({
        price: 3502,
        total_volume: 110,
        volume: 10,
        total_turnover: 35_350_200,
        turn_over: 350_200,
        open_interest: 1002,
        diff_interest: 2,
        trading_date: 20250106,
        action_date: 20250103,
        action_time: 223002000,
        settle_price: 0,
        pre_close: 0,
        bid_prices: ten(3501),
        ask_prices: ten(3502),
        bid_qty: ten(1),
        ask_qty: ten(2),
      }),
    );
    expect(tickRecords(root, 'SHFE', 'au2506')).toEqual([expect.objectContaining(C_REC)]);
    const m = tickRecords(root, 'DCE', 'm2505');
    expect(
      m.map((r) => [
        r.trading_date,
        r.action_date,
        r.action_time,
        r.price,
        r.total_volume,
        r.volume,
        r.total_turnover,
        r.turn_over,
        r.open_interest,
        r.diff_interest,
      ]),
    ).toEqual([
      [20250106, 20250103, 223000000, 2900, 50, 50, 1_450_000, 1_450_000, 300, 0],
      [20250106, 20250103, 223030000, 2901, 60, 10, 1_740_100, 290_100, 305, 5],
      [20250106, 20250103, 223031000, 2901, 55, 0, 1_740_100, 0, 305, 0], // volume regressed after the reconnect
    ]);
    const sr = tickRecords(root, 'CZCE', 'SR505');
    expect(
      sr.map((r) => [r.trading_date, r.action_date, r.action_time, r.price, r.total_volume, r.volume, r.total_turnover, r.turn_over]),
    ).toEqual([
      [20250106, 20250103, 223000000, 5800, 1000, 1000, 58_000_000, 58_000_000],
      [20250106, 20250103, 223030000, 5801, 1010, 10, 58_580_100, 580_100],
    ]);
    for (const [ex, code] of [
      ['SHFE', 'rb2505'],
      ['SHFE', 'au2506'],
      ['DCE', 'm2505'],
      ['CZCE', 'SR505'],
    ] as const) {
      expect(diskHeader(path.join(root, 'rt', 'ticks', ex, `${code}.dmb`)).date, `${ex}.${code}`).toBe(20250106);
    }

    const log = p.stderr();
    expect(log).toContain('received an error packet (0x2003)');
    expect(log.match(/logged_in/g)?.length).toBe(2);
    expect(log).toContain('bad_price');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(hex(PASSWORD));
    await front.waitFor((l) => l.verb === 'BYE' && l.conn === c2, 'BYE: Release on shutdown');

    // The library's own text (the stand-in prints what the real one does, in pieces) became
    // log records of their own: every stderr line is one JSON record, nothing on stdout.
    const lines = log.split('\n').filter((l) => l !== '');
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line in the log: ${l}`);
      }
    });
    const foreign = parsed.filter((r) => r.source === 'ctp-library').map((r) => `${String(r.stream)}: ${String(r.msg)}`);
    expect(foreign).toContain('stderr: eth0: Success');
    expect(foreign).toContain('stderr: lo: Bad file descriptor');
    expect(foreign.some((f) => /^stdout: CThostFtdcUserApiImplBase::OnSessionDisconnected\[0x[0-9a-f]+\]\[8195\]$/.test(f))).toBe(true);
    expect(p.stdout()).toBe('');

    // Every tick struct was captured as received; replayed into a fresh root it gives the same records.
    const capDir = path.join(root, 'capture', 'ctp', 'ctp');
    const caps = fs.readdirSync(capDir).filter((f) => /^\d{8}\.cap$/.test(f));
    expect(caps.length).toBeGreaterThanOrEqual(1);
    const root2 = path.join(dir, 'replayed');
    const rp = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'ctp',
        'replay',
        ...caps.map((f) => path.join(capDir, f)),
        '--root',
        root2,
        '--config',
        cfg,
        '--json',
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(rp.stderr).toBe('');
    expect(rp.status).toBe(0);
    const summary = JSON.parse(rp.stdout) as { records: number; rejected: Record<string, number> };
    expect(summary.records).toBe(10); // A B C D E F G, then A I J after the reconnect
    expect(summary.rejected).toEqual({ bad_price: 1, duplicate: 1 });
    for (const [ex, code] of [
      ['SHFE', 'rb2505'],
      ['SHFE', 'au2506'],
      ['DCE', 'm2505'],
      ['CZCE', 'SR505'],
    ] as const) {
      expect(tickRecords(root2, ex, code), `${ex}.${code}`).toEqual(tickRecords(root, ex, code));
    }
  });

  it('exits 2 and names the build command when the addon is not built', async () => {
    const dir = makeTempDir('tickrec-ctp-rec-');
    const cfg = writeConfig(dir, {});
    const missing = path.join(dir, 'no-build', 'tickrec_ctp.node');
    const p = record(cfg, { TICKREC_CTP_ADDON: missing, CTP_PASSWORD: PASSWORD });
    expect(await p.exit).toBe(2);
    const err = p.stderr();
    expect(err).toContain('E_CONFIG');
    expect(err).toContain(`the CTP addon is not built (${missing} does not exist)`);
    expect(err).toContain('CTP_SDK_DIR=/path/to/sdk npm run build:ctp');
    expect(err).not.toContain(PASSWORD);
    expect(fs.existsSync(path.join(dir, 'data', 'tickrec.lock'))).toBe(false); // the lock was released
  });
});

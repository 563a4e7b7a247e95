// The monitor page in a real browser: Debian's chromium (playwright-core) against a recorder child on a simulated clock, fed by the simulator with 2,000 instruments, at 1400 px and 390 px.
//
// Requires /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) and a built
// dist/ (npm test builds it). The test fails, never skips, when either is missing.
// The layout is asserted by measuring the DOM in the browser (overflow, card heights,
// columns); the screenshots are for a human: they go to $TICKREC_MONITOR_SHOTS when set
// (kept), else to <tmp>/tickrec-monitor-shots (overwritten by the next run, never committed).
/// <reference lib="dom" />

import { coveredSessionsFile } from '../helpers/sessions.js';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorMessage } from '../../src/monitor/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { startMetricsServer } from '../../src/recorder/metrics.js';
import { freePort, removeTempDirs, request, startRecorder, tempDir, waitFor } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
const INSTRUMENTS = 2000;
const FEED = 'sim-feed';
/** The simulated market and the recorder's clock start here (a night session: trading day 2025-01-07). */
const START = '20250106 21:05';
const COLUMNS = ['exchange', 'code', 'last price', 'last tick', 'trading day', 'age', 'ticks today', 'ticks/s', 'file size', 'lag'];
/** When the compaction summary says the last run finished (wall clock), set in beforeAll. */
let finishedAtMs = 0;

let sim: Simulator | undefined;
let child: ChildProcess | undefined;
let childLog = '';
let browser: Browser | undefined;
let page: Page | undefined;
let base = '';
let shotDir = '';
let root = '';

function diag(): string {
  return `\n--- recorder output (last 3000 chars) ---\n${childLog.slice(-3000)}`;
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser test needs Debian's chromium. Install it with \`apt-get install chromium\` (as root; .ci/run does it in CI).`,
    );
  }
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it).`);
  sim = await startSimulator({ port: 0, instruments: INSTRUMENTS, rate: 4000, seed: 7, start: START });
  const dir = tempDir('tickrec-monitor-browser-');
  shotDir = process.env.TICKREC_MONITOR_SHOTS ?? path.join(os.tmpdir(), 'tickrec-monitor-shots');
  fs.mkdirSync(shotDir, { recursive: true });
  const port = await freePort();
  root = path.join(dir, 'data');
  // a finished compaction 5 minutes ago by the wall clock (the recorder's clock is in 2025)
  finishedAtMs = Date.now() - 5 * 60_000;
  fs.mkdirSync(path.join(root, 'compact'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'compact', 'last.json'),
    JSON.stringify({
      finishedAt: new Date(finishedAtMs).toISOString(),
      days: [20250103],
      files: 40,
      bytesIn: 4e6,
      bytesOut: 1e6,
      ratio: 4,
      seconds: 3,
      ok: true,
    }),
  );
  const config = {
    root,
    feeds: [
      { type: 'websocket', name: FEED, url: sim.url, format: 'tickrec', subscribe: ['*'], reconnect_min_ms: 100, reconnect_max_ms: 500 },
    ],
    metrics: { host: '127.0.0.1', port },
    // small files: 2,000 instruments must not write gigabytes of zeros in CI
    storage: { roll_by_clock: false, initial_capacity_ticks: 64, sync_interval_ms: 0 },
    bars: { enabled: false },
    compaction: { enabled: false }, // the summary above stays as written
    log: { level: 'warn' },
    status_line: false,
    sessions: coveredSessionsFile(), // no calendar banner on today's clock (the calendar has its own test)
  };
  const cfgFile = path.join(dir, 'recorder.json');
  fs.writeFileSync(cfgFile, JSON.stringify(config, null, 2));
  child = spawn(process.execPath, [CLI, 'record', '--config', cfgFile, '--clock-start', START], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b: Buffer) => (childLog += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (childLog += b.toString()));
  base = `http://127.0.0.1:${port}`;
  await waitFor(
    'the recorder to publish most instruments',
    async () => {
      if (child!.exitCode !== null) throw new Error(`the recorder exited with ${child!.exitCode}${diag()}`);
      const res = await request(`${base}/api/snapshot`);
      return res.status === 200 && (JSON.parse(res.body) as MonitorMessage).instruments.length >= 1000;
    },
    60_000,
    250,
  ).catch((err: Error) => {
    throw new Error(err.message + diag());
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // the browser in China time: the page's own times say UTC+8, like the futures' exchange times
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, timezoneId: 'Asia/Shanghai' });
}, 120_000);

/** Layout figures of the page, measured in the browser. */
interface Layout {
  viewport: number;
  docScrollWidth: number;
  /** Elements outside the instrument table's scroll box whose right edge passes the viewport. */
  overflowing: string[];
  /** Visible cards: id, left, top, height, the empty space below their content (px), and whether their content is wider than they are. */
  cards: { id: string; left: number; top: number; height: number; emptyBelow: number; clipped: boolean }[];
  columns: string[];
  wrap: { clientWidth: number; scrollWidth: number; right: number };
  instrumentsTop: number;
}

function measure(p: Page): Promise<Layout> {
  return p.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const wrap = document.getElementById('table-wrap')!;
    const overflowing: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      if (wrap.contains(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // hidden
      if (r.right > vw + 0.5) overflowing.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${Math.round(r.right)}`);
    }
    const cards = Array.from(document.querySelectorAll<HTMLElement>('.card'))
      .filter((c) => !c.hidden)
      .map((c) => {
        const r = c.getBoundingClientRect();
        const cs = getComputedStyle(c);
        let bottom = r.top + parseFloat(cs.borderTopWidth) + parseFloat(cs.paddingTop);
        for (const k of Array.from(c.children)) {
          const kr = k.getBoundingClientRect();
          if (kr.height > 0) bottom = Math.max(bottom, kr.bottom + parseFloat(getComputedStyle(k).marginBottom));
        }
        const inner = r.bottom - parseFloat(cs.borderBottomWidth) - parseFloat(cs.paddingBottom);
        return {
          id: c.id,
          left: Math.round(r.left),
          top: Math.round(r.top),
          height: Math.round(r.height),
          emptyBelow: Math.round(inner - bottom),
          clipped: c.scrollWidth > c.clientWidth + 1,
        };
      });
    const wr = wrap.getBoundingClientRect();
    return {
      viewport: vw,
      docScrollWidth: document.documentElement.scrollWidth,
      overflowing,
      cards,
      columns: Array.from(document.querySelectorAll('#head th')).map((th) => th.textContent ?? ''),
      wrap: { clientWidth: wrap.clientWidth, scrollWidth: wrap.scrollWidth, right: wr.right },
      instrumentsTop: document.querySelector('.instruments')!.getBoundingClientRect().top,
    };
  });
}

/** "HH:MM:SS" of an epoch ms in a time zone. */
function hmsIn(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(ms);
}

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await sim?.close().catch(() => undefined);
  removeTempDirs();
}, 60_000);

describe('monitor page in chromium', () => {
  const errors: string[] = [];

  it('loads, shows the instruments in a paged table, filters, and updates as ticks arrive', async () => {
    const p = page!;
    p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    await p.goto(`${base}/`);
    await expect.poll(() => p.textContent('#conn'), { timeout: 15_000 }).toBe('live');
    await p.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42)); // survives only without a reload

    // every instrument is known to the page, only one page of rows is in the DOM
    await expect
      .poll(async () => Number(/of ([\d,]+)/.exec((await p.textContent('#count')) ?? '')?.[1]?.replace(/,/g, '')), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1000);
    const domRows = await p.locator('#rows tr').count();
    expect(domRows).toBeGreaterThan(0);
    expect(domRows).toBeLessThanOrEqual(200);
    expect(await p.locator('#feeds tr[data-feed="sim-feed"] .state').textContent()).toBe('up');
    expect(await p.isHidden('#banner')).toBe(true);

    // exchange filter: every row shown is of that exchange
    await p.selectOption('#f-ex', 'SHFE');
    await expect.poll(async () => [...new Set(await p.locator('#rows tr td:nth-child(1)').allTextContents())]).toEqual(['SHFE']);
    await p.selectOption('#f-ex', '');

    // code filter: pick the instrument with the most ticks, filter down to it
    await p.selectOption('#page-size', '200');
    await p.click('#head th[data-k="ticks"]'); // sorted by ticks today, descending
    const code = (await p.locator('#rows tr').first().locator('td').nth(1).textContent())!;
    expect(code).toMatch(/^[A-Za-z0-9]+$/);
    await p.fill('#f-code', code);
    await expect
      .poll(
        async () =>
          (await p.locator('#rows tr td:nth-child(2)').allTextContents()).every((c) => c.toLowerCase().includes(code.toLowerCase())),
        { timeout: 5000 },
      )
      .toBe(true);
    expect(await p.locator('#rows tr').count()).toBeLessThan(20);
    const row = p.locator(`#rows tr[data-id$=".${code}"]`).first();
    const ticksCell = row.locator('td').nth(6);
    const ticksBefore = Number((await ticksCell.textContent())!.replace(/,/g, ''));
    expect(ticksBefore).toBeGreaterThan(0);

    await p.screenshot({ path: path.join(shotDir, 'monitor-filtered.png') });

    // the same instrument's count moves on without a reload
    await expect
      .poll(async () => Number(((await ticksCell.textContent()) ?? '0').replace(/,/g, '')), { timeout: 20_000, interval: 250 })
      .toBeGreaterThan(ticksBefore);
    expect(await p.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    await p.fill('#f-code', '');
    await p.click('#head th[data-k="code"]');
    expect(errors).toEqual([]);
  });

  it('at 1400 px: cards as tall as their content, side by side, every column, no sideways scroll', async () => {
    const p = page!;
    await p.selectOption('#page-size', '50');
    await expect.poll(() => p.locator('#rows tr').count()).toBe(50);
    const l = await measure(p);
    await p.screenshot({ path: path.join(shotDir, 'monitor-1400.png'), fullPage: true });
    expect(l.viewport).toBe(1400);
    expect(l.docScrollWidth).toBeLessThanOrEqual(l.viewport);
    expect(l.overflowing).toEqual([]);
    expect(l.columns).toEqual(COLUMNS);
    expect(l.wrap.scrollWidth).toBeLessThanOrEqual(l.wrap.clientWidth); // the whole table fits
    // no card is stretched to a neighbour's height: the space under its content is its padding only
    expect(l.cards.length).toBeGreaterThanOrEqual(5);
    for (const c of l.cards)
      expect({ card: c.id, emptyBelow: c.emptyBelow <= 2, clipped: c.clipped }).toEqual({ card: c.id, emptyBelow: true, clipped: false });
    expect(new Set(l.cards.map((c) => c.left)).size).toBeGreaterThanOrEqual(3); // side by side
    const tallest = Math.max(...l.cards.map((c) => c.height));
    expect(l.instrumentsTop).toBeLessThanOrEqual(Math.max(...l.cards.map((c) => c.top)) + tallest + 40); // no empty band above the table
  });

  it('says which clock is which: simulated recorder clock, wall-clock "updated" and "finished", zones on every time', async () => {
    const p = page!;
    // the recorder's clock is simulated from 2025-01-06 21:05 China time; the page says so, in the browser's zone
    await expect.poll(() => p.isVisible('#clock')).toBe(true);
    expect(await p.textContent('#clock')).toMatch(/^simulated clock 2025-01-06 21:\d\d:\d\d UTC\+8$/);
    // "updated" is the wall clock, in the browser's zone (Asia/Shanghai), 24-hour
    const updated = (await p.textContent('#updated'))!;
    expect(updated).toMatch(/^updated \d\d:\d\d:\d\d UTC\+8$/);
    const shown = updated.slice(8, 16);
    // the wall clock of a recent update: at most 15 s behind the test's clock (a loaded machine), never ahead
    const recent = Array.from({ length: 17 }, (_, k) => hmsIn(Date.now() + 1000 - k * 1000, 'Asia/Shanghai'));
    expect(recent).toContain(shown);
    // the compaction finished 5 minutes ago by the wall clock, and the card says it is the wall clock
    const finished = p.locator('#compaction dt:text-is("finished") + dd');
    await expect.poll(() => finished.textContent(), { timeout: 15_000 }).toMatch(/ago \(wall clock\)$/);
    const f = (await finished.textContent())!;
    expect(f).toContain(`${hmsIn(finishedAtMs, 'Asia/Shanghai')} UTC+8`);
    const ago = Number(/, ([\d.]+) min ago/.exec(f)?.[1]);
    expect(Math.abs(ago - (Date.now() - finishedAtMs) / 60_000)).toBeLessThanOrEqual(0.3); // as long ago as it was
    // every tick time carries its exchange's offset; the night session's ticks belong to the next trading day
    await p.selectOption('#f-ex', 'SHFE');
    await expect.poll(async () => [...new Set(await p.locator('#rows tr td:nth-child(1)').allTextContents())]).toEqual(['SHFE']);
    for (const t of await p.locator('#rows tr td:nth-child(4)').allTextContents()) expect(t).toMatch(/^21:\d\d:\d\d\.\d{3} UTC\+8$/);
    expect([...new Set(await p.locator('#rows tr td:nth-child(5)').allTextContents())]).toEqual(['2025-01-07']);
    await p.selectOption('#f-ex', '');
  });

  it('at 390 px: nothing scrolls sideways but the table in its box, one column of cards, short pages', async () => {
    const narrow = await browser!.newPage({ viewport: { width: 390, height: 844 }, timezoneId: 'America/New_York' });
    try {
      await narrow.goto(`${base}/`);
      await expect.poll(() => narrow.textContent('#conn'), { timeout: 15_000 }).toBe('live');
      await expect.poll(() => narrow.locator('#rows tr').count(), { timeout: 15_000 }).toBe(25); // a phone's default page
      expect(await narrow.locator('#page-size option').allTextContents()).toEqual(['10', '25', '50', '100', '200']);
      expect(await narrow.textContent('#updated')).toMatch(/^updated \d\d:\d\d:\d\d UTC-[45]$/);
      const l = await measure(narrow);
      await narrow.screenshot({ path: path.join(shotDir, 'monitor-390.png'), fullPage: true });
      expect(l.viewport).toBe(390);
      expect(l.docScrollWidth).toBeLessThanOrEqual(390);
      expect(l.overflowing).toEqual([]);
      expect(l.columns).toEqual(COLUMNS);
      expect(new Set(l.cards.map((c) => c.left)).size).toBe(1); // one column
      for (const c of l.cards)
        expect({ card: c.id, emptyBelow: c.emptyBelow <= 2, clipped: c.clipped }).toEqual({ card: c.id, emptyBelow: true, clipped: false });
      // the table is wider than the screen: it scrolls inside its box, which ends inside the screen
      expect(l.wrap.scrollWidth).toBeGreaterThan(l.wrap.clientWidth);
      expect(l.wrap.right).toBeLessThanOrEqual(390);
      await narrow.evaluate(() => {
        const w = document.getElementById('table-wrap')!;
        w.scrollLeft = w.scrollWidth;
      });
      const lag = await narrow.evaluate(() => {
        const r = document.querySelector('#head th[data-k="lagMs"]')!.getBoundingClientRect();
        return { left: r.left, right: r.right };
      });
      expect(lag.left).toBeGreaterThanOrEqual(0);
      expect(lag.right).toBeLessThanOrEqual(390.5); // the last column is reachable
      expect(await narrow.evaluate(() => document.documentElement.scrollLeft)).toBe(0);
      // smaller pages, and the last page in one click
      await narrow.selectOption('#page-size', '10');
      await expect.poll(() => narrow.locator('#rows tr').count()).toBe(10);
      await narrow.click('#last');
      const pages = /page (\d+) \/ (\d+)/.exec((await narrow.textContent('#page'))!)!;
      expect(pages[1]).toBe(pages[2]);
      expect(Number(pages[2])).toBeGreaterThanOrEqual(100); // 1,000+ instruments in pages of 10
      expect(await narrow.isDisabled('#next')).toBe(true);
      await narrow.click('#first');
      expect(await narrow.textContent('#page')).toMatch(/^page 1 \//);
    } finally {
      await narrow.close();
    }
  });

  it('with no tick yet: says so, shows no made-up peak or lag, and no simulated clock on a real-time recorder', async () => {
    const r = startRecorder(); // in process, real clock, a feed that sends nothing
    const server = await startMetricsServer(r.rec, '127.0.0.1', 0);
    const empty = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await empty.goto(`${server.url}/`);
      await expect.poll(() => empty.textContent('#conn'), { timeout: 15_000 }).toBe('live');
      await expect.poll(() => empty.textContent('#spark-max'), { timeout: 5000 }).toBe('no ticks yet');
      expect(await empty.textContent('#totals')).toContain('\u2013 (no ticks yet)');
      expect(await empty.textContent('#rate-now')).toBe('0.0');
      expect(await empty.isVisible('#empty')).toBe(true);
      expect(await empty.locator('#rows tr').count()).toBe(0);
      expect(await empty.isHidden('#clock')).toBe(true); // the real clock: no "simulated clock"
      expect(await empty.textContent('#updated')).toMatch(/^updated \d\d:\d\d:\d\d UTC/);
      await expect.poll(() => empty.textContent('#disk'), { timeout: 10_000 }).toContain('nothing written');
      const l = await measure(empty);
      expect(l.overflowing).toEqual([]);
      for (const c of l.cards) expect({ card: c.id, emptyBelow: c.emptyBelow <= 2 }).toEqual({ card: c.id, emptyBelow: true });
    } finally {
      await empty.close();
      await server.close();
      await r.stop();
    }
  });

  it('shows a banner naming the feed when the feed goes down', async () => {
    const p = page!;
    expect(await p.isHidden('#banner')).toBe(true);
    await sim!.close(); // the simulator stops: the recorder's feed loses its connection
    sim = undefined;
    const banner = p.locator('#banner');
    await expect.poll(() => banner.isVisible(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => banner.textContent(), { timeout: 5000 }).toContain(`Feed ${FEED} is down`);
    expect(await p.locator(`#banner [data-feed="${FEED}"]`).count()).toBe(1);
    await expect.poll(() => p.locator('#feeds tr[data-feed="sim-feed"] .state').textContent(), { timeout: 5000 }).not.toBe('up');
    // the cause, as `tickrec status` gives it, without the address: nothing listens on the simulator's port now
    await expect.poll(() => banner.textContent(), { timeout: 30_000 }).toMatch(/is down \(.*\): connect ECONNREFUSED <address>/);
    expect(await banner.textContent()).not.toMatch(/127\.0\.0\.1|ws:\/\//);
    expect(await p.textContent(`#feeds tr[data-cause="${FEED}"]`)).toMatch(/ECONNREFUSED <address>/);
    await p.screenshot({ path: path.join(shotDir, 'monitor-feed-down.png'), fullPage: true });
    const l = await measure(p); // the cause fits its card and the page
    expect(l.overflowing).toEqual([]);
    expect(l.cards.filter((c) => c.clipped).map((c) => c.id)).toEqual([]);
    if (process.env.TICKREC_MONITOR_SHOTS === undefined) console.log(`monitor screenshots in ${shotDir}`);
    expect(await p.textContent('#conn')).toBe('live'); // the page still talks to the recorder
    expect(errors).toEqual([]);
  });
});

// The monitor page in a real browser: Debian's chromium (playwright-core) against a recorder child fed by the simulator with 2,000 instruments.
//
// Requires /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) and a built
// dist/ (npm test builds it). The test fails, never skips, when either is missing.
// Screenshots go to a temp folder removed afterwards, or to $TICKREC_MONITOR_SHOTS (kept).

import { coveredSessionsFile } from '../helpers/sessions.js';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorMessage } from '../../src/monitor/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { freePort, removeTempDirs, request, tempDir, waitFor } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
const INSTRUMENTS = 2000;
const FEED = 'sim-feed';

let sim: Simulator | undefined;
let child: ChildProcess | undefined;
let childLog = '';
let browser: Browser | undefined;
let page: Page | undefined;
let base = '';
let shotDir = '';

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
  sim = await startSimulator({ port: 0, instruments: INSTRUMENTS, rate: 4000, seed: 7, start: '20250106 21:05' });
  const dir = tempDir('tickrec-monitor-browser-');
  shotDir = process.env.TICKREC_MONITOR_SHOTS ?? tempDir('tickrec-monitor-shots-');
  fs.mkdirSync(shotDir, { recursive: true });
  const port = await freePort();
  const config = {
    root: path.join(dir, 'data'),
    feeds: [
      { type: 'websocket', name: FEED, url: sim.url, format: 'tickrec', subscribe: ['*'], reconnect_min_ms: 100, reconnect_max_ms: 500 },
    ],
    metrics: { host: '127.0.0.1', port },
    // small files: 2,000 instruments must not write gigabytes of zeros in CI
    storage: { roll_by_clock: false, initial_capacity_ticks: 64, sync_interval_ms: 0 },
    bars: { enabled: false },
    log: { level: 'warn' },
    status_line: false,
    sessions: coveredSessionsFile(), // no calendar banner on today's clock (the calendar has its own test)
  };
  const cfgFile = path.join(dir, 'recorder.json');
  fs.writeFileSync(cfgFile, JSON.stringify(config, null, 2));
  child = spawn(process.execPath, [CLI, 'record', '--config', cfgFile], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
}, 120_000);

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
    const ticksCell = row.locator('td').nth(5);
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
    await p.screenshot({ path: path.join(shotDir, 'monitor-live.png') });
    if (process.env.TICKREC_MONITOR_SHOTS) console.log(`monitor screenshots in ${shotDir}`);
    expect(errors).toEqual([]);
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
    await p.screenshot({ path: path.join(shotDir, 'monitor-feed-down.png') });
    expect(await p.textContent('#conn')).toBe('live'); // the page still talks to the recorder
    expect(errors).toEqual([]);
  });
});

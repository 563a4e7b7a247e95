// The monitor page's exchange filter in chromium lists every legal exchange name, including those that are Object.prototype members ('constructor', 'hasOwnProperty', 'toString').
//
// Requires /usr/bin/chromium (.ci/run installs it); fails, never skips, when it is missing.

import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetricsServer, type MetricsServer } from '../../src/recorder/metrics.js';
import { removeTempDirs, shfeTick, startRecorder, waitFor, type TestRecorder } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser | undefined;
let server: MetricsServer | undefined;
let r: TestRecorder | undefined;

afterEach(async () => {
  await browser?.close().catch(() => undefined);
  await server?.close();
  await r?.stop();
  removeTempDirs();
});

describe('monitor exchange filter', () => {
  it("offers exchanges named like Object.prototype members ('constructor', 'hasOwnProperty', 'toString')", async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does it in CI).`);
    r = startRecorder();
    const names = ['constructor', 'hasOwnProperty', 'toString', 'valueOf', 'SHFE'];
    for (const ex of names) r.feed.tick({ ...shfeTick('rb2505', 0), exchg: ex });
    await waitFor('five instruments recorded', () => r!.rec.stats().ticksWritten === names.length);
    server = await startMetricsServer(r.rec, '127.0.0.1', 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.textContent('#conn'), { timeout: 15_000 }).toBe('live');
    await expect
      .poll(async () => (await page.locator('#f-ex option').allTextContents()).sort(), {
        timeout: 15_000,
      })
      .toEqual(['all', ...names].sort());
    await page.selectOption('#f-ex', 'constructor');
    await expect.poll(async () => page.locator('#rows tr td:nth-child(1)').allTextContents()).toEqual(['constructor']);
  }, 60_000);
});

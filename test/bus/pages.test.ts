// The bus lags on pages in a real browser (Debian's chromium via playwright-core) against real processes and a real nats-server: the mirror's own page (`tickrec mirror --metrics-port`) shows per consumer the messages pending on the server, the last record's age and the totals written/refused, and they change when a write fails and recovers; the recorder's monitor page shows the publisher's cursor lag (records and seconds behind), growing while `tickrec publish` is stopped and falling when it runs again.
/// <reference lib="dom" />

import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { TICK_KIND } from '../../src/format/index.js';
import {
  freePort,
  killAll,
  makeTempDir,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  spawnCli,
  startRecorder,
  waitFor,
  writeConfig,
} from '../e2e/helpers.js';
import { endpointOf, natsForSuite, openPool, spawnMirror, tickAt } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const describeNats = natsServerAvailable() ? describe : describe.skip;

interface MirrorPage {
  consumer: Record<string, string>;
  totals: Record<string, string>;
}

/** What the mirror's page shows, read from the DOM of a fresh load. */
async function readMirrorPage(page: Page, url: string): Promise<MirrorPage> {
  await page.goto(`${url}/`);
  return page.evaluate(() => {
    const consumer: Record<string, string> = {};
    for (const td of Array.from(document.querySelectorAll('table.consumers td[data-k]')))
      consumer[td.getAttribute('data-k')!] = td.textContent ?? '';
    const totals: Record<string, string> = {};
    for (const tr of Array.from(document.querySelectorAll('table.totals tr[data-k]')))
      totals[tr.getAttribute('data-k')!] = tr.querySelector('td')?.textContent ?? '';
    return { consumer, totals };
  });
}

const seconds = (text: string | undefined) => Number(/^([\d.]+) s$/.exec(text ?? '')?.[1] ?? NaN);

describeNats('bus lags on pages (chromium)', () => {
  const nats = natsForSuite();
  let browser: Browser;
  beforeAll(async () => {
    requireBuilt();
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: the page tests need Debian's chromium (apt-get install chromium).`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  }, 60_000);
  afterEach(async () => {
    await killAll();
  });
  afterAll(async () => {
    await browser?.close();
    removeTempDirs(); // the e2e helpers' temp dirs (natsForSuite removes its own)
  });

  it("the mirror's page: pending on the server, last record age, written and refused, changing with a failed write and its recovery", async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const D = 20250102;
    const pool = openPool(src);
    const page = await browser.newPage();
    try {
      for (let i = 0; i < 100; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D, tickAt('SHFE', 'rb2505', D, i));
      const pub = spawnCli([
        'publish',
        '--root',
        src,
        '--servers',
        nats().urls.join(','),
        '--stream',
        'PG',
        '--prefix',
        'pg',
        '--metrics-port',
        '0',
      ]);
      const mir = spawnMirror(nats().urls, dst, 'PG', 'pg');
      const url = await endpointOf(mir);
      const diag = () => `\npublisher ${pub.tail(10)}\nmirror ${mir.tail(10)}`;
      let seen: MirrorPage | undefined;
      const until = async (what: string, ok: (p: MirrorPage) => boolean) =>
        waitFor(
          async () => {
            seen = await readMirrorPage(page, url);
            return ok(seen) ? seen : false;
          },
          what,
          { timeoutMs: 40_000, intervalMs: 250, describe: () => JSON.stringify(seen) + diag() },
        );

      // Caught up: 100 written, nothing pending on the server, the last record's age counting up.
      const first = await until('100 records written, none pending', (p) => p.totals['written'] === '100' && p.consumer['pending'] === '0');
      expect(first.consumer['name']).toMatch(/^tickrec-mirror-/);
      expect(first.consumer['filter']).toBe('pg.>');
      const age0 = seconds(first.consumer['age']);
      expect(age0).toBeGreaterThanOrEqual(0);
      await until('the last record age growing', (p) => seconds(p.consumer['age']) > age0 + 1);

      // A write fails (a directory where the mirror's file of DCE.i2505 goes): the mirror stops at its position,
      // the publisher goes on; the page shows the messages piling up on the server and the write errors.
      fs.mkdirSync(path.join(dst, 'rt', 'ticks', 'DCE', 'i2505.dmb'), { recursive: true });
      for (let i = 0; i < 40; i++) pool.append(TICK_KIND, 'DCE', 'i2505', D, tickAt('DCE', 'i2505', D, i));
      const stuck = await until(
        'the 40 records pending on the server, write errors counted',
        (p) => Number(p.consumer['pending']) >= 40 && Number(p.totals['writeErrors']) > 0,
      );
      expect(stuck.totals['written']).toBe('100');
      expect(Number(stuck.totals['refused write'])).toBeGreaterThan(0); // each failed attempt, logged by reason

      // The way cleared: the mirror catches up; nothing pending, 140 written, the age back near 0.
      fs.rmSync(path.join(dst, 'rt', 'ticks', 'DCE', 'i2505.dmb'), { recursive: true });
      const back = await until('caught up again', (p) => p.totals['written'] === '140' && p.consumer['pending'] === '0');
      expect(seconds(back.consumer['age'])).toBeLessThan(seconds(stuck.consumer['age']) + 5);
      expect(Object.keys(back.totals).filter((k) => k.startsWith('refused'))).toEqual(['refused write']); // no record refused for good
    } finally {
      await page.close();
      pool.closeAll();
    }
  }, 120_000);

  it("the recorder's monitor page: the publisher's cursor lag in records and seconds, growing while it is stopped, falling when it runs", async () => {
    const dir = makeTempDir();
    const src = path.join(dir, 'src');
    const simPort = await freePort();
    const cfg = writeConfig(dir, {
      ...recorderConfig({
        root: src,
        feeds: [{ url: `ws://127.0.0.1:${simPort}` }],
        simulator: { port: simPort, instruments: 4, rate: 200, seed: 7, start: '20250106 09:30' },
      }),
      publish: { nats: { servers: nats().urls, stream: 'RP', prefix: 'rp', cursor_flush_ms: 100, metrics: { port: 0 } } },
    });
    const rec = startRecorder(cfg);
    const base = await rec.ready();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      let pub = spawnCli(['publish', '-c', cfg], { label: 'publish' });
      await page.goto(`${base}/`);
      type Bus = { lag: number; behind: string; text: string };
      let seen: Bus | undefined;
      const busCard = () =>
        page.evaluate(() => {
          const card = document.getElementById('card-bus');
          const text = card && !card.hidden ? (document.getElementById('bus')?.innerText ?? '') : '';
          const lag = /RP lag\s+([\d,]+) records/.exec(text);
          const behind = /RP behind\s+(\S+(?: \S+)?)/.exec(text);
          return { lag: lag ? Number(lag[1]!.replace(/,/g, '')) : -1, behind: behind ? behind[1]! : '', text };
        });
      const until = async (what: string, ok: (b: Bus) => boolean) =>
        waitFor(
          async () => {
            seen = await busCard();
            return ok(seen) ? seen : false;
          },
          what,
          { timeoutMs: 60_000, intervalMs: 250, describe: () => `${JSON.stringify(seen)}\npublisher ${pub.tail(10)}` },
        );
      await until('the bus card with the publisher caught up', (b) => b.lag >= 0 && b.lag < 50);
      // Stopped: the recorder goes on, the lag grows in records and in seconds.
      pub.signal('SIGTERM');
      expect((await pub.waitExit()).code).toBe(0);
      const stopped = await until(
        'the lag growing while the publisher is stopped',
        (b) => b.lag > 300 && /\d/.test(b.behind) && b.behind !== '0.0 ms',
      );
      await until('the lag still growing', (b) => b.lag > stopped.lag + 200);
      // Running again: it catches up.
      pub = spawnCli(['publish', '-c', cfg], { label: 'publish' });
      await until('caught up again', (b) => b.lag >= 0 && b.lag < 50);
    } finally {
      await page.close();
    }
  }, 180_000);
});

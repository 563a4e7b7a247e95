// The holiday calendar that ends: a recorder whose clock is set past the book's end (--clock-start) warns at start, /health and the monitor page say degraded; after the book is extended, SIGHUP reloads it and the recorder is healthy again. `tickrec calendar --check` says the same.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  REPO_ROOT,
  freePort,
  getHealth,
  killAll,
  makeTempDir,
  recorderConfig,
  removeTempDirs,
  requireBuilt,
  runCli,
  startRecorder,
  waitFor,
  writeConfig,
} from './helpers.js';

let quiet: WebSocketServer | undefined;
beforeAll(() => requireBuilt());
afterEach(async () => {
  await killAll();
  for (const c of quiet?.clients ?? []) c.terminate();
  await new Promise<void>((r) => (quiet ? quiet.close(() => r()) : r()));
  quiet = undefined;
});
afterAll(() => removeTempDirs());

const BUNDLED = path.join(REPO_ROOT, 'config/sessions.json');
const bundled = JSON.parse(fs.readFileSync(BUNDLED, 'utf8')) as { calendar: { covers_through: number } };
const END = bundled.calendar.covers_through;

/** A date n days after YYYYMMDD d. */
function plusDays(d: number, n: number): number {
  const t = new Date(Date.UTC(Math.floor(d / 10000), (Math.floor(d / 100) % 100) - 1, d % 100) + n * 86_400_000);
  return t.getUTCFullYear() * 10000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate();
}

async function heartbeats(port: number): Promise<WebSocketServer> {
  const s = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((r) => s.once('listening', () => r()));
  s.on('connection', (ws) => {
    const t = setInterval(() => ws.send('{"type":"heartbeat"}'), 100);
    ws.on('close', () => clearInterval(t));
    ws.on('error', () => undefined);
  });
  return s;
}

describe('calendar coverage', () => {
  it('tickrec calendar --check: exit 1 as of a day whose + 30 days passes the end of the book, 0 a month earlier', async () => {
    const late = await runCli(['calendar', '--check', '--today', String(plusDays(END, -10))]);
    expect(late.code).toBe(1);
    expect(late.stdout).toContain('DEGRADED');
    expect(late.stdout).toContain(`holiday calendar ends ${END}`);
    expect(late.stdout).toMatch(/CFFEX Notice on Trading Schedule during National Holidays for Year 2026/);
    const early = await runCli(['calendar', '--check', '--today', String(plusDays(END, -40))]);
    expect(early.code).toBe(0);
    expect(early.stdout).toMatch(/status +ok/);
    const json = await runCli(['calendar', '--json', '--today', String(plusDays(END, -40))]);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'ok', coversThrough: END, inferred: false });
  });

  it('a recorder clock past the end of the book: a warning at start, /health and the monitor degraded; SIGHUP after extending the book: ok', async () => {
    const dir = makeTempDir();
    const sessions = path.join(dir, 'sessions.json');
    fs.copyFileSync(BUNDLED, sessions);
    const port = await freePort();
    quiet = await heartbeats(port);
    const cfg = writeConfig(
      dir,
      recorderConfig({ root: path.join(dir, 'data'), feeds: [{ name: 'hb', url: `ws://127.0.0.1:${port}/` }], sessions }),
    );
    const clock = plusDays(END, 15); // past the end of the book
    const rec = startRecorder(cfg, ['--clock-start', `${clock} 10:00`]);
    const warn = await rec.waitForLog((l) => l.level === 40 && String(l.msg).startsWith('start: holiday calendar ends'));
    expect(String(warn.msg)).toContain(`ends ${END}, before ${plusDays(clock, 30)} (today + 30 days)`);
    const base = await rec.ready();
    const h = await waitFor(async () => {
      const x = await getHealth(base);
      return x.stats.feeds.every((f) => f.state === 'up') ? x : undefined;
    }, 'the feed up');
    expect(h.status).toBe('degraded');
    expect(h.problems).toEqual([expect.stringContaining(`holiday calendar ends ${END}`)]);
    expect(h.stats.calendar).toMatchObject({ status: 'short', coversThrough: END, today: clock });
    expect((await fetch(`${base}/health`)).status).toBe(503);
    const snap = (await (await fetch(`${base}/api/snapshot`)).json()) as { alerts: { kind: string; text: string }[] };
    expect(snap.alerts).toContainEqual(
      expect.objectContaining({ kind: 'calendar', text: expect.stringMatching(/^Degraded: holiday calendar ends/) }),
    );
    const st = await runCli(['status', '--url', base]);
    expect(st.code).toBe(1);

    // The new year's closures arrive: the book is extended, SIGHUP reloads it.
    const next = JSON.parse(fs.readFileSync(sessions, 'utf8')) as { calendar: { covers_through: number; sources: unknown[] } };
    next.calendar.covers_through = plusDays(clock, 60);
    next.calendar.sources.push({ title: 'test: the next year as if its notices were out' });
    fs.writeFileSync(sessions, JSON.stringify(next, null, 2));
    rec.signal('SIGHUP');
    await rec.waitForLog((l) => String(l.msg).startsWith('reload: holiday calendar covers through'));
    const after = await getHealth(base);
    expect(after.status).toBe('ok');
    expect(after.stats.calendar.status).toBe('ok');
    const snap2 = (await (await fetch(`${base}/api/snapshot`)).json()) as { alerts: { kind: string }[] };
    expect(snap2.alerts.filter((a) => a.kind === 'calendar')).toEqual([]);
    expect((await rec.stop()).code).toBe(0);
  }, 60_000);
});

// Outside text cannot drive the terminal: printable() and `tickrec status` against a recorder whose feed reported a hostile close reason.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { printable } from '../../src/printable.js';
import { joinLines } from '../../src/cli/terminal.js';
import { startMetricsServer, type MetricsServer } from '../../src/recorder/metrics.js';
import { removeTempDirs, startRecorder, type TestRecorder } from '../monitor/helpers.js';
import { CLI, requireBuilt } from '../e2e/helpers.js';

const run = promisify(execFile);
/** ESC ]0; title BEL, ESC [2J (clear), CR/LF and a forged line, C1 CSI, a bidi override. */
const HOSTILE = 'bye\x1b]0;pwned\x07\x1b[2J\r\nproblem    none: all good\x9b31m\u202egnp.exe';

const servers: MetricsServer[] = [];
const recorders: TestRecorder[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const r of recorders.splice(0)) await r.stop();
  removeTempDirs();
});

/** Every control character a terminal obeys (TAB aside), C1 and the bidi controls. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('printable', () => {
  it('replaces every control character by a visible escape and leaves other text alone', () => {
    const p = printable(HOSTILE);
    expect(p).not.toMatch(CONTROL);
    expect(p).not.toContain('\n');
    expect(p).toBe('bye\\u001b]0;pwned\\u0007\\u001b[2J\\r\\nproblem    none: all good\\u009b31m\\u202egnp.exe');
    for (const ok of ['SHFE.rb2505 3,500.5 ¥ 日本 ✓', 'tab\there', '']) expect(printable(ok)).toBe(ok);
    for (let c = 0; c < 0x2070; c++) {
      const ch = String.fromCharCode(c);
      if (CONTROL.test(ch)) expect(printable(ch), `U+${c.toString(16)}`).toMatch(/^\\/);
    }
  });

  it('keeps JSON valid: a JSON text stays the same value after printable', () => {
    const json = JSON.stringify({ lastError: HOSTILE });
    expect(JSON.parse(printable(json))).toEqual({ lastError: HOSTILE });
  });

  it('joinLines: one output line per line given, whatever the lines hold', () => {
    expect(joinLines(['a', HOSTILE, 'c']).split('\n')).toHaveLength(4);
  });
});

describe('tickrec status with a hostile feed text', () => {
  it('prints the close reason neutralised: no escape reaches the terminal, no line is forged', async () => {
    requireBuilt();
    const r = startRecorder();
    recorders.push(r);
    r.feed.state = 'down';
    r.feed.lastError = HOSTILE;
    const server = await startMetricsServer(r.rec, '127.0.0.1', 0);
    servers.push(server);
    for (const args of [
      ['status', '--url', server.url],
      ['status', '--json', '--url', server.url],
    ]) {
      const out = await run(process.execPath, [CLI, ...args]).then(
        () => {
          throw new Error('status must exit 1 with a feed down');
        },
        (err: { code: number; stdout: string }) => {
          expect(err.code).toBe(1);
          return err.stdout;
        },
      );
      expect(out).not.toMatch(CONTROL);
      expect(out.split('\n').filter((l) => l.startsWith('problem'))).toHaveLength(args.includes('--json') ? 0 : 1);
      expect(out).toContain('\\u001b]0;pwned');
      if (args.includes('--json'))
        expect((JSON.parse(out) as { stats: { feeds: { lastError: string }[] } }).stats.feeds[0]!.lastError).toBe(HOSTILE);
    }
  });
});

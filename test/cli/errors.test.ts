// Every command with bad inputs: the exit code (2 usage or input, 1 problems found), one message naming the thing and what to do, and never a stack trace.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TICK_KIND } from '../../src/format/index.js';
import { runCompaction } from '../../src/compact/index.js';
import { INSTRUMENTS, dayTicks, makeRoot, writeLive } from '../compact/helpers/root.js';
import { patchHeader } from '../helpers/tmp.js';
import { CLI, freePort, makeTempDir, removeTempDirs, requireBuilt, runCli, waitFor } from '../e2e/helpers.js';

let dir: string;
let root: string;
let live: string;
let notBlock: string;
let damaged: string;
let hisFile: string;
let server: http.Server;
let jsonUrl: string;
let closedPort = 0;

beforeAll(async () => {
  requireBuilt();
  dir = makeTempDir('tickrec-cli-errors-');
  root = path.join(dir, 'data');
  fs.mkdirSync(root);
  // Two finished days: the first compacted (his/), the second still in rt/ (verify: "never compacted").
  makeRoot(root, { dates: [20250106], instruments: INSTRUMENTS.slice(0, 2) });
  runCompaction({ root });
  makeRoot(root, { dates: [20250107], instruments: INSTRUMENTS.slice(0, 2) });
  live = writeLive(root, TICK_KIND, 'SHFE', 'rb2505', 20250108, dayTicks(INSTRUMENTS[0]!, 20250108, 5000, 3));
  notBlock = path.join(dir, 'notes.txt');
  fs.writeFileSync(notBlock, 'these are not ticks\n'.repeat(40));
  damaged = path.join(dir, 'damaged.dmb');
  fs.copyFileSync(live, damaged);
  patchHeader(damaged, { size: 1_000_000 }); // more published than it holds
  const his = fs.readFileSync(path.join(root, 'his', 'ticks', 'SHFE', '20250106', 'rb2505.tsb'));
  hisFile = path.join(dir, 'rb2505.tsb');
  fs.writeFileSync(hisFile, his.subarray(0, his.length - 100)); // a historical file cut short
  // An HTTP server that is not a recorder: JSON of another shape on /health.
  server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  jsonUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closedPort = await freePort();
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  removeTempDirs();
});

interface Case {
  args: () => string[];
  code: 1 | 2;
  /** The message (stderr, or stdout for problems found) names the thing… */
  names: RegExp;
  /** …and says what to do. */
  todo: RegExp;
}

const nosuch = () => path.join(dir, 'nosuch.dmb');
const out = () => path.join(dir, 'out.csv');
const exportArgs = (...more: string[]) => ['export', '--root', root, '--kind', 'tick', '--format', 'csv', '--out', out(), ...more];

const CASES: Record<string, Case> = {
  // usage
  'unknown command': { args: () => ['foo'], code: 2, names: /unknown command 'foo'/, todo: /--help/ },
  'unknown option': { args: () => ['cat', '--bogus', 'x'], code: 2, names: /unknown option '--bogus'/, todo: /--help/ },
  'inspect without a file': { args: () => ['inspect'], code: 2, names: /missing required argument 'file'/, todo: /--help/ },
  'bars without --rebuild': { args: () => ['bars'], code: 2, names: /--rebuild/, todo: /--help/ },
  'cat --format xml': { args: () => ['cat', live, '--format', 'xml'], code: 2, names: /--format xml/, todo: /use table, csv or jsonl/ },
  'cat --limit -1': { args: () => ['cat', live, '--limit', '-1'], code: 2, names: /--limit -1/, todo: /whole number/ },
  'tail --mode x': { args: () => ['tail', live, '--mode', 'x'], code: 2, names: /--mode x/, todo: /spin or timer/ },
  'compact --codec gzip': {
    args: () => ['compact', '--root', root, '--codec', 'gzip'],
    code: 2,
    names: /--codec gzip/,
    todo: /lz4 or zstd/,
  },
  'export without --kind': { args: () => ['export', '--root', root], code: 2, names: /--kind/, todo: /say what to export/ },
  'compact without a root': { args: () => ['compact'], code: 2, names: /data root/, todo: /--root <dir>/ },
  // a missing file
  'cat: missing file': { args: () => ['cat', nosuch()], code: 2, names: /nosuch\.dmb/, todo: /check that the path exists/ },
  'inspect: missing file': { args: () => ['inspect', nosuch()], code: 2, names: /nosuch\.dmb/, todo: /check that the path exists/ },
  'repair: missing file': { args: () => ['repair', nosuch()], code: 2, names: /nosuch\.dmb/, todo: /check that the path exists/ },
  'bars: missing file': { args: () => ['bars', '--rebuild', nosuch()], code: 2, names: /nosuch\.dmb/, todo: /not a trading day/ },
  // a folder
  'cat: a folder': { args: () => ['cat', root], code: 2, names: /data: .*folder/, todo: /give a file inside it/ },
  'tail: a folder': { args: () => ['tail', root], code: 2, names: /data: a folder/, todo: /give a block file inside it/ },
  'repair: a folder': { args: () => ['repair', root], code: 2, names: /data: .*folder/, todo: /give a file inside it/ },
  'inspect: a folder': { args: () => ['inspect', root], code: 2, names: /data: a folder/, todo: /give a block file inside it/ },
  // the wrong kind of file
  'cat: not a block file': {
    args: () => ['cat', notBlock],
    code: 2,
    names: /notes\.txt.*E?not a tickrec\/datakit block file/,
    todo: /Check the path/,
  },
  'cat: a historical file cut short': { args: () => ['cat', hisFile], code: 2, names: /rb2505\.tsb/, todo: /Restore it/ },
  'repair: not a block file': { args: () => ['repair', notBlock], code: 2, names: /notes\.txt/, todo: /Check the path/ },
  // impossible dates
  'cat FILE --from 20250230': {
    args: () => ['cat', live, '--from', '20250230'],
    code: 2,
    names: /--from '20250230'/,
    todo: /a day that exists/,
  },
  'cat FILE --to 24:00': { args: () => ['cat', live, '--to', '24:00'], code: 2, names: /--to '24:00'/, todo: /use YYYYMMDD/ },
  'cat --root --from 20250230': {
    args: () => ['cat', '--root', root, '--exchange', 'SHFE', '--code', 'rb2505', '--from', '20250230'],
    code: 2,
    names: /--from '20250230': no such calendar date/,
    todo: /use 'YYYYMMDD'/,
  },
  'compact --date 20250230': {
    args: () => ['compact', '--root', root, '--date', '20250230', '--dry-run'],
    code: 2,
    names: /--date 20250230: no such calendar date/,
    todo: /a trading date that exists/,
  },
  'verify --date 20250230': {
    args: () => ['verify', '--root', root, '--date', '20250230'],
    code: 2,
    names: /--date 20250230: no such calendar date/,
    todo: /a trading date that exists/,
  },
  'export --from 20250230': {
    args: () => exportArgs('--from', '20250230'),
    code: 2,
    names: /--from '20250230': no such calendar date/,
    todo: /use/,
  },
  'bars --rebuild 20250230': {
    args: () => ['bars', '--rebuild', '20250230', '--root', root],
    code: 2,
    names: /--rebuild 20250230: no such calendar date/,
    todo: /a trading date that exists/,
  },
  'simulate --start 20250230': {
    args: () => ['simulate', '--start', '20250230 09:00', '--port', '0'],
    code: 2,
    names: /--start 20250230 09:00/,
    todo: /use "YYYYMMDD HH:MM/,
  },
  'record --clock-start 20250230': {
    args: () => ['record', '--clock-start', '20250230 09:00', '--root', path.join(dir, 'never')],
    code: 2,
    names: /--clock-start '20250230 09:00'/,
    todo: /use "YYYYMMDD HH:MM/,
  },
  // reversed ranges
  'cat FILE reversed': {
    args: () => ['cat', live, '--from', '20250108 10:00', '--to', '20250108 09:00'],
    code: 2,
    names: /--from is after --to/,
    todo: /give --from <= --to/,
  },
  'cat --root reversed': {
    args: () => ['cat', '--root', root, '--exchange', 'SHFE', '--code', 'rb2505', '--from', '20250108', '--to', '20250106'],
    code: 2,
    names: /from 20250108 is after --to 20250106/,
    todo: /give --from <= --to/,
  },
  'export reversed': {
    args: () => exportArgs('--from', '20250108', '--to', '20250106'),
    code: 2,
    names: /is after/,
    todo: /give --from <= --to/,
  },
  // unknown exchange or code
  'export --exchange NOPE': {
    args: () => exportArgs('--exchange', 'NOPE'),
    code: 2,
    names: /--exchange NOPE/,
    todo: /exchanges with tick files: SHFE/,
  },
  'export --code zz9999': {
    args: () => exportArgs('--exchange', 'SHFE', '--code', 'zz9999'),
    code: 2,
    names: /SHFE\.zz9999/,
    todo: /codes of SHFE: au2506, rb2505/,
  },
  'cat --root --exchange NOPE': {
    args: () => ['cat', '--root', root, '--exchange', 'NOPE', '--code', 'rb2505'],
    code: 2,
    names: /--exchange NOPE/,
    todo: /exchanges with tick files/,
  },
  // the wrong root
  'verify --root nosuch': {
    args: () => ['verify', '--root', path.join(dir, 'nosuch')],
    code: 2,
    names: /nosuch: no such folder/,
    todo: /give the data root/,
  },
  'verify --root /etc': {
    args: () => ['verify', '--root', '/etc'],
    code: 2,
    names: /\/etc: not a tickrec data root/,
    todo: /give the folder the recorder records into/,
  },
  'compact --root /etc': {
    args: () => ['compact', '--root', '/etc', '--dry-run'],
    code: 2,
    names: /\/etc: not a tickrec data root/,
    todo: /give the folder/,
  },
  'export --root a file': {
    args: () => ['export', '--root', notBlock, '--kind', 'tick', '--format', 'csv', '--out', out()],
    code: 2,
    names: /notes\.txt: a file, not a folder/,
    todo: /give the data root folder/,
  },
  'cat --root /etc': {
    args: () => ['cat', '--root', '/etc', '--exchange', 'SHFE', '--code', 'rb2505'],
    code: 2,
    names: /\/etc: not a tickrec data root/,
    todo: /give the folder/,
  },
  'bars --rebuild DAY --root /etc': {
    args: () => ['bars', '--rebuild', '2025-01-06', '--root', '/etc'],
    code: 2,
    names: /\/etc: not a tickrec data root/,
    todo: /give the folder/,
  },
  // bad URLs
  'status --url without a scheme': {
    args: () => ['status', '--url', 'localhost:9464'],
    code: 2,
    names: /--url localhost:9464: not an http:\/\/ address/,
    todo: /e\.g\. http:\/\/localhost:9464/,
  },
  'status --url ftp': {
    args: () => ['status', '--url', 'ftp://127.0.0.1:9464'],
    code: 2,
    names: /not an http:\/\/ address/,
    todo: /http:\/\/127\.0\.0\.1:9464/,
  },
  'status --url nobody listening': {
    args: () => ['status', '--url', `http://127.0.0.1:${closedPort}/metrics`],
    code: 2,
    names: /127\.0\.0\.1:\d+\/health: no answer \(ECONNREFUSED\)/,
    todo: /is the recorder running/,
  },
  'status --url another server': {
    args: () => ['status', '--url', `${jsonUrl}/metrics`],
    code: 2,
    names: /health: answered, but not with a tickrec recorder's health JSON/,
    todo: /metrics address/,
  },
  // problems found: exit 1
  'inspect: a damaged file': { args: () => ['inspect', damaged], code: 1, names: /damaged\.dmb/, todo: /problems\s+1|E_CORRUPT|repair/ },
  'inspect: not a block file': { args: () => ['inspect', notBlock], code: 1, names: /E_NOT_BLOCK_FILE/, todo: /Check the path/ },
  'verify: a finished day never compacted': {
    args: () => ['verify', '--root', root],
    code: 1,
    names: /finished day 20250107 never compacted/,
    todo: /run tickrec compact/,
  },
};

describe('every command with bad inputs', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: exit ${c.code}`, async () => {
      const r = await runCli(c.args(), { cwd: dir, timeoutMs: 110_000 }); // a loaded host is slow; never a pass criterion
      const text = c.code === 1 ? r.stdout + r.stderr : r.stderr;
      expect(r.code, `${name}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(c.code);
      expect(text).toMatch(c.names);
      expect(text).toMatch(c.todo);
      // no stack trace, no internal error reaches the user
      expect(r.stderr + r.stdout).not.toMatch(/^\s+at .+[:(]\d+/m);
      expect(r.stderr).not.toMatch(/internal error|Please report/);
      if (c.code === 2) expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
    });
  }
});

describe('pipes and files that come later', () => {
  it('`tickrec cat FILE | head -1` ends quietly with exit 0 (EPIPE), as does tail', () => {
    for (const cmd of ['cat', 'tail -n 5000']) {
      const r = spawnSync('bash', ['-c', `set -o pipefail; node ${CLI} ${cmd} ${live} | head -1; echo "rc=\${PIPESTATUS[0]}" >&2`], {
        encoding: 'utf8',
        timeout: 110_000,
      });
      expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr.trim(), cmd).toBe('rc=0');
    }
  });

  it('tail on a file that does not exist yet says it waits, then follows it when it appears', async () => {
    const root2 = makeTempDir('tickrec-cli-tail-');
    const file = path.join(root2, 'rt', 'ticks', 'SHFE', 'rb2505.dmb');
    const p = spawn(process.execPath, [CLI, 'tail', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await waitFor(() => stderr.includes('does not exist yet; waiting for it'), 'the waiting notice');
      expect(stderr).toContain(file);
      writeLive(root2, TICK_KIND, 'SHFE', 'rb2505', 20250108, dayTicks(INSTRUMENTS[0]!, 20250108, 3, 1));
      await waitFor(() => stdout.split('\n').filter(Boolean).length >= 4, 'the header and 3 records');
      expect(stderr).toContain('appeared; following it');
      expect(stdout).toMatch(/^\s*ts_utc\s+action_date/);
    } finally {
      p.kill('SIGINT');
    }
    const code = await new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});

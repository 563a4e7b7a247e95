// `tickrec simulate` as a process: the ready line, ticks to a client, clean exit 0 on SIGTERM/SIGINT, option errors that name the option.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SimClient } from './helpers/client.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The real CLI once main.ts registers the command; until then a minimal program with it.
const registered = readFileSync(new URL('../../src/cli/main.ts', import.meta.url), 'utf8').includes('registerSimulate');
const entry = registered ? 'src/cli/main.ts' : 'test/sim/helpers/run-cli.ts';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function simulate(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'simulate', ...args], { cwd: root });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const onData = () => {
      const line = stdout.split('\n').find((l) => l.startsWith('simulator listening on '));
      if (line) resolve(line);
    };
    child.stdout.on('data', onData);
    void exit.then((code) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  ready.catch(() => {}); // awaited only by the tests that expect it
  return { child, ready, exit, out: () => stdout, err: () => stderr };
}

describe('tickrec simulate', () => {
  it('prints the ready line, serves ticks, and exits 0 on SIGTERM', async () => {
    const p = simulate([
      '--port',
      '0',
      '--instruments',
      '8',
      '--rate',
      '3000',
      '--seed',
      '9',
      '--start',
      '20250106 10:00',
      '--count',
      '300',
    ]);
    const line = await p.ready;
    const m = /^simulator listening on (ws:\/\/127\.0\.0\.1:(\d+)) \(8 instruments, 3000 ticks\/s, seed 9\)$/.exec(line);
    expect(m, line).not.toBeNull();
    const c = await SimClient.connect(m![1]!);
    c.subscribe(['*']);
    await c.waitFor(() => c.ticks.length === 300 && c.heartbeats > 0, '300 ticks and a heartbeat');
    expect(c.ticks.length).toBe(300);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    await c.closed;
    expect(p.err()).toMatch(/SIGTERM: stopped after 300 ticks/);
    expect(p.out().trim().split('\n')).toEqual([line]);
  });

  it('exits 0 on SIGINT too', async () => {
    const p = simulate([
      '--port',
      '0',
      '--trades',
      '--fault-malformed',
      '5',
      '--fault-duplicate',
      '7',
      '--fault-regress',
      '11',
      '--fault-disconnect',
      '13',
    ]);
    await p.ready;
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(0);
  });

  it('rejects bad options with exit 2 and a message naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['--rate', '0'], /--rate 0/],
      [['--port', '70000'], /--port 70000/],
      [['--instruments', 'many'], /--instruments many/],
      [['--seed', '-1'], /--seed -1/],
      [['--speed', 'fast'], /--speed fast/],
      [['--count', '1.5'], /--count 1\.5/],
      [['--start', '2025-13-01 09:00'], /--start 2025-13-01 09:00/],
      [['--fault-regress', '0'], /--fault-regress 0/],
    ];
    const runs = cases.map(([args]) => simulate(['--port', '0', ...args]));
    const codes = await Promise.all(runs.map((p) => p.exit));
    cases.forEach(([args, message], i) => {
      expect(codes[i], args.join(' ')).toBe(2);
      expect(runs[i]!.err()).toMatch(message);
      expect(runs[i]!.err()).toMatch(/E_USAGE/);
      expect(runs[i]!.out()).toBe('');
    });
  });
});

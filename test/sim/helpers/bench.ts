// Measures the simulator's top rate on loopback: ticks/s one client receives (simulator in a child process), median of runs.
//
//   node --import tsx test/sim/helpers/bench.ts [--rate 2000000] [--seconds 5] [--runs 3] [--parse]
//
// --parse makes the client JSON.parse every frame (what a recorder does); without it the
// client only counts ticks in the raw text, so the number is the simulator's own limit.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const rate = arg('--rate', '2000000');
const seconds = Number(arg('--seconds', '5'));
const runs = Number(arg('--runs', '3'));
const parse = args.includes('--parse');
const cli = fileURLToPath(new URL('./run-cli.ts', import.meta.url));

async function once(): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'simulate', '--port', '0', '--rate', rate, '--start', '20250106 10:00', '--instruments', '20'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
  });
  const ws = new WebSocket(url);
  let ticks = 0;
  let bytes = 0;
  const needle = Buffer.from('"type":"tick"');
  ws.on('message', (data: Buffer) => {
    bytes += data.length;
    if (parse) {
      const m = JSON.parse(data.toString()) as unknown;
      if (Array.isArray(m)) ticks += m.length;
    } else {
      for (let i = data.indexOf(needle); i >= 0; i = data.indexOf(needle, i + 400)) ticks++;
    }
  });
  await new Promise<void>((r) => ws.once('open', () => r()));
  ws.send(JSON.stringify({ type: 'subscribe', instruments: ['*'] }));
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  const t0 = performance.now();
  const n0 = ticks;
  const b0 = bytes;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const dt = (performance.now() - t0) / 1000;
  const perSec = (ticks - n0) / dt;
  process.stdout.write(`  ${Math.round(perSec)} ticks/s, ${((bytes - b0) / dt / 1e6).toFixed(1)} MB/s\n`);
  ws.terminate();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return perSec;
}

const results: number[] = [];
process.stdout.write(`simulator max rate, ${parse ? 'client parses JSON' : 'client counts ticks'}, requested ${rate} ticks/s:\n`);
for (let i = 0; i < runs; i++) results.push(await once());
results.sort((a, b) => a - b);
process.stdout.write(`median ${Math.round(results[Math.floor(results.length / 2)]!)} ticks/s\n`);

// tickrec simulate: run the built-in market simulator, a websocket feed of seeded ticks in the tickrec JSON protocol.

import type { Command } from 'commander';
import { MAX_INSTRUMENTS, SIMULATOR_DEFAULTS, formatShanghai, parseStart, startSimulator, type SimulatorFaults } from '../sim/index.js';
import { action, usageError } from './run.js';
import { printErr, printOut } from './terminal.js';

export interface SimulateOptions {
  host: string;
  port: string;
  instruments: string;
  rate: string;
  seed: string;
  start?: string;
  speed: string;
  count?: string;
  batchMax: string;
  trades?: boolean;
  faultMalformed?: string;
  faultDuplicate?: string;
  faultRegress?: string;
  faultDisconnect?: string;
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  const v = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw usageError(`${option} ${text}: a whole number from ${min} to ${max}.`);
  return v;
}

function positive(option: string, text: string): number {
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v) || v <= 0) throw usageError(`${option} ${text}: a number > 0.`);
  return v;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run the built-in market simulator: seeded ticks over a websocket, in the tickrec JSON protocol')
    .option('--host <host>', 'address to listen on', SIMULATOR_DEFAULTS.host)
    .option('--port <port>', 'port to listen on (0 = any free port)', String(SIMULATOR_DEFAULTS.port))
    .option('--instruments <n>', 'number of instruments (China futures and crypto)', String(SIMULATOR_DEFAULTS.instruments))
    .option('--rate <n>', 'ticks per second, all instruments together', String(SIMULATOR_DEFAULTS.rate))
    .option('--seed <n>', 'seed: the same seed, start, rate and speed give the same ticks', String(SIMULATOR_DEFAULTS.seed))
    .option('--start <time>', 'simulated start, "YYYYMMDD HH:MM[:SS]" in Asia/Shanghai time (default: now)')
    .option('--speed <x>', 'simulated seconds per real second', String(SIMULATOR_DEFAULTS.speed))
    .option('--count <n>', 'stop after n ticks, then stay connected and idle (heartbeats)')
    .option('--batch-max <n>', 'most ticks in one frame', String(SIMULATOR_DEFAULTS.batchMax))
    .option('--trades', 'send a trade print after each tick')
    .option('--fault-malformed <n>', 'a malformed frame after every n-th frame of a client')
    .option('--fault-duplicate <n>', 'send every n-th frame of a client twice')
    .option('--fault-regress <n>', 'after every n-th tick, the same tick with total_volume gone backwards')
    .option('--fault-disconnect <n>', "drop a client's connection after its n-th frame")
    .action(
      action(async (opts: SimulateOptions) => {
        const port = wholeNumber('--port', opts.port, 0, 65535);
        const instruments = wholeNumber('--instruments', opts.instruments, 1, MAX_INSTRUMENTS);
        const rate = positive('--rate', opts.rate);
        const seed = wholeNumber('--seed', opts.seed, 0, 0xffffffff);
        const speed = positive('--speed', opts.speed);
        const batchMax = wholeNumber('--batch-max', opts.batchMax, 1, 1_000_000);
        const count = opts.count === undefined ? undefined : wholeNumber('--count', opts.count, 0, Number.MAX_SAFE_INTEGER);
        let start: number | undefined;
        if (opts.start !== undefined) {
          start = parseStart(opts.start);
          if (start === undefined)
            throw usageError(`--start ${opts.start}: use "YYYYMMDD HH:MM[:SS]" (Asia/Shanghai time), e.g. "20250106 20:59".`);
        }
        const faults: SimulatorFaults = {};
        const fault = (option: string, text: string | undefined): number | undefined =>
          text === undefined ? undefined : wholeNumber(option, text, 1, Number.MAX_SAFE_INTEGER);
        faults.malformedEvery = fault('--fault-malformed', opts.faultMalformed);
        faults.duplicateEvery = fault('--fault-duplicate', opts.faultDuplicate);
        faults.regressEvery = fault('--fault-regress', opts.faultRegress);
        faults.disconnectEvery = fault('--fault-disconnect', opts.faultDisconnect);

        let sim;
        try {
          sim = await startSimulator({
            host: opts.host,
            port,
            instruments,
            rate,
            seed,
            start,
            speed,
            count,
            batchMax,
            trades: opts.trades ?? false,
            faults,
          });
        } catch (err) {
          throw usageError((err as Error).message);
        }
        const stop = new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        printOut(`simulator listening on ${sim.url} (${sim.instruments.length} instruments, ${rate} ticks/s, seed ${seed})`);
        printErr(
          `tickrec simulate: the clock starts at the first subscribe, at ${start === undefined ? 'the real time then' : formatShanghai(start) + ' Asia/Shanghai'}, speed ${speed}`,
        );
        if (count !== undefined) {
          void sim.done.then(() => printErr(`tickrec simulate: ${count} ticks sent; idle (heartbeats) until stopped`));
        }
        const signal = await stop;
        const s = sim.stats();
        await sim.close();
        printErr(`tickrec simulate: ${signal}: stopped after ${s.sent} ticks, ${s.frames} frames to clients`);
      }),
    );
}

// tickrec demo: records one simulated full trading day (night session 21:00 to the close at 15:00) in about two minutes, lets the recorder compact it by itself, and says what to try on the result.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { TickrecError } from '../errors.js';
import { TICK_KIND } from '../format/index.js';
import { dateFolderName, hisExchangeDir } from '../layout/index.js';
import { readCompactionSummary } from '../monitor/compaction.js';
import { DAY_MS, SHANGHAI_OFFSET_MIN, dayToYmd, formatShanghai, isWeekday, localDay } from '../sim/index.js';
import { hasFinishedDays } from './eod-compaction.js';
import { NODE_FLAGS } from './node-flags.js';
import { EXIT_OK, EXIT_PROBLEMS, action, usageError } from './run.js';
import { printOut, redrawErr } from './terminal.js';

const MAIN_JS = fileURLToPath(new URL('./main.js', import.meta.url));

/**
 * Simulated span: from 20:55 the evening before (the night session opens 21:00) past the
 * close at 15:00 and the hour of roll grace the demo gives (ROLL_GRACE_MS), to 16:05.
 */
const SPAN_MS = (19 * 60 + 10) * 60_000;
/**
 * At several hundred times real time, a tick that is 50 ms late in real time is half a
 * simulated minute late: the demo gives the day roll an hour and the bars a minute (the
 * configuration's largest values) so that no tick of the day is refused as late.
 */
const ROLL_GRACE_MS = 3_600_000;
const BAR_GRACE_MS = 60_000;
/** The recorder is stopped if the day is not compacted this long after the span (real ms, at any speed). */
const FINISH_LIMIT_MS = 120_000;

/** The last full trading day before today (China time): a weekday whose evening before was a weekday too (a Monday's night session is Friday's). */
export function demoDay(nowMs: number): { date: number; startMs: number } {
  let day = localDay(nowMs, SHANGHAI_OFFSET_MIN) - 1;
  while (!isWeekday(day)) day--;
  let evening = day - 1;
  while (!isWeekday(evening)) evening--;
  const startMs = evening * DAY_MS + (20 * 60 + 55 - SHANGHAI_OFFSET_MIN) * 60_000;
  return { date: dayToYmd(day), startMs };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('record one simulated full trading day in about two minutes, compact it, and show what to try on it')
    .option('--root <dir>', 'data root to create (must not exist, or be empty)', 'tickrec-demo')
    .option('--seconds <s>', 'real seconds for the simulated day (18 h 10 min of market time)', '120')
    .option('--rate <n>', 'simulated ticks per real second, all 20 instruments together', '2000')
    .option('--port <n>', 'metrics port of the demo recorder (0: any free port)', '0')
    .action(
      action(async (o: { root: string; seconds: string; rate: string; port: string }) => {
        const seconds = Number(o.seconds);
        if (!(seconds >= 10 && seconds <= 3600)) throw usageError(`--seconds ${o.seconds}: a number of seconds from 10 to 3600.`);
        const rate = Number(o.rate);
        if (!(Number.isInteger(rate) && rate >= 1 && rate <= 50_000)) throw usageError(`--rate ${o.rate}: a whole number from 1 to 50000.`);
        const port = Number(o.port);
        if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw usageError(`--port ${o.port}: 0 to 65535.`);
        const root = path.resolve(o.root);
        if (fs.existsSync(root) && (!fs.statSync(root).isDirectory() || fs.readdirSync(root).length > 0)) {
          throw usageError(`--root ${root}: exists and is not an empty folder; give a new folder (the demo writes a whole data root).`);
        }
        fs.mkdirSync(root, { recursive: true });
        const { date, startMs } = demoDay(Date.now());
        const speed = Math.ceil(SPAN_MS / 1000 / seconds);
        const simPort = await freeLocalPort(); // free now; the simulator binds it in a moment
        const config = {
          root,
          simulator: {
            port: simPort,
            instruments: 20,
            rate,
            seed: 1,
            start: formatShanghai(startMs).slice(0, 16).replace(/-/g, ''),
            speed,
            trades: true,
          },
          feeds: [{ type: 'websocket', name: 'sim', url: `ws://127.0.0.1:${simPort}`, format: 'tickrec' }],
          metrics: { host: '127.0.0.1', port },
          log: { level: 'info', pretty: false },
          status_line: false,
          storage: { roll_grace_ms: ROLL_GRACE_MS },
          bars: { grace_ms: BAR_GRACE_MS },
          compaction: { enabled: true, check_interval_ms: 1000 },
        };
        const configFile = path.join(root, 'demo-recorder.json');
        fs.writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
        printOut(
          `tickrec demo: recording trading day ${date} (simulated ${formatShanghai(startMs)} to 16:05 China time, ${speed}x real time) into ${root}`,
        );
        const child = spawn(process.execPath, [...NODE_FLAGS, MAIN_JS, 'record', '-c', configFile], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        const logFile = path.join(root, 'demo-recorder.log');
        const log = fs.createWriteStream(logFile);
        let exited: number | null | undefined;
        child.stderr.pipe(log);
        child.on('exit', (code) => (exited = code));
        const t0 = Date.now();
        const tty = process.stderr.isTTY === true;
        let done = false;
        let summary = await readCompactionSummary(root);
        const endReal = t0 + SPAN_MS / speed + FINISH_LIMIT_MS;
        while (!done && exited === undefined && Date.now() < endReal) {
          await new Promise((r) => setTimeout(r, 1000));
          const simNow = startMs + (Date.now() - t0) * speed;
          summary = await readCompactionSummary(root);
          done =
            summary.state === 'ok' &&
            summary.ok === true &&
            fs.existsSync(path.join(hisExchangeDir(root, TICK_KIND, 'SHFE'), dateFolderName(date))) &&
            !hasFinishedDays(root);
          const msg = `simulated ${formatShanghai(Math.min(simNow, startMs + SPAN_MS))} China time${simNow > startMs + SPAN_MS ? ', day over: compacting' : ''}`;
          if (tty) redrawErr(msg);
        }
        if (tty) process.stderr.write('\r\x1b[K');
        if (exited === undefined) {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
        }
        log.end();
        if (!done) {
          throw new TickrecError(
            'E_IO',
            `the demo recorder ${exited !== undefined ? `exited with ${exited}` : 'did not compact the day in time'}; its log is ${logFile}.`,
          );
        }
        printOut(
          `recorded and compacted trading day ${date} in ${((Date.now() - t0) / 1000).toFixed(0)} s: ` +
            `${summary.files ?? '?'} real-time files into his/ (${((summary.bytesIn ?? 0) / 1e6).toFixed(1)} MB of records, ratio ${summary.ratio?.toFixed(2) ?? '-'})`,
          `the recorder's log: ${logFile}`,
          'try:',
          `  tickrec verify --root ${root} --deep`,
          `  tickrec cat --root ${root} --exchange SHFE --code rb2505 --from "${date} 09:00" --to "${date} 09:01"`,
          `  tickrec cat --root ${root} --exchange SHFE --code rb2505 --kind min5 --from ${date} --to ${date}`,
          `  tickrec export --root ${root} --kind min1 --format parquet --out ${path.join(root, `min1-${date}.parquet`)}`,
        );
        return summary.ok ? EXIT_OK : EXIT_PROBLEMS;
      }),
    );
}

async function freeLocalPort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

// Corrupt files: a historical day block and a bar history with flipped bytes, and live real-time files with a damaged header (size beyond capacity, no block flag, truncated). `tickrec verify`, the readers and the CLI must name each file and its damage; the recorder must refuse to append to them, say how to repair, and go on with every other file; `tickrec repair` (or moving the file aside, or restoring a backup) must bring recording and verification back.
//
// Data: six crypto instruments recorded across a UTC midnight (day 1 → day 2) with the
// simulator at 20x speed; a recorder whose clock says the next morning sets day 1 aside;
// tickrec compact writes day 1 to his/. Then:
//   H1 his/ticks/BINANCE/<day1>/X0000USDT.tsb  one payload byte flipped
//   H2 his/min1/BINANCE/X0001USDT.tsb          one byte of the container header flipped
//   H3 his/day/BINANCE/X0001USDT.tsb           likewise (compaction must refuse to append to it)
//   R1 rt/ticks/BINANCE/X0002USDT.dmb          header size = capacity + 5
//   R2 rt/ticks/BINANCE/X0003USDT.dmb          the block flag overwritten
//   R3 rt/ticks/BINANCE/X0004USDT.dmb          cut to 3 records while the header says more
//   X0005USDT is left alone (the control).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TickrecError } from '../../src/errors.js';
import { MIN1_KIND, RT_HEADER_BYTES, TICK_KIND } from '../../src/format/index.js';
import { BarHistory, DAY_HIS_KIND, readHisBlock } from '../../src/his/index.js';
import { TICKREC_HIS_EXT, hisDayPath, hisHistoryPath, rtFilePath, rtFinishedPath } from '../../src/layout/index.js';
import { RtReader, RtWriter, follow } from '../../src/store/index.js';
import { DAY_AFTER, DAY_BEFORE, UTC_MIDNIGHT_MS, cryptoUniverse } from './expect.js';
import {
  Problems,
  SimChild,
  getHealth,
  recorderConfig,
  runCli,
  sleep,
  startRecorder,
  storageHasKey,
  waitFor,
  waitHealth,
  writeConfig,
  writeErrorLines,
  type Line,
  type RecorderProc,
} from './lib.js';
import { utcInstant } from './soak-run.js';

export interface CorruptOptions {
  dir: string;
  seed: number;
  log?: (line: string) => void;
}

export interface Finding {
  file: string;
  damage: string;
  /** What each consumer said (first line), keyed by consumer. */
  said: Record<string, string>;
}

export interface CorruptReport {
  findings: Finding[];
  lines: string[];
  problems: string[];
  /** Problems by check: setup, verify, readers, recorder-refuses, recorder-goes-on, bars, repair, repair-content, compaction, restore. */
  byCheck: Record<string, string[]>;
}

const SPEED = 20;
const EX = 'BINANCE';

function sha(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function flipByte(file: string, at: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0x5a;
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
}

function errorOf(fn: () => unknown): TickrecError | Error | undefined {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

const first = (s: string) => s.trim().split('\n')[0] ?? '';

/** Published records of a file now (0 when missing or unreadable). */
function records(file: string): number {
  try {
    const r = RtReader.open(file);
    const n = r.length;
    r.close();
    return n;
  } catch {
    return 0;
  }
}

export async function runCorrupt(o: CorruptOptions): Promise<CorruptReport> {
  const log = o.log ?? (() => undefined);
  const problems = new Problems();
  const root = path.join(o.dir, 'data');
  fs.mkdirSync(root, { recursive: true });
  const instruments = cryptoUniverse(6);
  const code = (k: number) => instruments[k]!.code;
  const live = (k: number) => rtFilePath(root, TICK_KIND, EX, code(k));
  const startMs = UTC_MIDNIGHT_MS - 3000;
  const sim = await SimChild.start({ instruments: 6, rate: 1200, seed: o.seed, startMs, speed: SPEED, highWaterBytes: 2 ** 30 });
  // Rolls by the first record of the new day only: the recorder's clock plays no part
  // (a clock ahead of the data would set day 1 aside before its last ticks; see the soak).
  const cfg = writeConfig(
    o.dir,
    recorderConfig({
      root,
      url: sim.url,
      storage: { initial_capacity_ticks: 64, roll_by_clock: false },
      log: { reject_log_interval_ms: 500 },
    }),
  );
  // The rolling recorder sets a finished day aside at once (no grace: nothing more comes).
  const deadCfg = writeConfig(
    o.dir,
    recorderConfig({
      root,
      url: 'ws://127.0.0.1:9',
      storage: { initial_capacity_ticks: 64, ...(storageHasKey('roll_grace_ms') ? { roll_grace_ms: 0 } : {}) },
    }),
    'roller.json',
  );
  const simTime = async () => (await sim.stats()).simTimeMs;
  const say: Record<string, Record<string, string>> = {};
  const note = (file: string, who: string, what: string) => ((say[file] ??= {})[who] = first(what));
  const roll = async (clockMs: number, label: string) => {
    // a recorder whose clock says `clockMs` sets every finished day aside at start, then stops
    const r = startRecorder(deadCfg, { args: ['--clock-start', utcInstant(clockMs), '--clock-tz', 'UTC'] });
    await r.ready();
    const e = await r.stop();
    if (e.code !== 0) problems.push(`${label}: the rolling recorder exited ${JSON.stringify(e)}\n${r.tail()}`);
  };

  try {
    // ---- day 1 then a little of day 2, compacted --------------------------------------------
    // Its clock runs 30 s (simulated) behind the data: at its stop no bar of day 2 is due
    // yet, so day 2's bar files do not exist when the bar history is damaged.
    let rec: RecorderProc = startRecorder(cfg, {
      args: ['--clock-start', utcInstant(startMs - 30_000), '--clock-tz', 'UTC', '--clock-speed', String(SPEED)],
    });
    await rec.ready();
    await waitFor(
      async () =>
        (await simTime()) >= UTC_MIDNIGHT_MS + 2000 &&
        instruments.every((_, k) => fs.existsSync(rtFinishedPath(root, TICK_KIND, EX, DAY_BEFORE, code(k)))),
      'day 1 rolled by the data',
      { timeoutMs: 30_000 },
    );
    let e = await rec.stop();
    if (e.code !== 0) problems.push(`first recorder exit ${JSON.stringify(e)}`);
    // 00:00:30 of day 2: day 1's bar files are over (their roll waits a few seconds), and
    // no bar of day 2 is due yet, so day 2's bar files will be created by the next recorder
    await roll(UTC_MIDNIGHT_MS + 30_000, 'day 1');
    const c1 = await runCli(['compact', '--root', root]);
    if (c1.code !== 0) problems.push(`compaction of day 1 exited ${c1.code}: ${c1.stdout} ${c1.stderr}`);
    const H1 = hisDayPath(root, TICK_KIND, EX, DAY_BEFORE, code(0), TICKREC_HIS_EXT);
    const H2 = hisHistoryPath(root, MIN1_KIND, EX, code(1), TICKREC_HIS_EXT);
    const H3 = hisHistoryPath(root, DAY_HIS_KIND, EX, code(1), TICKREC_HIS_EXT);
    const [R1, R2, R3] = [live(2), live(3), live(4)];
    let R3aside = ''; // where the recorder sets the truncated R3 aside
    for (const f of [H1, H2, H3, R1, R2, R3])
      if (!fs.existsSync(f)) throw new Error(`${f} was not written; cannot damage it (compaction: ${c1.stdout})`);
    const backup = path.join(o.dir, 'backup');
    fs.mkdirSync(backup, { recursive: true });
    fs.copyFileSync(H1, path.join(backup, 'H1'));
    fs.copyFileSync(H2, path.join(backup, 'H2'));
    fs.copyFileSync(H3, path.join(backup, 'H3'));

    // ---- the damage ----------------------------------------------------------------------
    flipByte(H1, Math.floor(fs.statSync(H1).size * 0.6));
    flipByte(H2, 16); // data_start, under the container header's CRC (a flipped version byte reads as E_VERSION)
    flipByte(H3, 16);
    {
      const r = RtReader.open(R1);
      const cap = r.capacity;
      r.close();
      const b = Buffer.alloc(4);
      b.writeUInt32LE(cap + 5);
      const fd = fs.openSync(R1, 'r+');
      fs.writeSync(fd, b, 0, 4, 12);
      fs.closeSync(fd);
    }
    {
      const fd = fs.openSync(R2, 'r+');
      fs.writeSync(fd, Buffer.from('GARBAGE!'), 0, 8, 0);
      fs.closeSync(fd);
    }
    {
      const r = RtReader.open(R3);
      const n = r.length;
      r.close();
      if (n < 4) problems.push(`${R3} holds only ${n} records; cannot cut it below its size`);
      fs.truncateSync(R3, RT_HEADER_BYTES + 3 * TICK_KIND.recordBytes);
    }
    const damage: Record<string, string> = {
      [H1]: 'day block: one payload byte flipped',
      [H2]: 'bar history (1-minute): one header byte flipped',
      [H3]: 'bar history (day bars): one header byte flipped',
      [R1]: 'live file: header size = capacity + 5',
      [R2]: 'live file: block flag overwritten',
      [R3]: 'live file: cut to 3 records, header says more',
    };
    const damagedHash = new Map([R1, R2, R3].map((f) => [f, sha(f)]));
    log('corrupt: five files damaged');

    // ---- verify, the readers, the CLI ---------------------------------------------------------
    problems.check('verify');
    const v = await runCli(['verify', '--root', root]);
    if (v.code !== 1) problems.push(`verify exited ${v.code} (expected 1): ${v.stdout.slice(0, 2000)}`);
    for (const f of [H1, H2, H3, R1, R2, R3]) {
      const line = v.stdout.split('\n').find((l) => l.includes(f));
      if (!line) problems.push(`tickrec verify does not report ${f} (${damage[f]})`);
      else note(f, 'verify', line);
    }
    problems.check('readers');
    const expectCode = (f: string, who: string, err: Error | undefined, codes: RegExp) => {
      if (!err) return problems.push(`${who} opened ${f} (${damage[f]}) without an error`);
      note(f, who, `${(err as TickrecError).code ?? err.name}: ${err.message}`);
      if (!String(err.message).includes(f)) problems.push(`${who}: the error does not name ${f}: ${err.message}`);
      if (!codes.test(String((err as TickrecError).code)))
        problems.push(`${who}: ${f}: error code ${String((err as TickrecError).code)}, expected ${String(codes)}`);
      return undefined;
    };
    expectCode(
      H1,
      'readHisBlock',
      errorOf(() => readHisBlock(H1)),
      /^E_CHECKSUM$/,
    );
    expectCode(
      H2,
      'BarHistory.open',
      errorOf(() => BarHistory.open(H2)),
      /^E_CHECKSUM$/,
    );
    expectCode(
      H3,
      'BarHistory.open',
      errorOf(() => BarHistory.open(H3)),
      /^E_CHECKSUM$/,
    );
    expectCode(
      R1,
      'RtReader.open',
      errorOf(() => RtReader.open(R1)),
      /^E_CORRUPT$/,
    );
    expectCode(
      R2,
      'RtReader.open',
      errorOf(() => RtReader.open(R2)),
      /^E_NOT_BLOCK_FILE$/,
    );
    expectCode(
      R3,
      'RtReader.open',
      errorOf(() => RtReader.open(R3)),
      /^E_TRUNCATED$/,
    );
    for (const f of [R1, R2, R3]) {
      const fl = follow(f, () => undefined, { mode: 'timer' });
      const err = await fl.done.then(
        () => undefined,
        (x: unknown) => x as Error,
      );
      expectCode(f, 'follow', err, /^E_/);
      const cat = await runCli(['cat', f]);
      note(f, 'tickrec cat', cat.stderr);
      if (cat.code !== 2 || !cat.stderr.includes(f)) problems.push(`tickrec cat ${f}: exit ${cat.code}, stderr ${cat.stderr}`);
      const ins = await runCli(['inspect', f]);
      note(f, 'tickrec inspect', ins.stdout.split('\n').find((l) => /^ {2}- /.test(l)) ?? ins.stdout);
      if (ins.code !== 1) problems.push(`tickrec inspect ${f}: exit ${ins.code}: ${ins.stdout}`);
    }

    // ---- the recorder on the damaged root ---------------------------------------------------
    problems.check('recorder-goes-on');
    const before = new Map([0, 1, 5].map((k) => [k, records(live(k))]));
    rec = startRecorder(cfg);
    const base = await rec.ready();
    // the first 1-minute bar of day 2 closes at 00:01 (+ grace): bar files of day 2 are created then
    await waitFor(async () => (await simTime()) >= UTC_MIDNIGHT_MS + 75_000, 'the simulated clock past 00:01:15 of day 2', {
      timeoutMs: 60_000,
    });
    await waitHealth(base, (s) => s.writeErrors >= 3, 'write errors for the damaged files');
    const bar = (k: number) => rtFilePath(root, MIN1_KIND, EX, code(k));
    const barCount = (k: number) => {
      if (!fs.existsSync(bar(k))) return 0;
      const r = RtReader.open(bar(k));
      const n = r.date === DAY_AFTER ? r.length : 0;
      r.close();
      return n;
    };
    await waitFor(() => barCount(5) > 0, `a 1-minute bar of day 2 for the control ${code(5)}`, { timeoutMs: 30_000 });
    await sleep(500);
    const h = (await getHealth(base)).stats;
    const errs = writeErrorLines(rec.logs);
    const scanLines = rec.logs.filter((l: Line) => /^scan: /.test(String(l.msg)));
    problems.check('recorder-refuses');
    const expectRefusal = (f: string, codeRe: RegExp, remedy: RegExp) => {
      const l = errs.find((x) => String(x.msg).includes(f)) ?? scanLines.find((x) => String(x.msg).includes(f));
      if (!l) return problems.push(`the recorder logged no refusal naming ${f} (${damage[f]})`);
      const msg = String(l.msg);
      note(f, 'recorder', msg);
      if (!codeRe.test(msg)) problems.push(`recorder: the refusal of ${f} does not say ${String(codeRe)}: ${msg}`);
      if (!remedy.test(msg)) problems.push(`recorder: the refusal of ${f} does not say how to repair it: ${msg}`);
      return undefined;
    };
    expectRefusal(R1, /E_CORRUPT/, /tickrec repair/);
    expectRefusal(R2, /E_NOT_BLOCK_FILE|block flag/, /tickrec repair|move it aside|restore/i);
    for (const [f, hash] of damagedHash) if (f !== R3 && sha(f) !== hash) problems.push(`the recorder changed the damaged file ${f}`);
    // A truncated live file is not refused: the recorder sets it aside untouched as <CODE>.dmb.truncated-<time>
    // (the same rule as a file truncated while it is written; docs/reliability.md) and starts a new one.
    const cut = rec.logs.find((l: Line) => String(l.msg).startsWith('E_TRUNCATED') && String(l.msg).includes(R3));
    if (!cut) problems.push(`the recorder logged no E_TRUNCATED naming ${R3} (${damage[R3]})`);
    else {
      note(R3, 'recorder', String(cut.msg));
      if (!/set aside as .*\.truncated-/.test(String(cut.msg)))
        problems.push(`recorder: ${R3} not said to be set aside: ${String(cut.msg)}`);
      if (!/tickrec repair/.test(String(cut.msg)))
        problems.push(`recorder: the E_TRUNCATED line of ${R3} does not say how to keep what remains`);
    }
    const asides = fs.readdirSync(path.dirname(R3)).filter((n) => n.startsWith(`${path.basename(R3)}.truncated-`));
    if (asides.length !== 1) problems.push(`${R3}: ${asides.length} set-aside files (.truncated-<time>), 1 expected`);
    R3aside = asides.length === 1 ? path.join(path.dirname(R3), asides[0]!) : '';
    if (R3aside && sha(R3aside) !== damagedHash.get(R3)) problems.push(`the recorder changed the truncated file it set aside (${R3aside})`);
    problems.check('recorder-goes-on');
    if (rec.exited) problems.push(`the recorder died on a damaged root: ${JSON.stringify(rec.exited)}`);
    for (const [k, n] of before)
      if (records(live(k)) <= n) problems.push(`${live(k)}: not recorded on a root with damaged files (${n} -> ${records(live(k))})`);
    // live bars of day 2: the instrument whose bar history is damaged must not lose them
    problems.check('bars');
    const barsLine = rec.logs.find((x) => String(x.msg).includes(H2));
    log(`corrupt: day-2 1-minute bars: ${code(1)} ${barCount(1)}, control ${code(5)} ${barCount(5)}`);
    if (barsLine) note(H2, 'recorder', String(barsLine.msg));
    if (barCount(5) > 0 && barCount(1) === 0) {
      problems.push(
        `${code(1)}: no live 1-minute bar of day 2 (the control ${code(5)} has ${barCount(5)}): the recorder refuses to write today's bars because the bar history ${H2} is damaged${barsLine ? ` (${String(barsLine.msg).slice(0, 300)})` : ''}`,
      );
    }
    problems.check('recorder-goes-on');
    e = await rec.stop();
    if (e.code !== 0) problems.push(`the recorder on the damaged root exited ${JSON.stringify(e)}`);
    log(`corrupt: recorder refused ${errs.length} log lines of write errors, ${h.writeErrors} writes`);

    // ---- repair, move aside, restart -------------------------------------------------------------
    problems.check('repair');
    const rep1 = await runCli(['repair', R1]);
    const rep3 = await runCli(['repair', R3aside || R3]); // the set-aside file keeps the records that remain
    const rep2 = await runCli(['repair', R2]);
    note(R1, 'tickrec repair', rep1.stdout);
    note(R3, 'tickrec repair', rep3.stdout);
    note(R2, 'tickrec repair', rep2.stderr);
    for (const [f, rep] of [
      [R1, rep1],
      [R3aside || R3, rep3],
    ] as const) {
      if (rep.code === 0) continue;
      problems.push(`tickrec repair ${f} exited ${rep.code}: ${(rep.stdout + rep.stderr).trim()}`);
      // go on with the library's repair (what the command runs) to test the rest
      const w = RtWriter.open(f, { kind: TICK_KIND, date: 0, repair: true });
      note(f, 'RtWriter repair', w.report.repairs.join('; '));
      w.close();
    }
    if (rep2.code !== 2) problems.push(`tickrec repair of a file without the flag exited ${rep2.code}: ${rep2.stdout}${rep2.stderr}`);
    fs.renameSync(R2, `${R2}.damaged`);
    const repaired = new Map([R1, R3].map((f) => [f, records(f)]));
    rec = startRecorder(cfg);
    const base2 = await rec.ready();
    await waitFor(() => [R1, R2, R3].every((f) => records(f) > (repaired.get(f) ?? 0)), 'the repaired files growing', {
      timeoutMs: 30_000,
      describe: () =>
        `${[R1, R2, R3].map((f) => `${f}: ${records(f)} (repaired ${repaired.get(f) ?? 0})`).join('; ')}\n${writeErrorLines(rec.logs)
          .map((l) => String(l.msg))
          .join('\n')}`,
    });
    const h2 = (await getHealth(base2)).stats;
    const tickErrors = writeErrorLines(rec.logs).filter((l) => String(l.msg).startsWith('rejected (E_') && /: tick /.test(String(l.msg)));
    if (tickErrors.length > 0) problems.push(`after repair: tick write errors: ${String(tickErrors[0]!.msg)}`);
    e = await rec.stop();
    if (e.code !== 0) problems.push(`the recorder after repair exited ${JSON.stringify(e)}`);
    problems.check('repair-content');
    if (R3aside && records(R3aside) !== 3)
      problems.push(`${R3aside}: ${records(R3aside)} records after tickrec repair, the 3 that remain expected`);
    for (const f of [R1, R3aside || R3]) {
      // what the repair kept must be ticks the writer wrote: no all-zero slot published
      const r = RtReader.open(f, { kind: TICK_KIND });
      let zero = 0;
      for (let i = 0; i < r.length; i++) if ((r.field(i, 'trading_date') as number) === 0) zero++;
      r.close();
      if (zero > 0)
        problems.push(
          `${f}: after tickrec repair, ${zero} published records are empty slots (trading_date 0, price 0): the repair published slots that were never written`,
        );
    }
    problems.check('repair');
    log(`corrupt: after repair ${h2.ticksWritten} ticks written, ${h2.writeErrors} write errors`);

    // ---- the next day: compaction refuses to append to the damaged day-bar history ------------
    problems.check('compaction');
    await roll(UTC_MIDNIGHT_MS + 86_400_000 + 600_000, 'day 2');
    const c2 = await runCli(['compact', '--root', root]);
    const refusal = `${c2.stdout}\n${c2.stderr}`.split('\n').find((l) => l.includes(H3)) ?? '';
    note(H3, 'tickrec compact', refusal);
    if (c2.code !== 1 || !refusal)
      problems.push(`compaction with a damaged day-bar history exited ${c2.code}, naming it: ${refusal || '(no line)'}: ${c2.stdout}`);
    const keptDay2 = rtFinishedPath(root, TICK_KIND, EX, DAY_AFTER, code(1));
    if (!fs.existsSync(keptDay2)) problems.push(`${keptDay2} was released although its day bar could not be appended to ${H3}`);

    // ---- restore the backups: verify and compaction are clean again ------------------------------
    problems.check('restore');
    fs.copyFileSync(path.join(backup, 'H1'), H1);
    fs.copyFileSync(path.join(backup, 'H2'), H2);
    fs.copyFileSync(path.join(backup, 'H3'), H3);
    const c3 = await runCli(['compact', '--root', root]);
    if (c3.code !== 0) problems.push(`compaction after restoring the backups exited ${c3.code}: ${c3.stdout}`);
    const v2 = await runCli(['verify', '--root', root]);
    const left = v2.stdout.split('\n').filter((l) => /^ {2}\//.test(l) && [H1, H2, H3].some((f) => l.includes(f)));
    if (left.length > 0) problems.push(`verify after restoring the backups: ${left.join(' | ')}`);

    const findings: Finding[] = Object.entries(damage).map(([file, d]) => ({ file, damage: d, said: say[file] ?? {} }));
    const lines = [
      ...findings.flatMap((f) => [
        `${path.relative(root, f.file)}: ${f.damage}`,
        ...Object.entries(f.said).map(([who, s]) => `  ${who}: ${s.replace(root + '/', '').slice(0, 260)}`),
      ]),
      `recorder on the damaged root: stayed up, refused the damaged files (${h.writeErrors} writes), recorded the others; after tickrec repair / move aside: appends again`,
      `compaction with the damaged day-bar history: exit ${c2.code}; after restoring the backups: compaction exit ${c3.code}, verify exit ${v2.code}`,
    ];
    return { findings, lines, problems: problems.all, byCheck: problems.byCheck };
  } finally {
    await sim.close();
  }
}

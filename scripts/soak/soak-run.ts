// The soak: the simulator at full flow into one recorder, reader processes following random instruments (one stopped for a long while, one started late), a trading-day roll and a compaction in the middle; then every stored record is matched against the simulator's stream and every reader's view against both.
//
// Timeline (T = seconds of flow; the simulator emits rate × T ticks):
//   0        readers start (they wait for their files), then the recorder
//   0.4 T    reader 0 is stopped (SIGSTOP): it will fall far behind
//   0.5 T    the simulated clock crosses UTC midnight: every instrument's trading day
//            rolls (crypto: trading date = UTC date); the recorder sets day 1 aside
//   roll+    `tickrec compact --root R` while the flow goes on (it takes finished days only)
//   compact  the late reader starts: day 1 from his/, then the live file from its start
//   0.75 T   reader 0 continues (SIGCONT) and must catch up across the roll
//   T        the last tick; each reader is told how many records each day holds and
//            reports what it saw; the recorder stops; a final compaction, verify --deep,
//            inspect of every rt file, and the match of every stored record.

import fs from 'node:fs';
import path from 'node:path';
import { inspectFile } from '../../src/cli/inspect.js';
import { TICK_KIND } from '../../src/format/index.js';
import { readHisBlock } from '../../src/his/index.js';
import {
  RT_EXT,
  TICKREC_HIS_EXT,
  hisDayPath,
  hisExchangeDir,
  parseDateFolder,
  rtDayDir,
  rtDir,
  rtExchangeDir,
  rtFilePath,
  rtFinishedPath,
} from '../../src/layout/index.js';
import { RtReader } from '../../src/store/index.js';
import {
  DAY_AFTER,
  DAY_BEFORE,
  UTC_MIDNIGHT_MS,
  cryptoUniverse,
  expectedByDate,
  hisSegment,
  matchStored,
  rtSegment,
  type MatchReport,
  type Segment,
  type SimSpec,
} from './expect.js';
import {
  CLOCK_TICKS_PER_S,
  SimChild,
  getHealth,
  listFiles,
  machineCpu,
  procSample,
  quantile,
  recorderConfig,
  round,
  runCli,
  sleep,
  spawnScript,
  startRecorder,
  writeConfig,
  type HealthStats,
  type Line,
  type Proc,
  type ProcSample,
} from './lib.js';
import { summarizeProfile } from './profile.js';
import { rng } from '../lib/rng.js';

export interface SoakOptions {
  /** Working folder: the data root is <dir>/data. */
  dir: string;
  instruments: number;
  /** Ticks per second, all instruments together. */
  rate: number;
  seconds: number;
  readers: number;
  seed: number;
  /** Stop reader 0 from 0.4 T to 0.75 T (it falls behind across the roll and the compaction). */
  pauseReader: boolean;
  /** The last reader starts after the compaction. */
  lateReader: boolean;
  compact: boolean;
  /** storage.roll_by_clock of the recorder (default true, as shipped). */
  rollByClock: boolean;
  /**
   * Start the recorder's clock this far ahead of the simulator's (ms): a feed whose
   * timestamps trail the local clock (exchange clock skew, network delay, a backlog after
   * a reconnect). Default 0 (the recorder's clock still leads by its start-up time).
   */
  clockAheadMs?: number;
  /** Write a V8 CPU profile of the recorder here. */
  cpuProfDir?: string;
  sampleMs?: number;
  log?: (line: string) => void;
}

export interface Sample {
  t: number;
  written: number;
  received: number;
  rssKb: number;
  rssAnonKb: number;
  rssFileKb: number;
  recorderCpuPct: number;
  simCpuPct: number;
  readersCpuPct: number;
  machineCpuPct: number;
  simSent: number;
  /** How far the simulator's clock is behind its schedule (ms). */
  simBehindMs: number;
  healthMs: number;
}

export interface ReaderResult {
  id: string;
  role: 'follower' | 'behind' | 'late';
  total: number;
  byDate: Record<number, { count: number; chain: number }>;
  expected: Record<number, { sent: number; chain: number }>;
  violations: string[];
  timedOut: boolean;
  ok: boolean;
}

export interface SoakReport {
  params: Omit<SoakOptions, 'log' | 'dir'>;
  flowSeconds: number;
  sent: number;
  received: number;
  written: number;
  rejected: Record<string, number>;
  writeErrors: number;
  rolls: number;
  match: Omit<MatchReport, 'instruments'>;
  readers: ReaderResult[];
  lag: { rawP50: number; rawP99: number; rawMax: number; calibrationMs: number; p50: number; p99: number; max: number; count: number };
  simBehindMaxMs: number;
  /** /health requests that failed (10 s timeout): the recorder's event loop was busy. */
  healthStalls: { atS: number; ms: number; error: string }[];
  /** Longest /health answer that arrived, ms. */
  healthMaxMs: number;
  writtenPerSecond: { p50: number; max: number; mean: number };
  rss: {
    startKb: number;
    endKb: number;
    maxKb: number;
    maxAnonKb: number;
    maxFileKb: number;
    series: { t: number; rssKb: number; rssAnonKb: number }[];
  };
  cpu: { recorderPct: number; simPct: number; readersPct: number; machinePct: number };
  compaction: { atS: number; ms: number; code: number | null; summary: string } | undefined;
  finalCompaction: { ms: number; code: number | null; summary: string };
  verify: { code: number | null; summary: string };
  inspectProblems: string[];
  recorderExit: { code: number | null; signal: string | null };
  profile?: string;
  samples: Sample[];
  problems: string[];
}

/** 'YYYYMMDD HH:MM:SS.mmm' of an epoch in UTC (the recorder's --clock-start with --clock-tz UTC). */
export function utcInstant(ms: number): string {
  const s = new Date(ms).toISOString(); // 2025-01-06T23:59:00.000Z
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)} ${s.slice(11, 23)}`;
}

/** The stored tick records of one instrument, oldest first: his day blocks, else set-aside rt files, then the live file. */
export function storedSegments(root: string, exchg: string, code: string): Segment[] {
  const segs: { date: number; seg: () => Segment }[] = [];
  const dates = new Set<number>();
  for (const d of [hisExchangeDir(root, TICK_KIND, exchg), rtExchangeDir(root, TICK_KIND, exchg)]) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(d);
    } catch {
      // none
    }
    for (const n of names) {
      const date = parseDateFolder(n);
      if (date !== undefined) dates.add(date);
    }
  }
  for (const date of [...dates].sort((a, b) => a - b)) {
    const his = hisDayPath(root, TICK_KIND, exchg, date, code, TICKREC_HIS_EXT); // compaction's default lz4: tickrec's name
    const rt = rtFinishedPath(root, TICK_KIND, exchg, date, code);
    if (fs.existsSync(his)) segs.push({ date, seg: () => hisSegment(his) });
    else if (fs.existsSync(rt)) segs.push({ date, seg: () => rtSegment(rt) });
  }
  const live = rtFilePath(root, TICK_KIND, exchg, code);
  const out = segs.map((s) => s.seg());
  if (fs.existsSync(live)) out.push(rtSegment(live));
  return out;
}

/** Tick files of the first day set aside by the roll. */
function rolledTickFiles(root: string): number {
  try {
    return fs.readdirSync(rtDayDir(root, TICK_KIND, 'BINANCE', DAY_BEFORE)).filter((f) => f.endsWith(RT_EXT)).length;
  } catch {
    return 0;
  }
}

/** Records per trading date of one instrument as stored now (for the readers' finish). */
function storedCounts(root: string, exchg: string, code: string): Record<number, number> {
  const out: Record<number, number> = {};
  const hisEx = hisExchangeDir(root, TICK_KIND, exchg);
  const rtEx = rtExchangeDir(root, TICK_KIND, exchg);
  for (const n of fs.existsSync(hisEx) ? fs.readdirSync(hisEx) : []) {
    const date = parseDateFolder(n);
    if (date === undefined) continue;
    const f = hisDayPath(root, TICK_KIND, exchg, date, code, TICKREC_HIS_EXT);
    if (fs.existsSync(f)) out[date] = readHisBlock(f).count;
  }
  for (const n of fs.existsSync(rtEx) ? fs.readdirSync(rtEx) : []) {
    const date = parseDateFolder(n);
    if (date === undefined || out[date] !== undefined) continue;
    const f = rtFinishedPath(root, TICK_KIND, exchg, date, code);
    if (!fs.existsSync(f)) continue;
    const r = RtReader.open(f);
    out[date] = r.length;
    r.close();
  }
  const live = rtFilePath(root, TICK_KIND, exchg, code);
  if (fs.existsSync(live)) {
    const r = RtReader.open(live);
    out[r.date] = (out[r.date] ?? 0) + r.length;
    r.close();
  }
  return out;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => undefined);
  const problems: string[] = [];
  const root = path.join(o.dir, 'data');
  const T = o.seconds;
  const startMs = UTC_MIDNIGHT_MS - Math.round((T * 1000) / 2);
  const count = Math.round(o.rate * T);
  const instruments = cryptoUniverse(o.instruments);
  const spec: SimSpec = { seed: o.seed, instruments, startMs, rate: o.rate, speed: 1 };
  const sampleMs = o.sampleMs ?? 1000;

  // The simulator never pauses for a slow recorder (up to 2 GiB queued): an exchange does
  // not wait either, so a recorder that falls behind shows it as publish lag.
  const sim = await SimChild.start({
    instruments: o.instruments,
    rate: o.rate,
    seed: o.seed,
    startMs,
    speed: 1,
    count,
    highWaterBytes: 2 ** 31,
  });
  const r = rng(o.seed ^ 0x5eed);
  const picks: number[] = [];
  while (picks.length < Math.min(o.readers, o.instruments)) {
    const k = Math.floor(r() * o.instruments);
    if (!picks.includes(k)) picks.push(k);
  }
  interface R {
    id: string;
    code: string;
    role: ReaderResult['role'];
    proc: Proc | undefined;
    summary?: Line;
  }
  const readers: R[] = picks.map((k, j) => ({
    id: instruments[k]!.id,
    code: instruments[k]!.code,
    role: o.pauseReader && j === 0 ? 'behind' : o.lateReader && j === picks.length - 1 && picks.length > 1 ? 'late' : 'follower',
    proc: undefined,
  }));
  const spawnReader = (x: R) => {
    x.proc = spawnScript('reader-child.ts', [
      JSON.stringify({ root, exchg: 'BINANCE', code: x.code, late: x.role === 'late', intervalMs: 5, finishMs: 120_000 }),
    ]);
  };
  for (const x of readers) if (x.role !== 'late') spawnReader(x);
  await Promise.all(readers.filter((x) => x.proc).map((x) => x.proc!.waitForMessage(/^ready$/, 60_000)));
  log(
    `soak: ${o.instruments} instruments, ${o.rate} ticks/s for ${T} s (${count} ticks), ${readers.length} readers on ${readers.map((x) => `${x.id}${x.role !== 'follower' ? ` (${x.role})` : ''}`).join(', ')}`,
  );

  fs.mkdirSync(root, { recursive: true });
  const cfg = writeConfig(
    o.dir,
    recorderConfig({
      root,
      url: sim.url,
      storage: { max_open_files: Math.max(4096, o.instruments * 4), roll_by_clock: o.rollByClock },
      log: { reject_log_interval_ms: 10_000 },
    }),
  );
  const rec = startRecorder(cfg, {
    args: ['--clock-start', utcInstant(startMs + (o.clockAheadMs ?? 0)), '--clock-tz', 'UTC', '--clock-speed', '1'],
    nodeArgs: o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [],
  });
  const base = await rec.ready(120_000);
  const t0s = await sim.started(120_000);
  const recOn = await rec.waitForLog(/^recorder on /);
  const startedMs = (await getHealth(base)).stats.startedMs;
  // recorder clock − simulator clock (ms): the recorder's clock starts at its own start,
  // the simulator's at the first subscribe (later); subtracted from the lag it reports
  const calibrationMs = t0s - Number(recOn.time) + (startedMs - startMs); // includes clockAheadMs
  log(`soak: recorder pid ${rec.pid} on ${base}; clock calibration ${calibrationMs} ms`);

  const samples: Sample[] = [];
  const healthStalls: SoakReport['healthStalls'] = [];
  const t0 = Date.now();
  let prevRec: ProcSample | undefined;
  let prevSim: ProcSample | undefined;
  let prevReaders = 0;
  let prevMachine = machineCpu();
  let prevT = t0;
  let last: HealthStats | undefined;
  let compaction: SoakReport['compaction'];
  let compacting: Promise<void> | undefined;
  let paused = false;
  let resumed = false;
  let simDone = false;
  void sim.done(24 * 3600_000).then(
    () => (simDone = true),
    () => undefined,
  );
  const deadline = t0 + T * 4000 + 180_000;
  const recCpu0 = procSample(rec.pid)?.cpuTicks ?? 0;
  const simCpu0 = procSample(sim.pid)?.cpuTicks ?? 0;
  const machine0 = machineCpu();
  const behind = readers.find((x) => x.role === 'behind');
  const late = readers.find((x) => x.role === 'late');

  for (;;) {
    await sleep(sampleMs);
    const now = Date.now();
    const h0 = now;
    let health: HealthStats | undefined;
    try {
      health = (await getHealth(base)).stats;
      last = health;
    } catch (err) {
      // a figure, not a failure: the recorder's event loop was busy for that long
      healthStalls.push({ atS: round((now - t0) / 1000), ms: Date.now() - h0, error: String(err) });
    }
    const healthMs = Date.now() - h0;
    const st = await sim.stats();
    const rs = procSample(rec.pid);
    const ss = procSample(sim.pid);
    let readersTicks = 0;
    for (const x of readers) if (x.proc && !x.proc.exited) readersTicks += procSample(x.proc.pid)?.cpuTicks ?? 0;
    const m = machineCpu();
    const dt = (now - prevT) / 1000;
    const pct = (a: number | undefined, b: number | undefined) =>
      a !== undefined && b !== undefined && dt > 0 ? round(((a - b) / CLOCK_TICKS_PER_S / dt) * 100) : 0;
    const simBehindMs = st.started && !st.done ? Math.max(0, st.now - t0s - (st.simTimeMs - startMs)) : 0;
    if (rs) {
      samples.push({
        t: round((now - t0) / 1000),
        written: health?.ticksWritten ?? last?.ticksWritten ?? 0,
        received: health?.ticksReceived ?? last?.ticksReceived ?? 0,
        rssKb: rs.rssKb,
        rssAnonKb: rs.rssAnonKb,
        rssFileKb: rs.rssFileKb,
        recorderCpuPct: pct(rs.cpuTicks, prevRec?.cpuTicks),
        simCpuPct: pct(ss?.cpuTicks, prevSim?.cpuTicks),
        readersCpuPct: pct(readersTicks, prevReaders),
        machineCpuPct: m.total > prevMachine.total ? round(((m.busy - prevMachine.busy) / (m.total - prevMachine.total)) * 100) : 0,
        simSent: st.sent,
        simBehindMs: Math.round(simBehindMs),
        healthMs,
      });
    }
    prevRec = rs;
    prevSim = ss;
    prevReaders = readersTicks;
    prevMachine = m;
    prevT = now;
    const s = samples[samples.length - 1];
    if (s && samples.length % Math.max(1, Math.round(10_000 / sampleMs)) === 0) {
      log(
        `soak ${s.t} s: sent ${s.simSent}, written ${s.written}, rss ${Math.round(s.rssKb / 1024)} MiB (anon ${Math.round(s.rssAnonKb / 1024)}), cpu recorder ${s.recorderCpuPct}% sim ${s.simCpuPct}% readers ${s.readersCpuPct}% machine ${s.machineCpuPct}%, sim behind ${s.simBehindMs} ms, lag p99 ${health?.lagMs.p99} ms`,
      );
    }

    const simElapsed = st.started ? st.simTimeMs - startMs : 0;
    if (behind && !paused && simElapsed >= 0.4 * T * 1000) {
      behind.proc!.signal('SIGSTOP');
      paused = true;
      log(`soak: reader ${behind.id} stopped (SIGSTOP) at ${round((now - t0) / 1000)} s`);
    }
    if (o.compact && !compacting && st.simTimeMs >= UTC_MIDNIGHT_MS + 0.05 * T * 1000 && rolledTickFiles(root) >= o.instruments) {
      const at = (now - t0) / 1000;
      log(`soak: day ${DAY_BEFORE} of every instrument set aside; tickrec compact --root ${root}`);
      compacting = runCli(['compact', '--root', root], { timeoutMs: 600_000 }).then((c) => {
        compaction = { atS: round(at), ms: c.ms, code: c.code, summary: c.stdout.trim().split('\n').slice(0, 3).join(' / ') };
        log(`soak: compaction done in ${c.ms} ms, exit ${c.code}: ${compaction.summary}`);
        if (c.code !== 0) problems.push(`compaction in the middle exited ${c.code}: ${c.stdout} ${c.stderr}`);
        if (late) {
          spawnReader(late);
          log(`soak: late reader on ${late.id} started`);
        }
      });
    }
    const compactionDone = !o.compact || compaction !== undefined;
    if (behind && paused && !resumed && compactionDone && (simElapsed >= 0.75 * T * 1000 || simDone)) {
      behind.proc!.signal('SIGCONT');
      resumed = true;
      log(`soak: reader ${behind.id} continues (SIGCONT) at ${round((now - t0) / 1000)} s`);
    }
    if (simDone && compactionDone && health && health.ticksReceived >= count && (!behind || resumed)) {
      const rejected = Object.values(health.rejected).reduce((a, b) => a + b, 0);
      if (health.ticksWritten + rejected + health.writeErrors >= health.ticksReceived) break;
    }
    if (now > deadline) {
      problems.push(
        `the run did not finish within ${Math.round((deadline - t0) / 1000)} s (sent ${st.sent} of ${count}, received ${health?.ticksReceived}, written ${health?.ticksWritten})`,
      );
      break;
    }
  }
  const flowSeconds = (Date.now() - t0) / 1000;
  const recCpu = procSample(rec.pid)?.cpuTicks ?? recCpu0;
  const simCpu = procSample(sim.pid)?.cpuTicks ?? simCpu0;
  const machine1 = machineCpu();
  const final = (await getHealth(base)).stats;
  log(
    `soak: flow done in ${round(flowSeconds)} s: received ${final.ticksReceived}, written ${final.ticksWritten}, rejected ${JSON.stringify(final.rejected)}, write errors ${final.writeErrors}`,
  );

  // readers: each is told what the files hold for its instrument and reports what it saw
  if (behind && paused && !resumed) behind.proc?.signal('SIGCONT');
  if (late && !late.proc) spawnReader(late);
  for (const x of readers) {
    const exp = storedCounts(root, 'BINANCE', x.code);
    x.proc!.send({ cmd: 'finish', expect: exp });
  }
  for (const x of readers) {
    try {
      x.summary = await x.proc!.waitForMessage(/^summary$/, 180_000);
    } catch (err) {
      problems.push(`reader ${x.id} (${x.role}) gave no summary: ${String(err)}`);
    }
  }

  const recorderExit = await rec.stop(30_000);
  if (recorderExit.code !== 0) problems.push(`the recorder exited ${JSON.stringify(recorderExit)} on SIGTERM\n${rec.tail()}`);
  await sim.close();
  const fc = await runCli(['compact', '--root', root], { timeoutMs: 600_000 });
  const finalCompaction = { ms: fc.ms, code: fc.code, summary: fc.stdout.trim().split('\n').slice(0, 2).join(' / ') };
  if (fc.code !== 0) problems.push(`final compaction exited ${fc.code}: ${fc.stdout} ${fc.stderr}`);
  const vr = await runCli(['verify', '--root', root, '--deep'], { timeoutMs: 600_000 });
  const verify = { code: vr.code, summary: vr.stdout.trim().split('\n').slice(0, 6).join(' / ') };
  if (vr.code !== 0) problems.push(`verify --deep exited ${vr.code}: ${vr.stdout.slice(0, 2000)}`);
  const inspectProblems: string[] = [];
  for (const f of listFiles(rtDir(root)).filter((p) => p.endsWith(RT_EXT))) {
    for (const p of inspectFile(f).problems) if (inspectProblems.length < 20) inspectProblems.push(`${f}: ${p}`);
  }
  problems.push(...inspectProblems);

  log('soak: matching every stored record against the simulator stream...');
  const stored = new Map<string, Segment[]>();
  for (const inst of instruments) stored.set(inst.id, storedSegments(root, inst.exchg, inst.code));
  const match = matchStored(spec, count, stored);
  const { instruments: byInst, ...matchSummary } = match;
  problems.push(...match.problems.slice(0, 20));
  const sentDates = new Set<number>();
  for (const mi of byInst.values()) for (const d of Object.keys(mi.byDate)) sentDates.add(Number(d));
  if (!sentDates.has(DAY_BEFORE) || !sentDates.has(DAY_AFTER))
    problems.push(`the stream did not cross the day boundary: trading dates ${[...sentDates].join(', ')}`);
  if (match.sent !== count) problems.push(`replayed ${match.sent} ticks, expected ${count}`);
  if (match.matched !== count || match.stored !== count)
    problems.push(
      `sent ${count}, stored ${match.stored}, matched ${match.matched} (missing ${match.missingBefore} before, ${match.missingInside} inside, ${match.missingAfter} after)`,
    );
  if (final.ticksWritten !== count)
    problems.push(
      `sent ${count}, the recorder wrote ${final.ticksWritten} (rejected ${JSON.stringify(final.rejected)}, write errors ${final.writeErrors})`,
    );

  const readerResults: ReaderResult[] = readers.map((x) => {
    const expected = expectedByDate(match, x.id);
    const s = x.summary as
      | (Line & { total: number; byDate: Record<string, { count: number; chain: number }>; violations: string[]; timedOut: boolean })
      | undefined;
    const byDate: Record<number, { count: number; chain: number }> = {};
    for (const [d, v] of Object.entries(s?.byDate ?? {})) byDate[Number(d)] = { count: v.count, chain: v.chain };
    const dates = new Set([...Object.keys(expected), ...Object.keys(byDate)].map(Number));
    let ok = !!s && s.violations.length === 0 && !s.timedOut;
    for (const d of dates) {
      if (byDate[d]?.count !== expected[d]?.sent || byDate[d]?.chain !== expected[d]?.chain) ok = false;
    }
    if (!ok)
      problems.push(
        `reader ${x.id} (${x.role}): saw ${JSON.stringify(byDate)}, sent ${JSON.stringify(expected)}, violations ${JSON.stringify(s?.violations)}, timed out ${String(s?.timedOut)}`,
      );
    return {
      id: x.id,
      role: x.role,
      total: s?.total ?? 0,
      byDate,
      expected,
      violations: s?.violations ?? [],
      timedOut: s?.timedOut ?? true,
      ok,
    };
  });

  const rates: number[] = [];
  for (let i = 1; i < samples.length; i++)
    rates.push((samples[i]!.written - samples[i - 1]!.written) / Math.max(0.001, samples[i]!.t - samples[i - 1]!.t));
  const sortedRates = [...rates].sort((a, b) => a - b);
  const every = Math.max(1, Math.floor(samples.length / 12));
  let profile: string | undefined;
  if (o.cpuProfDir) {
    // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): the main
    // thread's is thread 0; the helper threads (file growth) are mostly idle.
    const files = fs.readdirSync(o.cpuProfDir).filter((f) => f.endsWith('.cpuprofile'));
    const main =
      files
        .filter((f) => f.split('.').at(-3) === '0')
        .sort()
        .at(-1) ?? files.sort().at(-1);
    if (main) profile = summarizeProfile(path.join(o.cpuProfDir, main), 15);
  }
  const lag = final.lagMs;
  return {
    params: {
      instruments: o.instruments,
      rate: o.rate,
      seconds: T,
      readers: o.readers,
      seed: o.seed,
      pauseReader: o.pauseReader,
      lateReader: o.lateReader,
      compact: o.compact,
      rollByClock: o.rollByClock,
      clockAheadMs: o.clockAheadMs ?? 0,
      ...(o.cpuProfDir ? { cpuProfDir: o.cpuProfDir } : {}),
    },
    flowSeconds: round(flowSeconds),
    sent: count,
    received: final.ticksReceived,
    written: final.ticksWritten,
    rejected: final.rejected,
    writeErrors: final.writeErrors,
    rolls: final.rolls,
    match: matchSummary,
    readers: readerResults,
    lag: {
      rawP50: lag.p50,
      rawP99: lag.p99,
      rawMax: lag.max,
      calibrationMs,
      p50: round(lag.p50 - calibrationMs),
      p99: round(lag.p99 - calibrationMs),
      max: round(lag.max - calibrationMs),
      count: lag.count,
    },
    simBehindMaxMs: Math.max(0, ...samples.map((s) => s.simBehindMs)),
    healthStalls,
    healthMaxMs: Math.max(0, ...samples.map((s) => s.healthMs)),
    writtenPerSecond: {
      p50: Math.round(quantile(sortedRates, 0.5)),
      max: Math.round(sortedRates.at(-1) ?? 0),
      mean: Math.round(final.ticksWritten / flowSeconds),
    },
    rss: {
      startKb: samples[0]?.rssKb ?? 0,
      endKb: samples.at(-1)?.rssKb ?? 0,
      maxKb: Math.max(0, ...samples.map((s) => s.rssKb)),
      maxAnonKb: Math.max(0, ...samples.map((s) => s.rssAnonKb)),
      maxFileKb: Math.max(0, ...samples.map((s) => s.rssFileKb)),
      series: samples
        .filter((_, i) => i % every === 0 || i === samples.length - 1)
        .map((s) => ({ t: s.t, rssKb: s.rssKb, rssAnonKb: s.rssAnonKb })),
    },
    cpu: {
      recorderPct: round(((recCpu - recCpu0) / CLOCK_TICKS_PER_S / flowSeconds) * 100),
      simPct: round(((simCpu - simCpu0) / CLOCK_TICKS_PER_S / flowSeconds) * 100),
      readersPct: round(samples.reduce((a, s) => a + s.readersCpuPct, 0) / Math.max(1, samples.length)),
      machinePct: round(((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * 100),
    },
    compaction,
    finalCompaction,
    verify,
    inspectProblems,
    recorderExit,
    ...(profile ? { profile } : {}),
    samples,
    problems,
  };
}

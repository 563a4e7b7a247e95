// The long reliability runs behind docs/reliability.md: soak at full flow, kill -9 storm, full disk, revoked permission, corrupt files, hostile feed; `npm run soak -- --minutes M` (test/reliability holds the short versions that npm test runs).
//
// usage: npm run soak -- [--minutes M] [--only soak,crash,disk,perm,corrupt,hostile,hands,readonly]
//          [--instruments 2000] [--rate 50000] [--readers 8] [--kills 50] [--messages 100000]
//          [--seed 1] [--no-roll-by-clock] [--cpu-prof] [--keep] [--json FILE]
// Each scenario prints its figures and its problems; the exit code is 1 when any has a
// problem. The data folders are under the system temp folder, removed unless --keep.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCorrupt } from './soak/corrupt.js';
import { runCrashStorm } from './soak/crash.js';
import { runFullDisk } from './soak/disk.js';
import { runHostile } from './soak/hostile.js';
import { runHands, runReadOnly } from './soak/outside.js';
import { killAll, requireBuilt } from './soak/lib.js';
import { runPermission } from './soak/permission.js';
import { runSoak, type SoakReport } from './soak/soak-run.js';

const SCENARIOS = ['soak', 'crash', 'disk', 'perm', 'corrupt', 'hostile', 'hands', 'readonly'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Args {
  minutes: number;
  only: Scenario[];
  instruments: number;
  rate: number;
  readers: number;
  kills: number;
  messages: number;
  seed: number;
  rollByClock: boolean;
  cpuProf: boolean;
  keep: boolean;
  json: string | undefined;
}

function usage(msg: string): never {
  process.stderr.write(
    `soak: ${msg}\nusage: npm run soak -- [--minutes M] [--only ${SCENARIOS.join(',')}] [--instruments N] [--rate R] [--readers K] [--kills N] [--messages N] [--seed S] [--no-roll-by-clock] [--cpu-prof] [--keep] [--json FILE]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    minutes: 2,
    only: [...SCENARIOS],
    instruments: 2000,
    rate: 50_000,
    readers: 8,
    kills: 50,
    messages: 100_000,
    seed: 1,
    rollByClock: true,
    cpuProf: false,
    keep: false,
    json: undefined,
  };
  const num = (i: number, name: string) => {
    const v = Number(argv[i + 1]);
    if (!(v > 0) || !Number.isFinite(v)) usage(`${name} ${argv[i + 1]}: a number > 0`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    switch (k) {
      case '--minutes':
        a.minutes = num(i++, k);
        break;
      case '--instruments':
        a.instruments = Math.round(num(i++, k));
        break;
      case '--rate':
        a.rate = num(i++, k);
        break;
      case '--readers':
        a.readers = Math.round(num(i++, k));
        break;
      case '--kills':
        a.kills = Math.round(num(i++, k));
        break;
      case '--messages':
        a.messages = Math.round(num(i++, k));
        break;
      case '--seed':
        a.seed = Math.round(num(i++, k));
        break;
      case '--no-roll-by-clock':
        a.rollByClock = false;
        break;
      case '--cpu-prof':
        a.cpuProf = true;
        break;
      case '--keep':
        a.keep = true;
        break;
      case '--json':
        a.json = argv[++i];
        break;
      case '--only': {
        const list = (argv[++i] ?? '').split(',').filter(Boolean);
        for (const s of list) if (!(SCENARIOS as readonly string[]).includes(s)) usage(`--only ${s}: one of ${SCENARIOS.join(', ')}`);
        a.only = list as Scenario[];
        break;
      }
      default:
        usage(`unknown argument ${k}`);
    }
  }
  return a;
}

const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function soakLines(r: SoakReport): string[] {
  const mb = (kb: number) => `${Math.round(kb / 1024)} MiB`;
  return [
    `flow: ${r.sent} ticks from ${r.params.instruments} instruments at ${r.params.rate}/s asked, in ${r.flowSeconds} s (${Math.round(r.sent / r.flowSeconds)}/s achieved end to end)`,
    `sent ${r.sent} / received ${r.received} / written ${r.written} / stored and matched ${r.match.matched} (missing ${r.match.missingBefore + r.match.missingInside + r.match.missingAfter}), rejected ${JSON.stringify(r.rejected)}, write errors ${r.writeErrors}`,
    ...r.readers.map(
      (x) =>
        `reader ${x.id} (${x.role}): read ${x.total} = ${JSON.stringify(Object.fromEntries(Object.entries(x.byDate).map(([d, v]) => [d, v.count])))}, sent ${JSON.stringify(Object.fromEntries(Object.entries(x.expected).map(([d, v]) => [d, v.sent])))}, ${x.ok ? 'every tick once, in order, same bytes' : 'MISMATCH'}`,
    ),
    `publish lag (recorder /health, calibrated by ${r.lag.calibrationMs} ms): p50 ${r.lag.p50} ms, p99 ${r.lag.p99} ms, max ${r.lag.max} ms over ${r.lag.count} ticks; simulator behind its schedule at most ${r.simBehindMaxMs} ms`,
    `written per second: median ${r.writtenPerSecond.p50}, max ${r.writtenPerSecond.max}, mean ${r.writtenPerSecond.mean}`,
    `/health: slowest answer ${r.healthMaxMs} ms; ${r.healthStalls.length} requests unanswered after 10 s${r.healthStalls.length ? ` (at ${r.healthStalls.map((x) => `${x.atS} s`).join(', ')})` : ''}`,
    `writer RSS: start ${mb(r.rss.startKb)}, end ${mb(r.rss.endKb)}, max ${mb(r.rss.maxKb)} (anonymous max ${mb(r.rss.maxAnonKb)}, file-backed max ${mb(r.rss.maxFileKb)})`,
    `writer RSS over time: ${r.rss.series.map((s) => `${s.t}s ${mb(s.rssKb)}/${mb(s.rssAnonKb)}`).join(', ')}`,
    `CPU (% of one core): recorder ${r.cpu.recorderPct}, simulator ${r.cpu.simPct}, readers ${r.cpu.readersPct}; machine ${r.cpu.machinePct}% of ${os.cpus().length} cores`,
    r.compaction
      ? `compaction in the middle at ${r.compaction.atS} s: ${r.compaction.ms} ms, exit ${r.compaction.code}: ${r.compaction.summary}`
      : 'no compaction in the middle',
    `final compaction: ${r.finalCompaction.ms} ms, exit ${r.finalCompaction.code}; verify --deep exit ${r.verify.code}: ${r.verify.summary}`,
    `recorder exit on SIGTERM: ${JSON.stringify(r.recorderExit)}; rt files with problems: ${r.inspectProblems.length}`,
    ...(r.profile ? ['recorder CPU profile, top self time:', r.profile] : []),
  ];
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  requireBuilt();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-soak-'));
  fs.chmodSync(work, 0o755); // the permission scenario's recorder runs as nobody and must reach its folder
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    args: a,
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    loadavg: os.loadavg(),
  };
  let failed = false;
  const section = async <T extends { problems: string[] }>(name: Scenario, run: (dir: string) => Promise<T>, lines: (r: T) => string[]) => {
    if (!a.only.includes(name)) return;
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    log(`=== ${name} ===`);
    const t0 = Date.now();
    let r: T;
    try {
      r = await run(dir);
    } catch (err) {
      failed = true;
      log(`${name}: FAILED: ${(err as Error)?.stack ?? String(err)}`);
      results[name] = { error: String((err as Error)?.stack ?? err) };
      await killAll();
      return;
    }
    results[name] = r;
    const out = [
      `${name} (${Math.round((Date.now() - t0) / 1000)} s):`,
      ...lines(r).map((l) => `  ${l}`),
      r.problems.length === 0 ? '  problems: none' : `  PROBLEMS (${r.problems.length}):`,
      ...r.problems.slice(0, 30).map((p) => `    - ${p}`),
    ];
    process.stdout.write(out.join('\n') + '\n');
    if (r.problems.length > 0) failed = true;
  };

  await section(
    'soak',
    (dir) =>
      runSoak({
        dir,
        instruments: a.instruments,
        rate: a.rate,
        seconds: a.minutes * 60,
        readers: a.readers,
        seed: a.seed,
        pauseReader: a.readers >= 2,
        lateReader: a.readers >= 3,
        compact: true,
        rollByClock: a.rollByClock,
        ...(a.cpuProf ? { cpuProfDir: path.join(dir, 'prof') } : {}),
        log,
      }),
    soakLines,
  );
  await section(
    'crash',
    (dir) => runCrashStorm({ dir, kills: a.kills, instruments: 200, rate: 20_000, minGapMs: 1000, maxGapMs: 4000, seed: a.seed, log }),
    (r) => r.lines,
  );
  await section(
    'disk',
    async (dir) => {
      // a small tmpfs where the machine lets us mount one (else ulimit -f), then ulimit -f as well
      const first = await runFullDisk({ dir: path.join(dir, 'auto'), mode: 'auto', instruments: 50, rate: 5000, seed: a.seed, log });
      const second =
        first.mode === 'tmpfs'
          ? await runFullDisk({ dir: path.join(dir, 'ulimit'), mode: 'ulimit', instruments: 10, rate: 1000, seed: a.seed, log })
          : undefined;
      const runs = second ? [first, second] : [first];
      return { runs, lines: runs.flatMap((r) => r.lines), problems: runs.flatMap((r) => r.problems.map((p) => `${r.mode}: ${p}`)) };
    },
    (r) => r.lines,
  );
  await section(
    'perm',
    (dir) => runPermission({ dir, instruments: 100, rate: 5000, seed: a.seed, closedMs: 10_000, log }),
    (r) => r.lines,
  );
  await section(
    'corrupt',
    (dir) => runCorrupt({ dir, seed: a.seed, log }),
    (r) => r.lines,
  );
  await section(
    'hostile',
    (dir) => runHostile({ dir, messages: a.messages, seed: a.seed, log }),
    (r) => r.lines,
  );
  await section(
    'hands',
    (dir) => runHands({ dir, instruments: 200, rate: 20_000, seed: a.seed, flood: 10_000, log }),
    (r) => r.lines,
  );
  await section(
    'readonly',
    (dir) => runReadOnly({ dir, instruments: 100, rate: 10_000, seed: a.seed, log }),
    (r) => r.lines,
  );

  results.finishedAt = new Date().toISOString();
  const json = a.json ?? path.join(work, 'report.json');
  fs.writeFileSync(json, JSON.stringify(results, null, 2) + '\n');
  log(`report: ${json}`);
  if (!a.keep) {
    if (path.dirname(path.resolve(json)) === work) {
      for (const n of fs.readdirSync(work)) if (n !== path.basename(json)) fs.rmSync(path.join(work, n), { recursive: true, force: true });
    } else fs.rmSync(work, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

await main();

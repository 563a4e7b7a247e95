// What an outside probe broke (issue 20, docs/reliability.md "probes from outside"), as scenarios against a real recorder fed by the simulator:
//
// - hands: live files damaged by someone else while the recorder and readers run:
//   `truncate -s 0` and `truncate -s 24` (the FAULT GUARD: no SIGBUS, E_TRUNCATED, the file
//   set aside, a new one started), `rm` and `mv OTHER FILE` (E_REPLACED: the records the
//   recorder held are written back, nothing sent after is lost), with a follower and a
//   random-access reader on each damaged file; then a flood of idle connections to the
//   metrics port (the CONNECTION BOUND: the recorder's descriptors stay bounded);
// - readonly (root): the data root on an ext4 loop device that is forced read-only
//   under flow (errors=remount-ro, /sys/fs/ext4/<dev>/trigger_fs_error): failed syncs are
//   counted, /health is degraded and `tickrec status` exits 1, and the records counted
//   synced never exceed what is on disk after the remount.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cryptoUniverse, matchStored, type Segment, type SimSpec } from './expect.js';
import {
  Problems,
  SimChild,
  getHealth,
  recorderConfig,
  runCli,
  sleep,
  spawnScript,
  startRecorder,
  waitFor,
  waitHealth,
  writeConfig,
  type Proc,
} from './lib.js';
import { storedSegments, utcInstant } from './soak-run.js';
import { TICK_KIND } from '../../src/format/index.js';
import { rtFilePath } from '../../src/layout/index.js';
import { publishedRecords } from '../../src/store/index.js';

export interface OutsideOptions {
  dir: string;
  instruments: number;
  rate: number;
  seed: number;
  /** Idle connections opened against the metrics port. Default 2000. */
  flood?: number;
  log?: (line: string) => void;
}

export interface OutsideReport {
  lines: string[];
  byCheck: Record<string, string[]>;
  problems: string[];
}

const START_MS = Date.UTC(2025, 0, 7, 12, 0, 0);

function liveFile(root: string, code: string): string {
  return rtFilePath(root, TICK_KIND, 'BINANCE', code);
}

function fdCount(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** Published records of a live file, -1 when it cannot be read (missing or damaged). */
function records(file: string): number {
  return publishedRecords(file) ?? -1;
}

/** Live files damaged under a running recorder and its readers; then a connection flood. */
export async function runHands(o: OutsideOptions): Promise<OutsideReport> {
  const log = o.log ?? (() => undefined);
  const p = new Problems();
  const lines: string[] = [];
  const root = path.join(o.dir, 'data');
  fs.mkdirSync(root, { recursive: true });
  const n = Math.max(6, o.instruments);
  const instruments = cryptoUniverse(n);
  const spec: SimSpec = { seed: o.seed, instruments, startMs: START_MS, rate: o.rate, speed: 1 };
  const sim = await SimChild.start({ instruments: n, rate: o.rate, seed: o.seed, startMs: START_MS, speed: 1, highWaterBytes: 2 ** 30 });
  const cfg = writeConfig(
    o.dir,
    recorderConfig({
      root,
      url: sim.url,
      storage: { initial_capacity_ticks: 64, sync_interval_ms: 200 },
      log: { reject_log_interval_ms: 500 },
    }),
  );
  const rec = startRecorder(cfg, { args: ['--clock-start', utcInstant(START_MS), '--clock-tz', 'UTC'] });
  const readers: { what: string; proc: Proc }[] = [];
  try {
    const base = await rec.ready(60_000);
    const codes = instruments.map((i) => i.code);
    await waitFor(() => codes.every((c) => records(liveFile(root, c)) > 20), 'every instrument recorded', { timeoutMs: 60_000 });
    const [t0, t24, rmCode, mvTo, mvFrom] = codes as [string, string, string, string, string];

    // ---- readers on the files about to be damaged
    p.check('readers');
    for (const c of [t0, t24, mvTo]) {
      for (const mode of ['follow', 'random']) {
        const proc = spawnScript('damage-reader-child.ts', [liveFile(root, c), mode]);
        readers.push({ what: `${mode} ${c}`, proc });
      }
    }
    for (const r of readers) await r.proc.waitForMessage(/^reading$/, 30_000);

    // ---- truncation
    p.check('truncate');
    fs.truncateSync(liveFile(root, t0), 0);
    fs.truncateSync(liveFile(root, t24), 24);
    log(`hands: truncate -s 0 ${t0}, truncate -s 24 ${t24}`);
    for (const c of [t0, t24]) {
      const l = await rec
        .waitForLog((x) => typeof x.msg === 'string' && x.msg.startsWith('E_TRUNCATED') && x.msg.includes(`${c}.dmb`), 30_000)
        .catch(() => undefined);
      if (!l) p.push(`no E_TRUNCATED log line naming ${c}.dmb`);
      else lines.push(`truncated ${c}: ${String(l.msg).slice(0, 260)}`);
    }
    for (const r of readers.filter((x) => x.what.endsWith(t0) || x.what.endsWith(t24))) {
      const e = await r.proc.waitExit(30_000).catch(() => undefined);
      const m = r.proc.messages.find((x) => x.event === 'error');
      if (!e) p.push(`${r.what}: still running after the truncation (stalled silently?)`);
      else if (e.signal) p.push(`${r.what}: died of ${e.signal}`);
      else if (m?.code !== 'E_TRUNCATED') p.push(`${r.what}: exit ${JSON.stringify(e)}, error ${JSON.stringify(m)} (expected E_TRUNCATED)`);
      else lines.push(`${r.what}: stopped with E_TRUNCATED, exit ${e.code}`);
    }
    if (rec.exited) p.push(`the recorder died: ${JSON.stringify(rec.exited)}\n${rec.tail()}`);
    for (const c of [t0, t24]) {
      await waitFor(() => records(liveFile(root, c)) > 0, `a new live file of ${c}`, { timeoutMs: 30_000 }).catch(() =>
        p.push(`no new live file of ${c} after its truncation`),
      );
      const aside = fs.readdirSync(path.dirname(liveFile(root, c))).filter((f) => f.startsWith(`${c}.dmb.truncated-`));
      if (aside.length !== 1) p.push(`${c}: ${aside.length} set-aside .truncated- files (expected 1)`);
    }

    // ---- deletion and replacement
    p.check('replace');
    const before = { rm: records(liveFile(root, rmCode)), to: records(liveFile(root, mvTo)), from: records(liveFile(root, mvFrom)) };
    fs.rmSync(liveFile(root, rmCode));
    fs.renameSync(liveFile(root, mvFrom), liveFile(root, mvTo)); // mv OTHER FILE
    log(`hands: rm ${rmCode}; mv ${mvFrom}.dmb ${mvTo}.dmb`);
    for (const c of [rmCode, mvTo, mvFrom]) {
      const l = await rec
        .waitForLog((x) => typeof x.msg === 'string' && x.msg.startsWith('E_REPLACED') && x.msg.includes(`${c}.dmb`), 30_000)
        .catch(() => undefined);
      if (!l) p.push(`no E_REPLACED log line naming ${c}.dmb`);
      else lines.push(`replaced/deleted ${c}: ${String(l.msg).slice(0, 220)}`);
    }
    const toReaders = readers.filter((x) => x.what === `follow ${mvTo}`);
    for (const r of toReaders) {
      const e = await r.proc.waitExit(30_000).catch(() => undefined);
      const m = r.proc.messages.find((x) => x.event === 'error');
      if (!e || m?.code !== 'E_REPLACED')
        p.push(`${r.what}: expected to stop with E_REPLACED, got exit ${JSON.stringify(e)} ${JSON.stringify(m)}`);
      else lines.push(`${r.what}: stopped with E_REPLACED (never delivered ${mvFrom}'s rows as ${mvTo}'s)`);
    }
    const displaced = fs.readdirSync(path.dirname(liveFile(root, mvTo))).filter((f) => f.startsWith(`${mvTo}.dmb.displaced-`));
    if (displaced.length !== 1) p.push(`${mvTo}: ${displaced.length} .displaced- files (expected 1)`);
    await sleep(500);
    for (const [c, had] of [
      [rmCode, before.rm],
      [mvTo, before.to],
      [mvFrom, before.from],
    ] as const) {
      const now = records(liveFile(root, c));
      if (!(now >= had)) p.push(`${c}: ${now} records at its path after the recovery, ${had} before the damage`);
    }

    // ---- connection flood
    p.check('flood');
    const port = Number(new URL(base).port);
    const fdsBefore = fdCount(rec.pid);
    const socks: net.Socket[] = [];
    for (let i = 0; i < (o.flood ?? 2000); i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      socks.push(s);
    }
    await waitFor(() => socks.every((s) => !s.connecting), 'the flood connected', { timeoutMs: 30_000 });
    await sleep(500);
    const fdsDuring = fdCount(rec.pid);
    const w0 = (await waitHealth(base, () => true, 'health after the flood', 30_000)).ticksWritten;
    for (const s of socks) s.destroy();
    const w1 = (await waitHealth(base, (s) => s.ticksWritten > w0, 'ticks written after the flood', 30_000)).ticksWritten;
    lines.push(
      `flood: ${socks.length} idle connections: the recorder's descriptors ${fdsBefore} -> ${fdsDuring} (metrics.max_connections 64), ticks written went on (${w0} -> ${w1})`,
    );
    if (fdsDuring - fdsBefore > 64 + 16) p.push(`the flood took ${fdsDuring - fdsBefore} descriptors of the recorder (bound: 64)`);

    // ---- health, stop, what is stored
    p.check('end');
    const h = await getHealth(base);
    if (h.stats.filesDamaged !== 5) p.push(`/health filesDamaged ${h.stats.filesDamaged}, expected 5`);
    if (h.status !== 'degraded') p.push(`/health says ${h.status} right after five damaged files`);
    lines.push(`/health: ${h.status}; ${h.problems.join(' | ').slice(0, 300)}`);
    const e = await rec.stop(30_000);
    if (e.code !== 0) p.push(`the recorder exited ${JSON.stringify(e)} on SIGTERM\n${rec.tail()}`);
    const st = await sim.stats();
    await sim.close();
    const stored = new Map<string, Segment[]>();
    for (const inst of instruments) stored.set(inst.id, storedSegments(root, inst.exchg, inst.code));
    const m = matchStored(spec, st.sent, stored);
    for (const [id, im] of m.instruments) {
      const code = id.split('.')[1]!;
      // the truncated files lost what was cut (someone else's doing); every other instrument nothing
      if (code === t0 || code === t24) continue;
      if (im.missingInside + im.missingBefore > 0) p.push(`${id}: ${im.missingInside + im.missingBefore} sent ticks missing`);
    }
    if (m.matched !== m.stored) p.push(`${m.stored - m.matched} stored records are not sent ticks in order`);
    lines.push(
      `stored: ${m.stored} records, every one a sent tick in order: ${m.matched === m.stored ? 'yes' : 'NO'}; instruments not truncated lost nothing: ${p.byCheck.end?.length ? 'NO' : 'yes'}`,
    );
  } finally {
    for (const r of readers) if (!r.proc.exited) r.proc.signal('SIGKILL');
    await sim.close();
  }
  return { lines, byCheck: p.byCheck, problems: Object.values(p.byCheck).flat() };
}

/** The data root on an ext4 loop device forced read-only under flow (root only). */
export async function runReadOnly(o: OutsideOptions): Promise<OutsideReport> {
  const log = o.log ?? (() => undefined);
  if (process.getuid?.() !== 0) throw new Error('the read-only scenario needs root (a loop device and mount)');
  const p = new Problems();
  const lines: string[] = [];
  const img = path.join(o.dir, 'fs.img');
  const mnt = path.join(o.dir, 'mnt');
  fs.mkdirSync(mnt, { recursive: true });
  execFileSync('truncate', ['-s', '256M', img]);
  execFileSync('mkfs.ext4', ['-q', '-F', img]);
  execFileSync('mount', ['-o', 'loop,errors=remount-ro', img, mnt]);
  const dev = path.basename(
    execFileSync('findmnt', ['-n', '-o', 'SOURCE', mnt], { encoding: 'utf8' }).trim(), // /dev/loopN
  );
  const root = path.join(mnt, 'data');
  const instruments = cryptoUniverse(o.instruments);
  const sim = await SimChild.start({
    instruments: o.instruments,
    rate: o.rate,
    seed: o.seed,
    startMs: START_MS,
    speed: 1,
    highWaterBytes: 2 ** 30,
  });
  const cfg = writeConfig(
    o.dir,
    recorderConfig({
      root,
      url: sim.url,
      storage: { initial_capacity_ticks: 256, sync_interval_ms: 200 },
      log: { reject_log_interval_ms: 500 },
    }),
  );
  const rec = startRecorder(cfg, { args: ['--clock-start', utcInstant(START_MS), '--clock-tz', 'UTC'] });
  let mounted = true;
  try {
    const base = await rec.ready(60_000);
    await waitHealth(base, (s) => s.recordsSynced > 100, 'records synced', 60_000);
    p.check('readonly');
    fs.writeFileSync(`/sys/fs/ext4/${dev}/trigger_fs_error`, '1'); // errors=remount-ro: read-only from now on
    log(`readonly: ${dev} forced read-only`);
    const roAt = await getHealth(base);
    const s = await waitHealth(base, (x) => x.syncErrors > 0, 'a failed sync counted', 30_000).catch(() => undefined);
    if (!s) p.push('no failed sync counted after the file system went read-only');
    const h = await waitFor(
      async () => {
        const x = await getHealth(base);
        return x.status === 'degraded' ? x : undefined;
      },
      '/health degraded',
      { timeoutMs: 30_000 },
    ).catch(() => undefined);
    if (!h) p.push('/health stayed ok on a read-only file system');
    else lines.push(`/health degraded: ${h.problems.join(' | ').slice(0, 300)}`);
    const st = await runCli(['status', '--url', base]);
    if (st.code !== 1) p.push(`tickrec status exit ${st.code} on a read-only file system (expected 1)`);
    lines.push(`tickrec status: exit ${st.code}; ${st.stdout.split('\n').find((l) => l.startsWith('durable')) ?? ''}`);
    await sleep(1500);
    const late = await getHealth(base);
    lines.push(
      `before the error: ${roAt.stats.ticksWritten} published, ${roAt.stats.recordsSynced} synced; 1.5 s later: ${late.stats.ticksWritten} published, ${late.stats.recordsSynced} synced, ${late.stats.syncErrors} failed syncs, ${late.stats.notDurable.length} files not durable`,
    );
    if (
      late.stats.recordsSynced > roAt.stats.recordsSynced + late.stats.ticksWritten - roAt.stats.ticksWritten &&
      late.stats.syncErrors === 0
    )
      p.push('records counted synced after the file system went read-only');
    const syncedClaim = late.stats.recordsSynced;
    rec.signal('SIGKILL'); // a stop could not sync anyway; what is on disk is what the remount shows
    await rec.waitExit(20_000).catch(() => undefined);
    await sim.close();
    execFileSync('umount', [mnt]);
    mounted = false;
    execFileSync('mount', ['-o', 'loop', img, mnt]);
    mounted = true;
    let onDisk = 0;
    for (const inst of instruments) for (const seg of storedSegments(root, inst.exchg, inst.code)) onDisk += seg.length;
    lines.push(`after remount: ${onDisk} records on disk; the recorder had counted ${syncedClaim} synced (never more than on disk)`);
    if (syncedClaim > onDisk) p.push(`${syncedClaim} records counted synced, only ${onDisk} on disk after the remount`);
  } finally {
    if (!rec.exited) rec.signal('SIGKILL');
    await sim.close();
    if (mounted) {
      try {
        execFileSync('umount', ['-l', mnt]);
      } catch {
        // left for the OS
      }
    }
  }
  return { lines, byCheck: p.byCheck, problems: Object.values(p.byCheck).flat() };
}

// Full disk: the recorder runs into the limit while its files grow, and `tickrec compact` runs into it while it writes history; each must fail with a clear error naming the file, corrupt nothing, never die of SIGBUS, and recover once there is room again.
//
// Two ways to make a disk full:
// - tmpfs: a small file system mounted for the run (`mount -t tmpfs -o size=…`, needs
//   root and a kernel that lets us mount), filled with a filler file; "room again" is the
//   filler removed while the recorder runs;
// - ulimit: `ulimit -f` on the process (writes past the size fail with EFBIG, as ENOSPC
//   would). A process cannot raise its own hard limit, so "room again" is a restart
//   without the limit.
// mode 'auto' tries tmpfs and falls back to ulimit when mount is refused; the report says
// which one ran.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inspectFile } from '../../src/cli/inspect.js';
import { TICK_KIND, rtFileBytes } from '../../src/format/index.js';
import { RT_EXT, hisDir, parseDateFolder, rtDir, rtKindDir, spareDir } from '../../src/layout/index.js';
import { RtReader, SPARE_TARGET } from '../../src/store/index.js';
import { cryptoUniverse, fingerprint, matchStored, type Segment, type SimSpec } from './expect.js';
import {
  Problems,
  SimChild,
  getHealth,
  listFiles,
  procWrites,
  round,
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
import { storedSegments, utcInstant } from './soak-run.js';

export interface DiskOptions {
  dir: string;
  mode: 'auto' | 'tmpfs' | 'ulimit';
  instruments: number;
  rate: number;
  seed: number;
  log?: (line: string) => void;
}

export interface DiskReport {
  mode: 'tmpfs' | 'ulimit';
  /** Why tmpfs was not used (mode auto). */
  mountRefused: string | undefined;
  growth: {
    writeErrors: number;
    /** A write-error log line of the recorder while the disk was full. */
    errorLine: string;
    errorFile: string;
    /** Records of that file when its growth failed, and at the end. */
    recordsAtFailure: number;
    recordsAtEnd: number;
    writtenWhileFull: number;
    writtenAfter: number;
    recorderAliveWhileFull: boolean;
    exitAtStop: string;
    /** Write syscalls and bytes per tick rejected on the full disk (from /proc/<pid>/io). */
    writeSyscallsPerRejectedTick: number;
    bytesWrittenPerRejectedTick: number;
    /** How long /health took to answer while the disk was full. */
    healthMsWhileFull: number[];
  };
  compaction: {
    code: number | null;
    errorLine: string;
    tmpLeft: string[];
    rtUnchanged: boolean;
    rerunCode: number | null;
    verifyCode: number | null;
  };
  lines: string[];
  problems: string[];
  /** Problems by check: growth, write-amplification, compaction. */
  byCheck: Record<string, string[]>;
}

/** /health may be slow while the disk is full (see the write-syscall check): wait long, measure. */
const HEALTH_SLOW_MS = 120_000;

/** Mounts a tmpfs of `bytes` at `dir`; returns why not when refused. */
export function tryMountTmpfs(dir: string, bytes: number): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return (e.stderr?.toString().trim() || e.message).split('\n')[0];
  }
}

export function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
  }
}

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills the file system of `dir` with a filler file until at most `leave` bytes are free. */
function fill(dir: string, leave: number): string {
  const file = path.join(dir, 'filler.bin');
  const fd = fs.openSync(file, 'a');
  const chunk = Buffer.alloc(64 * 1024, 0xaa);
  try {
    for (let i = 0; i < 1_000_000; i++) {
      const free = freeBytes(dir);
      if (free <= leave) break;
      try {
        fs.writeSync(fd, chunk, 0, Math.min(chunk.length, Math.max(4096, free - leave)));
      } catch {
        break; // full
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

function sha(files: readonly string[]): string {
  const h = crypto.createHash('sha256');
  for (const f of files) h.update(f).update(fs.readFileSync(f));
  return h.digest('hex');
}

/** Published records and the last one's fingerprint of every tick file (the recorder may be running). */
function published(root: string): Map<string, { n: number; fp: number }> {
  const out = new Map<string, { n: number; fp: number }>();
  for (const f of listFiles(rtKindDir(root, TICK_KIND)).filter((p) => p.endsWith(RT_EXT))) {
    const r = RtReader.open(f, { kind: TICK_KIND });
    const n = r.length;
    out.set(f, { n, fp: n > 0 ? fingerprint(r.at(n - 1)) : 0 });
    r.close();
  }
  return out;
}

/** Header against length for every rt file while the recorder may run: size <= capacity, length exactly the capacity's. */
function headerProblems(root: string): string[] {
  const problems: string[] = [];
  for (const f of listFiles(rtDir(root)).filter((p) => p.endsWith(RT_EXT))) {
    try {
      const r = RtReader.open(f);
      const len = fs.statSync(f).size;
      const want = rtFileBytes(r.capacity, r.kind.recordBytes);
      if (len !== want) problems.push(`${f}: ${len} bytes, capacity ${r.capacity} needs ${want}`);
      if (r.length > r.capacity) problems.push(`${f}: ${r.length} records in capacity ${r.capacity}`);
      r.close();
    } catch (err) {
      problems.push(`${f}: a reader refuses it: ${String(err)}`);
    }
  }
  return problems;
}

export async function runFullDisk(o: DiskOptions): Promise<DiskReport> {
  const log = o.log ?? (() => undefined);
  const problems = new Problems();
  problems.check('growth');
  fs.mkdirSync(o.dir, { recursive: true });
  const mnt = path.join(o.dir, 'mnt');
  let mode: 'tmpfs' | 'ulimit' = o.mode === 'ulimit' ? 'ulimit' : 'tmpfs';
  let mountRefused: string | undefined;
  if (mode === 'tmpfs') {
    mountRefused = tryMountTmpfs(mnt, 64 * 1024 * 1024);
    if (mountRefused !== undefined) {
      if (o.mode === 'tmpfs') throw new Error(`mount -t tmpfs refused: ${mountRefused}`);
      mode = 'ulimit';
      log(`full disk: mount -t tmpfs refused (${mountRefused}); using ulimit -f`);
    }
  }
  const root = path.join(mode === 'tmpfs' ? mnt : o.dir, 'data');
  fs.mkdirSync(root, { recursive: true });
  const startMs = Date.UTC(2025, 0, 7, 12, 0, 0);
  const instruments = cryptoUniverse(o.instruments);
  const spec: SimSpec = { seed: o.seed, instruments, startMs, rate: o.rate, speed: 1 };
  const sim = await SimChild.start({ instruments: o.instruments, rate: o.rate, seed: o.seed, startMs, speed: 1, highWaterBytes: 2 ** 30 });
  // 256 ticks (131 KiB) per new tick file: growths come soon and often
  const cfg = writeConfig(
    o.dir,
    recorderConfig({
      root,
      url: sim.url,
      storage: { initial_capacity_ticks: 256, max_open_files: 4096 },
      log: { reject_log_interval_ms: 500 },
    }),
  );
  const clock = ['--clock-start', utcInstant(startMs), '--clock-tz', 'UTC'];
  // ulimit: 400 KiB per file: tick files reach 512 records (262 KiB), the growth to 1024 fails
  const ULIMIT_BLOCKS = 400;
  let filler: string | undefined;
  const growth: DiskReport['growth'] = {
    writeErrors: 0,
    errorLine: '',
    errorFile: '',
    recordsAtFailure: 0,
    recordsAtEnd: 0,
    writtenWhileFull: 0,
    writtenAfter: 0,
    recorderAliveWhileFull: false,
    exitAtStop: '',
    writeSyscallsPerRejectedTick: 0,
    bytesWrittenPerRejectedTick: 0,
    healthMsWhileFull: [],
  };

  try {
    // ---- growth ----------------------------------------------------------------------------
    let rec: RecorderProc = startRecorder(cfg, { args: clock, ...(mode === 'ulimit' ? { ulimitFileBlocks: ULIMIT_BLOCKS } : {}) });
    let base = await rec.ready(60_000);
    await waitHealth(base, (s) => s.ticksWritten >= o.rate / 2, 'the recorder writing');
    // SPARE FILES (src/store/spare.ts): a recorder just started makes its stock of empty
    // files in the background; those creations are not what the write check below measures
    const spares = () => (fs.existsSync(spareDir(root)) ? fs.readdirSync(spareDir(root)).length : 0);
    await waitFor(() => spares() >= SPARE_TARGET, `the recorder's ${SPARE_TARGET} spare files made`, {
      timeoutMs: 120_000,
      describe: () => `${spares()} made`,
    });
    if (mode === 'tmpfs') {
      filler = fill(mnt, 192 * 1024);
      log(`full disk: tmpfs filled, ${freeBytes(mnt)} bytes free`);
    }
    const full = await waitHealth(base, (s) => s.writeErrors >= 5, 'write errors of a full disk', HEALTH_SLOW_MS);
    const errLine = await rec.waitForLog((l: Line) => writeErrorLines([l]).length === 1 && l.reason === 'E_NO_SPACE', HEALTH_SLOW_MS);
    growth.errorLine = String(errLine.msg);
    const m = /(\/\S+\.dmb)/.exec(growth.errorLine);
    growth.errorFile = m?.[1] ?? '';
    if (!growth.errorFile.startsWith(root)) problems.push(`the write error does not name a file of the root: ${growth.errorLine}`);
    if (!/E_NO_SPACE/.test(growth.errorLine) || !/(ENOSPC|EFBIG)/.test(growth.errorLine))
      problems.push(`the write error does not say E_NO_SPACE and ENOSPC/EFBIG: ${growth.errorLine}`);
    // while full: alive, files consistent, published records there, and what each rejected tick costs
    const io0 = procWrites(rec.pid);
    const h0 = Date.now();
    const s0 = (await getHealth(base, HEALTH_SLOW_MS)).stats;
    growth.healthMsWhileFull.push(Date.now() - h0);
    await sleep(1500);
    const io1 = procWrites(rec.pid);
    const h1 = Date.now();
    const whileFull = (await getHealth(base, HEALTH_SLOW_MS)).stats;
    growth.healthMsWhileFull.push(Date.now() - h1);
    const rejectedTicks = whileFull.writeErrors - s0.writeErrors;
    if (io0 && io1 && rejectedTicks > 0) {
      growth.writeSyscallsPerRejectedTick = round((io1.syscalls - io0.syscalls) / rejectedTicks, 2);
      growth.bytesWrittenPerRejectedTick = Math.round((io1.bytes - io0.bytes) / rejectedTicks);
      // A rejected tick is counted and logged (rate-limited); it should not retry the growth each time.
      problems.check('write-amplification');
      if (growth.writeSyscallsPerRejectedTick > 0.2) {
        problems.push(
          `each tick rejected on the full disk costs ${growth.writeSyscallsPerRejectedTick} write syscalls and ${growth.bytesWrittenPerRejectedTick} bytes written ` +
            `(${rejectedTicks} rejected in 1.5 s): the writer retries the whole growth (msync, zero-fill, write, ftruncate) on every append of a full file; /health answered in ${growth.healthMsWhileFull.join(', ')} ms`,
        );
      }
      problems.check('growth');
    }
    growth.writtenWhileFull = whileFull.ticksWritten - full.ticksWritten;
    growth.recorderAliveWhileFull = !rec.exited;
    if (rec.exited) problems.push(`the recorder died on a full disk: ${JSON.stringify(rec.exited)}\n${rec.tail()}`);
    problems.push(...headerProblems(root).map((p) => `while full: ${p}`));
    const before = published(root);
    if (growth.errorFile) growth.recordsAtFailure = before.get(growth.errorFile)?.n ?? 0;
    log(`full disk: ${whileFull.writeErrors} write errors; ${growth.errorLine.slice(0, 200)}`);

    // ---- room again ------------------------------------------------------------------------
    if (mode === 'tmpfs') {
      fs.rmSync(filler!, { force: true });
      filler = undefined;
    } else {
      const e = await rec.stop(20_000);
      growth.exitAtStop = JSON.stringify(e);
      if (e.code !== 0) problems.push(`the recorder under ulimit exited ${JSON.stringify(e)} on SIGTERM\n${rec.tail()}`);
      rec = startRecorder(cfg, { args: clock });
      base = await rec.ready(60_000);
    }
    const resumeFrom = (await getHealth(base, HEALTH_SLOW_MS)).stats;
    const target = growth.errorFile;
    await waitFor(() => target !== '' && (published(root).get(target)?.n ?? 0) > growth.recordsAtFailure + 10, `${target} growing again`, {
      timeoutMs: 30_000,
    });
    // every file whose growth failed writes again (a writer may wait a moment before it
    // retries a growth): the write errors stop, within a bounded wait
    let a1 = (await getHealth(base, HEALTH_SLOW_MS)).stats;
    let a2 = a1;
    for (let i = 0; i < 60; i++) {
      await sleep(1000);
      a2 = (await getHealth(base, HEALTH_SLOW_MS)).stats;
      if (a2.writeErrors === a1.writeErrors) break;
      a1 = a2;
    }
    if (mode === 'tmpfs' && a2.writeErrors !== a1.writeErrors)
      problems.push(`write errors go on with room again: ${a1.writeErrors} -> ${a2.writeErrors} after 60 s`);
    if (mode === 'ulimit' && a2.writeErrors !== 0) problems.push(`the restarted recorder has ${a2.writeErrors} write errors`);
    growth.writtenAfter = a2.ticksWritten - resumeFrom.ticksWritten;
    growth.writeErrors = whileFull.writeErrors;
    const e = await rec.stop(20_000);
    if (mode === 'tmpfs') growth.exitAtStop = JSON.stringify(e);
    if (e.code !== 0) problems.push(`the recorder exited ${JSON.stringify(e)} on SIGTERM\n${rec.tail()}`);
    const after = published(root);
    growth.recordsAtEnd = after.get(target)?.n ?? 0;
    for (const [f, b] of before) {
      const a = after.get(f);
      if (!a || a.n < b.n) problems.push(`${f}: ${b.n} records published while full, ${a?.n ?? 0} at the end`);
    }
    for (const f of listFiles(rtDir(root)).filter((p) => p.endsWith(RT_EXT)))
      for (const p of inspectFile(f).problems) problems.push(`${f}: ${p}`);
    const st = await sim.stats();
    await sim.close();
    const stored = new Map<string, Segment[]>();
    for (const inst of instruments) stored.set(inst.id, storedSegments(root, inst.exchg, inst.code));
    const match = matchStored(spec, st.sent, stored);
    problems.push(...match.problems.slice(0, 10));
    if (match.matched !== match.stored) problems.push(`${match.stored - match.matched} stored records are not sent ticks in order`);

    // ---- compaction ------------------------------------------------------------------------
    problems.check('compaction');
    // The day ends: a recorder whose clock says the next day sets every file aside at start.
    const dead = writeConfig(
      o.dir,
      recorderConfig({
        root,
        url: 'ws://127.0.0.1:9',
        storage: { initial_capacity_ticks: 256, ...(storageHasKey('roll_grace_ms') ? { roll_grace_ms: 0 } : {}) },
      }),
      'next-day.json',
    );
    const roller = startRecorder(dead, { args: ['--clock-start', utcInstant(Date.UTC(2025, 0, 8, 1, 0, 0)), '--clock-tz', 'UTC'] });
    const on = await roller.waitForLog(/^recorder on /, 30_000);
    await roller.ready();
    const re = await roller.stop();
    if (re.code !== 0) problems.push(`the next-day recorder exited ${JSON.stringify(re)}`);
    const finished = listFiles(rtDir(root)).filter(
      (p) => p.endsWith(RT_EXT) && parseDateFolder(path.basename(path.dirname(p))) !== undefined,
    );
    if (finished.length === 0) problems.push(`no finished day to compact (recorder on: ${String(on.msg)})`);
    const hashes = new Map(finished.map((f) => [f, sha([f])]));
    let c: Awaited<ReturnType<typeof runCli>>;
    if (mode === 'tmpfs') {
      filler = fill(mnt, 48 * 1024);
      c = await runCli(['compact', '--root', root]);
    } else {
      c = await runCli(['compact', '--root', root], { ulimitFileBlocks: 16 });
    }
    const out = `${c.stdout}\n${c.stderr}`;
    const errorLine = out.split('\n').find((l) => /E_NO_SPACE/.test(l)) ?? '';
    const tmpLeft = listFiles(hisDir(root)).filter((p) => /\.tmp/.test(p));
    // the rt files still there hold what they held (those released were compacted, written, read back)
    const changed = finished.filter((f) => fs.existsSync(f) && sha([f]) !== hashes.get(f));
    const kept = finished.filter((f) => fs.existsSync(f)).length;
    const rtUnchanged = changed.length === 0;
    if (c.code !== 1 || c.signal !== null)
      problems.push(`compaction on a full disk exited ${c.code}/${c.signal} (expected 1): ${out.slice(0, 1500)}`);
    if (!/\.tsb/.test(errorLine))
      problems.push(`compaction's E_NO_SPACE line does not name a .tsb file: ${errorLine || out.slice(0, 1500)}`);
    if (tmpLeft.length > 0) problems.push(`temporary files left: ${tmpLeft.join(', ')}`);
    if (!rtUnchanged) problems.push(`rt files changed by the failed compaction: ${changed.join(', ')}`);
    if (kept === 0) problems.push('the failed compaction released every rt file: it did not run into the full disk');
    const v1 = await runCli(['verify', '--root', root]);
    const corrupt = v1.stdout.split('\n').filter((l) => /^ {2}\//.test(l) && !/never compacted|gap:/.test(l));
    if (corrupt.length > 0) problems.push(`verify after the failed compaction: ${corrupt.join(' | ')}`);
    if (filler) {
      fs.rmSync(filler, { force: true });
      filler = undefined;
    }
    const c2 = await runCli(['compact', '--root', root]);
    if (c2.code !== 0) problems.push(`compaction with room again exited ${c2.code}: ${c2.stdout} ${c2.stderr}`);
    const v2 = await runCli(['verify', '--root', root, '--deep']);
    if (v2.code !== 0) problems.push(`verify --deep after the rerun exited ${v2.code}: ${v2.stdout.slice(0, 1500)}`);
    const stored2 = new Map<string, Segment[]>();
    for (const inst of instruments) stored2.set(inst.id, storedSegments(root, inst.exchg, inst.code));
    const match2 = matchStored(spec, st.sent, stored2);
    if (match2.stored !== match.stored || match2.matched !== match2.stored)
      problems.push(`after compaction: ${match2.stored} records (${match2.matched} matched), before: ${match.stored}`);

    const compaction = { code: c.code, errorLine, tmpLeft, rtUnchanged, rerunCode: c2.code, verifyCode: v2.code };
    const lines = [
      `mode: ${mode}${mountRefused !== undefined ? ` (mount -t tmpfs refused: ${mountRefused})` : mode === 'tmpfs' ? ' (a 64 MiB tmpfs, filled by a filler file)' : ''}`,
      `growth: ${growth.writeErrors} write errors counted, the recorder stayed up (${growth.recorderAliveWhileFull}), ${growth.writtenWhileFull} ticks still written while full (files that did not need to grow)`,
      `  per rejected tick: ${growth.writeSyscallsPerRejectedTick} write syscalls, ${growth.bytesWrittenPerRejectedTick} bytes written; /health answered in ${growth.healthMsWhileFull.join(', ')} ms while full`,
      `  logged: ${growth.errorLine.slice(0, 300)}`,
      `  ${growth.errorFile}: ${growth.recordsAtFailure} records when its growth failed, ${growth.recordsAtEnd} at the end; ${growth.writtenAfter} ticks written from room coming back to the write errors stopping${mode === 'ulimit' ? ' (restart without the limit)' : ' (filler removed, same process)'}`,
      `  every published record kept, every stored record a sent tick in order: ${match.matched === match.stored ? 'yes' : 'NO'} (${match.stored} records)`,
      `compaction on a full disk: exit ${c.code}; ${errorLine.trim().slice(0, 300)}`,
      `  temporary files left: ${tmpLeft.length}; rt files kept unchanged: ${kept} of ${finished.length}; rerun with room: exit ${c2.code}; verify --deep: exit ${v2.code}`,
    ];
    return { mode, mountRefused, growth, compaction, lines, problems: problems.all, byCheck: problems.byCheck };
  } finally {
    if (filler) fs.rmSync(filler, { force: true });
    await sim.close();
    if (mode === 'tmpfs') unmount(mnt); // the data goes with the tmpfs
  }
}

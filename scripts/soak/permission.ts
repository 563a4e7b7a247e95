// Permission revoked on the data folder mid-run, then restored: the recorder (run as `nobody` when we are root, since root ignores permissions) counts and logs the writes it cannot make, naming the file, keeps recording the files it has open, and creates the files it could not once the permission is back.
//
// Half the instruments are subscribed at start (their files exist and are open when the
// folder is closed with chmod 000); the other half are added by SIGHUP while the folder
// is closed, so their files cannot be created until it is opened again.

import fs from 'node:fs';
import path from 'node:path';
import { inspectFile } from '../../src/cli/inspect.js';
import { TICK_KIND } from '../../src/format/index.js';
import { RT_EXT, rtDir, rtFilePath } from '../../src/layout/index.js';
import { cryptoUniverse, matchStored, type Segment, type SimSpec } from './expect.js';
import {
  SimChild,
  getHealth,
  listFiles,
  recorderConfig,
  sleep,
  startRecorder,
  waitFor,
  waitHealth,
  writeConfig,
  writeErrorLines,
} from './lib.js';
import { storedSegments, utcInstant } from './soak-run.js';

export interface PermissionOptions {
  dir: string;
  instruments: number;
  rate: number;
  seed: number;
  /** How long the folder stays closed, at least (ms). Default 1000. */
  closedMs?: number;
  log?: (line: string) => void;
}

export interface PermissionReport {
  /** Write errors counted while the folder was closed. */
  writeErrors: number;
  errorLine: string;
  /** Ticks of the instruments with open files written while the folder was closed. */
  writtenWhileClosed: number;
  /** Files of the added instruments once the folder was open again. */
  createdAfter: number;
  /** Instruments subscribed from the start: sent ticks missing between stored ones (must be 0). */
  gapsOfOpenFiles: number;
  exit: string;
  lines: string[];
  problems: string[];
}

export const NOBODY = { uid: 65534, gid: 65534 };

function chownTree(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else fs.chownSync(p, uid, gid);
  }
}

export async function runPermission(o: PermissionOptions): Promise<PermissionReport> {
  const log = o.log ?? (() => undefined);
  const problems: string[] = [];
  const root = path.join(o.dir, 'data');
  fs.mkdirSync(root, { recursive: true });
  for (let d = path.dirname(path.resolve(o.dir)); process.getuid?.() === 0 && d !== path.dirname(d); d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0)
      throw new Error(`${d} is not searchable by others: the recorder, run as nobody, could not reach ${o.dir}`);
  }
  const startMs = Date.UTC(2025, 0, 7, 12, 0, 0);
  const instruments = cryptoUniverse(o.instruments);
  const half = Math.max(1, Math.floor(o.instruments / 2));
  const first = instruments.slice(0, half).map((i) => i.id);
  const spec: SimSpec = { seed: o.seed, instruments, startMs, rate: o.rate, speed: 1 };
  const sim = await SimChild.start({ instruments: o.instruments, rate: o.rate, seed: o.seed, startMs, speed: 1, highWaterBytes: 2 ** 30 });
  const config = (subscribe: string[]) =>
    recorderConfig({ root, url: sim.url, subscribe, storage: { initial_capacity_ticks: 256 }, log: { reject_log_interval_ms: 1000 } });
  const cfg = writeConfig(o.dir, config(first));
  // root ignores permissions: as root, the recorder runs as nobody; otherwise as ourselves
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? NOBODY : undefined;
  if (user) chownTree(o.dir, user.uid, user.gid);
  const rec = startRecorder(cfg, { args: ['--clock-start', utcInstant(startMs), '--clock-tz', 'UTC'], ...user });
  let closed = false;
  try {
    const base = await rec.ready(60_000);
    await waitFor(
      () => instruments.slice(0, half).every((i) => fs.existsSync(rtFilePath(root, TICK_KIND, i.exchg, i.code))),
      'the files of the first instruments',
      { timeoutMs: 30_000 },
    );
    await waitHealth(base, (s) => s.ticksWritten >= o.rate / 2, 'the recorder writing');

    // close the folder, then ask for the other instruments
    fs.chmodSync(root, 0o000);
    closed = true;
    const closedAt = Date.now();
    const c0 = (await getHealth(base)).stats;
    writeConfig(o.dir, config(instruments.map((i) => i.id)));
    if (user) fs.chownSync(cfg, user.uid, user.gid);
    rec.signal('SIGHUP');
    log(`permission: ${root} is chmod 000; ${o.instruments - half} instruments added by SIGHUP`);
    await waitHealth(base, (s) => s.writeErrors >= 10, 'write errors while the folder is closed', 30_000);
    const errLine = await rec.waitForLog((l) => writeErrorLines([l]).length === 1, 20_000);
    const errorLine = String(errLine.msg);
    if (!errorLine.includes(root)) problems.push(`the write error does not name a file of the root: ${errorLine}`);
    if (!/EACCES|permission/i.test(errorLine)) problems.push(`the write error does not say permission denied: ${errorLine}`);
    await sleep(Math.max(1000, (o.closedMs ?? 1000) - (Date.now() - closedAt)));
    const c1 = (await getHealth(base)).stats;
    if (rec.exited) problems.push(`the recorder died: ${JSON.stringify(rec.exited)}\n${rec.tail()}`);
    const writtenWhileClosed = c1.ticksWritten - c0.ticksWritten;
    if (writtenWhileClosed <= 0) problems.push('nothing written while the folder was closed: the open files should go on');
    const closedErrors = c1.writeErrors;
    log(`permission: ${c1.writeErrors} write errors, ${writtenWhileClosed} ticks still written; ${errorLine.slice(0, 200)}`);

    // open it again: the missing files appear, the errors stop
    fs.chmodSync(root, 0o755);
    closed = false;
    const closedMs = Date.now() - closedAt;
    await waitFor(
      () => instruments.every((i) => fs.existsSync(rtFilePath(root, TICK_KIND, i.exchg, i.code))),
      'the files of the added instruments',
      { timeoutMs: 30_000 },
    );
    const o1 = (await getHealth(base)).stats;
    await sleep(1000);
    const o2 = (await getHealth(base)).stats;
    if (o2.writeErrors !== o1.writeErrors)
      problems.push(`write errors go on after the permission came back: ${o1.writeErrors} -> ${o2.writeErrors}`);
    if (o2.ticksWritten <= o1.ticksWritten) problems.push('nothing written after the permission came back');
    const e = await rec.stop(20_000);
    if (e.code !== 0) problems.push(`the recorder exited ${JSON.stringify(e)} on SIGTERM\n${rec.tail()}`);

    const st = await sim.stats();
    await sim.close();
    for (const f of listFiles(rtDir(root)).filter((p) => p.endsWith(RT_EXT))) {
      for (const p of inspectFile(f).problems) problems.push(`${f}: ${p}`);
      if (user && fs.statSync(f).uid !== user.uid) problems.push(`${f} is not owned by the recorder's user`);
    }
    const stored = new Map<string, Segment[]>();
    for (const inst of instruments) stored.set(inst.id, storedSegments(root, inst.exchg, inst.code));
    const m = matchStored(spec, st.sent, stored);
    problems.push(...m.problems.slice(0, 10));
    if (m.matched !== m.stored) problems.push(`${m.stored - m.matched} stored records are not sent ticks in order`);
    let gaps = 0;
    let created = 0;
    for (const [id, im] of m.instruments) {
      if (first.includes(id)) gaps += im.missingInside;
      else {
        if (im.stored > 0) created++;
        if (im.missingInside > 0) problems.push(`${id}: ${im.missingInside} ticks missing after its file was created`);
      }
    }
    if (gaps > 0) problems.push(`the instruments with open files lost ${gaps} ticks while the folder was closed`);
    if (created !== o.instruments - half) problems.push(`${created} of the ${o.instruments - half} added instruments have records`);
    const lines = [
      `recorder run as ${user ? `nobody (uid ${user.uid})` : `uid ${process.getuid?.()}`}; the data folder chmod 000 for ${(closedMs / 1000).toFixed(1)} s, then 755; ${half} instruments with open files, ${o.instruments - half} added by SIGHUP while closed`,
      `while closed: ${closedErrors} write errors counted and logged (rate-limited), the recorder stayed up, ${writtenWhileClosed} ticks of the open files written meanwhile`,
      `  logged: ${errorLine.slice(0, 300)}`,
      `after chmod 755: the ${created} added instruments' files created and written, write errors stopped; open files: ${gaps} ticks missing`,
      `every stored record a sent tick in order: ${m.matched === m.stored ? 'yes' : 'NO'} (${m.stored} records); SIGTERM exit ${JSON.stringify(e)}`,
    ];
    return {
      writeErrors: closedErrors,
      errorLine,
      writtenWhileClosed,
      createdAfter: created,
      gapsOfOpenFiles: gaps,
      exit: JSON.stringify(e),
      lines,
      problems,
    };
  } finally {
    if (closed) fs.chmodSync(root, 0o755);
    await sim.close();
  }
}

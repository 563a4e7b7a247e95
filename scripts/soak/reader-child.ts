// Child process: a strategy-like reader of one instrument. It follows the live tick file with src/store follow() across day rolls and checks each record once: right instrument, trading date never going back, total_volume strictly increasing within a day (no duplicate, no reordering), and an order-sensitive chain of record fingerprints to compare with the simulator's stream.
//
// usage: reader-child.ts '<json {root, exchg, code, late?, intervalMs?}>'
// late: before following, read the finished days already gone from the live path (his/
// day blocks, else the set-aside rt files), as a reader that starts late must.
// IPC: sends {event:'open', date} per file, {event:'progress', count}; on {cmd:'finish', expect:{<date>: n}}
// it keeps reading until it has n records of each date (or finishMs passed) and sends
// {event:'summary', ...}, then exits.

import fs from 'node:fs';
import { TICK_KIND, type FieldValue, type View } from '../../src/format/index.js';
import {
  TICKREC_HIS_EXT,
  hisDayPath,
  hisExchangeDir,
  parseDateFolder,
  rtExchangeDir,
  rtFilePath,
  rtFinishedPath,
} from '../../src/layout/index.js';
import { follow, type FileInfo } from '../../src/store/index.js';
import { chain, fingerprint, hisSegment, rtSegment, type Segment } from './expect.js';

interface Args {
  root: string;
  exchg: string;
  code: string;
  late?: boolean;
  intervalMs?: number;
  /** Longest wait for the expected records after 'finish'. Default 60 s. */
  finishMs?: number;
}

const a = JSON.parse(process.argv[2]!) as Args;
const send = (m: object) => process.send?.(m);
const live = rtFilePath(a.root, TICK_KIND, a.exchg, a.code);

interface Day {
  count: number;
  chain: number;
  firstTv: number;
  lastTv: number;
}
const days = new Map<number, Day>();
const violations: string[] = [];
const files: { event: string; path: string; date: number; length: number }[] = [];
const pastFiles: string[] = [];
let total = 0;
let curDate = 0;
let expect: Record<string, number> | undefined;

function violation(s: string): void {
  if (violations.length < 10) violations.push(s);
}

function onRecord(v: View & Record<string, FieldValue>, where: string, i: number): void {
  total++;
  if (v.exchg !== a.exchg || v.code !== a.code) violation(`${where}#${i}: instrument ${String(v.exchg)}.${String(v.code)}`);
  const date = v.trading_date as number;
  const tv = v.total_volume as number;
  if (date < curDate) violation(`${where}#${i}: trading date ${date} after ${curDate}`);
  let d = days.get(date);
  if (!d) days.set(date, (d = { count: 0, chain: 0, firstTv: tv, lastTv: -Infinity }));
  else if (!(tv > d.lastTv)) violation(`${where}#${i}: total_volume ${tv} after ${d.lastTv} on ${date} (duplicate or out of order)`);
  curDate = Math.max(curDate, date);
  d.count++;
  d.lastTv = tv;
  d.chain = chain(d.chain, fingerprint(v));
}

/** The finished days no longer at the live path: his/ day blocks first, else set-aside rt files. */
function readPast(): void {
  const dates = new Set<number>();
  for (const dir of [hisExchangeDir(a.root, TICK_KIND, a.exchg), rtExchangeDir(a.root, TICK_KIND, a.exchg)]) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      // none yet
    }
    for (const n of names) {
      const date = parseDateFolder(n);
      if (date !== undefined) dates.add(date);
    }
  }
  for (const date of [...dates].sort((x, y) => x - y)) {
    const his = hisDayPath(a.root, TICK_KIND, a.exchg, date, a.code, TICKREC_HIS_EXT); // compaction's default lz4: tickrec's name
    const rt = rtFinishedPath(a.root, TICK_KIND, a.exchg, date, a.code);
    let seg: Segment | undefined;
    if (fs.existsSync(his)) seg = hisSegment(his);
    else if (fs.existsSync(rt)) seg = rtSegment(rt);
    if (!seg) continue;
    pastFiles.push(seg.label);
    for (let i = 0; i < seg.length; i++) onRecord(seg.at(i), seg.label, i);
    seg.close();
  }
}

function summary(timedOut: boolean): void {
  const byDate: Record<number, Day> = {};
  for (const [d, v] of days) byDate[d] = v;
  send({ event: 'summary', total, byDate, violations, files, pastFiles, timedOut });
}

function satisfied(): boolean {
  if (!expect) return false;
  return Object.entries(expect).every(([d, n]) => (days.get(Number(d))?.count ?? 0) >= n);
}

if (a.late) readPast();
const follower = follow(live, (v, i, r) => onRecord(v, r.path, i), {
  from: 'start',
  mode: 'timer',
  intervalMs: a.intervalMs ?? 5,
  rollCheckMs: 50,
  kind: TICK_KIND,
  onFileStart: (f: FileInfo) => {
    files.push({ event: 'start', ...f });
    send({ event: 'open', date: f.date, length: f.length });
  },
  onFileEnd: (f: FileInfo) => files.push({ event: 'end', ...f }),
});
follower.done.then(
  () => undefined,
  (err: unknown) => {
    send({ event: 'error', message: String((err as Error)?.message ?? err) });
    process.exit(1);
  },
);

// Once the expected records are all there, one more interval to see any record too many.
let satisfiedAt = 0;
const progress = setInterval(() => {
  send({ event: 'progress', total });
  if (!satisfied()) return;
  if (satisfiedAt === 0) satisfiedAt = Date.now();
  else finish(false);
}, 250);

let finishing = false;
function finish(timedOut: boolean): void {
  if (finishing) return;
  finishing = true;
  clearInterval(progress);
  follower.stop();
  summary(timedOut);
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (m: { cmd?: string; expect?: Record<string, number> }) => {
  if (m.cmd !== 'finish') return;
  expect = m.expect ?? {};
  setTimeout(() => finish(true), a.finishMs ?? 60_000).unref();
});
process.on('disconnect', () => process.exit(0));
send({ event: 'ready', late: !!a.late, pastRecords: total });

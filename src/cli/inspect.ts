// tickrec inspect FILE: what a block file holds and what is wrong with it.

import fs from 'node:fs';
import type { Command } from 'commander';
import { TickrecError, ioError } from '../errors.js';
import { RT_HEADER_BYTES, formatDate, formatTime, minuteBarStamp, rtFileBytes, type Rec } from '../format/index.js';
import { RtReader, probeRtFile, rtTradingDate, visitNonZeroChunks, type RtProbe } from '../store/index.js';
import { hisNameProblem } from '../his/index.js';
import { isHistoricalFile, openHisFile, type KeyedRecords } from './his-file.js';
import { EXIT_OK, EXIT_PROBLEMS, action } from './run.js';
import { printOut } from './terminal.js';

export interface InspectReport {
  file: string;
  fileBytes: number;
  kind?: string;
  type?: number;
  version?: number;
  date?: number;
  size?: number;
  capacity?: number;
  recordBytes?: number;
  first?: string;
  last?: string;
  /** Real-time bar files: the trading date of the records when the header says another (rtTradingDate). */
  tradingDate?: number;
  /** Historical files: 'tickrec', 'container', 'datakit-zstd', 'datakit-raw', 'datakit-old-zstd', 'datakit-old-raw'. */
  format?: string;
  /** Bar histories: trading days held, the first and the last. */
  days?: number;
  firstDate?: number;
  lastDate?: number;
  problems: string[];
  /** Facts worth knowing that are not damage (e.g. zeros written ahead of the next growth). */
  notes?: string[];
}

function when(rec: Rec): string {
  const r = rec as Record<string, number>;
  if (r.action_date !== undefined) return `${formatDate(r.action_date)} ${formatTime(r.action_time ?? 0)}`;
  const stamp = minuteBarStamp(r.time ?? 0);
  return r.time ? `${stamp}` : formatDate(r.date ?? 0);
}

/** True when bytes [from, to) of the file are all zero (read with read(2), not mapped). */
function tailIsZero(file: string, from: number, to: number): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    let zero = true;
    visitNonZeroChunks(fd, from, to, () => (zero = false));
    return zero;
  } finally {
    fs.closeSync(fd);
  }
}

/** Records out of time order, as a problem line (none: undefined). */
function disorderOf(r: KeyedRecords, bars: boolean): string | undefined {
  let bad = 0;
  let firstBad = -1;
  let prev = -Infinity;
  for (let i = 0; i < r.length; i++) {
    const k = r.keyAt(i);
    if (k < prev || (bars && k === prev)) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
    prev = k;
  }
  return bad === 0 ? undefined : `${bad} records out of time order${bars ? ' or repeated' : ''} (first at index ${firstBad})`;
}

/** A historical file (.tsb, .dsb): header, format, records, days; every check of its format (a failed one is the problem). */
export function inspectHisFile(file: string): InspectReport {
  const report: InspectReport = { file, fileBytes: 0, problems: [] };
  try {
    report.fileBytes = fs.statSync(file).size;
    const h = openHisFile(file);
    Object.assign(report, {
      kind: h.hisKind.name,
      type: h.type,
      version: h.version,
      format: h.format,
      size: h.length,
      recordBytes: h.hisKind.recordBytes,
      ...(h.date !== undefined ? { date: h.date } : {}),
    });
    if (h.days) {
      report.days = h.days.length;
      if (h.days.length > 0) {
        report.firstDate = h.days[0]!.date;
        report.lastDate = h.days[h.days.length - 1]!.date;
      }
    }
    if (h.length > 0) {
      report.first = when(h.get(0));
      report.last = when(h.get(h.length - 1));
    }
    const misnamed = hisNameProblem(file, h.format);
    if (misnamed) report.problems.push(misnamed);
    const disorder = disorderOf(h, h.hisKind.layout === 'history');
    if (disorder) report.problems.push(disorder);
    if (h.format === 'datakit-old-raw' || h.format === 'datakit-old-zstd')
      (report.notes ??= []).push(
        `datakit's old struct layout (version ${h.version}): records converted on read as datakit converts them; the next append rewrites the file in the current layout`,
      );
  } catch (err) {
    report.problems.push(err instanceof TickrecError ? `${err.code}: ${err.message}` : String(err));
  }
  return report;
}

/**
 * Damage in the file becomes problems in the report (exit 1); a path that is not a file
 * to inspect (missing, a folder, unreadable) is the user's input error and throws (exit 2).
 */
export function inspectFile(file: string): InspectReport {
  try {
    if (isHistoricalFile(file)) return inspectHisFile(file);
  } catch {
    // not openable: the real-time path below reports it
  }
  const report: InspectReport = { file, fileBytes: 0, problems: [] };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) {
      fs.closeSync(fd);
      throw new TickrecError('E_USAGE', `${file}: a folder; give a block file inside it, e.g. ${file}/<CODE>.dmb.`, { file });
    }
  } catch (err) {
    throw ioError(err, file, 'open for reading');
  }
  let probe: RtProbe;
  try {
    report.fileBytes = fs.fstatSync(fd).size;
    probe = probeRtFile(fd, file);
  } catch (err) {
    report.problems.push(err instanceof TickrecError ? `${err.code}: ${err.message}` : String(err));
    fs.closeSync(fd);
    return report;
  }
  fs.closeSync(fd);
  const h = probe.header;
  Object.assign(report, {
    kind: probe.kind.name,
    type: h.type,
    version: h.version,
    date: h.date,
    size: h.size,
    capacity: h.capacity,
    recordBytes: probe.kind.recordBytes,
  });
  const expected = rtFileBytes(h.capacity, probe.kind.recordBytes);
  if (probe.fileBytes > expected) {
    const extra = probe.fileBytes - expected;
    if (extra % probe.kind.recordBytes === 0) {
      // A live writer writes the next growth's zeros ahead (EXTEND AHEAD, src/store/extender.ts).
      (report.notes ??= []).push(
        `${extra / probe.kind.recordBytes} zero record slots past capacity ${h.capacity}: the next growth, written ahead by the writer (or left by an interrupted growth; the writer uses them on reopen)`,
      );
    } else {
      report.problems.push(
        `file is ${extra} bytes longer than capacity ${h.capacity} needs (an interrupted growth; the writer repairs it on reopen)`,
      );
    }
  }
  let reader: RtReader;
  try {
    reader = RtReader.open(file);
  } catch (err) {
    report.problems.push(err instanceof TickrecError ? `${err.code}: ${err.message}` : String(err));
    return report;
  }
  try {
    const n = reader.length;
    report.size = n;
    if (n > 0) {
      report.first = when(reader.get(0));
      const last = reader.get(n - 1);
      report.last = when(last);
      const td = rtTradingDate(probe.kind, h.date, probe.kind.datedByRecords ? (last.date as number) : undefined);
      if (td !== h.date) {
        report.tradingDate = td;
        (report.notes ??= []).push(
          `header date ${h.date} is not the trading date of the records (${td}): datakit dates a bar file by the day it was created; tickrec dates it by its records`,
        );
      }
    }
    const disorder = disorderOf(reader, false);
    if (disorder) report.problems.push(disorder);
    if (n < reader.capacity && !tailIsZero(file, RT_HEADER_BYTES + n * probe.kind.recordBytes, expected)) {
      report.problems.push('bytes past the published records are not zero (a torn unpublished record; the writer zeroes them on reopen)');
    }
  } finally {
    reader.close();
  }
  return report;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show the header, record kind, size/capacity, first/last time and problems of a block file')
    .argument('<file>', 'a block file: real-time (.dmb) or historical (.tsb tickrec, .dsb datakit, any version)')
    .option('--json', 'print the report as JSON')
    .action(
      action((file: string, opts: { json?: boolean }) => {
        const r = inspectFile(file);
        if (opts.json) printOut(...JSON.stringify(r, null, 2).split('\n'));
        else {
          const lines = [
            `file       ${r.file} (${r.fileBytes} bytes)`,
            r.kind !== undefined ? `kind       ${r.kind} (type ${r.type}, version ${r.version}, ${r.recordBytes} bytes/record)` : null,
            r.format !== undefined ? `format     ${r.format}` : null,
            r.date !== undefined
              ? `date       ${r.date}${r.tradingDate !== undefined ? ` (records: trading date ${r.tradingDate})` : ''}`
              : null,
            r.size !== undefined ? `records    ${r.size}${r.capacity !== undefined ? ` of capacity ${r.capacity}` : ''}` : null,
            r.days !== undefined ? `days       ${r.days}${r.days > 0 ? ` (${r.firstDate} to ${r.lastDate})` : ''}` : null,
            r.first ? `first      ${r.first}` : null,
            r.last ? `last       ${r.last}` : null,
            ...(r.notes ?? []).map((n) => `note       ${n}`),
            r.problems.length === 0 ? 'problems   none' : `problems   ${r.problems.length}`,
            ...r.problems.map((p) => `  - ${p}`),
          ];
          printOut(...lines.filter((l) => l !== null));
        }
        return r.problems.length === 0 ? EXIT_OK : EXIT_PROBLEMS;
      }),
    );
}

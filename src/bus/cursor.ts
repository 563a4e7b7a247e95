// The publisher's durable cursors: for each published file (kind, exchange, code), the
// trading date of the day file it is in, which file of that day (0: <CODE>.dmb, n:
// <CODE>~<n>.dmb, src/store/roll.ts) and the index of the next record to send.
//
// CURSOR RULE: a cursor moves past a record only after JetStream acknowledged it (stored,
// or dropped as a duplicate). The cursors of one publisher are kept in one JSON file,
// `<root>/bus/publish-<STREAM>.json`, replaced whole (written to a temporary file,
// fsync'ed, renamed) at most every `cursor_flush_ms`: after a crash the publisher resends
// at most that much, and JetStream drops the resends by their message id (wire.ts).
// `ended` says the day file was sent whole, end marker included: the next record
// comes from the day's next file (~<n+1>) if there is one, else from the next day's file,
// from its index 0. A cursor written before file numbers existed has none: file 0.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';

export interface Cursor {
  /** Trading date of the day file (0: none yet). */
  date: number;
  /** Which file of the day: 0 for <CODE>.dmb, n for <CODE>~<n>.dmb. */
  file: number;
  /** Next record to send. */
  index: number;
  /** The day file was sent whole, with its end marker. */
  ended: boolean;
}

export interface CursorFile {
  version: 1;
  stream: string;
  prefix: string;
  /** When the file was written, epoch ms. */
  updatedMs: number;
  /** Since when the publisher's file furthest behind has been behind, epoch ms; 0 when caught up (lag.ts). Absent in older files. */
  lagSinceMs?: number;
  /** By "<kind>/<EXCHG>/<CODE>" (closed-bar events: "closed/<SESSION>"). */
  cursors: Record<string, Cursor>;
}

/** The key of an instrument's file: "<kind>/<EXCHG>/<CODE>". */
export function cursorKey(kind: string, exchg: string, code: string): string {
  return `${kind}/${exchg}/${code}`;
}

/** The key of a session's closed-bar event file: "closed/<SESSION>". */
export function closedCursorKey(session: string): string {
  return `closed/${session}`;
}

/** The parts of a cursor key: [kind, exchg, code] or ['closed', session]. */
export function parseCursorKey(key: string): { kind: string; exchg: string | undefined; code: string } | undefined {
  const p = key.split('/');
  if (p.length === 2 && p[0] === 'closed') return { kind: 'closed', exchg: undefined, code: p[1]! };
  if (p.length === 3) return { kind: p[0]!, exchg: p[1]!, code: p[2]! };
  return undefined;
}

/** Reads a cursor file; undefined when it does not exist. A damaged one is an error naming it. */
export function readCursorFile(file: string): CursorFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(err, file, 'read the publisher cursors');
  }
  let json: CursorFile;
  try {
    json = JSON.parse(text) as CursorFile;
  } catch (err) {
    throw damaged(file, (err as Error).message);
  }
  if (json?.version !== 1 || typeof json.cursors !== 'object' || json.cursors === null) throw damaged(file, 'not a version 1 cursor file');
  for (const [k, c] of Object.entries(json.cursors)) {
    if (!(Number.isInteger(c?.date) && Number.isInteger(c?.index) && c.index >= 0 && typeof c.ended === 'boolean'))
      throw damaged(file, `cursor ${k}`);
    if (c.file === undefined) c.file = 0; // written before file numbers: the day's first file
    if (!(Number.isInteger(c.file) && c.file >= 0)) throw damaged(file, `cursor ${k}: file ${String(c.file)}`);
  }
  return json;
}

function damaged(file: string, why: string): TickrecError {
  return new TickrecError(
    'E_CORRUPT',
    `${file}: the publisher's cursors cannot be read (${why}). Move the file aside to publish today's files again from their ` +
      'start (JetStream and the mirrors drop what they already have).',
    { file },
  );
}

/** Replaces the cursor file with `data` (temporary file, fsync, rename). */
export function writeCursorFile(file: string, data: CursorFile): void {
  const tmp = `${file}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, JSON.stringify(data) + '\n');
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw ioError(err, file, 'write the publisher cursors');
  }
}

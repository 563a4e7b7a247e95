// pino logger: JSON lines for machines, readable lines (pino-pretty) on a terminal,
// with the message neutralised (src/printable.ts).
// Secrets never reach logs: feed URLs are redacted by the feeds, and the config keys
// that can hold secrets are censored here as a second line of defence.

import fs from 'node:fs';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { printable } from '../printable.js';

/**
 * A live line drawn on the terminal (the status line): the logger erases it before each
 * log line and draws it again after, so a log line never shares a terminal line with it.
 */
export interface LiveLine {
  erase(): void;
  draw(): void;
}

let liveLine: LiveLine | undefined;

/** Registers the live line the logger works around (undefined: none). */
export function setLiveLine(line: LiveLine | undefined): void {
  liveLine = line;
}

/** stderr, written synchronously, with the live line erased around each write. */
function stderrAroundLiveLine(): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      try {
        liveLine?.erase();
        if (typeof chunk === 'string') fs.writeSync(2, chunk);
        else fs.writeSync(2, chunk);
        liveLine?.draw();
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

export interface LogOptions {
  level: string;
  /** Default: when stderr is a terminal. */
  pretty?: boolean | undefined;
}

export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'headers',
  '*.headers',
  'config.feeds[*].headers',
];

export function createLogger(opts: LogOptions): Logger {
  const base = { level: opts.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } };
  const usePretty = opts.pretty ?? process.stderr.isTTY === true;
  if (usePretty) {
    return pino(
      base,
      pretty({
        destination: stderrAroundLiveLine(),
        colorize: process.stderr.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        // A message can carry outside text (a feed's close reason): neutralised, as every
        // printer does (src/printable.ts). The other fields are printed as JSON (escaped).
        messageFormat: (log, key) => printable(typeof log[key] === 'string' ? log[key] : JSON.stringify(log[key] ?? '')),
      }),
    );
  }
  return pino(base, stderrAroundLiveLine());
}

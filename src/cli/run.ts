// Running a command action: operating errors become one clear line and an exit code.
//
// Exit codes (documented in README): 0 ok; 1 the command found problems (inspect,
// verify); 2 usage or operating error (bad argument, unreadable/damaged file, I/O);
// 3 the data root is locked by another live recorder.

import { TickrecError } from '../errors.js';
import { printErr } from './terminal.js';

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_ERROR = 2;
export const EXIT_LOCKED = 3;

export function usageError(message: string): TickrecError {
  return new TickrecError('E_USAGE', message);
}

export function reportError(err: unknown): number {
  if (err instanceof TickrecError) {
    printErr(`tickrec: ${err.code}: ${err.message}`);
    return err.code === 'E_LOCKED' ? EXIT_LOCKED : EXIT_ERROR;
  }
  const e = err as Error;
  printErr(...`tickrec: internal error: ${e?.stack ?? String(err)}`.split('\n'), 'Please report this with the command you ran.');
  return EXIT_ERROR;
}

/** Wraps an async action: sets process.exitCode from its result or error. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT_OK;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

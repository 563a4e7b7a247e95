// Running a command action: operating errors become one clear line and an exit code.
//
// Exit codes (documented in README): 0 ok; 1 the command found problems (inspect,
// verify); 2 usage or operating error (bad argument, unreadable/damaged file, I/O);
// 3 the data root is locked by another live recorder.

import { TickrecError, errnoOf, ioError } from '../errors.js';
import { printErr } from './terminal.js';

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_ERROR = 2;
export const EXIT_LOCKED = 3;

export function usageError(message: string): TickrecError {
  return new TickrecError('E_USAGE', message);
}

/**
 * Prints an error as one line and returns the exit code. No stack trace reaches the user
 * for an operating error: a system error that escaped a command's own wrapping (ENOENT,
 * EISDIR on a path the user gave) is still printed as E_IO naming the path. Only a
 * programmer error prints "internal error", with the stack when TICKREC_DEBUG=1.
 */
export function reportError(err: unknown): number {
  const errno = errnoOf(err);
  if (!(err instanceof TickrecError) && errno !== undefined) {
    const sys = err as NodeJS.ErrnoException;
    err = ioError(err, sys.path ?? '(a file)', sys.syscall ?? 'an operation');
  }
  if (err instanceof TickrecError) {
    printErr(`tickrec: ${err.code}: ${err.message}`);
    return err.code === 'E_LOCKED' ? EXIT_LOCKED : EXIT_ERROR;
  }
  const e = err as Error;
  const detail =
    process.env.TICKREC_DEBUG === '1' ? (e?.stack ?? String(err)) : `${e?.message ?? String(err)} (TICKREC_DEBUG=1 prints the stack)`;
  printErr(...`tickrec: internal error: ${detail}`.split('\n'), 'Please report this with the command you ran.');
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

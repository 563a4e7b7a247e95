// The CLI's printers: every line a command prints goes through here, and each line
// passes printable() (src/printable.ts): text from outside cannot move the cursor, set
// the title, clear the screen or start a line of its own.

import { printable } from '../printable.js';

/** Prints lines on stdout, each neutralised and ended by a newline. */
export function printOut(...lines: readonly string[]): void {
  process.stdout.write(joinLines(lines));
}

/** Prints lines on stderr, each neutralised and ended by a newline. */
export function printErr(...lines: readonly string[]): void {
  process.stderr.write(joinLines(lines));
}

/** The lines, neutralised, each with its newline (a line's own CR/LF become \r, \n). */
export function joinLines(lines: readonly string[]): string {
  let s = '';
  for (const l of lines) s += printable(l) + '\n';
  return s;
}

/**
 * A progress line redrawn in place on a terminal (\r, then erase to the end of line):
 * the only control characters tickrec itself prints; the text is neutralised.
 */
export function redrawErr(text: string): void {
  process.stderr.write(`\r${printable(text)}\x1b[K`);
}

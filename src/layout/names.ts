// The name rule: which exchange, instrument code and session names may become a path component under a data root.
//
// NAME RULE: an exchange or code becomes a path component only if it matches
// /^[A-Za-z0-9][A-Za-z0-9._-]*$/, fits its struct field (the char[] of `exchg` and `code`
// in the tick and trade layouts, less the NUL), and is not '.' or '..'. Nothing else is
// accepted, so no input can name a file outside the root. Characters outside this set
// (such as '~') are therefore free for tickrec's own marks in file names (src/layout/root.ts).

import { assert } from '../assert.js';
import { TickrecError } from '../errors.js';
import { TICK, TRADE } from '../format/index.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Characters of a char[] field of both record layouts that carry names, less the terminating NUL. */
function nameChars(field: 'exchg' | 'code'): number {
  const n = TICK.field(field).count;
  assert(TRADE.field(field).count === n, `TICK.${field} and TRADE.${field} have the same length`);
  return n - 1;
}

export const EXCHG_MAX_CHARS = nameChars('exchg');
export const CODE_MAX_CHARS = nameChars('code');
/** Longest session name that can name a closed-event file. */
export const SESSION_NAME_MAX_CHARS = 64;

/** Why `name` cannot be an exchange/code, or null when it can. */
export function nameProblem(name: unknown, maxChars: number): string | null {
  if (typeof name !== 'string') return `not a string (${typeof name})`;
  if (name.length === 0) return 'empty';
  if (name.length > maxChars) return `longer than ${maxChars} characters`;
  if (!NAME.test(name) || name === '.' || name === '..')
    return 'only letters, digits, ".", "_" and "-" are allowed, starting with a letter or digit';
  return null;
}

/** Whether `name` passes the name rule as an exchange. */
export function isExchangeName(name: string): boolean {
  return nameProblem(name, EXCHG_MAX_CHARS) === null;
}

/** Whether `name` passes the name rule as an instrument code. */
export function isCodeName(name: string): boolean {
  return nameProblem(name, CODE_MAX_CHARS) === null;
}

/** Throws E_FIELD naming the exchange or code that cannot name a file. */
export function checkInstrument(exchg: unknown, code: unknown): void {
  checkExchangeName(exchg);
  const pc = nameProblem(code, CODE_MAX_CHARS);
  if (pc) throw new TickrecError('E_FIELD', `instrument code '${String(code).slice(0, 40)}' (exchange ${String(exchg)}): ${pc}.`);
}

/** Throws E_FIELD naming the exchange when it cannot name a folder. */
export function checkExchangeName(exchg: unknown): void {
  const pe = nameProblem(exchg, EXCHG_MAX_CHARS);
  if (pe) throw new TickrecError('E_FIELD', `exchange '${String(exchg).slice(0, 40)}': ${pe}.`);
}

/** Throws E_FIELD when `session` cannot name a closed-event file. */
export function checkSession(session: unknown): void {
  const p = nameProblem(session, SESSION_NAME_MAX_CHARS);
  if (p) throw new TickrecError('E_FIELD', `session '${String(session).slice(0, 40)}': ${p}; it cannot name a closed-event file.`);
}

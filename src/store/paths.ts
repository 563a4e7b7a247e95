// Where files live under a data root, and the rule that turns names into paths.
//
//   rt/<folder>/<EXCHG>/<CODE>.dmb          live real-time file (folder: ticks, trans, min1, min5)
//   his/<folder>/<EXCHG>/<YYYYMMDD>/<CODE>.dsb   a compacted day (ticks, trans)
//   his/<folder>/<EXCHG>/<CODE>.dsb          an instrument's bar history (min1, min5, day)
//
// NAME RULE: an exchange or code becomes a path component only if it matches
// /^[A-Za-z0-9][A-Za-z0-9._-]*$/, fits its struct field (15 / 31 characters), and is
// not '.' or '..'. Nothing else is accepted, so no input can name a file outside the root.

import path from 'node:path';
import { TickrecError } from '../errors.js';
import type { RecordKind } from '../format/index.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const EXCHG_MAX_CHARS = 15;
export const CODE_MAX_CHARS = 31;

/** Why `name` cannot be an exchange/code, or null when it can. */
export function nameProblem(name: unknown, maxChars: number): string | null {
  if (typeof name !== 'string') return `not a string (${typeof name})`;
  if (name.length === 0) return 'empty';
  if (name.length > maxChars) return `longer than ${maxChars} characters`;
  if (!NAME.test(name) || name === '.' || name === '..')
    return 'only letters, digits, ".", "_" and "-" are allowed, starting with a letter or digit';
  return null;
}

export function checkInstrument(exchg: unknown, code: unknown): void {
  const pe = nameProblem(exchg, EXCHG_MAX_CHARS);
  if (pe) throw new TickrecError('E_FIELD', `exchange '${String(exchg).slice(0, 40)}': ${pe}.`);
  const pc = nameProblem(code, CODE_MAX_CHARS);
  if (pc) throw new TickrecError('E_FIELD', `instrument code '${String(code).slice(0, 40)}' (exchange ${String(exchg)}): ${pc}.`);
}

export function rtFilePath(root: string, kind: RecordKind, exchg: string, code: string): string {
  checkInstrument(exchg, code);
  return path.join(root, 'rt', kind.folder, exchg, `${code}.dmb`);
}

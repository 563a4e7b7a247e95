// --exchange / --code of cat --root and export: refused when the data root holds no file of them, naming what it does hold.

import { listExchanges, listKind, listingCodes, type ReadKind } from '../read/index.js';
import { usageError } from './run.js';

/** At most this many names are listed in a refusal. */
const NAMES_SHOWN_MAX = 12;

function some(names: string[]): string {
  if (names.length === 0) return 'none';
  return names.length <= NAMES_SHOWN_MAX ? names.join(', ') : `${names.slice(0, NAMES_SHOWN_MAX).join(', ')} … (${names.length} in all)`;
}

/**
 * Throws a usage error when `exchange` (and `code`) has no file of `kind` under `root`:
 * a mistyped name must not read as "nothing in that range". A known instrument with no
 * record in the range is not an error.
 */
export function checkKnownInstrument(root: string, kind: ReadKind, exchange: string | undefined, code: string | undefined): void {
  if (exchange === undefined) return;
  const exchanges = listExchanges(root, kind);
  if (!exchanges.includes(exchange)) {
    throw usageError(
      `--exchange ${exchange}: no ${kind.name} files of that exchange under ${root}; exchanges with ${kind.name} files: ${some(exchanges)}.`,
    );
  }
  if (code === undefined) return;
  const codes = listingCodes(listKind(root, kind, exchange, undefined));
  if (!codes.includes(code)) {
    throw usageError(`--code ${code}: no ${kind.name} files of ${exchange}.${code} under ${root}; codes of ${exchange}: ${some(codes)}.`);
  }
}

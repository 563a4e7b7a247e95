// Which bar history file a day of bars goes to: one file per real contract, so the bars of CZCE's SR505 of 2015 and of 2025 are never merged.
//
// CONTRACT HISTORY RULE (docs/history.md "One history per contract"):
// H1 every code but CZCE's 3-digit ones: his/<period>/<EXCHG>/<CODE>.dsb, as datakit (.tsb in
//    tickrec's own formats: src/his/names.ts; every X.dsb / C.dsb below stands for either name).
// H2 a CZCE 3-digit code X (src/layout/czce.ts, Y1) on trading date T names the contract
//    C = czceContractCode(X, T) (SR505, 20250103 → SR2505; Y2, Y3). Each contract's bars
//    are in exactly ONE file:
//    - the datakit name X.dsb holds the days of one contract: the newest that has bars
//      (the one WonderTrader, which knows only the 3-digit name, means today);
//    - an older contract of the same name is "retired" to its 4-digit name C.dsb
//      (his/min1/CZCE/SR1505.dsb), which tickrec reads as a day of X on the dates of C.
// H3 appending day T of contract C:
//    - C.dsb exists: to C.dsb (refused when X.dsb holds C too: two files of one contract);
//    - X.dsb missing or empty, or holding C: to X.dsb;
//    - X.dsb holding an older contract C': X.dsb is first renamed to C'.dsb (refused when
//      that exists), the folder synced, then the day goes to a new X.dsb;
//    - X.dsb holding a newer contract: to C.dsb (a late day of a retired contract).
// H4 X.dsb whose first and last days name different contracts (merged by datakit, or by
//    tickrec before this rule) is refused, naming both contracts; `tickrec migrate
//    --split-czce` splits it by H2.
// A kill between the rename and the append leaves C'.dsb and no X.dsb: the rerun creates
// X.dsb (H3), so the result is the same as an uninterrupted run.

import fs from 'node:fs';
import path from 'node:path';
import { TickrecError, ioError } from '../errors.js';
import { BarHistory, checkWritable, hisExtOfCodec, hisExtOfName, hisHistoryFile, type HisCodec, type HisKind } from '../his/index.js';
import { syncDir } from '../fsync.js';
import { czceContractCode, czceContractMonth, hisHistoryPath, isCzce3DigitCode } from '../layout/index.js';

/** The contracts (4-digit names, Y3) of the first and last days of a history of 3-digit code `code`, or undefined when it holds no day. */
export function historyContracts(
  file: string,
  kind: HisKind,
  code: string,
): { first: string; last: string; firstDate: number; lastDate: number } | undefined {
  const h = BarHistory.open(file, kind);
  try {
    const days = h.days();
    if (days.length === 0) return undefined;
    const firstDate = days[0]!.date;
    const lastDate = days[days.length - 1]!.date;
    return { first: czceContractCode(code, firstDate), last: czceContractCode(code, lastDate), firstDate, lastDate };
  } finally {
    h.close();
  }
}

function mergedError(file: string, code: string, c: { first: string; last: string; firstDate: number; lastDate: number }): TickrecError {
  return new TickrecError(
    'E_CORRUPT',
    `${file}: the bar history of CZCE.${code} holds days of two contracts, ${c.first} (${c.firstDate}) and ${c.last} (${c.lastDate}): ` +
      `CZCE reuses a 3-digit code every ten years and an older writer merged them. Nothing was changed; ` +
      `split it with tickrec migrate --split-czce (stop compaction first), then run compact again.`,
    { file },
  );
}

/**
 * The bar history file that day `date` of `exchg`.`code` goes to (H1-H3), after
 * retiring the datakit-named file to its contract's 4-digit name when a newer contract
 * of the same name starts. `onStep('history-retired')` after the durable rename.
 * NAMES (src/his/names.ts): an existing history is found under either name and keeps its
 * format and name (a retired one too: X.tsb becomes C.tsb); a new one is named by
 * `codec`; a tickrec format still under datakit's .dsb is never written to (checkWritable).
 */
export function historyFileFor(
  root: string,
  kind: HisKind,
  exchg: string,
  code: string,
  date: number,
  codec: HisCodec,
  onStep?: (step: string) => void,
  onLog?: (line: string) => void,
): string {
  const found = hisHistoryFile(root, kind, exchg, code);
  const fresh = (c: string) => hisHistoryPath(root, kind, exchg, c, hisExtOfCodec(codec));
  const existing = (f: string) => (checkWritable(f), f);
  if (!isCzce3DigitCode(exchg, code)) return found !== undefined ? existing(found) : fresh(code);
  const named = found ?? fresh(code);
  const contract = czceContractCode(code, date);
  const own = hisHistoryFile(root, kind, exchg, contract);
  const held = found !== undefined ? historyContracts(found, kind, code) : undefined;
  if (held && held.first !== held.last) throw mergedError(named, code, held);
  if (own !== undefined) {
    if (held?.first === contract) {
      throw new TickrecError(
        'E_CORRUPT',
        `${named} and ${own} both hold bars of CZCE contract ${contract}; a contract's bars must be in one file. ` +
          `Nothing was changed: compare them (tickrec cat), keep one, then run compact again.`,
        { file: own },
      );
    }
    return existing(own);
  }
  if (!held || held.first === contract) return found !== undefined ? existing(found) : named;
  if (czceContractMonth(code, held.firstDate)! > czceContractMonth(code, date)!) return fresh(contract);
  // X holds an older contract: retire it under its 4-digit name (same format, same name family), then start X anew.
  checkWritable(found!);
  const retired = hisHistoryPath(root, kind, exchg, held.first, hisExtOfName(found!));
  const other = hisHistoryFile(root, kind, exchg, held.first);
  if (other !== undefined) {
    throw new TickrecError(
      'E_CORRUPT',
      `${named} holds CZCE contract ${held.first}, and ${other} exists too; a contract's bars must be in one file. ` +
        `Nothing was changed: compare them (tickrec cat), keep one, then run compact again.`,
      { file: other },
    );
  }
  try {
    fs.renameSync(found!, retired);
  } catch (err) {
    throw ioError(err, found!, `rename to ${path.basename(retired)}`);
  }
  syncDir(path.dirname(named)); // the rename survives a crash (makeDirDurable would not sync an existing folder)
  onStep?.('history-retired');
  const next = fresh(code);
  onLog?.(
    `${found!}: contract ${held.first} retired to ${path.basename(retired)}; ${contract} (from ${date}) starts ${path.basename(next)}`,
  );
  return next;
}

// CZCE's 3-digit contract codes (SR505): which real contract a code names on a trading date, and the 4-digit name of that contract (SR2505).
//
// WHY: CZCE names a contract with ONE year digit and the month (SR505 = sugar, May of a
// year ending in 5), so the same code names a new contract every ten years: SR505 traded
// in 2014-2015 and again in 2024-2025. datakit keeps the 3-digit name in its files and
// appends the bars of both to one history (his/min1/CZCE/SR505.dsb); WonderTrader's
// standard code guesses the decade with a fixed pivot (CodeHelper::rawMonthCodeToStdCode:
// year digit above 5 → 201x, else 202x), which names SR605 2016 while SR605 is the
// contract of May 2026, and SR505 2025 when it meant May 2015.
//
// CZCE YEAR RULE (the one definition; docs/ctp.md "CZCE's 3-digit codes"):
// Y1 a code of exchange CZCE is read as '_'-separated parts (a spread stored as
//    SPD_SR505_SR509, rule C8 of docs/ctp.md); a part of the form
//    <letters><y><MM>[<C|P><strike digits>] with one year digit y and a month MM of 01-12
//    is a 3-digit contract (a future, or an option on it). A code with no such part is
//    not touched (a 4-digit code such as SR2505 already names one contract).
// Y2 on trading date T, the part names the contract of month MM of the FIRST year whose
//    last digit is y and whose month MM is not before T's month: the year of T's decade
//    ending in y, or ten years later when that month is before T's month. A contract
//    trades only until its delivery month and is listed less than ten years ahead, so
//    exactly one contract with that name trades on T, and Y2 names it. The trading date
//    (not the calendar date of a tick, not the clock) is the pivot.
// Y3 the 4-digit name writes that year's last two digits in place of the year digit
//    (SR505 on 20250103 → SR2505; on 20150105 → SR1505; SR605 on 20251015 → SR2605;
//    the option SR505C6000 → SR2505C6000; SPD_SR512_SR601 on 20251015 → SPD_SR2512_SR2601).
// Y4 the 3-digit name of a 4-digit CZCE code drops the tens digit of the year
//    (SR2505 → SR505): what the exchange, CTP and datakit call it.

import { assert } from '../assert.js';
import { TickrecError } from '../errors.js';
import { isCalendarDate } from '../format/index.js';

/** The exchange whose codes carry one year digit. */
export const CZCE_EXCHANGE = 'CZCE';

/** One part of a CZCE code: product letters, the year digit(s), the month, an option's C/P and strike. */
const PART3 = /^([A-Za-z]+)(\d)(0[1-9]|1[0-2])([CP]\d+)?$/;
const PART4 = /^([A-Za-z]+)(\d\d)(0[1-9]|1[0-2])([CP]\d+)?$/;

/** Whether `code` of exchange `exchg` names its contract with one year digit (Y1), so that the name repeats every ten years. */
export function isCzce3DigitCode(exchg: string, code: string): boolean {
  return exchg === CZCE_EXCHANGE && code.split('_').some((p) => PART3.test(p));
}

/** Y2: the year of the contract of month `month` whose year ends in `digit`, on trading date `tradingDate`. */
export function czceContractYear(digit: number, month: number, tradingDate: number): number {
  assert(Number.isInteger(digit) && digit >= 0 && digit <= 9, `year digit ${digit}`);
  assert(Number.isInteger(month) && month >= 1 && month <= 12, `month ${month}`);
  const ty = Math.floor(tradingDate / 10000);
  const tm = Math.floor(tradingDate / 100) % 100;
  let year = ty - (ty % 10) + digit;
  if (year * 100 + month < ty * 100 + tm) year += 10;
  assert(year * 100 + month >= ty * 100 + tm && (year - 10) * 100 + month < ty * 100 + tm, 'Y2: the first such month not before T');
  return year;
}

function checkDate(code: string, tradingDate: number): void {
  if (!isCalendarDate(tradingDate))
    throw new TickrecError(
      'E_FIELD',
      `trading date ${tradingDate} of CZCE code '${code}': not a date YYYYMMDD; the contract it names cannot be told.`,
    );
}

/**
 * Y3: the 4-digit name of the contract that the CZCE code `code` names on trading date
 * `tradingDate` (SR505, 20250103 → SR2505), or `code` itself when it has no 3-digit part
 * (Y1). Refuses (E_FIELD) a trading date that is not a date, or a year past 9999.
 */
export function czceContractCode(code: string, tradingDate: number): string {
  checkDate(code, tradingDate);
  return code
    .split('_')
    .map((part) => {
      const m = PART3.exec(part);
      if (!m) return part;
      const year = czceContractYear(Number(m[2]), Number(m[3]), tradingDate);
      return `${m[1]}${String(year % 100).padStart(2, '0')}${m[3]}${m[4] ?? ''}`;
    })
    .join('_');
}

/** Y4: the 3-digit name of a 4-digit CZCE code (SR2505 → SR505), or undefined when no part of it is a 4-digit contract. */
export function czceShortCode(code: string): string | undefined {
  let changed = false;
  const out = code
    .split('_')
    .map((part) => {
      const m = PART4.exec(part);
      if (!m) return part;
      changed = true;
      return `${m[1]}${m[2]![1]}${m[3]}${m[4] ?? ''}`;
    })
    .join('_');
  return changed && isCzce3DigitCode(CZCE_EXCHANGE, out) ? out : undefined;
}

/**
 * The month YYYYMM of the contract that the first 3-digit part of CZCE code `code` names on
 * trading date `tradingDate` (Y2), or undefined when the code has no such part: orders
 * the contracts of one 3-digit name (every part moves by the same decade).
 */
export function czceContractMonth(code: string, tradingDate: number): number | undefined {
  checkDate(code, tradingDate);
  for (const part of code.split('_')) {
    const m = PART3.exec(part);
    if (m) return czceContractYear(Number(m[2]), Number(m[3]), tradingDate) * 100 + Number(m[3]);
  }
  return undefined;
}

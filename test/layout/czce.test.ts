// The CZCE year rule (src/layout/czce.ts): which contract a 3-digit code names on a trading date; every case is one that WonderTrader's fixed pivot gets wrong.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { czceContractCode, czceContractMonth, czceContractYear, czceShortCode, isCzce3DigitCode } from '../../src/layout/index.js';

/**
 * WonderTrader's CodeHelper::rawMonthCodeToStdCode, restated (the rule tickrec does NOT
 * use): a year digit above 5 is 201x, any other 202x, whatever the date.
 */
function pivotRule(code: string): string {
  const m = /^([A-Za-z]+)(\d)(\d\d)(.*)$/.exec(code)!;
  return `${m[1]}${m[2]! > '5' ? '1' : '2'}${m[2]}${m[3]}${m[4]}`;
}

describe('CZCE year rule (Y1-Y4)', () => {
  // [code, trading date, contract]: each one the pivot rule names wrong.
  const cases: [string, number, string][] = [
    ['SR505', 20150105, 'SR1505'], // the 2015 contract: the pivot says 2025
    ['SR605', 20251015, 'SR2605'], // listed in 2025 for May 2026: the pivot says 2016
    ['SR605', 20260105, 'SR2605'],
    ['SR601', 20251231, 'SR2601'],
    ['AP610', 20260105, 'AP2610'],
    ['MA009', 20100105, 'MA1009'], // the pivot says 2020
    ['TA412', 20141201, 'TA1412'], // the last month of a contract is its own month
    ['SR705', 20261231, 'SR2705'],
    ['SR505C6000', 20150105, 'SR1505C6000'], // an option on it
    ['SR605P5800', 20251015, 'SR2605P5800'],
  ];
  for (const [code, date, want] of cases) {
    it(`${code} on ${date} is ${want} (the pivot says ${pivotRule(code)})`, () => {
      expect(pivotRule(code)).not.toBe(want);
      expect(czceContractCode(code, date)).toBe(want);
      expect(czceShortCode(want)).toBe(code);
    });
  }

  it('where the pivot happens to be right, the rule agrees', () => {
    expect(czceContractCode('CF609', 20160105)).toBe(pivotRule('CF609'));
    expect(czceContractCode('MA009', 20200105)).toBe(pivotRule('MA009'));
    expect(czceContractCode('SR505', 20250103)).toBe(pivotRule('SR505'));
  });

  it('one code names a new contract every ten years, and two dates of one contract name it alike', () => {
    expect(czceContractCode('SR505', 20140516)).toBe('SR1505'); // listed a year ahead
    expect(czceContractCode('SR505', 20150515)).toBe('SR1505'); // its delivery month
    expect(czceContractCode('SR505', 20150601)).toBe('SR2505'); // the month after: the next one of that name
    expect(czceContractCode('SR505', 20250103)).toBe('SR2505');
    expect(czceContractCode('SR505', 20250601)).toBe('SR3505');
  });

  it('the trading date, not the calendar date, is the pivot (a night session of the last day of a year)', () => {
    // Wed 2025-12-31 night belongs to trading day Fri 2026-01-02: SR601 is the 2026 contract either way,
    // but SR512 stopped trading in December 2025; on trading day 2026-01-02 the name means 2035.
    expect(czceContractCode('SR601', 20260102)).toBe('SR2601');
    expect(czceContractCode('SR512', 20251231)).toBe('SR2512');
    expect(czceContractCode('SR512', 20260102)).toBe('SR3512');
  });

  it('czceContractYear is the first year ending in the digit whose month is not before the trading month', () => {
    const wrong: string[] = [];
    for (let ty = 2010; ty <= 2040; ty++)
      for (let tm = 1; tm <= 12; tm++)
        for (let digit = 0; digit <= 9; digit++)
          for (let month = 1; month <= 12; month++) {
            const y = czceContractYear(digit, month, ty * 10000 + tm * 100 + 15);
            const ok = y % 10 === digit && y * 100 + month >= ty * 100 + tm && (y - 10) * 100 + month < ty * 100 + tm;
            if (!ok) wrong.push(`${digit}${month} on ${ty}-${tm}: ${y}`);
          }
    expect(wrong).toEqual([]);
  });

  it('spreads (stored as SPD_SR512_SR601, rule C8) expand every leg', () => {
    expect(czceContractCode('SPD_SR512_SR601', 20251015)).toBe('SPD_SR2512_SR2601');
    expect(czceContractCode('IPS_SF505_SM505', 20150105)).toBe('IPS_SF1505_SM1505');
    expect(czceShortCode('SPD_SR2512_SR2601')).toBe('SPD_SR512_SR601');
    expect(czceContractMonth('SPD_SR512_SR601', 20251015)).toBe(202512);
  });

  it('only CZCE 3-digit codes are touched', () => {
    expect(isCzce3DigitCode('CZCE', 'SR505')).toBe(true);
    expect(isCzce3DigitCode('CZCE', 'SPD_SR505_SR509')).toBe(true);
    expect(isCzce3DigitCode('CZCE', 'SR2505')).toBe(false); // 4 digits: one contract already
    expect(isCzce3DigitCode('CZCE', 'SR513')).toBe(false); // month 13: not a contract
    expect(isCzce3DigitCode('CZCE', 'SR')).toBe(false);
    expect(isCzce3DigitCode('DCE', 'm505')).toBe(false);
    expect(isCzce3DigitCode('SHFE', 'rb505')).toBe(false);
    expect(czceContractCode('SR2505', 20150105)).toBe('SR2505');
    expect(czceShortCode('SR505')).toBeUndefined();
    expect(czceShortCode('rb2505x')).toBeUndefined();
    expect(czceContractMonth('SR', 20150105)).toBeUndefined();
  });

  it('refuses a trading date that is not a date, naming the code', () => {
    expect(() => czceContractCode('SR505', 20251301)).toThrow(/trading date 20251301 of CZCE code 'SR505'/);
    expect(() => czceContractCode('SR505', 0)).toThrow(/E_FIELD|not a date/);
  });
});

describe('the rules are written once and copied into the docs word for word', () => {
  const read = (p: string) => fs.readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
  /** The comment block of `src` that starts with `title`, without the comment marks. */
  const rule = (src: string, title: string): string[] => {
    const lines = read(src).split('\n');
    const from = lines.findIndex((l) => l.startsWith(`// ${title}`));
    expect(from, `${src} has ${title}`).toBeGreaterThanOrEqual(0);
    const out: string[] = [];
    for (const l of lines.slice(from)) {
      if (!l.startsWith('//') || l.trim() === '//' || l.startsWith('// A kill')) break;
      out.push(l.replace(/^\/\/ ?/, ''));
    }
    return out;
  };
  it('docs/ctp.md carries the CZCE YEAR RULE of src/layout/czce.ts', () => {
    expect(read('docs/ctp.md')).toContain(rule('src/layout/czce.ts', 'CZCE YEAR RULE').join('\n'));
  });
  it('docs/history.md carries the CONTRACT HISTORY RULE of src/compact/contract-history.ts', () => {
    expect(read('docs/history.md')).toContain(rule('src/compact/contract-history.ts', 'CONTRACT HISTORY RULE').join('\n'));
  });
});

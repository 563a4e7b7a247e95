// Tests of the name rule and data-root paths (src/layout/names.ts): hostile exchange/code names are refused, every accepted path stays inside the root.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TickrecError } from '../../src/errors.js';
import { KINDS, TICK, TICK_KIND } from '../../src/format/index.js';
import { CODE_MAX_CHARS, EXCHG_MAX_CHARS, checkInstrument, nameProblem, rtFilePath } from '../../src/layout/index.js';

const ROOT = path.resolve('/data/tickrec-root');

const HOSTILE: unknown[] = [
  '',
  '.',
  '..',
  '...',
  '../../x',
  '../x',
  'a/b',
  '/etc',
  'a\\b',
  '..\\x',
  'a\u0000b',
  '\u0000',
  'a b',
  ' SHFE',
  'SHFE ',
  'a\nb',
  'a\tb',
  '.hidden',
  '-rf',
  '_x',
  'rb2505\u00e9',
  'a:b',
  'a*b',
  'a?b',
  '$HOME',
];
const NOT_STRINGS: unknown[] = [undefined, null, 42, {}, ['SHFE'], Symbol('x'), true];
const GOOD_EXCHG = ['SHFE', 'BINANCE', 'E'.repeat(EXCHG_MAX_CHARS)];
const GOOD_CODE = ['rb2505', 'BTC-USDT', 'IF2501.C_1', 'a..b', '9', 'C'.repeat(CODE_MAX_CHARS)];

function fieldError(fn: () => unknown): TickrecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_FIELD');
    return err as TickrecError;
  }
  return expect.fail('expected E_FIELD, nothing was thrown');
}

describe('nameProblem', () => {
  it('limits follow the struct fields (char[16] exchg, char[32] code, one byte for the NUL)', () => {
    expect(EXCHG_MAX_CHARS).toBe(TICK.field('exchg').count - 1);
    expect(CODE_MAX_CHARS).toBe(TICK.field('code').count - 1);
  });

  it.each(HOSTILE.map((n) => [JSON.stringify(n), n]))('rejects %s', (_label, name) => {
    expect(nameProblem(name, CODE_MAX_CHARS)).toEqual(expect.any(String));
    expect(nameProblem(name, EXCHG_MAX_CHARS)).toEqual(expect.any(String));
  });

  it.each(NOT_STRINGS.map((n) => [String(typeof n === 'symbol' ? 'symbol' : JSON.stringify(n)), n]))(
    'rejects a non-string %s',
    (_l, name) => {
      expect(nameProblem(name, CODE_MAX_CHARS)).toMatch(/not a string/);
    },
  );

  it('rejects names one character too long (16-character exchange, 32-character code)', () => {
    expect(nameProblem('E'.repeat(16), EXCHG_MAX_CHARS)).toMatch(/longer than 15/);
    expect(nameProblem('C'.repeat(32), CODE_MAX_CHARS)).toMatch(/longer than 31/);
  });

  it.each([...GOOD_EXCHG, ...GOOD_CODE])('accepts %s', (name) => {
    expect(nameProblem(name, CODE_MAX_CHARS)).toBeNull();
  });
});

describe('checkInstrument', () => {
  it.each(HOSTILE.map((n) => [JSON.stringify(n), n]))('refuses %s as exchange and as code with E_FIELD', (_label, name) => {
    expect(fieldError(() => checkInstrument(name, 'rb2505')).message).toMatch(/^exchange/);
    expect(fieldError(() => checkInstrument('SHFE', name)).message).toMatch(/^instrument code/);
  });

  it('refuses non-strings and overlong names with E_FIELD', () => {
    for (const n of NOT_STRINGS.filter((x) => typeof x !== 'symbol')) {
      fieldError(() => checkInstrument(n, 'rb2505'));
      fieldError(() => checkInstrument('SHFE', n));
    }
    expect(fieldError(() => checkInstrument('E'.repeat(16), 'rb2505')).message).toContain('E'.repeat(16));
    expect(fieldError(() => checkInstrument('SHFE', 'C'.repeat(32))).message).toContain('C'.repeat(32));
  });

  it('accepts SHFE rb2505, BINANCE BTC-USDT, CFFEX IF2501.C_1 and names at the length limits', () => {
    for (const e of GOOD_EXCHG) for (const c of GOOD_CODE) expect(() => checkInstrument(e, c)).not.toThrow();
  });
});

describe('rtFilePath', () => {
  it('is rt/<folder>/<EXCHG>/<CODE>.dmb under the root', () => {
    expect(rtFilePath(ROOT, TICK_KIND, 'SHFE', 'rb2505')).toBe(path.join(ROOT, 'rt', 'ticks', 'SHFE', 'rb2505.dmb'));
    const folders = KINDS.map((k) => path.relative(ROOT, rtFilePath(ROOT, k, 'SHFE', 'rb2505')).split(path.sep)[1]);
    expect(folders).toEqual(['ticks', 'trans', 'min1', 'min5']);
  });

  it('refuses every hostile name instead of returning a path', () => {
    for (const n of HOSTILE) {
      fieldError(() => rtFilePath(ROOT, TICK_KIND, n as string, 'rb2505'));
      fieldError(() => rtFilePath(ROOT, TICK_KIND, 'SHFE', n as string));
    }
  });

  it('every accepted path is inside the root, exactly three folders below it', () => {
    for (const kind of KINDS) {
      for (const e of GOOD_EXCHG) {
        for (const c of GOOD_CODE) {
          const p = rtFilePath(ROOT, kind, e, c);
          const rel = path.relative(ROOT, p);
          expect(path.isAbsolute(rel)).toBe(false);
          expect(rel.startsWith('..')).toBe(false);
          expect(path.resolve(ROOT, rel)).toBe(p);
          expect(rel.split(path.sep)).toEqual(['rt', kind.folder, e, `${c}.dmb`]);
        }
      }
    }
  });
});

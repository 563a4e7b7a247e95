// The instrument of a block file from its path, for a day's later files too (<CODE>~<n>.dmb, src/store/roll.ts): a reader of rb2505~1.dmb looks up rb2505's metadata, not a code 'rb2505~1' that has none (whole units, a wrong quantity).

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { instrumentOfFile } from '../../src/meta/index.js';

describe('instrumentOfFile', () => {
  it("names the instrument of a live file, a day's first file and its later files ~<n>", () => {
    const dir = path.join('/data', 'rt', 'trans', 'BINANCE');
    expect(instrumentOfFile(path.join(dir, 'BTCUSDT.dmb'))).toEqual({ exchg: 'BINANCE', code: 'BTCUSDT' });
    expect(instrumentOfFile(path.join(dir, '20250102', 'BTCUSDT.dmb'))).toEqual({ exchg: 'BINANCE', code: 'BTCUSDT' });
    expect(instrumentOfFile(path.join(dir, '20250102', 'BTCUSDT~1.dmb'))).toEqual({ exchg: 'BINANCE', code: 'BTCUSDT' });
    expect(instrumentOfFile(path.join(dir, '20250102', 'BTCUSDT~12.dmb'))).toEqual({ exchg: 'BINANCE', code: 'BTCUSDT' });
  });
});

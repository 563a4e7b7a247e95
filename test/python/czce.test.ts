// The Python reader and CZCE's 3-digit codes: SR505's bars split by contract (SR505.dsb, the retired SR1505.dsb) read as the Node reader reads them, and the year rule restated in Python gives the same contracts.

import { afterEach, describe, expect, it } from 'vitest';
import { runCompaction } from '../../src/compact/index.js';
import { czceContractCode } from '../../src/layout/index.js';
import { listInstruments, readBars } from '../../src/read/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { makeRoot } from '../compact/helpers/root.js';
import { runPython } from './helpers.js';

afterEach(() => removeTempDirs());

const SCRIPT = `
import json, sys
from tickrec.read import read_bars, read_bars_market, czce_contract_code, czce_short_code
root = sys.argv[1]
out = {}
for code, start in (('SR505', None), ('SR505', '20250101'), ('SR1505', None)):
    b = read_bars(root, 'CZCE', code, 'min1', start)
    out[code + '@' + str(start)] = [[int(x['date']), int(x['time']), float(x['open']), float(x['close'])] for x in b]
out['day'] = [int(x['date']) for x in read_bars(root, 'CZCE', 'SR505', 'day')]
m = read_bars_market(root, 'CZCE', 'min1', fields=['date'])
out['market'] = [[c, n] for _, c, _, n in m.instruments]
cases = json.loads(sys.argv[2])
out['rule'] = [czce_contract_code(c, d) for c, d in cases]
out['short'] = [czce_short_code(czce_contract_code(c, d)) for c, d in cases]
print(json.dumps(out))
`;

describe('python reader: CZCE 3-digit codes', () => {
  it('reads SR505 across its two contracts, and SR1505 alone, as the Node reader does; the year rule agrees', async () => {
    const root = makeTempDir();
    makeRoot(root, {
      instruments: [{ exchg: 'CZCE', code: 'SR505', tick: 1, price: 5500 }],
      dates: [20150105, 20150106, 20250106],
      ticks: 240,
    });
    expect(runCompaction({ root }).failures).toEqual([]);
    const cases: [string, number][] = [
      ['SR505', 20150105],
      ['SR605', 20251015],
      ['SR512', 20260102],
      ['MA009', 20100105],
      ['SR505C6000', 20150105],
      ['SPD_SR512_SR601', 20251015],
    ];
    const r = await runPython(['-c', SCRIPT, root, JSON.stringify(cases)]);
    expect(r.code, r.stderr).toBe(0);
    const py = JSON.parse(r.stdout) as Record<string, unknown>;
    const node = (code: string, from?: string) =>
      readBars({ root, exchange: 'CZCE', code, period: 'min1', ...(from ? { from } : {}) })
        .toArray()
        .map((b) => [b.date, b.time, b.open, b.close]);
    expect(py['SR505@None']).toEqual(node('SR505'));
    expect((py['SR505@None'] as number[][]).map((b) => b[0]).filter((d, i, a) => a.indexOf(d) === i)).toEqual([
      20150105, 20150106, 20250106,
    ]);
    expect(py['SR505@20250101']).toEqual(node('SR505', '20250101'));
    expect(py['SR1505@None']).toEqual(node('SR1505'));
    expect(py.day).toEqual([20150105, 20150106, 20250106]);
    expect(listInstruments(root, 'min1', 'CZCE').map((i) => i.code)).toEqual(['SR505']);
    expect(py.market).toEqual([['SR505', (py['SR505@None'] as unknown[]).length]]);
    expect(py.rule).toEqual(cases.map(([c, d]) => czceContractCode(c, d)));
    expect(py.short).toEqual(cases.map(([c]) => c));
  });
});

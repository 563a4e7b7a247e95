// Tests of the data root's map (src/layout/root.ts): every path built parses back to what built it, and no two instruments, days or file numbers share a name.

import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN1_KIND, TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { DAY_HIS_KIND, hisKindByName } from '../../src/his/index.js';
import {
  CODE_MAX_CHARS,
  EXCHG_MAX_CHARS,
  barsClosedPath,
  dateFolderName,
  finishedName,
  finishedPath,
  groupFinished,
  hisDayPath,
  hisHistoryPath,
  instrumentMetaPath,
  instrumentOfFile,
  parseDateFolder,
  parseFinishedName,
  parseHisName,
  parseHisPath,
  parseLiveName,
  parseRtPath,
  rtFileFolders,
  rtFilePath,
  rtFinishedPath,
  rtPlacePath,
  rootOfFile,
} from '../../src/layout/index.js';

const ROOT = path.resolve('/data/tickrec-root');

/** Names that pass the name rule, biased to the hard cases: dots, digits, ".<digits>" endings. */
function legalName(maxChars: number): fc.Arbitrary<string> {
  const first = fc.constantFrom(...'aZ09X');
  const rest = fc.array(fc.constantFrom(...'aZ09.1_-'), { maxLength: maxChars - 1 }).map((a) => a.join(''));
  return fc
    .tuple(first, rest, fc.option(fc.nat({ max: 99 }), { nil: undefined }))
    .map(([f, r, n]) => (n === undefined ? f + r : `${f}${r}.${n}`).slice(0, maxChars))
    .filter((s) => s !== '.' && s !== '..');
}
const exchg = legalName(EXCHG_MAX_CHARS);
const code = legalName(CODE_MAX_CHARS);
const date = fc.integer({ min: 19900101, max: 20991231 });
const fileNo = fc.nat({ max: 1000 });

describe('layout: build and parse are inverses', () => {
  it('a finished file of any legal code and number parses back to that code and number', () => {
    fc.assert(
      fc.property(code, fileNo, (c, n) => {
        expect(parseFinishedName(finishedName(c, n))).toEqual({ code: c, n });
      }),
      { numRuns: 3000 },
    );
  });

  it('no two (code, number) pairs share a file name, so X.1 is never the second file of X', () => {
    fc.assert(
      fc.property(code, fileNo, code, fileNo, (a, n, b, m) => {
        if (a !== b || n !== m) expect(finishedName(a, n)).not.toBe(finishedName(b, m));
      }),
      { numRuns: 3000 },
    );
    expect(parseFinishedName('X.1.dmb')).toEqual({ code: 'X.1', n: 0 });
    expect(parseFinishedName('X~1.dmb')).toEqual({ code: 'X', n: 1 });
    expect(parseFinishedName('X.1~2.dmb')).toEqual({ code: 'X.1', n: 2 });
  });

  it('live, finished and historical paths parse back to their place and stay inside the root', () => {
    fc.assert(
      fc.property(exchg, code, date, fileNo, (e, c, d, n) => {
        const live = rtFilePath(ROOT, TICK_KIND, e, c);
        const fin = rtFinishedPath(ROOT, TRADE_KIND, e, d, c, n);
        for (const p of [live, fin, hisDayPath(ROOT, hisKindByName('tick')!, e, d, c), hisHistoryPath(ROOT, DAY_HIS_KIND, e, c)])
          expect(p.startsWith(ROOT + path.sep)).toBe(true);
        expect(parseRtPath(live)).toEqual({ root: ROOT, folder: 'ticks', exchg: e, date: undefined, code: c, n: 0 });
        expect(parseRtPath(fin)).toEqual({ root: ROOT, folder: 'trans', exchg: e, date: d, code: c, n });
        expect(rtPlacePath(parseRtPath(fin)!, MIN1_KIND, '/other')).toBe(rtFinishedPath('/other', MIN1_KIND, e, d, c, n));
        expect(finishedPath(live, d, n)).toBe(rtFinishedPath(ROOT, TICK_KIND, e, d, c, n));
        expect(parseLiveName(path.basename(live))).toBe(c);
        expect(parseHisName(path.basename(hisHistoryPath(ROOT, DAY_HIS_KIND, e, c)))).toBe(c);
        expect(parseDateFolder(dateFolderName(d))).toBe(d);
        const day = hisDayPath(ROOT, hisKindByName('tick')!, e, d, c, '.tsb');
        expect(parseHisPath(day)).toEqual({ root: ROOT, folder: 'ticks', exchg: e, date: d, code: c });
        expect(parseHisPath(hisHistoryPath(ROOT, DAY_HIS_KIND, e, c))).toEqual({
          root: ROOT,
          folder: 'day',
          exchg: e,
          date: undefined,
          code: c,
        });
        for (const p of [live, fin, day]) {
          expect(rootOfFile(p)).toBe(ROOT);
          expect(instrumentOfFile(p)).toEqual({ exchg: e, code: c });
        }
        expect(instrumentMetaPath(ROOT, e, c)).toBe(path.join(ROOT, 'meta', 'instruments', e, `${c}.json`));
      }),
      { numRuns: 2000 },
    );
  });

  it('the datakit paths are the ones datakit expects', () => {
    expect(rtFilePath('/r', TICK_KIND, 'SHFE', 'rb2505')).toBe('/r/rt/ticks/SHFE/rb2505.dmb');
    expect(rtFilePath('/r', TRADE_KIND, 'SHFE', 'rb2505')).toBe('/r/rt/trans/SHFE/rb2505.dmb');
    expect(rtFilePath('/r', MIN1_KIND, 'SHFE', 'rb2505')).toBe('/r/rt/min1/SHFE/rb2505.dmb');
    expect(hisDayPath('/r', hisKindByName('tick')!, 'SHFE', 20250106, 'rb2505')).toBe('/r/his/ticks/SHFE/20250106/rb2505.dsb');
    expect(hisHistoryPath('/r', hisKindByName('min5')!, 'SHFE', 'rb2505')).toBe('/r/his/min5/SHFE/rb2505.dsb');
    expect(hisHistoryPath('/r', DAY_HIS_KIND, 'SHFE', 'rb2505')).toBe('/r/his/day/SHFE/rb2505.dsb');
    expect(rtFinishedPath('/r', TICK_KIND, 'SHFE', 20250106, 'rb2505')).toBe('/r/rt/ticks/SHFE/20250106/rb2505.dmb');
    expect(rtFinishedPath('/r', TICK_KIND, 'SHFE', 20250106, 'rb2505', 2)).toBe('/r/rt/ticks/SHFE/20250106/rb2505~2.dmb');
    expect(barsClosedPath('/r', 'SD0930')).toBe('/r/rt/closed/SD0930.dmb');
  });

  it('finds the root and the instrument of a block file', () => {
    expect(rootOfFile('/d/x/rt/trans/BINANCE/BTCUSDT.dmb')).toBe('/d/x');
    expect(rootOfFile('/d/rt/x/rt/ticks/SHFE/20250106/rb2505.dmb')).toBe('/d/rt/x');
    expect(rootOfFile('/d/x/his/min1/SHFE/rb2505.dsb')).toBe('/d/x');
    expect(rootOfFile('/d/x/rt/closed/SD0930.dmb')).toBe('/d/x');
    expect(rootOfFile('/d/x/rt/closed/20250106/SD0930~1.dmb')).toBe('/d/x');
    expect(rootOfFile('/tmp/loose.dmb')).toBeUndefined();
    expect(rootOfFile('/d/x/rt/ticks/SHFE/rb2505.dmb.tmp-12')).toBeUndefined();
    expect(instrumentOfFile('/d/x/rt/min1/SHFE/20250106/rb2505~2.dmb')).toEqual({ exchg: 'SHFE', code: 'rb2505' });
    // the second-file rule: X.1.dmb is the file of the instrument X.1, never a second file of X
    expect(instrumentOfFile('/d/x/rt/min1/SHFE/20250106/rb2505.2.dmb')).toEqual({ exchg: 'SHFE', code: 'rb2505.2' });
    expect(instrumentOfFile('/d/x/rt/min1/SHFE/rb2505.dmb')).toEqual({ exchg: 'SHFE', code: 'rb2505' });
    expect(instrumentOfFile('/d/x/his/ticks/SHFE/20250106/rb2505.tsb')).toEqual({ exchg: 'SHFE', code: 'rb2505' });
    expect(instrumentOfFile('/loose/SHFE/rb2505.dmb')).toEqual({ exchg: 'SHFE', code: 'rb2505' });
    expect(instrumentOfFile('/d/x/rt/ticks/SHFE/notes.txt')).toBeUndefined();
    expect(() => instrumentMetaPath('/r', '..', 'x')).toThrow(/E_FIELD|exchange/);
  });

  it('names tickrec does not write parse to nothing', () => {
    for (const n of [
      'X~0.dmb',
      'X~01.dmb',
      'X~.dmb',
      '~1.dmb',
      'X~1~2.dmb',
      'X~a.dmb',
      '.dmb',
      'X.dsb',
      'X.dmb.bak',
      'X.dmb.tmp-12',
      '../x.dmb',
    ])
      expect(parseFinishedName(n)).toBeUndefined();
    for (const n of ['X~1.dmb', '.dmb', 'X.dmb.bak', '20250106']) expect(parseLiveName(n)).toBeUndefined();
    for (const n of ['2025010', '202501066', '00000000', 'x2025010']) expect(parseDateFolder(n)).toBeUndefined();
    expect(parseRtPath('/r/rt/ticks/SHFE/20250106/X~0.dmb')).toBeUndefined();
    expect(parseRtPath('/r/data/ticks/SHFE/X.dmb')).toBeUndefined();
    expect(parseRtPath('/r/rt/ticks/SHFE/X~1.dmb')).toBeUndefined(); // a second file is never live
  });

  it('groups the files of a dated folder by code, each in file order', () => {
    const names = ['X~10.dmb', 'X.1.dmb', 'X~2.dmb', 'X.dmb', 'Y.dmb', 'junk~0.dmb', 'X.dmb.tmp-5', 'notes.txt'];
    const g = groupFinished('/d', names);
    expect([...g.byCode]).toEqual([
      ['X', ['/d/X.dmb', '/d/X~2.dmb', '/d/X~10.dmb']],
      ['X.1', ['/d/X.1.dmb']],
      ['Y', ['/d/Y.dmb']],
    ]);
    expect(g.unknown).toEqual(['/d/junk~0.dmb']);
    expect([...groupFinished('/d', names, 'X.1').byCode.keys()]).toEqual(['X.1']);
  });

  it('lists every folder of rt/ that holds real-time files', () => {
    const tree: Record<string, string[]> = {
      '/r/rt': ['ticks', 'closed'],
      '/r/rt/ticks': ['SHFE'],
      '/r/rt/ticks/SHFE': ['rb2505.dmb', '20250106'],
      '/r/rt/closed': ['SD0930.dmb', '20250106'],
    };
    expect(rtFileFolders('/r', (d) => tree[d] ?? []).sort((a, b) => a.dir.localeCompare(b.dir))).toEqual([
      { dir: '/r/rt/closed', date: undefined },
      { dir: '/r/rt/closed/20250106', date: 20250106 },
      { dir: '/r/rt/ticks/SHFE', date: undefined },
      { dir: '/r/rt/ticks/SHFE/20250106', date: 20250106 },
    ]);
  });
});

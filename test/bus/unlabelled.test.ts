// UNLABELLED RECORDS on a mirror, against a real nats-server: trades mirrored from a root that had no metadata (whole units) are not reinterpreted when another publisher later sends metadata in a finer unit for the same instrument: that file is refused (`meta`), its trades too (`unit`), and the stored trades keep their quantities.

import { describe, expect, it } from 'vitest';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { waitFor } from '../../scripts/lib/wait.js';
import { Mirror, Publisher } from '../../src/bus/index.js';
import { TRADE_KIND } from '../../src/format/index.js';
import { instrumentMetaPath } from '../../src/layout/index.js';
import { readTrades } from '../../src/read/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { busSettings, natsForSuite, openPool, tradeAt, writeBtcMeta } from './helpers.js';
import fs from 'node:fs';

const describeNats = natsServerAvailable() ? describe : describe.skip;

const D = 20250102;

/** A root holding BINANCE.BTCUSDT trades `from`.. with stored volumes `stored`; with metadata in units of 10^-decimals unless `decimals` is undefined. */
function root(decimals: number | undefined, from: number, stored: readonly number[]): string {
  const r = makeTempDir();
  if (decimals !== undefined) writeBtcMeta(r, decimals);
  const pool = openPool(r);
  stored.forEach((v, i) => pool.append(TRADE_KIND, 'BINANCE', 'BTCUSDT', D, { ...tradeAt('BINANCE', 'BTCUSDT', D, from + i), volume: v }));
  pool.closeAll();
  return r;
}

const volumes = (r: string) =>
  readTrades({ root: r, exchange: 'BINANCE', code: 'BTCUSDT' })
    .toArray()
    .map((t) => t.volume);

describeNats('bus: records stored before any metadata keep their unit', () => {
  const nats = natsForSuite();
  const settings = busSettings(nats, 'UL', ['trade']);

  it('a later publisher with volume_decimals 5: its metadata and trades are refused, the whole-unit trades still read 3, 4, 5', async () => {
    const s = settings();
    const old = root(undefined, 0, [3, 4, 5]); // no metadata: whole units
    const later = root(5, 10, [150_000, 1]); // 1.5 and 0.00001 in units of 10^-5
    const dst = makeTempDir();
    const mirror = await Mirror.start(s.mir(dst));
    const pubs: Publisher[] = [];
    try {
      pubs.push(await Publisher.start(s.pub(old)));
      await waitFor(() => mirror.stats().written === 3, 'the whole-unit trades mirrored', {
        describe: () => JSON.stringify(mirror.stats()),
      });
      expect(volumes(dst)).toEqual([3, 4, 5]);
      pubs.push(await Publisher.start(s.pub(later)));
      await waitFor(
        () => pubs[1]!.stats().published === 2 && (mirror.stats().refused.unit ?? 0) === 2,
        'the later publisher handled by the mirror',
        { describe: () => `${JSON.stringify(pubs[1]!.stats())}\n${JSON.stringify(mirror.stats())}` },
      );
      expect(mirror.stats()).toMatchObject({ written: 3, metadataWritten: 0, refused: { meta: 1, unit: 2 } });
    } finally {
      for (const p of pubs) await p.stop();
      await mirror.stop();
    }
    // Before UNLABELLED RECORDS, the mirror wrote the later file: the three trades then read 0.00003, 0.00004, 0.00005.
    expect(fs.existsSync(instrumentMetaPath(dst, 'BINANCE', 'BTCUSDT'))).toBe(false);
    expect(volumes(dst)).toEqual([3, 4, 5]);
  }, 90_000);
});

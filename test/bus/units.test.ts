// The unit of a trade's volume on the bus against a real nats-server: two recorders whose roots hold different volume_decimals for one instrument publish into one stream; the mirror keeps the first root's metadata, refuses the other's (`meta`) and every record of the other root (`unit`: its bytes count another unit, so JetStream does not drop them as duplicates), and reads the first root's quantities exactly.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { waitFor } from '../../scripts/lib/wait.js';
import { Mirror, Publisher } from '../../src/bus/index.js';
import { TRADE_KIND } from '../../src/format/index.js';
import { instrumentMetaPath } from '../../src/layout/index.js';
import { readStoredMeta } from '../../src/meta/index.js';
import { readTrades } from '../../src/read/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { busSettings, fileRecords, natsForSuite, openPool, rootDifference, tradeAt, waitForMirrorEqual, writeBtcMeta } from './helpers.js';

const describeNats = natsServerAvailable() ? describe : describe.skip;

const D = 20250102;
/** The trades both recorders saw (quantities); the second one also saw five more while the first was away. */
const BOTH = [1.5, 0.002, 0.25, 7, 0.999];
const LATER = [2.5, 0.001, 3, 0.125, 10];

/** A root whose metadata of BINANCE.BTCUSDT counts volumes in units of 10^-decimals, holding `quantities` as trades 0, 1, … */
function recorderRoot(decimals: number, quantities: readonly number[]): string {
  const root = makeTempDir();
  writeBtcMeta(root, decimals);
  const pool = openPool(root);
  quantities.forEach((q, i) =>
    pool.append(TRADE_KIND, 'BINANCE', 'BTCUSDT', D, { ...tradeAt('BINANCE', 'BTCUSDT', D, i), volume: Math.round(q * 10 ** decimals) }),
  );
  pool.closeAll();
  return root;
}

const volumes = (root: string) =>
  readTrades({ root, exchange: 'BINANCE', code: 'BTCUSDT' })
    .toArray()
    .map((t) => t.volume);

describeNats('bus: the unit of a record', () => {
  const nats = natsForSuite();
  const settings = busSettings(nats, 'U', ['trade']);

  it('two recorders with different volume_decimals in one stream: the mirror writes only the records in the unit of its metadata', async () => {
    const first = recorderRoot(3, BOTH); // lot step 0.001
    const second = recorderRoot(6, [...BOTH, ...LATER]); // lot step 0.000001: the same trades in other bytes, and five more
    expect(volumes(first)).toEqual(BOTH);
    expect(volumes(second)).toEqual([...BOTH, ...LATER]);
    const dst = makeTempDir();
    const { pub, mir } = settings();
    const publish = (root: string) => Publisher.start(pub(root));
    const mirror = await Mirror.start(mir(dst));
    const pubs: Publisher[] = [];
    try {
      pubs.push(await publish(first));
      await waitForMirrorEqual(first, dst, 'the first root mirrored', 30_000, () => JSON.stringify(mirror.stats()));
      pubs.push(await publish(second));
      // In the stream: the first root's metadata and 5 trades, the second's metadata (another id) and its 10 trades (other bytes).
      await waitFor(() => pubs[1]!.stats().published === 10 && mirror.stats().lastSeq === 17, 'every message handled by the mirror', {
        describe: () => `${JSON.stringify(pubs[1]!.stats())}\n${JSON.stringify(mirror.stats())}`,
      });
      expect(pubs[0]!.stats()).toMatchObject({ published: 5, duplicates: 0 });
      expect(pubs[1]!.stats()).toMatchObject({ published: 10, duplicates: 0, metadata: 1 });
      expect(mirror.stats()).toMatchObject({ written: 5, metadataWritten: 1, refused: { meta: 1, unit: 10 } });
    } finally {
      for (const p of pubs) await p.stop();
      await mirror.stop();
    }
    // The mirror is the first root, byte for byte, and reads its quantities exactly.
    expect(rootDifference(first, dst)).toBeNull();
    const rel = path.join('rt', 'trans', 'BINANCE', 'BTCUSDT.dmb');
    expect(fileRecords(path.join(dst, rel)).bytes.equals(fileRecords(path.join(first, rel)).bytes)).toBe(true);
    expect(fs.readFileSync(instrumentMetaPath(dst, 'BINANCE', 'BTCUSDT'), 'utf8')).toBe(
      fs.readFileSync(instrumentMetaPath(first, 'BINANCE', 'BTCUSDT'), 'utf8'),
    );
    expect(readStoredMeta(dst, 'BINANCE', 'BTCUSDT')?.volume_decimals).toBe(3);
    expect(volumes(dst)).toEqual(BOTH);
  }, 90_000);
});

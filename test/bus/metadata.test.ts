// Instrument metadata on the bus against a real nats-server: the publisher sends it before the instrument's first record and again when it changes; the mirror writes it, refuses a record whose metadata the stream does not hold, and refuses metadata that would change the unit of the records it stores.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, headers } from '@nats-io/transport-node';
import { StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { waitFor } from '../../scripts/lib/wait.js';
import { Mirror, Publisher, contentHash, metaMessageId } from '../../src/bus/index.js';
import { TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { readStoredMeta } from '../../src/meta/index.js';
import { instrumentMetaPath } from '../../src/layout/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { busSettings, encodeRecord, natsForSuite, openPool, rtFiles, tickAt, tradeAt, waitForMirrorEqual, btcMetaText } from './helpers.js';

const describeNats = natsServerAvailable() ? describe : describe.skip;

const metaText = btcMetaText;

describeNats('bus: instrument metadata', () => {
  const nats = natsForSuite();
  const settings = busSettings(nats, 'M', ['tick', 'trade']);

  it('goes before the first record, again when the file changes; an instrument with none is said so; the mirror copies both', async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const D = 20250102;
    const metaFile = instrumentMetaPath(src, 'BINANCE', 'BTCUSDT');
    fs.mkdirSync(path.dirname(metaFile), { recursive: true });
    fs.writeFileSync(metaFile, metaText({}));
    const pool = openPool(src);
    for (let i = 0; i < 5; i++) pool.append(TRADE_KIND, 'BINANCE', 'BTCUSDT', D, tradeAt('BINANCE', 'BTCUSDT', D, i));
    for (let i = 0; i < 5; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D, tickAt('SHFE', 'rb2505', D, i)); // no metadata file
    const { pub, mir, stream, prefix } = settings();
    const publisher = await Publisher.start(pub(src));
    const mirror = await Mirror.start(mir(dst));
    const nc = await connect({ servers: nats().urls });
    try {
      await waitForMirrorEqual(src, dst, 'the mirror equal to the source', 30_000, () => JSON.stringify(mirror.stats()));
      expect(fs.readFileSync(instrumentMetaPath(dst, 'BINANCE', 'BTCUSDT'), 'utf8')).toBe(metaText({}));
      expect(fs.existsSync(instrumentMetaPath(dst, 'SHFE', 'rb2505'))).toBe(false);
      // In the stream: each instrument's metadata before its first record.
      const jsm = await jetstreamManager(nc);
      const subjects: string[] = [];
      for (let seq = 1; seq <= 12; seq++) subjects.push((await jsm.streams.getMessage(stream, { seq }))!.subject);
      expect(subjects.indexOf(`${prefix}.meta.BINANCE.BTCUSDT`)).toBeLessThan(subjects.indexOf(`${prefix}.trade.BINANCE.BTCUSDT`));
      expect(subjects.indexOf(`${prefix}.meta.SHFE.rb2505`)).toBeLessThan(subjects.indexOf(`${prefix}.tick.SHFE.rb2505`));
      const none = await jsm.streams.getMessage(stream, { last_by_subj: `${prefix}.meta.SHFE.rb2505` });
      expect(none!.data.length).toBe(0);
      expect(none!.header.get('Nats-Msg-Id')).toBe('meta.SHFE.rb2505.none');
      // The recorder's configuration changes a field that follows it: sent again, written again.
      fs.writeFileSync(metaFile, metaText({ price_tick: 0.1, price_decimals: 1 }));
      await waitFor(() => publisher.stats().metadata === 3, 'the changed metadata acknowledged', {
        timeoutMs: 20_000,
        describe: () => JSON.stringify(publisher.stats()),
      });
      pool.append(TRADE_KIND, 'BINANCE', 'BTCUSDT', D, tradeAt('BINANCE', 'BTCUSDT', D, 5));
      await waitForMirrorEqual(src, dst, 'the next trade mirrored');
      expect(fs.readFileSync(instrumentMetaPath(dst, 'BINANCE', 'BTCUSDT'), 'utf8')).toBe(metaText({ price_tick: 0.1, price_decimals: 1 }));
      expect(mirror.stats()).toMatchObject({ written: 11, metadataWritten: 2, refused: {} });
    } finally {
      await nc.close();
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
    }
  }, 90_000);

  it('refuses a record whose metadata the stream does not hold, and metadata that changes the unit of the records here', async () => {
    const dst = makeTempDir();
    const { mir, stream, prefix } = settings();
    const nc = await connect({ servers: nats().urls });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: StorageType.Memory });
    const js = jetstream(nc);
    const D = 20250102;
    const trade = (i: number) => encodeRecord(TRADE_KIND, tradeAt('BINANCE', 'BTCUSDT', D, i));
    const send = async (subject: string, data: Uint8Array, id: string) => {
      const h = headers();
      h.set('Tickrec-Format', '1');
      h.set('Tickrec-Date', String(D));
      h.set('Nats-Msg-Id', id);
      await js.publish(subject, data, { headers: h });
    };
    const tradeId = (b: Uint8Array) => `trade.BINANCE.BTCUSDT.${D}.${contentHash(b)}.0`;
    const six = new TextEncoder().encode(metaText({}));
    const two = new TextEncoder().encode(metaText({ lot_step: 0.01, volume_decimals: 2 }));
    const other = new TextEncoder().encode(metaText({ code: 'ETHUSDT' }));
    // Sent one by one while the mirror reads, so it asks the stream for the first trade's metadata before there is any.
    const mirror = await Mirror.start(mir(dst));
    try {
      const sends: [string, Uint8Array, string][] = [
        [`${prefix}.trade.BINANCE.BTCUSDT`, trade(0), tradeId(trade(0))], // no metadata in the stream: refused
        [`${prefix}.meta.BINANCE.BTCUSDT`, other, metaMessageId('BINANCE', 'BTCUSDT', other)], // another instrument's: refused
        [`${prefix}.meta.BINANCE.BTCUSDT`, six, metaMessageId('BINANCE', 'BTCUSDT', six)],
        [`${prefix}.trade.BINANCE.BTCUSDT`, trade(1), tradeId(trade(1))],
        [`${prefix}.meta.BINANCE.BTCUSDT`, two, metaMessageId('BINANCE', 'BTCUSDT', two)], // another unit: refused, the file stays
        [`${prefix}.meta.BINANCE.BTCUSDT`, six, 'meta.BINANCE.BTCUSDT.forged'], // an id its bytes do not give
        [`${prefix}.trade.BINANCE.BTCUSDT`, trade(3), tradeId(trade(3))],
      ];
      for (const [i, [subject, data, id]] of sends.entries()) {
        await send(subject, data, id);
        await waitFor(() => mirror.stats().lastSeq === i + 1, `message ${i + 1} handled`, {
          describe: () => JSON.stringify(mirror.stats()),
        });
      }
      expect(mirror.stats()).toMatchObject({ written: 2, metadataWritten: 1, refused: { meta: 2, instrument: 1, foreign: 1 } });
    } finally {
      await nc.close();
      await mirror.stop();
    }
    expect(readStoredMeta(dst, 'BINANCE', 'BTCUSDT')?.volume_decimals).toBe(6);
    expect(rtFiles(dst)).toEqual([path.join('trans', 'BINANCE', 'BTCUSDT.dmb')]);
  }, 60_000);
});

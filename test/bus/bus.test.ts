// The publisher and the mirror in this process against one real nats-server: byte-for-byte copies, days rolled by the end marker, resume from cursors and positions, duplicates dropped by id.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsCluster, natsServerAvailable } from '../../scripts/lib/nats.js';
import { waitFor } from '../../scripts/lib/wait.js';
import {
  Mirror,
  Publisher,
  STREAM_DEFAULTS,
  cursorFilePath,
  readCursorFile,
  type MirrorOptions,
  type PublisherOptions,
} from '../../src/bus/index.js';
import { MIN1_KIND, TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { barAt, openPool, rootDifference, silentLog, tickAt, tradeAt } from './helpers.js';

const describeNats = natsServerAvailable() ? describe : describe.skip;

describeNats('bus: publish and mirror (one nats-server)', () => {
  let nats: NatsCluster;
  beforeAll(async () => {
    nats = await NatsCluster.start(makeTempDir('tickrec-nats-'), 1);
  }, 60_000);
  afterAll(async () => {
    await nats?.stopAll();
    removeTempDirs();
  });

  let streamNo = 0;
  const settings = () => {
    const stream = `T${++streamNo}`;
    const base = { servers: nats.urls, stream, prefix: `p${streamNo}`, log: silentLog };
    const pub = (root: string): PublisherOptions => ({
      ...base,
      root,
      kinds: ['tick', 'trade', 'min1'],
      createStream: { ...STREAM_DEFAULTS, storage: 'memory' },
      ackTimeoutMs: 2000,
      cursorFlushMs: 50,
      maxInFlight: 64,
      scanIntervalMs: 100,
      rollCheckMs: 50,
    });
    const mir = (root: string): MirrorOptions => ({ ...base, root, positionFlushMs: 50 });
    return { pub, mir };
  };

  it('copies ticks, trades (identical ones included) and bars byte for byte, and rolls days on the end marker', async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const { pub, mir } = settings();
    const pool = openPool(src);
    for (let i = 0; i < 40; i++) {
      pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250102, tickAt('SHFE', 'rb2505', 20250102, i));
      pool.append(TICK_KIND, 'DCE', 'i2505', 20250102, tickAt('DCE', 'i2505', 20250102, i, 3));
      pool.append(TRADE_KIND, 'SHFE', 'rb2505', 20250102, tradeAt('SHFE', 'rb2505', 20250102, i));
    }
    for (let i = 0; i < 5; i++) pool.append(MIN1_KIND, 'SHFE', 'rb2505', 20250102, barAt(20250102, i));
    const publisher = await Publisher.start(pub(src));
    const mirror = await Mirror.start(mir(dst));
    try {
      await waitFor(() => mirror.stats().written === 125, 'the first records in the mirror', { timeoutMs: 30_000 });
      // The next day: the live files roll at the source; the mirror follows on the end markers.
      for (let i = 0; i < 30; i++) {
        pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250103, tickAt('SHFE', 'rb2505', 20250103, i));
        pool.append(TRADE_KIND, 'SHFE', 'rb2505', 20250103, tradeAt('SHFE', 'rb2505', 20250103, i));
      }
      pool.append(MIN1_KIND, 'SHFE', 'rb2505', 20250103, barAt(20250103, 0));
      pool.append(TICK_KIND, 'DCE', 'i2505', 20250103, tickAt('DCE', 'i2505', 20250103, 0));
      await waitFor(() => rootDifference(src, dst) === null, 'the mirror root equal to the source root', {
        timeoutMs: 30_000,
        describe: () => String(rootDifference(src, dst)),
      });
      expect(fs.existsSync(path.join(dst, 'rt', 'ticks', 'SHFE', '20250102', 'rb2505.dmb'))).toBe(true);
      expect(mirror.stats().daysEnded).toBe(4);
      expect(mirror.stats().refused).toEqual({});
      expect(publisher.stats()).toMatchObject({ published: 125 + 62, endMarkers: 4, duplicates: 0, gaps: 0 });
    } finally {
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
    }
  }, 90_000);

  it('resumes from the cursors and the position after a restart; a lost cursor costs duplicates, never a second copy', async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const { pub, mir } = settings();
    const pool = openPool(src);
    for (let i = 0; i < 50; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250102, tickAt('SHFE', 'rb2505', 20250102, i));
    let publisher = await Publisher.start(pub(src));
    let mirror = await Mirror.start(mir(dst));
    await waitFor(() => mirror.stats().written === 50, '50 records mirrored');
    await publisher.stop();
    await mirror.stop();
    expect(readCursorFile(cursorFilePath(src, pub(src).stream))?.cursors['tick/SHFE/rb2505']).toEqual({
      date: 20250102,
      index: 50,
      ended: false,
    });

    // Stopped while the recorder goes on, and a day roll in between.
    for (let i = 50; i < 80; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250102, tickAt('SHFE', 'rb2505', 20250102, i));
    for (let i = 0; i < 10; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250103, tickAt('SHFE', 'rb2505', 20250103, i));
    publisher = await Publisher.start(pub(src));
    mirror = await Mirror.start(mir(dst));
    try {
      await waitFor(() => rootDifference(src, dst) === null, 'the mirror equal after the restart', {
        timeoutMs: 30_000,
        describe: () => String(rootDifference(src, dst)),
      });
      expect(publisher.stats().duplicates).toBe(0);
      await publisher.stop();
      // The cursor file lost: today's file is sent again from its start; JetStream drops every copy.
      fs.rmSync(cursorFilePath(src, pub(src).stream));
      publisher = await Publisher.start(pub(src));
      await waitFor(() => publisher.stats().duplicates === 10, 'the resent records dropped as duplicates');
      expect(publisher.stats().published).toBe(0);
      expect(rootDifference(src, dst)).toBeNull();
    } finally {
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
    }
  }, 90_000);
});

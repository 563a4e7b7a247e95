// The publisher and the mirror in this process against one real nats-server: byte-for-byte copies, days rolled by the end marker, resume from cursors and positions, duplicates dropped by id.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { sleep, waitFor } from '../../scripts/lib/wait.js';
import { connect, headers } from '@nats-io/transport-node';
import { StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Mirror, Publisher, STREAM_DEFAULTS, contentHash, defaultDurableName, readCursorFile } from '../../src/bus/index.js';
import { busCursorPath, busMirrorPositionPath } from '../../src/layout/index.js';
import { MIN1_KIND, MIN5_KIND, TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { ClosedEventWriter, readBarsClosed } from '../../src/bars/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import {
  barAt,
  barsOf,
  busSettings,
  decodeRecord,
  encodeRecord,
  fileRecords,
  natsForSuite,
  openPool,
  rootDifference,
  rtFiles,
  silentLog,
  tickAt,
  tradeAt,
  waitForMirrorEqual,
} from './helpers.js';

const describeNats = natsServerAvailable() ? describe : describe.skip;

describeNats('bus: publish and mirror (one nats-server)', () => {
  const nats = natsForSuite();

  const settings = busSettings(nats, 'T', ['tick', 'trade', 'min1']);

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
      await waitForMirrorEqual(src, dst, 'the mirror root equal to the source root');
      expect(fs.existsSync(path.join(dst, 'rt', 'ticks', 'SHFE', '20250102', 'rb2505.dmb'))).toBe(true);
      expect(mirror.stats().daysEnded).toBe(4);
      expect(mirror.stats().refused).toEqual({});
      // The mirror may hold a record before the publisher has handled its acknowledgement.
      await waitFor(() => publisher.stats().published === 125 + 62 && publisher.stats().endMarkers === 4, 'every acknowledgement handled', {
        describe: () => JSON.stringify(publisher.stats()),
      });
      expect(publisher.stats()).toMatchObject({ published: 125 + 62, endMarkers: 4, duplicates: 0, gaps: 0, metadata: 2 });
      // The publisher sees the mirror's durable consumer on the server, caught up.
      await waitFor(() => publisher.stats().mirrors[defaultDurableName(dst)] === 0, "the mirror's consumer seen by the publisher", {
        timeoutMs: 20_000,
        describe: () => JSON.stringify(publisher.stats().mirrors),
      });
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
    expect(mirror.stats()).toMatchObject({ consumer: defaultDurableName(dst), consumersMade: 1 });
    await publisher.stop();
    await mirror.stop();
    // The durable consumer stays on the server, its state exactly the mirror's position.
    const ci = await consumerInfo(pub(src).stream, defaultDurableName(dst));
    expect([ci.delivered.stream_seq, ci.ack_floor.stream_seq, ci.num_ack_pending]).toEqual([51, 51, 0]); // the metadata message, 50 ticks
    expect(readCursorFile(busCursorPath(src, pub(src).stream))?.cursors['tick/SHFE/rb2505']).toEqual({
      date: 20250102,
      file: 0,
      index: 50,
      ended: false,
    });

    // Stopped while the recorder goes on, and a day roll in between.
    for (let i = 50; i < 80; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250102, tickAt('SHFE', 'rb2505', 20250102, i));
    for (let i = 0; i < 10; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250103, tickAt('SHFE', 'rb2505', 20250103, i));
    publisher = await Publisher.start(pub(src));
    mirror = await Mirror.start(mir(dst));
    try {
      await waitForMirrorEqual(src, dst, 'the mirror equal after the restart');
      expect(publisher.stats().duplicates).toBe(0);
      expect(mirror.stats().consumersMade).toBe(0); // the same consumer, resumed where it was
      await publisher.stop();
      // The cursor file lost: every day still in rt/ is sent again from its start (the set-aside
      // 20250102, then today's file); JetStream drops every copy.
      fs.rmSync(busCursorPath(src, pub(src).stream));
      publisher = await Publisher.start(pub(src));
      await waitFor(() => publisher.stats().duplicates === 90, 'the resent records dropped as duplicates', {
        describe: () => JSON.stringify(publisher.stats()),
      });
      expect(publisher.stats().published).toBe(0);
      expect(rootDifference(src, dst)).toBeNull();
      // The mirror's position lost: its consumer (acknowledged further) is made again from the
      // stream's start; every record is read again and recognised in the files.
      const total = mirror.stats().lastSeq;
      await mirror.stop();
      fs.rmSync(busMirrorPositionPath(dst, pub(src).stream));
      mirror = await Mirror.start(mir(dst));
      await waitFor(() => mirror.stats().lastSeq === total, 'the stream read again', { describe: () => JSON.stringify(mirror.stats()) });
      expect(mirror.stats()).toMatchObject({ consumersMade: 1, written: 0, duplicates: 90, refused: {} });
      expect(rootDifference(src, dst)).toBeNull();
    } finally {
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
    }
  }, 90_000);

  it('a consumer that delivered beyond the mirror position (a delivery lost, taken by another client) is made again: nothing skipped', async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const { pub, mir } = settings();
    const pool = openPool(src);
    const write = (from: number, to: number) => {
      for (let i = from; i < to; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250102, tickAt('SHFE', 'rb2505', 20250102, i));
    };
    write(0, 10);
    const publisher = await Publisher.start(pub(src));
    let mirror = await Mirror.start(mir(dst));
    const nc = await connect({ servers: nats().urls });
    try {
      await waitFor(() => rootDifference(src, dst) === null, 'the first records mirrored');
      await mirror.stop(); // the consumer kept, its state exactly the position
      write(10, 20);
      await waitFor(() => publisher.stats().lagRecords === 0 && publisher.stats().published === 20, 'the next records published');
      // Another client takes (and never acknowledges) the next delivery of the mirror's consumer.
      const thief = await jetstream(nc).consumers.get(pub(src).stream, defaultDurableName(dst));
      const stolen = await thief.next({ expires: 10_000 });
      expect(stolen?.seq).toBe(12); // after the metadata message and 10 ticks
      mirror = await Mirror.start(mir(dst));
      await waitForMirrorEqual(src, dst, 'the mirror equal to the source', 30_000, () => JSON.stringify(mirror.stats()));
      expect(mirror.stats()).toMatchObject({ consumersMade: 1, written: 10, refused: {} });
    } finally {
      await nc.close();
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
    }
  }, 90_000);

  it('pipelined records stay in file order when the server is killed under flow and started again', async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const { pub, mir } = settings();
    const pool = openPool(src);
    const publisher = await Publisher.start({ ...pub(src), createStream: { ...STREAM_DEFAULTS, storage: 'file' }, pipeline: 64 });
    const mirror = await Mirror.start(mir(dst));
    let i = 0;
    const write = (n: number) => {
      for (let k = 0; k < n; k++, i++)
        for (const code of ['rb2505', 'hc2505']) pool.append(TICK_KIND, 'SHFE', code, 20250102, tickAt('SHFE', code, 20250102, i));
    };
    try {
      write(2000);
      await waitFor(() => publisher.stats().published > 500, 'records published', { timeoutMs: 30_000 });
      await nats().nodes[0]!.kill(); // -9, with records in flight
      write(500);
      nats().nodes[0]!.start();
      await nats().nodes[0]!.ready();
      write(500);
      await waitForMirrorEqual(
        src,
        dst,
        'the mirror equal to the source',
        60_000,
        () => `${JSON.stringify(publisher.stats())}\n${JSON.stringify(mirror.stats())}`,
      );
      expect(publisher.stats().orderBreaks).toBe(0);
      expect(mirror.stats().refused).toEqual({});
    } finally {
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
    }
  }, 120_000);

  async function consumerInfo(stream: string, name: string) {
    const nc = await connect({ servers: nats().urls });
    try {
      return await (await jetstreamManager(nc)).consumers.info(stream, name);
    } finally {
      await nc.close();
    }
  }
});

describeNats('bus: closed-bar events and the days set aside (one nats-server)', () => {
  const nats = natsForSuite();

  const settings = busSettings(nats, 'C', ['tick', 'min1', 'min5', 'closed']);

  /** Every message of a stream in stream order: subject, headers' date, payload. */
  async function streamMessages(stream: string): Promise<{ seq: number; subject: string; data: Uint8Array }[]> {
    const nc = await connect({ servers: nats().urls });
    try {
      const jsm = await jetstreamManager(nc);
      const last = (await jsm.streams.info(stream)).state.last_seq;
      const out: { seq: number; subject: string; data: Uint8Array }[] = [];
      for (let seq = 1; seq <= last; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq });
        if (m) out.push({ seq, subject: m.subject, data: m.data });
      }
      return out;
    } finally {
      await nc.close();
    }
  }

  it('publishes closed-bar events after the bars they announce; the mirror writes them as the recorder does', async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const { pub, mir, stream, prefix } = settings();
    const pool = openPool(src);
    const events = new ClosedEventWriter(src);
    const D = 20250102;
    // A backlog where the event file is short and one bar file long: without the barrier
    // the events would reach the stream long before the bars they announce.
    for (let i = 0; i < 30; i++) pool.append(MIN1_KIND, 'SHFE', 'rb2505', D, barAt(D, i));
    pool.append(MIN1_KIND, 'DCE', 'i2505', D, barAt(D, 0));
    pool.append(MIN5_KIND, 'SHFE', 'rb2505', D, barAt(D, 4));
    events.append({ session: 'SHFE_day', date: D, time: barAt(D, 29)['time'] as number });
    const publisher = await Publisher.start(pub(src));
    const mirror = await Mirror.start(mir(dst));
    try {
      await waitForMirrorEqual(src, dst, 'the mirror equal to the source (backlog)');
      // Live: bars then their event, minute after minute, a day roll of the events in between.
      for (let i = 30; i < 40; i++) {
        pool.append(MIN1_KIND, 'SHFE', 'rb2505', D, barAt(D, i));
        pool.append(MIN1_KIND, 'DCE', 'i2505', D, barAt(D, i));
        events.append({ session: 'SHFE_day', date: D, time: barAt(D, i)['time'] as number });
        await sleep(5);
      }
      const D2 = 20250103;
      pool.append(MIN1_KIND, 'SHFE', 'rb2505', D2, barAt(D2, 0));
      events.append({ session: 'SHFE_day', date: D2, time: barAt(D2, 0)['time'] as number }); // rolls the events' file
      await waitForMirrorEqual(src, dst, 'the mirror equal to the source (live, rolled)');
      expect(rtFiles(dst)).toContain(path.join('closed', '20250102', 'SHFE_day.dmb'));
      expect(rtFiles(dst)).toContain(path.join('closed', 'SHFE_day.dmb'));
      expect(readBarsClosed(path.join(dst, 'rt', 'closed', 'SHFE_day.dmb'), 'SHFE_day')).toEqual([
        { session: 'SHFE_day', date: D2, time: barAt(D2, 0)['time'] },
      ]);
      expect(mirror.stats().refused).toEqual({});
      // In the stream, every event comes after every bar with a time at or before its own.
      const msgs = await streamMessages(stream);
      const closedSubject = `${prefix}.closed.SHFE_day`;
      expect(msgs.filter((m) => m.subject === closedSubject && m.data.length > 0)).toHaveLength(12);
      const barFiles = ['min1/SHFE/rb2505', 'min1/DCE/i2505', 'min5/SHFE/rb2505'];
      const seen = new Set<string>();
      for (const m of msgs) {
        if (m.data.length === 0) continue; // an end-of-day marker
        const v = decodeRecord(MIN1_KIND, m.data) as { date: number; time: number };
        if (m.subject !== closedSubject) {
          seen.add(`${m.subject}#${v.date}#${v.time}`);
          continue;
        }
        const missing: string[] = [];
        for (const f of barFiles) {
          const subject = `${prefix}.${f.split('/').join('.')}`;
          for (const bar of barsOf(src, f))
            if (bar.date === v.date && bar.time <= v.time && !seen.has(`${subject}#${bar.date}#${bar.time}`))
              missing.push(`${f} ${bar.time}`);
        }
        expect(missing, `bars not before the event of ${v.time} (stream sequence ${m.seq})`).toEqual([]);
      }
    } finally {
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
      events.close();
    }
  }, 90_000);

  it('publishes the days set aside before its first run and those set aside while it was stopped, oldest first', async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const { pub, mir } = settings();
    const pool = openPool(src);
    const days = [20250102, 20250103, 20250106];
    for (const d of days) for (let i = 0; i < 20; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', d, tickAt('SHFE', 'rb2505', d, i));
    // An instrument that traded on the first day only: set aside, no live file today.
    for (let i = 0; i < 7; i++) pool.append(TICK_KIND, 'DCE', 'i2505', days[0]!, tickAt('DCE', 'i2505', days[0]!, i));
    pool.finish(TICK_KIND, 'DCE', 'i2505', days[0]!);
    expect(rtFiles(src)).toEqual(
      ['ticks/DCE/20250102/i2505.dmb', 'ticks/SHFE/20250102/rb2505.dmb', 'ticks/SHFE/20250103/rb2505.dmb', 'ticks/SHFE/rb2505.dmb'].map(
        (f) => f.split('/').join(path.sep),
      ),
    );
    let publisher = await Publisher.start(pub(src));
    const mirror = await Mirror.start(mir(dst));
    try {
      await waitForMirrorEqual(src, dst, 'every day of the source in the mirror');
      // The mirror may hold a record before the publisher has handled its acknowledgement.
      await waitFor(() => publisher.stats().published === 67 && publisher.stats().endMarkers === 3, 'every acknowledgement handled', {
        describe: () => JSON.stringify(publisher.stats()),
      });
      expect(publisher.stats()).toMatchObject({ published: 67, endMarkers: 3, gaps: 0 });
      await publisher.stop();
      // Stopped over two day rolls: 20250106 finished and set aside, 20250107 too, 20250108 live.
      for (let i = 20; i < 25; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250106, tickAt('SHFE', 'rb2505', 20250106, i));
      for (const d of [20250107, 20250108])
        for (let i = 0; i < 10; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', d, tickAt('SHFE', 'rb2505', d, i));
      publisher = await Publisher.start(pub(src));
      await waitForMirrorEqual(src, dst, 'the days set aside while stopped in the mirror');
      expect(fileRecords(path.join(dst, 'rt', 'ticks', 'SHFE', '20250107', 'rb2505.dmb')).count).toBe(10);
      await waitFor(() => publisher.stats().published === 25, 'every acknowledgement handled', {
        describe: () => JSON.stringify(publisher.stats()),
      });
      expect(publisher.stats()).toMatchObject({ published: 25, duplicates: 0, gaps: 0 });
      expect(mirror.stats().refused).toEqual({});
    } finally {
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
    }
  }, 90_000);

  it("publishes a day's second file <CODE>~1.dmb after its first, across publisher restarts: the mirror has every record once", async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const { pub, mir } = settings();
    const pool = openPool(src);
    const D1 = 20250102;
    const D2 = 20250103;
    const raw = (i: number) => encodeRecord(TICK_KIND, tickAt('SHFE', 'rb2505', D1, i, 7));
    for (let i = 0; i < 20; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D1, tickAt('SHFE', 'rb2505', D1, i));
    let publisher = await Publisher.start(pub(src));
    const mirror = await Mirror.start(mir(dst));
    try {
      await waitFor(() => mirror.stats().written === 20, '20 records mirrored');
      pool.finish(TICK_KIND, 'SHFE', 'rb2505', D1);
      await waitFor(() => publisher.stats().endMarkers === 1, 'the end of the first file sent');
      await publisher.stop();
      expect(readCursorFile(busCursorPath(src, pub(src).stream))?.cursors['tick/SHFE/rb2505']).toEqual({
        date: D1,
        file: 0,
        index: 20,
        ended: true,
      });
      // While stopped: the same day gets more records, in a second file (it becomes ~1).
      for (let i = 0; i < 10; i++) expect(pool.appendRaw(TICK_KIND, 'SHFE', 'rb2505', D1, raw(i), 1)).toBe(true);
      publisher = await Publisher.start(pub(src));
      await waitForMirrorEqual(src, dst, 'the live second file in the mirror');
      await publisher.stop();
      expect(readCursorFile(busCursorPath(src, pub(src).stream))?.cursors['tick/SHFE/rb2505']).toEqual({
        date: D1,
        file: 1,
        index: 10,
        ended: false,
      });
      // While stopped again: the second file grows, is set aside as ~1, and the next day starts.
      for (let i = 10; i < 15; i++) expect(pool.appendRaw(TICK_KIND, 'SHFE', 'rb2505', D1, raw(i), 1)).toBe(true);
      pool.finish(TICK_KIND, 'SHFE', 'rb2505', D1);
      for (let i = 0; i < 5; i++) pool.append(TICK_KIND, 'SHFE', 'rb2505', D2, tickAt('SHFE', 'rb2505', D2, i));
      expect(rtFiles(src)).toEqual(
        ['ticks/SHFE/20250102/rb2505.dmb', 'ticks/SHFE/20250102/rb2505~1.dmb', 'ticks/SHFE/rb2505.dmb'].map((f) =>
          f.split('/').join(path.sep),
        ),
      );
      publisher = await Publisher.start(pub(src));
      await waitForMirrorEqual(src, dst, "both files of the day and the next day's in the mirror");
      expect(fileRecords(path.join(dst, 'rt', 'ticks', 'SHFE', String(D1), 'rb2505~1.dmb')).count).toBe(15);
      expect(mirror.stats()).toMatchObject({ written: 20 + 15 + 5, duplicates: 0, refused: {} });
      expect(publisher.stats()).toMatchObject({ duplicates: 0, gaps: 0 });
    } finally {
      await publisher.stop();
      await mirror.stop();
      pool.closeAll();
    }
  }, 90_000);
});

describeNats('bus: hostile input on the bus', () => {
  const nats = natsForSuite();

  it('refuses and counts a foreign message, a wrong size, a record of another instrument, a forged id, bad bytes; writes none of them', async () => {
    const dst = makeTempDir();
    const nc = await connect({ servers: nats().urls });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'H', subjects: ['h.>'], storage: StorageType.Memory });
    const js = jetstream(nc);
    const encode = (rec: Record<string, unknown>) => encodeRecord(TICK_KIND, rec);
    const hdrs = (date: string, id?: string) => {
      const h = headers();
      h.set('Tickrec-Format', '1');
      h.set('Tickrec-Date', date);
      if (id !== undefined) h.set('Nats-Msg-Id', id);
      return h;
    };
    const good = encode(tickAt('SHFE', 'rb2505', 20250102, 1));
    const idOf = (bytes: Uint8Array, date = 20250102) => `tick.SHFE.rb2505.${date}.${contentHash(bytes)}.0`;
    const other = encode(tickAt('DCE', 'i2505', 20250102, 1));
    const padded = good.slice();
    padded[164] = 1; // the reserved bytes after action_time
    const nextDay = encode(tickAt('SHFE', 'rb2505', 20250103, 1));
    const sends: [string, Uint8Array, ReturnType<typeof headers> | undefined][] = [
      ['h.tick.SHFE.rb2505', new TextEncoder().encode('{"price": 1}'), undefined], // foreign: no headers
      ['h.tick.SHFE.rb2505', good.subarray(0, 500), hdrs('20250102', 'x')], // size
      ['h.tick.SHFE.rb2505', other, hdrs('20250102', idOf(other))], // instrument
      ['h.tick.SHFE.rb2505', good, hdrs('20250102', 'tick.SHFE.rb2505.20250102.forged.0')], // foreign: forged id
      ['h.tick.SHFE.rb2505', padded, hdrs('20250102', idOf(padded))], // encoding
      ['h.tick.SHFE.rb2505', nextDay, hdrs('20250102', idOf(nextDay))], // date
      ['h.tick.SHFE', good, hdrs('20250102', 's1')], // subject
      ['h.tick.SHFE.rb$2505', good, hdrs('20250102', 's2')], // subject (name rule)
      ['h.tick.SHFE.rb2505', good, hdrs('2025010', 's3')], // foreign: bad date
      ['h.meta.SHFE.rb2505', new Uint8Array(0), hdrs('20250102', 'meta.SHFE.rb2505.none')], // its metadata: none at the publisher
      ['h.tick.SHFE.rb2505', good, hdrs('20250102', idOf(good))], // the one good record
    ];
    for (const [subject, data, h] of sends) await js.publish(subject, data, h ? { headers: h } : {});
    await nc.close();
    const mirror = await Mirror.start({ servers: nats().urls, stream: 'H', prefix: 'h', root: dst, log: silentLog });
    try {
      await waitFor(() => mirror.stats().lastSeq === sends.length, 'every message handled', {
        describe: () => JSON.stringify(mirror.stats()),
      });
      expect(mirror.stats().refused).toEqual({ foreign: 3, size: 1, instrument: 1, encoding: 1, date: 1, subject: 2 });
      expect(mirror.stats().written).toBe(1);
    } finally {
      await mirror.stop();
    }
    expect(rtFiles(dst)).toEqual([path.join('ticks', 'SHFE', 'rb2505.dmb')]);
    expect(fileRecords(path.join(dst, 'rt', 'ticks', 'SHFE', 'rb2505.dmb')).bytes.equals(Buffer.from(good))).toBe(true);
  }, 60_000);
});

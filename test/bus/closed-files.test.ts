// A session's closed-bar events spread over a day's second file rt/closed/<DATE>/<SESSION>~1.dmb: published and mirrored byte for byte, same file names (real nats-server).

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { Mirror, Publisher } from '../../src/bus/index.js';
import { ClosedEventWriter } from '../../src/bars/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { barAt, busSettings, natsForSuite, rtFiles, waitForMirrorEqual } from './helpers.js';

const describeNats = natsServerAvailable() ? describe : describe.skip;

describeNats("bus: closed-bar event files of a day's second file", () => {
  const nats = natsForSuite();
  const settings = busSettings(nats, 'C', ['min1', 'closed']);

  it('mirrors <SESSION>.dmb and <SESSION>~1.dmb of one day and the next live file exactly as the source holds them', async () => {
    const src = makeTempDir();
    const dst = makeTempDir();
    const D = 20250102;
    const D2 = 20250103;
    const time = (d: number, i: number) => barAt(d, i)['time'] as number;
    const events = new ClosedEventWriter(src);
    // Day D's events set aside, then more events of D (a replayed day): a second file, set aside as ~1.
    for (let i = 0; i < 5; i++) events.append({ session: 'SHFE_day', date: D, time: time(D, i) });
    expect(events.rollFinished((s, d) => s === 'SHFE_day' && d === D)).toBe(1);
    for (let i = 5; i < 8; i++) events.append({ session: 'SHFE_day', date: D, time: time(D, i) });
    expect(events.rollFinished((s, d) => s === 'SHFE_day' && d === D)).toBe(1);
    events.append({ session: 'SHFE_day', date: D2, time: time(D2, 0) });
    expect(rtFiles(src)).toEqual(
      ['closed/20250102/SHFE_day.dmb', 'closed/20250102/SHFE_day~1.dmb', 'closed/SHFE_day.dmb'].map((f) => f.split('/').join(path.sep)),
    );
    const { pub, mir } = settings();
    const publisher = await Publisher.start(pub(src));
    const mirror = await Mirror.start(mir(dst));
    try {
      await waitForMirrorEqual(
        src,
        dst,
        'the mirror root equal to the source root',
        30_000,
        () => `mirror ${JSON.stringify(mirror.stats())}`,
      );
      // Live: the next event of D2 lands in the mirror's live file too.
      events.append({ session: 'SHFE_day', date: D2, time: time(D2, 1) });
      await waitForMirrorEqual(src, dst, 'the live event in the mirror');
      expect(mirror.stats()).toMatchObject({ written: 10, duplicates: 0, refused: {}, daysEnded: 2 });
    } finally {
      await publisher.stop();
      await mirror.stop();
      events.close();
    }
  }, 90_000);
});

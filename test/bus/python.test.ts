// The Python subscriber example (python/examples/nats_subscriber.py): its decode() with Debian's python3 and numpy, on messages taken from a real stream, field for field against tickrec's decoder.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { natsServerAvailable } from '../../scripts/lib/nats.js';
import { waitFor } from '../../scripts/lib/wait.js';
import { Publisher, parseSubject } from '../../src/bus/index.js';
import { MIN1_KIND, TICK_KIND, TRADE_KIND } from '../../src/format/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { PY_DIR, runPython } from '../python/helpers.js';
import { barAt, busSettings, decodeRecord, natsForSuite, openPool, tickAt, tradeAt } from './helpers.js';

const describeNats = natsServerAvailable() ? describe : describe.skip;

const SCRIPT = `
import base64, json, sys
sys.path.insert(0, ${JSON.stringify(path.join(PY_DIR, 'examples'))})
from nats_subscriber import decode
out = []
for line in open(sys.argv[1]):
    m = json.loads(line)
    d = decode(m['subject'], base64.b64decode(m['data']))
    if d is None:
        out.append(None)
        continue
    kind, exchg, code, rec = d
    fields = {}
    for name in rec.dtype.names:
        if name.startswith('_') or name.startswith('pad') or name.startswith('reserved'):
            continue
        v = rec[name]
        fields[name] = v.decode() if isinstance(v, bytes) else v.tolist()
    out.append({'kind': kind, 'exchg': exchg, 'code': code, 'fields': fields})
print(json.dumps(out))
`;

describeNats('bus: the Python subscriber example', () => {
  const nats = natsForSuite();
  const settings = busSettings(nats, 'PY', ['tick', 'trade', 'min1']);

  it('decodes ticks, trades and bars from the stream exactly as tickrec does, and sees the end-of-day marker', async () => {
    const src = makeTempDir();
    const pool = openPool(src);
    for (let i = 0; i < 5; i++) {
      pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250102, tickAt('SHFE', 'rb2505', 20250102, i));
      pool.append(TRADE_KIND, 'SHFE', 'rb2505', 20250102, tradeAt('SHFE', 'rb2505', 20250102, i));
      pool.append(MIN1_KIND, 'SHFE', 'rb2505', 20250102, barAt(20250102, i));
    }
    const { pub, stream, prefix } = settings();
    const publisher = await Publisher.start({ ...pub(src), maxInFlight: 16, rollCheckMs: 20 });
    await waitFor(() => publisher.stats().published === 15, 'the first day published');
    pool.append(TICK_KIND, 'SHFE', 'rb2505', 20250103, tickAt('SHFE', 'rb2505', 20250103, 0)); // rolls: an end marker
    await waitFor(() => publisher.stats().published === 16 && publisher.stats().endMarkers >= 1, 'everything published', {
      describe: () => JSON.stringify(publisher.stats()),
    });
    await publisher.stop();
    pool.closeAll();

    const nc = await connect({ servers: nats().urls });
    const c = await jetstream(nc).consumers.get(stream, { filter_subjects: `${prefix}.tick.>` });
    const msgs: { subject: string; data: Uint8Array }[] = [];
    const it = await c.fetch({ max_messages: 7, expires: 5000 });
    for await (const m of it) msgs.push({ subject: m.subject, data: m.data.slice() });
    const all = await jetstream(nc).consumers.get(stream, { filter_subjects: `${prefix}.>` });
    for await (const m of await all.fetch({ max_messages: 17, expires: 5000 }))
      if (!m.subject.startsWith(`${prefix}.tick.`)) msgs.push({ subject: m.subject, data: m.data.slice() });
    await nc.close();
    expect(msgs.length).toBeGreaterThanOrEqual(17);

    const file = path.join(makeTempDir(), 'messages.jsonl');
    fs.writeFileSync(
      file,
      msgs.map((m) => JSON.stringify({ subject: m.subject, data: Buffer.from(m.data).toString('base64') })).join('\n') + '\n',
    );
    const r = await runPython(['-c', SCRIPT, file]);
    expect(r.code, r.stderr).toBe(0);
    const decoded = JSON.parse(r.stdout) as ({ kind: string; exchg: string; code: string; fields: Record<string, unknown> } | null)[];
    let ends = 0;
    msgs.forEach((m, i) => {
      const d = decoded[i];
      if (m.data.length === 0) {
        expect(d).toBeNull();
        ends++;
        return;
      }
      const s = parseSubject(prefix, m.subject);
      if (typeof s === 'string') throw new Error(s);
      const want = decodeRecord(s.kind, m.data);
      expect(d).toMatchObject({ kind: s.kind.name, exchg: 'SHFE', code: 'rb2505' });
      for (const [k, v] of Object.entries(d!.fields)) {
        const w = want[k];
        expect(v, `${m.subject} ${k}`).toEqual(ArrayBuffer.isView(w) ? Array.from(w as Float64Array) : w);
      }
      expect(Object.keys(d!.fields).length).toBeGreaterThan(8);
    });
    expect(ends).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

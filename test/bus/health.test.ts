// /health of a mirror (src/bus/metrics.ts busHealth): degraded when messages wait on the servers and the last record was written long ago (a mirror stuck on a failing write receives nothing, so its own lag says nothing), and the status page shows each consumer.

import { describe, expect, it } from 'vitest';
import type { MirrorStats } from '../../src/bus/index.js';
import { HEALTH_BUS_LAG_S, busHealth, statusPage } from '../../src/bus/metrics.js';

const stats = (pending: number, age: number | null): MirrorStats => ({
  state: 'connected',
  written: 10,
  duplicates: 0,
  refused: { write: 3 },
  daysEnded: 0,
  writeErrors: 3,
  metadataWritten: 1,
  pendingMessages: 0,
  lagSeconds: 0,
  lastSeq: 11,
  consumer: 'tickrec-mirror-h-1',
  consumersMade: 1,
  consumers: [{ name: 'tickrec-mirror-h-1', filter: 'tickrec.>', pending, readMs: 1000, position: 11, lastRecordAgeSeconds: age }],
});

describe('mirror health and page', () => {
  it('is degraded when messages are pending on the servers and nothing was written for longer than the limit', () => {
    expect(busHealth('mirror', stats(0, 3600)).status).toBe('ok'); // nothing to do: a quiet market
    expect(busHealth('mirror', stats(40, 2)).status).toBe('ok'); // catching up
    expect(busHealth('mirror', stats(40, null)).status).toBe('ok'); // just started on a backlog
    const h = busHealth('mirror', stats(40, HEALTH_BUS_LAG_S + 5));
    expect(h.status).toBe('degraded');
    expect(h.problems).toEqual([
      `consumer tickrec-mirror-h-1: 40 messages pending on the servers, last record written ${HEALTH_BUS_LAG_S + 5} s ago`,
    ]);
  });

  it('shows each consumer in a table and the totals below', () => {
    const html = statusPage('mirror', busHealth('mirror', stats(40, 12.25)), 3000);
    expect(html).toContain('<td data-k="pending">40</td>');
    expect(html).toContain('<td data-k="age">12.3 s</td>');
    expect(html).toContain('<td data-k="read">2.0 s ago</td>');
    expect(html).toContain('<tr data-k="refused write"><th>refused write</th><td>3</td></tr>');
    expect(html).not.toContain('[object Object]');
  });
});

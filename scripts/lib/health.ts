// The recorder's /health answer, typed from the recorder's own types, and polling it.

import type { Health } from '../../src/recorder/metrics.js';
import { waitFor } from './wait.js';

type Stats = Health['stats'];

/** RecorderStats as JSON, with the websocket feeds' extra stats (connections, url, oversized). */
export type HealthStats = Omit<Stats, 'feeds'> & {
  feeds: (Stats['feeds'][number] & { connections?: number; url?: string; oversized?: number })[];
};

export type HealthBody = Omit<Health, 'stats'> & { stats: HealthStats };

export async function getHealth(base: string, timeoutMs = 10_000): Promise<HealthBody> {
  const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  return (await res.json()) as HealthBody;
}

/** Polls /health until `pred(stats)` holds. */
export async function waitHealth(base: string, pred: (s: HealthStats) => boolean, what: string, timeoutMs = 30_000): Promise<HealthStats> {
  let last: HealthStats | undefined;
  return waitFor(
    async () => {
      last = (await getHealth(base)).stats;
      return pred(last) ? last : undefined;
    },
    what,
    { timeoutMs, intervalMs: 30, describe: () => `last stats: ${JSON.stringify(last)}` },
  );
}

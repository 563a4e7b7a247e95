// Peer for the recorder bench: a Redis tick recorder as in the Omega design, one JSON hash field per tick, pipelined per frame.
//
//   node --import tsx scripts/bench/peers/redis-recorder.ts --url ws://127.0.0.1:P --expect N --redis-port R
//
// Per tick: HSET tick:<EXCHG>.<CODE> <action_date><action_time, 9 digits> JSON.stringify(tick),
// the field made unique with "#k" when the instrument already had a tick at that time
// (SHFE/INE stamp ticks to the half second). Per frame (100 ticks from the simulator):
// one ioredis pipeline, written to the socket at once (exec); a frame counts as stored
// when Redis has replied to all its commands. Up to 16 frames are in flight; beyond
// that the websocket is paused (see ws-peer.ts).

import { Redis } from 'ioredis';
import { peerArgs, required, runPeer, type WireTick } from './ws-peer.js';

const args = peerArgs();
const url = required(args, 'url');
const expect = Number(required(args, 'expect'));
const port = Number(required(args, 'redis-port'));

const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
await redis.connect();

/** Per hash key: the last time field used and how many ticks had it. */
const lastField = new Map<string, { base: string; n: number }>();

function fieldOf(key: string, t: WireTick): string {
  const base = `${t.action_date}${String(t.action_time).padStart(9, '0')}`;
  const last = lastField.get(key);
  if (last === undefined) {
    lastField.set(key, { base, n: 0 });
    return base;
  }
  if (last.base !== base) {
    last.base = base;
    last.n = 0;
    return base;
  }
  return `${base}#${++last.n}`;
}

runPeer('redis-recorder', url, expect, {
  async frame(ticks) {
    const p = redis.pipeline();
    for (const t of ticks) {
      const key = `tick:${t.exchg}.${t.code}`;
      p.hset(key, fieldOf(key, t), JSON.stringify(t));
    }
    const res = await p.exec();
    if (res === null) throw new Error('pipeline discarded');
    for (const [err] of res) if (err) throw err;
  },
  async close() {
    await redis.quit();
  },
});

// The ctp feed in the configuration: defaults, what is refused, the password from the environment, and what createFeed builds from it (flow folder under the data root).

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type FeedConfig } from '../../src/config/index.js';
import { TickrecError } from '../../src/errors.js';
import { CtpFeed } from '../../src/feed/ctp/index.js';
import { createFeed, feedName } from '../../src/recorder/feeds.js';
import { makeTempDir, removeTempDirs } from '../helpers/tmp.js';
import { buildCtp, type CtpBuild } from './helpers/build.js';

let build: CtpBuild;
beforeAll(() => {
  build = buildCtp();
}, 300_000);
afterAll(() => removeTempDirs());

const feed = (f: Record<string, unknown>) => ({
  root: '/data',
  feeds: [
    {
      type: 'ctp',
      fronts: ['tcp://127.0.0.1:10211'],
      broker_id: '9999',
      user_id: 'u007',
      password: '${CTP_PASSWORD}',
      subscribe: ['SHFE.rb2505'],
      ...f,
    },
  ],
});
const parse = (json: unknown, env: NodeJS.ProcessEnv = { CTP_PASSWORD: 'pw' }) => parseConfig(json, 'test.json', env, '/cfg');
const error = (json: unknown, env?: NodeJS.ProcessEnv): string => {
  try {
    parse(json, env);
  } catch (err) {
    expect(err).toBeInstanceOf(TickrecError);
    return (err as Error).message;
  }
  throw new Error('no error');
};

describe('the ctp feed schema', () => {
  it('has documented defaults; the password comes from the environment', () => {
    const f = parse(feed({})).feeds[0]!;
    expect(f).toEqual({
      type: 'ctp',
      fronts: ['tcp://127.0.0.1:10211'],
      broker_id: '9999',
      user_id: 'u007',
      password: 'pw',
      subscribe: ['SHFE.rb2505'],
      queue_max: 65536,
      subscribe_batch: 500,
      api_generation: 'auto',
      czce_turnover: 'auto',
      capture: false,
      library_output: 'log',
      allow_sdk_mismatch: false,
      connect_warn_ms: 15_000,
      login_timeout_ms: 10_000,
    });
    expect(feedName(f, 2)).toBe('ctp-2');
  });

  it('refuses what CTP cannot do, naming the key and never echoing the password', () => {
    expect(error(feed({ subscribe: ['*'] }))).toMatch(/feeds\[0\]\.subscribe\[0\]: .*explicit codes/);
    expect(error(feed({ fronts: ['ws://127.0.0.1:1'] }))).toContain('feeds[0].fronts[0]: a front address tcp://HOST:PORT');
    expect(error(feed({ api_generation: 5 }))).toContain('feeds[0].api_generation');
    expect(error(feed({ queue_max: 0 }))).toContain('feeds[0].queue_max');
    expect(error(feed({ library: 'relative/lib.so' }))).toContain('feeds[0].library: an absolute path');
    expect(error(feed({ czce_multipliers: { SR: -1 } }))).toContain('feeds[0].czce_multipliers.SR');
    expect(error(feed({ url: 'ws://x' }))).toMatch(/feeds\[0\]: .*"url"/);
    expect(error(feed({ czce_turnover: 'twice' }))).toContain('feeds[0].czce_turnover');
    expect(error(feed({ library_output: 'file' }))).toContain('feeds[0].library_output');
    expect(error(feed({}), {})).toContain('environment variable CTP_PASSWORD is not set');
    const long = error(feed({ password: 'p'.repeat(41) }), {});
    expect(long).toContain('feeds[0].password');
    expect(long).not.toContain('p'.repeat(41));
  });
});

describe('createFeed with a ctp feed', () => {
  it('builds a CtpFeed with its flow folder under the data root (or relative to it)', () => {
    const saved = process.env.TICKREC_CTP_ADDON;
    process.env.TICKREC_CTP_ADDON = build.addon;
    try {
      const root = makeTempDir('tickrec-ctp-root-');
      const c = parse(feed({ library: build.lib4, name: 'main' }));
      const a = createFeed(c.feeds[0]!, 0, { root });
      expect(a).toBeInstanceOf(CtpFeed);
      expect(a.name).toBe('main');
      expect(a.type).toBe('ctp');
      expect((a as CtpFeed).flowDir).toBe(path.join(root, 'ctp-flow', 'main'));
      const b = createFeed(parse(feed({ library: build.lib4, flow_dir: 'flows/x' })).feeds[0] as FeedConfig, 1, { root }) as CtpFeed;
      expect(b.flowDir).toBe(path.join(root, 'flows', 'x'));
      expect(b.stats()).toMatchObject({ state: 'idle', queueMax: 65536, instruments: 1, fronts: ['tcp://127.0.0.1:10211'] });
    } finally {
      if (saved === undefined) delete process.env.TICKREC_CTP_ADDON;
      else process.env.TICKREC_CTP_ADDON = saved;
    }
  });
});

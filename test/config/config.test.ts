// Tests of the recorder configuration (src/config): defaults, errors naming the key path and the expected value, ${ENV} substitution, relative paths, the bundled config.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_DIR, loadConfig, parseConfig, substituteEnv, type Config } from '../../src/config/index.js';
import { TickrecError } from '../../src/errors.js';

const made: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-config-'));
  made.push(d);
  return d;
}
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

const FEED = { type: 'websocket', url: 'ws://127.0.0.1:8765', format: 'tickrec' };
const minimal = (over: Record<string, unknown> = {}) => ({ root: 'data', feeds: [{ ...FEED }], ...over });
const withFeed = (over: Record<string, unknown>) => minimal({ feeds: [{ ...FEED, ...over }] });

function configError(fn: () => unknown): TickrecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TickrecError);
    expect((err as TickrecError).code).toBe('E_CONFIG');
    return err as TickrecError;
  }
  return expect.fail('expected a configuration error, none was thrown');
}

const parse = (json: unknown, env: NodeJS.ProcessEnv = {}, base = '/base') => parseConfig(json, 'test.json', env, base);

describe('parseConfig: invalid configurations', () => {
  it.each([
    ['a missing root', { feeds: [FEED] }, 'root', 'expected string'],
    ['an empty root', minimal({ root: '' }), 'root', '>=1'],
    ['no feeds', minimal({ feeds: [] }), 'feeds', '>=1'],
    ['feeds not an array', minimal({ feeds: FEED }), 'feeds', 'expected array'],
    ['an http url', withFeed({ url: 'http://x' }), 'feeds[0].url', 'a ws:// or wss:// URL'],
    ['an unknown format', withFeed({ format: 'fix' }), 'feeds[0].format', '"tickrec"|"binance"|"okx"'],
    ['an unknown feed type', minimal({ feeds: [{ ...FEED, type: 'fix' }] }), 'feeds[0].type', "'websocket' | 'ctp'"],
    ['a bad instrument', withFeed({ subscribe: ['SHFE.rb2505', '../x'] }), 'feeds[0].subscribe[1]', 'EXCHG.CODE'],
    ['an empty subscription', withFeed({ subscribe: [] }), 'feeds[0].subscribe', '>=1'],
    ['a tiny max payload', withFeed({ max_payload_bytes: 100 }), 'feeds[0].max_payload_bytes', '>=1024'],
    ['a zero reconnect delay', withFeed({ reconnect_min_ms: 0 }), 'feeds[0].reconnect_min_ms', '>=1'],
    ['a bad feed name', withFeed({ name: 'my feed' }), 'feeds[0].name', 'letters, digits'],
    ['a string port', minimal({ metrics: { port: '9464' } }), 'metrics.port', 'expected number'],
    ['a port above 65535', minimal({ metrics: { port: 70000 } }), 'metrics.port', '<=65535'],
    ['an unknown log level', minimal({ log: { level: 'loud' } }), 'log.level', '"info"'],
    ['max_open_files below 4', minimal({ storage: { max_open_files: 2 } }), 'storage.max_open_files', '>=4'],
    ['a fractional capacity', minimal({ storage: { initial_capacity_ticks: 1.5 } }), 'storage.initial_capacity_ticks', 'int'],
    ['a negative simulator rate', minimal({ simulator: { rate: -1 } }), 'simulator.rate', '>0'],
    ['a simulator rate of 0 (the simulator needs > 0)', minimal({ simulator: { rate: 0 } }), 'simulator.rate', '>0'],
    ['not an object', [], '(top level)', 'expected object'],
  ])('%s: names %s and the expected value', (_what, json, key, expected) => {
    const e = configError(() => parse(json));
    expect(e.message).toContain('test.json');
    expect(e.message).toContain(`  ${key}: `);
    expect(e.message).toContain(expected);
  });

  it('unknown keys are rejected at every level, naming the key', () => {
    const e = configError(() => parse({ ...withFeed({ urll: 'ws://x' }), rot: 'x', storage: { max_open: 4 } }));
    expect(e.message).toMatch(/\(top level\): .*"rot"/);
    expect(e.message).toMatch(/feeds\[0\]: .*"urll"/);
    expect(e.message).toMatch(/storage: .*"max_open"/);
  });

  it('lists several problems, at most five', () => {
    const e = configError(() =>
      parse({ root: 1, feeds: [{ ...FEED, url: 'x', format: 'y', max_payload_bytes: 1, reconnect_min_ms: 0, ping_interval_ms: 0 }] }),
    );
    const lines = e.message.split('\n').filter((l) => l.startsWith('  '));
    expect(lines).toHaveLength(5);
  });
});

describe('parseConfig: defaults', () => {
  it('a minimal config (root + one feed) gets every default', () => {
    const c: Config = parse(minimal(), {}, '/srv/tickrec');
    expect(c).toEqual({
      root: '/srv/tickrec/data',
      sessions: path.join(BUNDLED_CONFIG_DIR, 'sessions.json'),
      instruments: { file: path.join(BUNDLED_CONFIG_DIR, 'instruments.json') },
      feeds: [
        {
          type: 'websocket',
          url: 'ws://127.0.0.1:8765',
          format: 'tickrec',
          subscribe: ['*'],
          max_payload_bytes: 4 * 1024 * 1024,
          reconnect_min_ms: 250,
          reconnect_max_ms: 30_000,
          ping_interval_ms: 15_000,
          stale_timeout_ms: 30_000,
        },
      ],
      metrics: { enabled: true, host: '127.0.0.1', port: 9464, max_connections: 64, idle_timeout_ms: 10_000 },
      limits: { max_ahead_ms: 300_000 },
      log: { level: 'info', reject_log_interval_ms: 10_000 },
      compaction: { enabled: true, codec: 'lz4', check_interval_ms: 60_000, nice: 10 },
      storage: {
        initial_capacity_ticks: 2500,
        initial_capacity_trades: 5000,
        sync_interval_ms: 1000,
        max_open_files: 'auto',
        roll_by_clock: true,
        prepare_files: true,
        roll_grace_ms: 60_000,
      },
      session_filter: { enabled: true, grace_ms: 60_000, future_ms: 14_400_000 },
      bars: { enabled: true, periods: [1, 5], grace_ms: 3000, timer_ms: 250, closed_events: true },
    });
    expect(fs.existsSync(c.sessions!)).toBe(true);
  });

  it('a simulator section gets its defaults; partial sections keep the other defaults', () => {
    const c = parse(minimal({ simulator: {}, metrics: { port: 0 }, storage: { max_open_files: 4 } }));
    expect(c.simulator).toEqual({ host: '127.0.0.1', port: 8765, instruments: 20, rate: 2000, seed: 1, speed: 1, trades: false });
    expect(c.metrics).toEqual({ enabled: true, host: '127.0.0.1', port: 0, max_connections: 64, idle_timeout_ms: 10_000 });
    expect(c.storage.max_open_files).toBe(4);
    expect(c.storage.initial_capacity_ticks).toBe(2500);
  });

  it('the input object is not modified', () => {
    const json = minimal();
    const before = JSON.stringify(json);
    parse(json);
    expect(JSON.stringify(json)).toBe(before);
  });
});

describe('${ENV} substitution', () => {
  it('substitutes in nested strings and arrays; other types are left alone', () => {
    const env = { HOST: 'feed.example.com', TOKEN: 's3cr3t', EX: 'SHFE', PORT: '9000' };
    const c = parse(
      withFeed({
        url: 'wss://${HOST}:${PORT}/stream',
        headers: { Authorization: 'Bearer ${TOKEN}' },
        subscribe: ['${EX}.rb2505', '${EX}.cu2505'],
      }),
      env,
    );
    const f = c.feeds[0]!;
    if (f.type !== 'websocket') throw new Error('expected a websocket feed');
    expect(f.url).toBe('wss://feed.example.com:9000/stream');
    expect(f.headers).toEqual({ Authorization: 'Bearer s3cr3t' });
    expect(f.subscribe).toEqual(['SHFE.rb2505', 'SHFE.cu2505']);
    expect(substituteEnv({ a: [1, true, null, { b: '$HOME ${X}x' }] }, { X: 'y' }, 'w')).toEqual({ a: [1, true, null, { b: '$HOME yx' }] });
  });

  it('a missing variable is an error naming the variable and its key path', () => {
    const e = configError(() => parse(withFeed({ headers: { Authorization: 'Bearer ${FEED_TOKEN}' } }), {}));
    expect(e.message).toContain('test.json');
    expect(e.message).toContain('FEED_TOKEN');
    expect(e.message).toContain('feeds[0].headers.Authorization');
    const a = configError(() => parse(withFeed({ subscribe: ['SHFE.rb2505', '${MISSING}'] }), {}));
    expect(a.message).toContain('feeds[0].subscribe[1]');
    expect(a.message).toContain('MISSING');
  });

  it('a substituted secret never appears in an error message', () => {
    const env = { TOKEN: 'hunter2-very-secret', BADURL: 'http://user:hunter2-very-secret@x' };
    const e = configError(() =>
      parse(minimal({ root: '', feeds: [{ ...FEED, url: '${BADURL}', headers: { Authorization: '${TOKEN}' } }] }), env),
    );
    expect(e.message).toContain('feeds[0].url');
    expect(e.message).not.toContain('hunter2');
  });
});

describe('loadConfig', () => {
  it('resolves a relative root and sessions against the config file folder', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'etc'));
    const file = path.join(dir, 'etc', 'recorder.json');
    fs.writeFileSync(file, JSON.stringify(minimal({ root: '../data', sessions: 'my-sessions.json' })));
    const c = loadConfig(file, {});
    expect(c.root).toBe(path.join(dir, 'data'));
    expect(c.sessions).toBe(path.join(dir, 'etc', 'my-sessions.json'));
  });

  it('keeps an absolute root', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify(minimal({ root: '/var/lib/tickrec' })));
    expect(loadConfig(file, {}).root).toBe('/var/lib/tickrec');
  });

  it('substitutes from the given environment', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify(minimal({ root: '${DATA}' })));
    expect(loadConfig(file, { DATA: '/mnt/ticks' }).root).toBe('/mnt/ticks');
  });

  it('a missing file and bad JSON are errors naming the file', () => {
    const dir = tempDir();
    const missing = path.join(dir, 'nope.json');
    expect(configError(() => loadConfig(missing, {})).message).toContain(missing);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{ "root": "x", ');
    const e = configError(() => loadConfig(bad, {}));
    expect(e.message).toContain(bad);
    expect(e.message).toContain('not valid JSON');
    expect(e.file).toBe(bad);
  });

  it('an invalid file names itself and the key', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify(withFeed({ url: 'tcp://x' })));
    const e = configError(() => loadConfig(file, {}));
    expect(e.message).toContain(file);
    expect(e.message).toContain('feeds[0].url');
  });

  it('the bundled config/recorder.json is valid and points at the bundled sessions', () => {
    const file = path.join(BUNDLED_CONFIG_DIR, 'recorder.json');
    const c = loadConfig(file, {});
    expect(c.root).toBe(path.resolve(BUNDLED_CONFIG_DIR, '../data'));
    expect(c.feeds.length).toBeGreaterThan(0);
    expect(c.simulator).toBeDefined();
    expect(c.metrics.host).toBe('127.0.0.1');
    expect(fs.existsSync(c.sessions!)).toBe(true);
  });
});

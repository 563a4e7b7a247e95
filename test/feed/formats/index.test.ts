// Tests of createMapper: format selection, trade quantities passed through as sent, unknown formats as configuration errors.

import { describe, expect, it } from 'vitest';
import { TickrecError } from '../../../src/errors.js';
import { MAPPER_FORMATS, createMapper, type MapperFormat } from '../../../src/feed/formats/index.js';
import { Recorder, run } from './helpers.js';

describe('createMapper', () => {
  it('rejects an unknown format with E_CONFIG', () => {
    expect(() => createMapper('ctp' as MapperFormat)).toThrow(TickrecError);
    try {
      createMapper('nope' as MapperFormat);
    } catch (err) {
      expect((err as TickrecError).code).toBe('E_CONFIG');
      expect((err as Error).message).toContain('tickrec, binance, okx');
    }
    for (const f of MAPPER_FORMATS) expect(() => createMapper(f)).not.toThrow();
  });

  it('builds each format; trade quantities pass through as sent (the recorder stores them in lot-step units)', () => {
    const rec = new Recorder();
    const tickrec = createMapper('tickrec');
    const t = run(
      tickrec,
      rec,
      '{"type":"trade","exchg":"SSE","code":"600000","price":10,"volume":2.4,"action_date":20250102,"action_time":93000000}',
    );
    expect(t.trades[0]!.volume).toBe(2.4);
    const binance = createMapper('binance', { nowMs: () => Date.UTC(2025, 0, 2) });
    const b = run(binance, rec, JSON.stringify({ e: 'aggTrade', s: 'BTCUSDT', a: 1, p: '1', q: '2.4', T: Date.UTC(2025, 0, 2), m: true }));
    expect(b.trades[0]!.volume).toBe(2.4);
    const okx = createMapper('okx');
    expect(run(okx, rec, 'pong')).toEqual({ ticks: [], trades: [], rejects: [], ignored: [] });
    expect(okx.subscribeFrames(['OKX.BTC-USDT'])).toHaveLength(1);
  });
});

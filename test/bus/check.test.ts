// checkMessage on Tickrec-Volume-Decimals (wire.ts UNIT OF A RECORD): a record carries the unit of its volumes; absent (an older publisher) is taken as before, a malformed value or one on a closed-bar event is refused as foreign.

import { describe, expect, it } from 'vitest';
import {
  CLOSED_NAME,
  HDR_VOLUME_DECIMALS,
  checkMessage,
  contentHash,
  messageId,
  closedTarget,
  instrumentTarget,
} from '../../src/bus/index.js';
import { MIN1_KIND, TRADE_KIND } from '../../src/format/index.js';
import { barAt, encodeRecord, tradeAt } from './helpers.js';

const D = 20250102;

function hdrs(h: Record<string, string>): { get(k: string): string } {
  return { get: (k) => h[k] ?? '' };
}

function tradeMessage(unit: string | undefined) {
  const data = encodeRecord(TRADE_KIND, { ...tradeAt('BINANCE', 'BTCUSDT', D, 0), volume: 1500 });
  const id = messageId(instrumentTarget(TRADE_KIND, 'BINANCE', 'BTCUSDT'), D, contentHash(data), 0);
  const h: Record<string, string> = { 'Tickrec-Format': '1', 'Tickrec-Date': String(D), 'Nats-Msg-Id': id };
  if (unit !== undefined) h[HDR_VOLUME_DECIMALS] = unit;
  return checkMessage('t', 't.trade.BINANCE.BTCUSDT', hdrs(h), data);
}

describe('checkMessage: Tickrec-Volume-Decimals', () => {
  it('gives the unit of a record, null when the header is absent', () => {
    expect(tradeMessage('3')).toMatchObject({ type: 'record', volumeDecimals: 3 });
    expect(tradeMessage('0')).toMatchObject({ type: 'record', volumeDecimals: 0 });
    expect(tradeMessage('12')).toMatchObject({ type: 'record', volumeDecimals: 12 });
    expect(tradeMessage(undefined)).toMatchObject({ type: 'record', volumeDecimals: null });
  });

  it.each(['x', '-1', '13', '03', '3.0', ' 3', '1e1', '99'])('refuses %j as foreign, naming the header', (v) => {
    const r = tradeMessage(v);
    expect(r).toMatchObject({ type: 'refused', reason: 'foreign' });
    expect(r.type === 'refused' && r.detail).toContain(HDR_VOLUME_DECIMALS);
  });

  it('refuses the header on a closed-bar event (no instrument, no unit)', () => {
    const ev = encodeRecord(MIN1_KIND, {
      ...barAt(D, 0),
      open: 0,
      high: 0,
      low: 0,
      close: 0,
      settle: 0,
      vol: 0,
      money: 0,
      hold: 0,
      add: 0,
    });
    const id = messageId(closedTarget('UTC24'), D, contentHash(ev), 0);
    const h = { 'Tickrec-Format': '1', 'Tickrec-Date': String(D), 'Nats-Msg-Id': id };
    expect(checkMessage('t', `t.${CLOSED_NAME}.UTC24`, hdrs(h), ev)).toMatchObject({ type: 'record', volumeDecimals: null });
    expect(checkMessage('t', `t.${CLOSED_NAME}.UTC24`, hdrs({ ...h, [HDR_VOLUME_DECIMALS]: '0' }), ev)).toMatchObject({
      type: 'refused',
      reason: 'foreign',
    });
  });
});

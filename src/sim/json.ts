// The tickrec JSON protocol as the simulator writes it: ticks, trades, heartbeats, and the deliberately bad frames of the fault modes.

import type { SimTick, SimTrade } from './generator.js';

export const HEARTBEAT_JSON = '{"type":"heartbeat"}';

/** CTP's "no value" (DBL_MAX), as a feed would send it in JSON. */
export const DBL_MAX_JSON = '1.7976931348623157e308';

/**
 * One tick as a JSON object with `"type":"tick"` and every TickInput field. Hand-built
 * for speed: exchange and code are plain names (the name rule admits no character that
 * JSON must escape) and every number is finite.
 */
export function tickJson(t: SimTick): string {
  return (
    '{"type":"tick","exchg":"' +
    t.exchg +
    '","code":"' +
    t.code +
    '","price":' +
    t.price +
    ',"open":' +
    t.open +
    ',"high":' +
    t.high +
    ',"low":' +
    t.low +
    ',"settle_price":' +
    t.settle_price +
    ',"upper_limit":' +
    t.upper_limit +
    ',"lower_limit":' +
    t.lower_limit +
    ',"total_volume":' +
    t.total_volume +
    ',"volume":' +
    t.volume +
    ',"total_turnover":' +
    t.total_turnover +
    ',"turn_over":' +
    t.turn_over +
    ',"open_interest":' +
    t.open_interest +
    ',"diff_interest":' +
    t.diff_interest +
    ',"trading_date":' +
    t.trading_date +
    ',"action_date":' +
    t.action_date +
    ',"action_time":' +
    t.action_time +
    ',"pre_close":' +
    t.pre_close +
    ',"pre_settle":' +
    t.pre_settle +
    ',"pre_interest":' +
    t.pre_interest +
    ',"bid_prices":[' +
    t.bid_prices.join(',') +
    '],"ask_prices":[' +
    t.ask_prices.join(',') +
    '],"bid_qty":[' +
    t.bid_qty.join(',') +
    '],"ask_qty":[' +
    t.ask_qty.join(',') +
    ']}'
  );
}

export function tradeJson(t: SimTrade): string {
  return (
    '{"type":"trade","exchg":"' +
    t.exchg +
    '","code":"' +
    t.code +
    '","price":' +
    t.price +
    ',"volume":' +
    t.volume +
    ',"side":"' +
    t.side +
    '","ttype":"M","index":' +
    t.index +
    ',"action_date":' +
    t.action_date +
    ',"action_time":' +
    t.action_time +
    ',"trading_date":' +
    t.trading_date +
    '}'
  );
}

/** The kinds of malformed frame, injected in this order, round robin. */
export const MALFORMED_KINDS = ['broken_json', 'string_price', 'hostile_code', 'dbl_max'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/**
 * A bad frame modelled on `t` (a tick the client just got):
 * - broken_json: the tick's JSON cut in half (not parseable);
 * - string_price: the tick with `"price":"<digits>"` (a string, wrong type);
 * - hostile_code: the tick with code "../../x" (fails the name rule);
 * - dbl_max: the tick with price 1.7976931348623157e308 (CTP's DBL_MAX, no value).
 */
export function malformedFrame(kind: MalformedKind, t: SimTick): string {
  const json = tickJson(t);
  switch (kind) {
    case 'broken_json':
      return '[' + json.slice(0, Math.floor(json.length / 2));
    case 'string_price':
      return '[' + json.replace(/"price":[^,]*/, `"price":"${t.price}"`) + ']';
    case 'hostile_code':
      return '[' + json.replace(/"code":"[^"]*"/, '"code":"../../x"') + ']';
    case 'dbl_max':
      return '[' + json.replace(/"price":[^,]*/, `"price":${DBL_MAX_JSON}`) + ']';
  }
}

/**
 * A copy of `t` whose total_volume (and total_turnover) went backwards: strictly below
 * `t.total_volume`, as after a CTP front reconnect. volume and turn_over are 0.
 */
export function regressedTick(t: SimTick): SimTick {
  const back = Math.max(t.volume * 2, t.volume >= 1 ? 1 : t.volume);
  const totalVolume = Math.max(0, t.total_volume - back);
  const ratio = t.total_volume > 0 ? totalVolume / t.total_volume : 0;
  return { ...t, total_volume: totalVolume, volume: 0, total_turnover: t.total_turnover * ratio, turn_over: 0 };
}

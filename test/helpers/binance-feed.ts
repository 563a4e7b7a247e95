// A Binance-style aggTrade feed for tests: a real websocket server on 127.0.0.1 that answers a SUBSCRIBE and sends one aggTrade per size, as Binance's combined streams do; the recorder's feed entry for it and an instruments file giving the symbol a lot step of 0.000001.

import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

export interface AggTradeOptions {
  /** Binance symbol (upper case), default BTCUSDT. */
  symbol?: string;
  /** Trade price as Binance sends it (decimal text), default '95000.01'. */
  price?: string;
  /** Aggregate trade id of the first message is 1000 + first (default 0). */
  first?: number;
}

/** Combined-stream aggTrade messages, one per size (the decimal text as sent), trade i at t0 + i ms; buyer-maker on every other one. */
export function aggTradeMessages(sizes: readonly string[], t0: number, o: AggTradeOptions = {}): string[] {
  const symbol = o.symbol ?? 'BTCUSDT';
  const first = o.first ?? 0;
  return sizes.map((q, i) => {
    const trade = {
      e: 'aggTrade',
      E: t0 + i,
      s: symbol,
      a: 1000 + first + i,
      p: o.price ?? '95000.01',
      q,
      f: 1,
      l: 1,
      T: t0 + i,
      m: i % 2 === 0,
    };
    return JSON.stringify({ stream: `${symbol.toLowerCase()}@aggTrade`, data: trade });
  });
}

export interface BinanceFeed {
  readonly server: WebSocketServer;
  /** ws://127.0.0.1:<port>/stream, for a feed of format 'binance'. */
  readonly url: string;
  /** The recorder's `feeds` entry for it: format 'binance', subscribed to BINANCE.<symbol>. */
  readonly feedConfig: { name: string; url: string; format: 'binance'; subscribe: string[] };
  /** Sends more messages to every connected client. */
  send(messages: readonly string[]): void;
  /** Closes every connection and the server. */
  close(): Promise<void>;
}

/**
 * Starts the server on `port` (default 0: a free one). On a SUBSCRIBE it answers
 * `{result: null, id}` and sends aggTradeMessages(sizes, t0, options).
 */
export async function startBinanceFeed(
  sizes: readonly string[],
  t0: number,
  o: AggTradeOptions & { port?: number } = {},
): Promise<BinanceFeed> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: o.port ?? 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  server.on('connection', (ws: WebSocket) => {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { method?: string; id?: number };
      if (msg.method !== 'SUBSCRIBE') return;
      ws.send(JSON.stringify({ result: null, id: msg.id }));
      for (const m of aggTradeMessages(sizes, t0, o)) ws.send(m);
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
  return {
    server,
    url,
    feedConfig: { name: 'binance', url, format: 'binance', subscribe: [`BINANCE.${o.symbol ?? 'BTCUSDT'}`] },
    send: (messages) => {
      for (const c of server.clients) for (const m of messages) c.send(m);
    },
    close: () => {
      for (const c of server.clients) c.terminate();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Writes `<dir>/instruments.json` (the configuration's `instruments.file`): BINANCE.<symbol> with price tick 0.01 and lot step 0.000001. Returns its path. */
export function writeBinanceInstruments(dir: string, symbol = 'BTCUSDT'): string {
  const file = path.join(dir, 'instruments.json');
  fs.writeFileSync(file, JSON.stringify({ instruments: { [`BINANCE.${symbol}`]: { price_tick: '0.01', lot_step: '0.000001' } } }));
  return file;
}

// Building the sessions book and the instrument book from a configuration's `sessions` and `instruments` keys (tickrec files, a WonderTrader common/ folder, a Binance exchangeInfo file).

import { buildSessionBook, loadSessionBook, type SessionBook } from '../calendar/index.js';
import { TickrecError } from '../errors.js';
import { loadBinanceExchangeInfo } from './binance.js';
import { InstrumentBook, loadInstrumentsFile, type MetaSource } from './instruments.js';
import { loadWonderTraderCommon } from './wondertrader.js';

export interface MetaConfig {
  /** tickrec sessions file; without it, `instruments.wondertrader` must be set. */
  sessions?: string | undefined;
  instruments: { file?: string | undefined; wondertrader?: string | undefined; binance_exchange_info?: string | undefined };
}

export interface LoadedMeta {
  sessions: SessionBook;
  instruments: InstrumentBook;
}

/** Loads the sessions book (tickrec's file, else WonderTrader's) and the instrument book; E_CONFIG naming the file on any problem. */
export function loadMeta(c: MetaConfig): LoadedMeta {
  const wt = c.instruments.wondertrader !== undefined ? loadWonderTraderCommon(c.instruments.wondertrader) : undefined;
  let sessions: SessionBook;
  if (c.sessions !== undefined) sessions = loadSessionBook(c.sessions);
  else if (wt) {
    const where = `${c.instruments.wondertrader}/sessions.json`;
    try {
      sessions = buildSessionBook(wt.sessions, where);
      Object.assign(sessions.calendar, { file: `${c.instruments.wondertrader}/holidays.json` });
    } catch (err) {
      throw new TickrecError('E_CONFIG', (err as Error).message, { file: where });
    }
  } else throw new TickrecError('E_CONFIG', 'no sessions file: set "sessions" or "instruments.wondertrader" in the configuration.');
  // Precedence: the feed's own data, tickrec's instruments file, WonderTrader's files.
  const sources: MetaSource[] = [];
  if (c.instruments.binance_exchange_info !== undefined) sources.push(loadBinanceExchangeInfo(c.instruments.binance_exchange_info));
  if (c.instruments.file !== undefined) sources.push(loadInstrumentsFile(c.instruments.file));
  if (wt) sources.push(wt.source);
  return { sessions, instruments: new InstrumentBook(sources, sessions) };
}

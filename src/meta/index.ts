// Instrument metadata: sources (tickrec's instruments file, WonderTrader's common/, Binance exchangeInfo), the resolved book, the copy kept in the data root, and the trade-volume unit rule.
export * from './units.js';
export * from './instruments.js';
export * from './wondertrader.js';
export * from './binance.js';
export * from './root.js';
export * from './load.js';

// The built-in market simulator: universe, seeded generator, JSON writer and websocket server.

export { Prng } from './prng.js';
export { SIMULATOR_DEFAULTS } from './defaults.js';
export { JsonBytes, ascii } from './bytes.js';
export {
  DAY_MS,
  SHANGHAI_OFFSET_MIN,
  type Section,
  dayToYmd,
  formatShanghai,
  futuresTradingDay,
  isWeekday,
  localDay,
  msOfDayToTime,
  nextWeekday,
  openStartMs,
  parseStart,
  sectionOpen,
  weekday,
  ymdToDay,
} from './calendar.js';
export { MAX_INSTRUMENTS, PRODUCTS, SESSIONS, buildUniverse, type Instrument, type UniverseOptions } from './universe.js';
export { createGenerator, slotTimeMs, type Generator, type GeneratorOptions, type SimTick, type SimTrade } from './generator.js';
export {
  DBL_MAX_JSON,
  HEARTBEAT_JSON,
  MALFORMED_KINDS,
  malformedFrame,
  regressedTick,
  tickJson,
  tradeJson,
  type MalformedKind,
} from './json.js';
export {
  resolveSimulatorOptions,
  startSimulator,
  type Simulator,
  type SimulatorFaults,
  type SimulatorOptions,
  type SimulatorStats,
} from './server.js';

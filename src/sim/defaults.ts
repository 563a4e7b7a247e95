// The simulator's defaults, written once: the library (resolveSimulatorOptions), `tickrec simulate` and the configuration's `simulator` section take them from here.

export const SIMULATOR_DEFAULTS = {
  host: '127.0.0.1',
  /** The port of `tickrec simulate` and of the recorder's built-in simulator (the library's own default is 0: any free port). */
  port: 8765,
  /** Instruments of buildUniverse. */
  instruments: 20,
  /** Tick slots per real second, all instruments together. */
  rate: 2000,
  seed: 1,
  /** Simulated seconds per real second. */
  speed: 1,
  /** Most ticks in one frame. */
  batchMax: 100,
  /** A trade print after each tick. */
  trades: false,
} as const;

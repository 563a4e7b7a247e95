// Bars from ticks: minute labels by trading session, the pure BarEngine, the recorder's LiveBars, closed-bar event files, and the offline rebuild.
export * from './plan.js';
export * from './engine.js';
export * from './closed.js';
export * from './rebuild.js';
export * from './live.js';

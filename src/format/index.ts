// The format layer: pure byte layouts, no I/O.
export * from './struct.js';
export * from './mem.js';
export * from './codec.js';
export * from './header.js';
export * from './tick.js';
export * from './bar.js';
export * from './trade.js';
export * from './kinds.js';
export * from './rt-header.js';
export * from './time.js';
export * from './decimal.js';
export * from './old-structs.js';
export * from './merge.js';

// Historical files: day blocks (ticks, trades) and bar histories (min1, min5, day, ...), in tickrec's LZ4 format or datakit's zstd one.
export * from './layout.js';
export * from './transform.js';
export * from './codec.js';
export * from './block.js';
export * from './files.js';
export * from './day.js';
export * from './history.js';
export * from './day-bar.js';
export * from './names.js';

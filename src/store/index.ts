// The storage layer: files, mappings, the writer, readers, followers, the root lock.
export * from './map.js';
export * from './rt-file.js';
export * from './rt-writer.js';
export * from './rt-reader.js';
export * from './rt-follow.js';
export * from './lock.js';
export * from './roll.js';
export * from './writer-pool.js';
export * from './open-limit.js';
export * from './spare.js';

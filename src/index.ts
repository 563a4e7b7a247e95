// tickrec: the public library API.
export * from './errors.js';
export * from './format/index.js';
export * from './layout/index.js';
export * from './store/index.js';
export * from './bars/index.js';
export * from './his/index.js';
export * from './read/index.js';
export { RootMetaReader, readStoredMeta, quantityToUnits, unitsToQuantity, type ReadMeta, type StoredMeta } from './meta/index.js';

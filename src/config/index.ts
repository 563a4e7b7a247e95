// Configuration: schema, defaults, loading.
export * from './schema.js';
export * from './load.js';

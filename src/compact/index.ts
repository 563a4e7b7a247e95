// End of day: compaction of finished real-time days into historical files, and verify.
export * from './scan.js';
export * from './lock.js';
export * from './job.js';
export * from './verify.js';
export * from './migrate.js';

// The public reader API over rt + his: one call per instrument or market that spans compressed days, finished days and today's live file; views, objects and columns; export.
export * from './kinds.js';
export * from './range.js';
export * from './columns.js';
export * from './sources.js';
export * from './segments.js';
export { mergeDay } from './instrument-days.js';
export * from './api.js';
export * from './export.js';
export * from './present.js';

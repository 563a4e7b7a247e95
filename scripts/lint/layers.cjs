// The layer table of docs/architecture.md as data: which src/ folders each folder may import.
// .dependency-cruiser.cjs turns it into rules (`npm run lint`); test/lint/layers.test.ts
// checks that the doc's table says the same and that a wrong-way import fails the lint.
//
// The files at the top of src/ (errors.ts, assert.ts, printable.ts, fsync.ts,
// http-guard.ts, reject-log.ts, spare-file.ts) are the BASE: every layer may import them; they import
// only each other. src/index.ts is the library's entry (row 'index').

/** folder -> the folders it may import (besides itself and the base). Lowest first. */
const LAYERS = {
  format: [],
  calendar: [],
  layout: ['format'],
  meta: ['calendar', 'format', 'layout'],
  store: ['calendar', 'format', 'layout'],
  his: ['format', 'layout'],
  feed: ['calendar', 'format', 'layout'],
  sim: ['format'],
  compact: ['calendar', 'format', 'his', 'layout', 'store'],
  read: ['calendar', 'format', 'his', 'layout', 'meta', 'store'],
  bars: ['calendar', 'format', 'layout', 'store'],
  bus: ['bars', 'format', 'layout', 'meta', 'store'],
  config: ['bars', 'bus', 'feed', 'layout', 'sim', 'store'],
  monitor: ['bus', 'calendar', 'format', 'layout', 'store'],
  recorder: ['bars', 'bus', 'calendar', 'config', 'feed', 'format', 'his', 'layout', 'meta', 'monitor', 'store'],
  cli: [
    'bars',
    'bus',
    'calendar',
    'compact',
    'config',
    'feed',
    'format',
    'his',
    'layout',
    'meta',
    'monitor',
    'read',
    'recorder',
    'sim',
    'store',
  ],
  index: ['bars', 'format', 'his', 'layout', 'meta', 'read', 'store'],
};

/** The base modules: src/<name>.ts. */
const BASE = ['assert', 'errors', 'fsync', 'http-guard', 'printable', 'reject-log', 'spare-file'];

module.exports = { LAYERS, BASE };

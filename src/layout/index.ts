// The data root's layout: the name rule and every path under a root, built and parsed in one place (docs/layout.md).
export * from './names.js';
export * from './root.js';
export * from './czce.js';

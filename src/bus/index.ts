// Live records to other hosts on NATS JetStream: the wire rules, the publisher, the mirror (docs/distributed.md).
export * from './wire.js';
export * from './check.js';
export * from './cursor.js';
export * from './connect.js';
export * from './publisher.js';
export * from './mirror.js';
export * from './lag.js';

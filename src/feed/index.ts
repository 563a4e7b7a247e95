// Feeds: the adapter interface, the websocket client, the wire formats, the factory.
export * from './types.js';
export * from './factory.js';
export { WsFeed, WS_FEED_DEFAULTS } from './ws-feed.js';
export { createMapper, MAPPER_FORMATS } from './formats/index.js';

// Feeds: the adapter interface, the websocket client, the wire formats (the recorder makes them from its configuration: src/recorder/feeds.ts).
export * from './types.js';
export { WsFeed, WS_FEED_DEFAULTS, type WsFeedEvent, type WsFeedEventKind } from './ws-feed.js';
export { createMapper, MAPPER_FORMATS } from './formats/index.js';

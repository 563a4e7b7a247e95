// Child process for the exit test: drives a WsFeed through connect, rotation, a drop and stop(); it must then exit without process.exit().

import { WsFeed } from '../../../src/feed/ws-feed.js';
import { RecordingMapper, RecordingSink, TestServer, waitFor } from './ws-servers.js';

const server = await TestServer.start();
server.startTicker(2);
const mapper = new RecordingMapper();
const sink = new RecordingSink();
const feed = new WsFeed({
  name: 'exit-check',
  url: `ws://127.0.0.1:${server.port}/stream`,
  mapper,
  subscribe: ['TEST.X'],
  pingIntervalMs: 10,
  staleTimeoutMs: 5000,
  maxConnectionAgeMs: 150,
  reconnectMinMs: 5,
  reconnectMaxMs: 20,
  stableAfterMs: 40,
});
feed.start(sink);
await waitFor(() => feed.stats().rotations >= 1 && server.subscribed().length === 1, 'a rotation');
const before = feed.stats().connections;
server.subscribed()[0]?.ws.close(1012, 'restart');
await waitFor(() => feed.stats().connections > before && feed.stats().state === 'up', 'a new connection after the drop');
await feed.stop();
await server.close();
const s = feed.stats();
process.stdout.write(`stopped state=${s.state} rotations=${s.rotations} reconnects=${s.reconnects} ticks=${sink.ticks.length}\n`);
// No process.exit(): the parent test asserts that this process ends by itself.

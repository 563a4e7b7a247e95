// Reference for the recorder bench: the same websocket client and JSON.parse as the peers, ticks counted and dropped (the floor of any JSON recorder).
//
//   node --import tsx scripts/bench/peers/parse-only.ts --url ws://127.0.0.1:P --expect N

import { peerArgs, required, runPeer } from './ws-peer.js';

const args = peerArgs();
runPeer('parse-only', required(args, 'url'), Number(required(args, 'expect')), { frame() {}, close() {} });

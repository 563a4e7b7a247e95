// feedCause: a down feed's last error for the monitor page, with every address, URL and path taken out and the words of the cause kept.

import { describe, expect, it } from 'vitest';
import { FEED_CAUSE_MAX_CHARS, feedCause } from '../../src/monitor/feed-cause.js';

describe('feedCause', () => {
  it.each([
    [
      'connect ECONNREFUSED 127.0.0.1:41234; connection failed (code 1006)',
      'connect ECONNREFUSED <address>; connection failed (code 1006)',
    ],
    ['connect ECONNREFUSED ::1:8765', 'connect ECONNREFUSED <address>'],
    ['connect ECONNREFUSED [fe80::1%eth0]:443', 'connect ECONNREFUSED <address>'],
    ['getaddrinfo ENOTFOUND stream.binance.com', 'getaddrinfo ENOTFOUND <host>'],
    ['connect ETIMEDOUT feed-host:9443', 'connect ETIMEDOUT <host>'],
    ['Unexpected server response: 401; connection failed (code 1006)', 'Unexpected server response: 401; connection failed (code 1006)'],
    ['wss://***@stream.example.com:9443/ws?token=*** closed', '<url> closed'],
    [
      'front tcp://180.168.146.187:10130 disconnected: 0x1001 network read failed; the CTP API reconnects by itself',
      'front <url> disconnected: 0x1001 network read failed; the CTP API reconnects by itself',
    ],
    [
      'flow folder /var/lib/tickrec/ctp/flow is not writable (EACCES) at 21:00:05',
      'flow folder <path> is not writable (EACCES) at 21:00:05',
    ],
    [
      'no frame, ping or pong for 30012 ms (staleTimeoutMs=30000): connection presumed dead, terminated',
      'no frame, ping or pong for 30012 ms (staleTimeoutMs=30000): connection presumed dead, terminated',
    ],
    ['line one\nline two\u0007', 'line one line two'],
  ])('%s', (raw, shown) => {
    expect(feedCause(raw)).toBe(shown);
  });

  it('nothing to say: null; a long text is cut', () => {
    expect(feedCause('')).toBeNull();
    expect(feedCause(' \n ')).toBeNull();
    expect(feedCause(undefined)).toBeNull();
    const long = feedCause('x '.repeat(500))!;
    expect(long.length).toBe(FEED_CAUSE_MAX_CHARS);
    expect(long.endsWith('\u2026')).toBe(true);
  });
});

// CTP texts: GBK error messages decoded to UTF-8 strings, and the names of OnFrontDisconnected reasons.

import { TextDecoder } from 'node:util';

let gbk: TextDecoder | null | undefined;

/**
 * Decodes CTP's GBK bytes (ErrorMsg) up to the first NUL. Uses Node's TextDecoder('gbk')
 * (full-icu builds, the default); on a small-icu Node, ASCII is kept and every other byte
 * is shown as \xNN so that nothing is silently lost.
 */
export function decodeGbk(bytes: Uint8Array): string {
  if (gbk === undefined) {
    try {
      gbk = new TextDecoder('gbk');
    } catch {
      gbk = null;
    }
  }
  const end = bytes.indexOf(0);
  const b = end >= 0 ? bytes.subarray(0, end) : bytes;
  if (gbk !== null) return gbk.decode(b);
  let out = '';
  for (const c of b) out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return out;
}

/** OnFrontDisconnected reasons, as documented in the CTP API manual. */
export const DISCONNECT_REASONS: Readonly<Record<number, string>> = {
  0x1001: 'network read failure',
  0x1002: 'network write failure',
  0x2001: 'heartbeat receive timeout',
  0x2002: 'heartbeat send failure',
  0x2003: 'received an error packet',
};

/** "network read failure (0x1001)"; an unknown code reads "unknown reason (0x...)". */
export function disconnectReasonName(reason: number): string {
  const hex = `0x${(reason >>> 0).toString(16)}`;
  const name = DISCONNECT_REASONS[reason];
  return name === undefined ? `unknown reason (${hex})` : `${name} (${hex})`;
}

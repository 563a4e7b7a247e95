// Why a feed is down, for the monitor page: the feed's last error with every address, URL and path replaced by a placeholder.
//
// `tickrec status` and /health print a feed's lastError as the feed wrote it (already
// free of credentials: src/feed/ws/redact.ts). The page shows no configuration value
// (src/monitor/snapshot.ts), so the same text reaches it with the parts that name where
// the feed connects taken out: URLs, IPv4 and IPv6 addresses with their ports, host
// names with a port or a dot, absolute paths. What remains is the cause in the feed's
// own words ("connect ECONNREFUSED <address>; connection failed (code 1006)"); the
// page says where the full text is (`tickrec status`).

/** Longest cause sent to the page, characters (a longer one is cut with an ellipsis). */
export const FEED_CAUSE_MAX_CHARS = 240;

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s;,'"()<>]*/gi;
/** [v6]:port, or a bare v6 address: one with '::' or a hex letter (never a time like 21:00:05). */
const IPV6_RE = /\[[^\]\s]*:[^\]\s]*\](?::\d+)?|(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi;
const IPV4_RE = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g;
/** name:port (the name starts with a letter), or a dotted host name whose last label has two letters or more. */
const HOST_RE = /\b[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*:\d{2,5}\b|\b(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]+\b/gi;
/** An absolute path: a slash at the start or after a space, quote, bracket or '='. */
const PATH_RE = /(^|[\s'"(=])\/[^\s'"),;]*/g;
// eslint-disable-next-line no-control-regex -- control characters are what it removes
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]+/g;

/** The cause of a feed's failure without addresses, URLs or paths; null when the feed reported none. */
export function feedCause(lastError: string | undefined | null): string | null {
  if (typeof lastError !== 'string') return null;
  let s = lastError.replace(CONTROL_RE, ' ');
  s = s.replace(URL_RE, '<url>');
  s = s.replace(IPV6_RE, (m) => (m.startsWith('[') || m.includes('::') || /[a-f]/i.test(m) ? '<address>' : m));
  s = s.replace(IPV4_RE, '<address>');
  s = s.replace(HOST_RE, '<host>');
  s = s.replace(PATH_RE, '$1<path>');
  s = s.replace(/\s+/g, ' ').trim();
  if (s === '') return null;
  return s.length > FEED_CAUSE_MAX_CHARS ? s.slice(0, FEED_CAUSE_MAX_CHARS - 1) + '\u2026' : s;
}

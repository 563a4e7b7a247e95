// Keeps feed credentials out of logs and stats: redacts URL userinfo and secret-looking query parameters.
//
// A feed URL may carry a password (ws://user:pass@host) or a token in its query
// (?token=..., ?listenKey=..., ?signature=...). Anything the websocket client logs or
// stores goes through these helpers: redactUrl() for the URL itself, redactText() for
// free text such as error messages, which also scrubs the literal secret values.
// Secrets in the URL path (e.g. a listen key as a path segment) cannot be told apart
// from instrument names and are not redacted: keep them out of the path.

/** Query parameter names that carry secrets: anything containing one of these words. */
export const SECRET_PARAM_RE = /key|token|secret|sig|pass|pwd|auth|credential|session/i;

export const REDACTED = '***';

/** Each `name=value` pair in free text whose name looks secret; used on text we did not build. */
const SECRET_PAIR_RE = /([A-Za-z0-9_.-]*(?:key|token|secret|sig|pass|pwd|auth|credential|session)[A-Za-z0-9_.-]*)=([^&\s"',;)]+)/gi;
/** `scheme://user:pass@` or `scheme://user@` in free text. */
const USERINFO_RE = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** The URL with userinfo and secret query values replaced by ***; other parts kept byte for byte. */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return redactPattern(raw);
  }
  const auth = u.username !== '' || u.password !== '' ? `${REDACTED}@` : '';
  let search = '';
  if (u.search.length > 1) {
    search =
      '?' +
      u.search
        .slice(1)
        .split('&')
        .map((part) => {
          const eq = part.indexOf('=');
          const name = eq < 0 ? part : part.slice(0, eq);
          if (eq < 0 || !SECRET_PARAM_RE.test(safeDecode(name))) return part;
          return `${name}=${REDACTED}`;
        })
        .join('&');
  }
  // The fragment is never sent over the wire; drop it rather than judge it.
  return `${u.protocol}//${auth}${u.host}${u.pathname}${search}`;
}

/** The literal secret strings in a URL (password, username, secret query values, raw and decoded). */
export function urlSecrets(raw: string): string[] {
  const out = new Set<string>();
  const add = (s: string): void => {
    if (s !== '') {
      out.add(s);
      const d = safeDecode(s);
      if (d !== '') out.add(d);
    }
  };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return [];
  }
  add(u.password);
  add(u.username);
  if (u.search.length > 1) {
    for (const part of u.search.slice(1).split('&')) {
      const eq = part.indexOf('=');
      if (eq >= 0 && SECRET_PARAM_RE.test(safeDecode(part.slice(0, eq)))) add(part.slice(eq + 1));
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

function redactPattern(text: string): string {
  return text.replace(USERINFO_RE, `$1${REDACTED}@`).replace(SECRET_PAIR_RE, `$1=${REDACTED}`);
}

/** `text` with every literal secret and every secret-looking name=value pair or userinfo replaced by ***. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== '') out = out.split(s).join(REDACTED);
  return redactPattern(out);
}

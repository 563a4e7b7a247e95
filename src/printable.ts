// NEUTRALISING OUTSIDE TEXT: the one function that makes text from outside (a feed's close
// reason or error, a file name, a value read from a file) safe to print on a terminal.
//
// A terminal obeys control characters: ESC sequences set the window title (ESC]0;…BEL),
// clear the screen (ESC[2J) or move the cursor, a CR or LF starts a line of the sender's
// choosing ("problem    all fine"), C1 controls (U+0080..U+009F; U+009B is a one-byte CSI)
// do the same on some terminals, and bidirectional overrides reorder what is shown.
// printable() replaces each of them by its escape, \u001b, \r, \n, \u202e: visible,
// unambiguous, and valid inside a JSON string (JSON.stringify already escapes C0, so
// its output stays valid JSON after printable). Every CLI printer (src/cli/terminal.ts)
// and the readable log lines (src/recorder/logger.ts) pass through it.

// C0 except TAB, DEL, C1, the bidi embeddings/overrides/isolates, LINE/PARAGRAPH SEPARATOR.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with every control character a terminal would obey replaced by a visible escape. */
export function printable(text: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text) ? text.replace(UNSAFE, escape) : text;
}

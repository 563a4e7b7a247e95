// Which front answered: the CTP API does not say (OnFrontConnected has no argument), so the feed looks for its established TCP connection in /proc/self/net/tcp{,6}.
//
// RULE (docs/ctp.md): with one front, it is that front. With several, the front whose
// address (an IPv4 literal; host names are not resolved) and port match an ESTABLISHED
// connection of this process; when none or more than one match (another feed of the
// same process connected to the other front, or the connection is already gone), the
// front is unknown and messages say "one of the fronts". Linux only; elsewhere unknown.

import fs from 'node:fs';

/** "127.0.0.1:41213" → the /proc/net/tcp remote-address form "0100007F:A0FD". */
function procAddress(front: string): { v4: string; v6: string } | undefined {
  const m = /^tcp:\/\/(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(front);
  if (!m) return undefined;
  const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  const ip = [m[4], m[3], m[2], m[1]].map((x) => hex(Number(x), 2)).join(''); // little-endian word
  const port = hex(Number(m[5]), 4);
  return { v4: `${ip}:${port}`, v6: `0000000000000000FFFF0000${ip}:${port}` };
}

/** Remote addresses of this process's ESTABLISHED TCP connections, as /proc/self/net/tcp{,6} spell them. */
export function establishedRemotes(): Set<string> {
  const out = new Set<string>();
  for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[3] === '01') out.add(cols[2]!);
    }
  }
  return out;
}

/** The front this process is connected to, or undefined when it cannot be told. */
export function connectedFront(fronts: readonly string[], remotes: () => Set<string> = establishedRemotes): string | undefined {
  if (fronts.length === 1) return fronts[0];
  const r = remotes();
  const hits = fronts.filter((f) => {
    const a = procAddress(f);
    return a !== undefined && (r.has(a.v4) || r.has(a.v6));
  });
  return hits.length === 1 ? hits[0] : undefined;
}

// (scripts/lib: used by the soak scripts and, through test/helpers/sessions.ts, by the tests.)
// A copy of the bundled sessions file whose holiday calendar claims to reach 2099, for the tests that are not about the calendar: they run on today's clock, and the bundled book (which ends where the exchanges' notices end) would make /health degraded whenever today + 30 days passes its end. The calendar's own tests use the bundled file.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let file: string | undefined;

/** Path of the stand-in sessions file (made once per process, in the OS temp folder). */
export function coveredSessionsFile(): string {
  if (file !== undefined && fs.existsSync(file)) return file;
  const json = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'config/sessions.json'), 'utf8')) as Record<string, unknown>;
  json.calendar = {
    covers_through: 20991231,
    sources: [
      { title: 'test stand-in: the bundled holidays, with a coverage claimed to 2099 so that this test does not depend on the date' },
    ],
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickrec-sessions-'));
  file = path.join(dir, 'sessions.json');
  fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  // mkdtemp makes the folder 0700; tests that run the recorder as another user (nobody) must still read the file.
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(file, 0o644);
  return file;
}

// The bundled sessions file as a SessionBook (the trading calendar verify uses).

import fs from 'node:fs';
import path from 'node:path';
import { buildSessionBook, type SessionBook } from '../../../src/calendar/index.js';
import { BUNDLED_CONFIG_DIR } from '../../../src/config/index.js';

export function bundledSessionBook(): SessionBook {
  return buildSessionBook(JSON.parse(fs.readFileSync(path.join(BUNDLED_CONFIG_DIR, 'sessions.json'), 'utf8')), 'sessions.json');
}

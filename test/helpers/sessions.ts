// The covered-calendar sessions file for tests: defined once in scripts/lib/sessions.ts (the soak scripts use it too).

export { coveredSessionsFile } from '../../scripts/lib/sessions.js';

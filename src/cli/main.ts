#!/usr/bin/env -S node --initial-heap-size=128
// The tickrec command line: one file per command, wired here.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerBars } from './bars.js';
import { registerCalendar } from './calendar.js';
import { registerCat } from './cat.js';
import { registerCompact } from './compact.js';
import { registerDemo } from './demo.js';
import { registerCtp } from './ctp.js';
import { registerExport } from './export.js';
import { registerInspect } from './inspect.js';
import { registerMigrate } from './migrate.js';
import { registerMirror } from './mirror.js';
import { registerPublish } from './publish.js';
import { registerRecord } from './record.js';
import { registerRepair } from './repair.js';
import { registerSimulate } from './simulate.js';
import { registerStatus } from './status.js';
import { registerTail } from './tail.js';
import { EXIT_ERROR, EXIT_OK } from './run.js';
import { registerVerify } from './verify.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('tickrec')
  .description('real-time market tick recorder: datakit-compatible block files, one writer, many live readers')
  .version(pkg.version)
  // Usage errors exit 2 (README, exit codes), not commander's 1, which means "problems found".
  // exitOverride and the hint are inherited by every command registered below.
  .exitOverride()
  .showHelpAfterError('(add --help for the commands and options)');

// A reader that stops early (`tickrec cat FILE | head -1`) closes the pipe: stop quietly,
// as cat(1) does, instead of an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK);
    throw err;
  });
}

registerRecord(program);
registerSimulate(program);
registerStatus(program);
registerInspect(program);
registerCat(program);
registerTail(program);
registerRepair(program);
registerBars(program);
registerCompact(program);
registerVerify(program);
registerMigrate(program);
registerExport(program);
registerDemo(program);
registerCtp(program);
registerPublish(program);
registerMirror(program);
registerCalendar(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err; // actions report their own errors (run.ts)
  // --help and --version end here with exit code 0; every other commander error is usage.
  process.exitCode = err.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
}

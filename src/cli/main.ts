#!/usr/bin/env -S node --initial-heap-size=128
// The tickrec command line: one file per command, wired here.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerBars } from './bars.js';
import { registerCalendar } from './calendar.js';
import { registerCat } from './cat.js';
import { registerCompact } from './compact.js';
import { registerExport } from './export.js';
import { registerInspect } from './inspect.js';
import { registerMirror } from './mirror.js';
import { registerPublish } from './publish.js';
import { registerRecord } from './record.js';
import { registerRepair } from './repair.js';
import { registerSimulate } from './simulate.js';
import { registerStatus } from './status.js';
import { registerTail } from './tail.js';
import { registerVerify } from './verify.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('tickrec')
  .description('real-time market tick recorder: datakit-compatible block files, one writer, many live readers')
  .version(pkg.version)
  .showHelpAfterError();

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
registerExport(program);
registerPublish(program);
registerMirror(program);
registerCalendar(program);

await program.parseAsync(process.argv);

// Child process: a tickrec command line with cat and export (src/cli/main.ts wires the same functions).

import { Command } from 'commander';
import { registerCat } from '../../../src/cli/cat.js';
import { registerExport } from '../../../src/cli/export.js';

const program = new Command().name('tickrec').exitOverride();
registerCat(program);
registerExport(program);
await program.parseAsync(process.argv);

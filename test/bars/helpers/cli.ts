// Runs the `tickrec bars` command alone (a commander program with registerBars, as src/cli/main.ts builds it), as the CLI tests' child process.

import { Command } from 'commander';
import { registerBars } from '../../../src/cli/bars.js';

const program = new Command().name('tickrec').showHelpAfterError();
registerBars(program);
await program.parseAsync(process.argv);

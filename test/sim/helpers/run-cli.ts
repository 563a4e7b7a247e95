// Runs `tickrec simulate ...` from a minimal commander program (until src/cli/main.ts registers the command).

import { Command } from 'commander';
import { registerSimulate } from '../../../src/cli/simulate.js';

const program = new Command().name('tickrec').showHelpAfterError();
registerSimulate(program);
await program.parseAsync(process.argv);

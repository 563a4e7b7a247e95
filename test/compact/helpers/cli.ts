// Child process: a tickrec command line with only compact and verify (src/cli/main.ts wires the same functions).

import { Command } from 'commander';
import { registerCompact } from '../../../src/cli/compact.js';
import { registerVerify } from '../../../src/cli/verify.js';

const program = new Command().name('tickrec').exitOverride();
registerCompact(program);
registerVerify(program);
await program.parseAsync(process.argv);

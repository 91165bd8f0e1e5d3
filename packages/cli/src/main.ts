/** The `flotilla` command. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { runDev } from './dev/command.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const program = new Command('flotilla').description('Run and operate a Flotilla system').showHelpAfterError();

program
  .command('dev')
  .description('Run every service locally on embedded defaults (SQLite under .flotilla/, config from config/dev)')
  .action(() => runDev(root));

await program.parseAsync();

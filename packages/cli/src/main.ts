/** The `flotilla` command. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerAnomalyCommands } from './anomalies/command.ts';
import { registerAuthCommands } from './auth/command.ts';
import { registerConfigCommands } from './config/command.ts';
import { runDev } from './dev/command.ts';
import { registerRegistryCommands } from './registry/command.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const program = new Command('flotilla').description('Run and operate a Flotilla system').showHelpAfterError();

program
  .command('dev')
  .description('Run every service locally on embedded defaults (SQLite under .flotilla/, config from config/dev)')
  .action(() => runDev(root));

registerConfigCommands(program);
registerRegistryCommands(program);
registerAuthCommands(program);
registerAnomalyCommands(program);

await program.parseAsync();

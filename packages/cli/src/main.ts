/** The `flotilla` command. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerAnomalyCommands } from './anomalies/command.ts';
import { registerAuthCommands } from './auth/command.ts';
import { registerCompletionCommand } from './completion/command.ts';
import { registerConfigCommands } from './config/command.ts';
import { registerDeployCommands } from './deploy/command.ts';
import { runDev } from './dev/command.ts';
import { registerTraceCommands } from './traces/command.ts';
import { registerDoctorCommand } from './doctor/command.ts';
import { registerLogLevelCommand } from './log-level/command.ts';
import { registerFaultsCommand } from './live/faults-command.ts';
import { registerTopologyCommand } from './live/topology-command.ts';
import { registerNewCommands } from './new/command.ts';
import { registerRegistryCommands } from './registry/command.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const program = new Command('flotilla').description('Run and operate a Flotilla system').showHelpAfterError();

program
  .command('dev')
  .description('Run every service locally on embedded defaults (SQLite under .flotilla/, config from config/dev)')
  .option('--verbose', 'every log event with every field, start-up included')
  .option(
    '--no-traces',
    'no local trace collector, tracing left as configured (the collector listens on 127.0.0.1:4318 or $FLOTILLA_DEV_TRACES_PORT)',
  )
  .action((options: { verbose?: boolean; traces: boolean }) => runDev(root, options));

registerConfigCommands(program);
registerRegistryCommands(program);
registerAuthCommands(program);
registerAnomalyCommands(program);
registerLogLevelCommand(program);
registerTopologyCommand(program);
registerFaultsCommand(program);
registerTraceCommands(program);
registerNewCommands(program);
registerDoctorCommand(program, root);
registerDeployCommands(program);
registerCompletionCommand(program);

await program.parseAsync();

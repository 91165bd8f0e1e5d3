/** `flotilla new service NAME`: scaffold a service in the house style (see templates/service/). */
import type { Command } from 'commander';
import { action } from '../exit-codes.ts';
import { printJson, printLines } from '../output.ts';
import { findRepositoryRoot } from './repository-root.ts';
import { scaffoldService, type NewServiceResult } from './scaffold.ts';

interface NewServiceFlags {
  database: boolean;
  grpc: boolean;
  gatewayRoute?: boolean;
  json?: boolean;
}

export function registerNewCommands(program: Command): void {
  const create = program.command('new').description('Create something new in this repository from its templates');
  create
    .command('service')
    .description('Scaffold a service under services/NAME: REST, gRPC, a database, tests, config, deploy example, image and bundle entries')
    .argument('<name>', 'lower-case letters, digits and dashes, 2–31 characters, e.g. inventory')
    .option('--no-database', 'no database: a stateless service (no repository, store or migrations)')
    .option('--no-grpc', 'REST only: no proto, no generated contract, no gRPC listener')
    .option('--gateway-route', 'route /api/NAME/** to it in every config/<ns>/gateway.yaml')
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla new service inventory --gateway-route\n  flotilla new service pricing --no-database --no-grpc\n\nExit codes: 0 created, 1 usage (bad or taken name; nothing is written), 5 gRPC code generation unavailable, 70 internal error.',
    )
    .action(
      action(async (name: string, flags: NewServiceFlags) => {
        const root = findRepositoryRoot(process.cwd());
        const result = await scaffoldService(root, name, {
          database: flags.database,
          grpc: flags.grpc,
          gatewayRoute: flags.gatewayRoute === true,
        });
        if (flags.json) printJson(result);
        else printLines(summary(result));
      }),
    );
}

function summary(result: NewServiceResult): string[] {
  const { name, folder, ports } = result;
  const listening = ports.grpc === undefined ? `HTTP ${ports.http}` : `HTTP ${ports.http}, gRPC ${ports.grpc}`;
  return [
    `created ${folder} (${listening} in dev; ${result.database ? 'items in a database' : 'no database'})`,
    ...result.created.map((path) => `  + ${path}`),
    ...result.changed.map((path) => `  ~ ${path}`),
    ...result.warnings.map((warning) => `warning: ${warning}`),
    '',
    'Next:',
    `  npm install                 # links @flotilla/${name} into node_modules and records it in package-lock.json`,
    `  node --conditions=@flotilla/source --test 'services/${name}/test/**/*.test.ts'`,
    `  npm start                   # builds, then runs ${name} with the other services and the gateway`,
  ];
}

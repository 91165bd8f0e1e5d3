/** `flotilla config …`: the config centre from the command line. */
import type { Command } from 'commander';
import { action } from '../exit-codes.ts';
import { editCommand } from './edit-command.ts';
import { diffCommand, getCommand, historyCommand, listCommand, schemaCommand } from './read-commands.ts';
import { statusCommand } from './status-command.ts';
import { addDocumentOptions, addStoreOptions } from './store-options.ts';
import { rollbackCommand, setCommand } from './write-commands.ts';

const EXIT_HELP = `
Exit codes: 0 ok, 1 usage, 2 not found, 3 conflict (stale --expect-version),
4 invalid config (YAML or schema), 5 backend unavailable, 6 permission denied
(Kubernetes RBAC or credentials), 70 internal error.`;

function addWriteOptions(command: Command): Command {
  return command
    .option('-m, --message <text>', 'why; recorded in the history')
    .option('--author <name>', 'recorded author (default: $USER@hostname)')
    .option('--expect-version <n>', 'refuse unless the head is still version n (0: the document must not exist yet)')
    .option('--schema <file>', 'validate against this JSON Schema instead of the one the service published')
    .option('--no-schema-check', 'store without validating against the schema (YAML syntax is still checked)');
}

export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('Read and change versioned config in the config centre (file, etcd or kubernetes backend)')
    .addHelpText('after', EXIT_HELP);

  addDocumentOptions(config.command('get').description('Print a version (default: the head) as stored; ${VAR} references stay unresolved'))
    .option('--version <n>', 'a specific version')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla config get --ns dev --service users\n  flotilla config get --ns dev --service users --version 3 --json',
    )
    .action(action(getCommand));

  addWriteOptions(addDocumentOptions(config.command('set').description('Store a new version from a file or stdin, after checking it')))
    .argument('[file]', 'YAML file; "-" or nothing reads stdin')
    .option('-f, --file <file>', 'YAML file (same as the argument)')
    .addHelpText(
      'after',
      "\nExamples:\n  flotilla config set --ns dev --service users users.yaml -m 'debug logs'\n  echo 'log: { level: debug }' | flotilla config set --ns dev --service greeter --expect-version 4",
    )
    .action(action(setCommand));

  addWriteOptions(
    addDocumentOptions(config.command('edit').description('Open the head in $VISUAL/$EDITOR and store the result (compare-and-set)')),
  )
    .addHelpText('after', '\nExample:\n  EDITOR=nano flotilla config edit --ns staging --service orders')
    .action(action(editCommand));

  addDocumentOptions(config.command('history').description('List every version: number, time, author, message'))
    .addHelpText('after', '\nExample:\n  flotilla config history --ns dev --service users')
    .action(action(historyCommand));

  addDocumentOptions(config.command('diff').description('Unified diff between two versions (default: the head and the one before)'))
    .option('--from <n>', 'older version (0 = empty)')
    .option('--to <n>', 'newer version (default: the head)')
    .addHelpText(
      'after',
      '\nExamples:\n  flotilla config diff --ns dev --service users\n  flotilla config diff --ns dev --service users --from 2 --to 5 --json',
    )
    .action(action(diffCommand));

  addWriteOptions(addDocumentOptions(config.command('rollback').description('Store a new version whose content equals an earlier one')))
    .requiredOption('--to <n>', 'the version to restore')
    .addHelpText('after', '\nExample:\n  flotilla config rollback --ns prod --service gateway --to 7 -m "bad route"')
    .action(action(rollbackCommand));

  addStoreOptions(config.command('ls').description('List the documents of a namespace with their head versions'))
    .requiredOption('--ns <namespace>', 'namespace')
    .action(action(listCommand));

  addDocumentOptions(
    config.command('schema').description('Print the config JSON Schema the service published (usable with set --schema)'),
  ).action(action(schemaCommand));

  config
    .command('status')
    .description("Show a running service's reload status: applied/rejected versions, keys pending restart")
    .requiredOption('--url <url>', "the service's HTTP base URL, e.g. http://127.0.0.1:8083")
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      "\nThe gateway's /admin endpoints need an admin credential: set $FLOTILLA_API_KEY (sent as x-api-key) or $FLOTILLA_TOKEN (a bearer token).",
    )
    .action(action(statusCommand));
}

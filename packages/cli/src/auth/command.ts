/**
 * `flotilla auth new-key` and `flotilla auth hash-key`: API keys are stored
 * hashed in config (`auth.apiKeys[].hash`), so the plain key is shown once,
 * here, and never written anywhere.
 */
import type { Command } from 'commander';
import { generateApiKey, hashApiKey } from '@flotilla/http';
import { action, UsageError } from '../exit-codes.ts';
import { printJson, printLines } from '../output.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export function registerAuthCommands(program: Command): void {
  const auth = program.command('auth').description('Credentials for the gateway and services');
  auth
    .command('new-key')
    .description('Generate an API key; prints the key (give it to the client) and its hash (put it in config)')
    .option('--json', 'print machine-readable JSON')
    .action(
      action(async (options: { json?: boolean }) => {
        const { key, hash } = generateApiKey();
        if (options.json) return printJson({ key, hash });
        printLines([
          `key:  ${key}`,
          `hash: ${hash}`,
          '',
          'Store only the hash, e.g. under auth.apiKeys: [{ id: <name>, hash: <hash>, roles: [...] }]',
        ]);
      }),
    );
  auth
    .command('hash-key')
    .description('Hash an existing API key read from stdin (never from an argument: shell history keeps those)')
    .option('--json', 'print machine-readable JSON')
    .addHelpText('after', '\nExample:\n  printf %s "$KEY" | flotilla auth hash-key')
    .action(
      action(async (options: { json?: boolean }) => {
        const key = await readStdin();
        if (key === '') throw new UsageError('no key on stdin');
        let hash: string;
        try {
          hash = hashApiKey(key);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        if (options.json) return printJson({ hash });
        printLines([hash]);
      }),
    );
}

/** `config set` and `rollback`: new versions, compare-and-set against the version read. */
import { readFileSync } from 'node:fs';
import { text as readStream } from 'node:stream/consumers';
import type { ConfigDocument } from '@flotilla/config';
import { UsageError } from '../exit-codes.ts';
import { printJson } from '../output.ts';
import { validateDocument } from './validate.ts';
import { parseVersion, withStore, type DocumentOptions } from './store-options.ts';

export interface WriteCommandOptions extends DocumentOptions {
  author?: string;
  message?: string;
  expectVersion?: string;
  schema?: string;
  schemaCheck: boolean;
}

export async function setCommand(file: string | undefined, options: WriteCommandOptions & { file?: string }): Promise<void> {
  const source = options.file ?? file;
  if (options.file !== undefined && file !== undefined)
    throw new UsageError('give the document either as an argument or with --file, not both');
  const text = source === undefined || source === '-' ? await readStdin() : readFileSync(source, 'utf8');
  const document = await withStore(options, async (store) => {
    const notes = await validateDocument(store, options.ns, options.service, text, validateOptions(options));
    if (!options.json) for (const note of notes) process.stderr.write(`${note}\n`);
    const expectedVersion =
      options.expectVersion === undefined
        ? await store.head(options.ns, options.service)
        : parseVersion(options.expectVersion, '--expect-version');
    return store.set(options.ns, options.service, text, { expectedVersion, ...writeOptions(options) });
  });
  report(document, options.json === true);
}

export async function rollbackCommand(options: WriteCommandOptions & { to: string }): Promise<void> {
  const to = parseVersion(options.to, '--to');
  const document = await withStore(options, async (store) => {
    const target = await store.get(options.ns, options.service, to);
    // The old content is checked against today's schema: a rollback must not bring back a config the service would reject.
    const notes = await validateDocument(store, options.ns, options.service, target.text, validateOptions(options));
    if (!options.json) for (const note of notes) process.stderr.write(`${note}\n`);
    return store.rollback(options.ns, options.service, to, {
      ...(options.expectVersion === undefined ? {} : { expectedVersion: parseVersion(options.expectVersion, '--expect-version') }),
      ...writeOptions(options),
    });
  });
  report(document, options.json === true);
}

export function writeOptions(options: { author?: string; message?: string }): { author?: string; message?: string } {
  return {
    ...(options.author === undefined ? {} : { author: options.author }),
    ...(options.message === undefined ? {} : { message: options.message }),
  };
}

export function validateOptions(options: WriteCommandOptions): {
  schemaCheck: boolean;
  schemaFile?: string;
  configDir?: string;
} {
  return {
    schemaCheck: options.schemaCheck,
    ...(options.schema === undefined ? {} : { schemaFile: options.schema }),
    ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
  };
}

export function report(document: ConfigDocument, json: boolean): void {
  const { text: _text, ...info } = document;
  if (json) {
    printJson(info);
    return;
  }
  process.stdout.write(
    `${document.namespace}/${document.service}: version ${document.version}${document.rollbackOf === undefined ? '' : ` (content of version ${document.rollbackOf})`}\n`,
  );
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('no document: give a file, or pipe the YAML on stdin');
  return readStream(process.stdin);
}

/** `config get`, `history`, `diff`, `ls`, `schema`: reading the centre. Output is the stored text, never resolved. */
import type { ConfigVersionInfo } from '@flotilla/config';
import { formatTable, printJson, printLines } from '../output.ts';
import { parseVersion, withStore, type DocumentOptions, type StoreOptions } from './store-options.ts';

export async function getCommand(options: DocumentOptions & { version?: string }): Promise<void> {
  const version = options.version === undefined ? undefined : parseVersion(options.version, '--version');
  const document = await withStore(options, (store) => store.get(options.ns, options.service, version));
  if (options.json) return printJson(document);
  process.stderr.write(
    `# ${document.namespace}/${document.service} version ${document.version}, ${document.time} by ${document.author}${document.message ? `: ${document.message}` : ''}\n`,
  );
  process.stdout.write(document.text.endsWith('\n') || document.text === '' ? document.text : `${document.text}\n`);
}

export async function historyCommand(options: DocumentOptions): Promise<void> {
  const versions = await withStore(options, (store) => store.history(options.ns, options.service));
  if (options.json) return printJson(versions);
  if (versions.length === 0) {
    process.stderr.write(`${options.ns}/${options.service} has no history\n`);
    return;
  }
  printLines(formatTable(['VERSION', 'TIME', 'AUTHOR', 'MESSAGE'], versions.map(historyRow)));
}

function historyRow(v: ConfigVersionInfo): string[] {
  const note =
    v.rollbackOf === undefined
      ? v.message
      : `${v.message}${v.message.includes(`version ${v.rollbackOf}`) ? '' : ` (rollback to ${v.rollbackOf})`}`;
  return [String(v.version), v.time, v.author, note];
}

export async function diffCommand(options: DocumentOptions & { from?: string; to?: string }): Promise<void> {
  const diff = await withStore(options, async (store) => {
    const head = await store.head(options.ns, options.service);
    const to = options.to === undefined ? head : parseVersion(options.to, '--to');
    const from = options.from === undefined ? Math.max(0, to - 1) : parseVersion(options.from, '--from');
    return store.diff(options.ns, options.service, from, to);
  });
  if (options.json) return printJson(diff);
  if (diff.unified === '') process.stderr.write(`versions ${diff.from} and ${diff.to} are identical\n`);
  else process.stdout.write(diff.unified);
}

export async function listCommand(options: StoreOptions & { ns: string }): Promise<void> {
  const rows = await withStore(options, async (store) => {
    const names = await store.list(options.ns);
    return Promise.all(names.map(async (service) => ({ service, version: await store.head(options.ns, service) })));
  });
  if (options.json) return printJson(rows);
  printLines(
    formatTable(
      ['DOCUMENT', 'VERSION'],
      rows.map((r) => [r.service, String(r.version)]),
    ),
  );
}

export async function schemaCommand(options: DocumentOptions): Promise<void> {
  const schema = await withStore(options, (store) => store.schema(options.ns, options.service));
  if (schema === undefined) {
    const { NotFoundError } = await import('@flotilla/kit');
    throw new NotFoundError(`${options.ns}/${options.service} has published no schema (start the service once in this namespace)`);
  }
  printJson(schema);
}

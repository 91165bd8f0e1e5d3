/**
 * What `set`, `edit` and `rollback`… check before storing: YAML syntax always;
 * the service's schema when it is known. The CLI does not import services:
 * each service publishes its config JSON Schema to the centre when it starts
 * (`<home>/config-history/<ns>/<service>/schema.json`, or
 * `<prefix>/<ns>/<service>/schema` on etcd), and `--schema FILE` overrides it.
 * A change to `shared` is checked against every service that published one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkAgainstSchema, parseConfigText, SHARED_DOCUMENT, type ConfigLayer, type ConfigStore } from '@flotilla/config';
import { UsageError } from '../exit-codes.ts';

export interface ValidateOptions {
  schemaFile?: string;
  schemaCheck: boolean;
  configDir?: string;
}

/** Throws ConfigError when the document is not acceptable; returns notes on what was checked. */
export async function validateDocument(
  store: ConfigStore,
  namespace: string,
  service: string,
  text: string,
  options: ValidateOptions,
): Promise<string[]> {
  parseConfigText(text, `${namespace}/${service}`);
  if (!options.schemaCheck) return ['schema check skipped (--no-schema-check)'];

  const targets = service === SHARED_DOCUMENT ? (await store.list(namespace)).filter((s) => s !== SHARED_DOCUMENT) : [service];
  const notes: string[] = [];
  for (const target of targets) {
    const schema =
      options.schemaFile !== undefined && service !== SHARED_DOCUMENT
        ? readSchemaFile(options.schemaFile)
        : await store.schema(namespace, target);
    if (schema === undefined) {
      notes.push(
        `no schema known for ${namespace}/${target}: checked YAML syntax only (start the service once in this namespace, or pass --schema FILE)`,
      );
      continue;
    }
    const shared = service === SHARED_DOCUMENT ? text : (await store.current(namespace, SHARED_DOCUMENT))?.text;
    const own = service === SHARED_DOCUMENT ? (await store.current(namespace, target))?.text : text;
    const layers: ConfigLayer[] = [...baseFileLayers(store, options.configDir, namespace, target)];
    if (shared !== undefined) layers.push({ source: `${namespace}/${SHARED_DOCUMENT}`, text: shared });
    if (own !== undefined) layers.push({ source: `${namespace}/${target}`, text: own });
    checkAgainstSchema(target, schema, layers);
    notes.push(`valid against the ${target} schema`);
  }
  return notes;
}

/** Under etcd, services read the files below the centre's documents; so does the check. */
function baseFileLayers(store: ConfigStore, configDir: string | undefined, namespace: string, service: string): ConfigLayer[] {
  if (store.backend === 'file') return [];
  const dir = resolve(configDir ?? process.env.FLOTILLA_CONFIG_DIR ?? 'config');
  return [SHARED_DOCUMENT, service]
    .map((name) => join(dir, namespace, `${name}.yaml`))
    .filter((file) => existsSync(file))
    .map((file) => ({ source: file, text: readFileSync(file, 'utf8') }));
}

function readSchemaFile(path: string): object {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as object;
  } catch (error) {
    throw new UsageError(`--schema ${path}: ${(error as Error).message}`);
  }
}

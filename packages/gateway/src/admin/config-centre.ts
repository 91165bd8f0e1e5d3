/**
 * The config centre as the console and the CLI see it through the gateway:
 * the store the gateway reads its own config from, with the same rules as
 * `flotilla config`: compare-and-set writes, a document checked against the
 * schema its service published before anything is stored, history, diff,
 * rollback (a new version), and a whole namespace exported or imported.
 * Every write records who made it.
 */
import { type ConfigDocument, type ConfigStore, ConfigError, parseConfigText, renderConfigText, SHARED_DOCUMENT } from '@flotilla/config';
import { NotFoundError, UnprocessableError, ValidationError, type Logger } from '@flotilla/kit';
import {
  type DiffQuery,
  type DocumentError,
  EXPORT_FORMAT,
  type ExportFile,
  type PutBody,
  type RollbackBody,
  type ValidateBody,
} from './config-centre-schemas.ts';
import type { KnownNamespaces } from './config-namespaces.ts';
import { type CandidateNamespace, candidateProblems } from './config-validation.ts';

type Data = Record<string, unknown>;

export class ConfigCentreAdmin {
  readonly #store: ConfigStore;
  readonly #namespaces: KnownNamespaces;
  readonly #logger: Logger;

  constructor(store: ConfigStore, namespaces: KnownNamespaces, logger: Logger) {
    this.#store = store;
    this.#namespaces = namespaces;
    this.#logger = logger;
  }

  async namespaces(): Promise<{ namespaces: string[] }> {
    return { namespaces: await this.#namespaces.list() };
  }

  async namespace(namespace: string) {
    const services = [];
    for (const service of await this.#store.list(namespace)) {
      const head = await this.#head(namespace, service);
      // A service that only published its schema has no document yet.
      if (head !== undefined) services.push({ service, version: head.version, updatedAt: head.time, author: head.author });
    }
    return { namespace, services };
  }

  async document(namespace: string, service: string) {
    const head = await this.#head(namespace, service);
    if (head === undefined) throw new NotFoundError(`${namespace}/${service} has no document`);
    return {
      service,
      version: head.version,
      document: dataOf(head.text),
      text: head.text,
      schema: ((await this.#store.schema(namespace, service)) as Data | undefined) ?? null,
    };
  }

  async history(namespace: string, service: string) {
    const versions = await this.#store.history(namespace, service);
    if (versions.length === 0) throw new NotFoundError(`${namespace}/${service} has no document`);
    return {
      entries: versions.toReversed().map((v) => ({
        version: v.version,
        author: v.author,
        message: v.message,
        at: v.time,
        ...(v.rollbackOf === undefined ? {} : { rollbackOf: v.rollbackOf }),
      })),
    };
  }

  async version(namespace: string, service: string, version: number) {
    const stored = await this.#store.get(namespace, service, version);
    return { version: stored.version, document: dataOf(stored.text), text: stored.text };
  }

  async diff(namespace: string, service: string, query: DiffQuery) {
    const to = query.to ?? (await this.#store.head(namespace, service));
    if (to === 0 && query.to === undefined) throw new NotFoundError(`${namespace}/${service} has no document`);
    const from = query.from ?? Math.max(to - 1, 0);
    const diff = await this.#store.diff(namespace, service, from, to);
    return { from: diff.from, to: diff.to, unified: diff.unified };
  }

  async validate(namespace: string, service: string, body: ValidateBody): Promise<{ valid: boolean; errors?: DocumentError[] }> {
    const head = await this.#head(namespace, service);
    const text = candidateText(body, head?.text);
    const errors = await candidateProblems(this.#candidate(namespace, new Map([[service, text]])), [service]);
    return errors.length === 0 ? { valid: true } : { valid: false, errors };
  }

  async put(namespace: string, service: string, body: PutBody, author: string): Promise<{ version: number }> {
    const head = await this.#head(namespace, service);
    const text = candidateText(body, head?.text);
    await this.#refuseInvalid(namespace, new Map([[service, text]]));
    const written = await this.#store.set(namespace, service, text, {
      expectedVersion: body.expectedVersion,
      author,
      ...(body.message === undefined ? {} : { message: body.message }),
    });
    this.#namespaces.add(namespace);
    this.#logWrite('config-centre-set', written, author);
    return { version: written.version };
  }

  async rollback(namespace: string, service: string, body: RollbackBody, author: string): Promise<{ version: number }> {
    const target = await this.#store.get(namespace, service, body.version);
    // The schema may have moved on since that version: it is checked as a new change would be.
    await this.#refuseInvalid(namespace, new Map([[service, target.text]]));
    const written = await this.#store.rollback(namespace, service, body.version, {
      author,
      ...(body.message === undefined ? {} : { message: body.message }),
      ...(body.expectedVersion === undefined ? {} : { expectedVersion: body.expectedVersion }),
    });
    this.#logWrite('config-centre-rollback', written, author);
    return { version: written.version };
  }

  async export(namespace: string): Promise<ExportFile> {
    const services: ExportFile['services'] = {};
    for (const service of await this.#store.list(namespace)) {
      const head = await this.#head(namespace, service);
      if (head === undefined) continue;
      services[service] = {
        document: dataOf(head.text),
        text: head.text,
        schema: ((await this.#store.schema(namespace, service)) as Data | undefined) ?? null,
        version: head.version,
      };
    }
    return { format: EXPORT_FORMAT, namespace, services };
  }

  /**
   * Stores every document of an export file (from any namespace) as a new
   * version in `namespace`, after checking all of them: one invalid document
   * and nothing is stored. `shared` goes first, as services read it below
   * their own. A document whose head already has the same text is left alone.
   */
  async import(namespace: string, file: ExportFile, author: string): Promise<{ imported: string[]; unchanged: string[] }> {
    const names = Object.keys(file.services).sort((a, b) => (a === SHARED_DOCUMENT ? -1 : b === SHARED_DOCUMENT ? 1 : a.localeCompare(b)));
    const heads = new Map<string, ConfigDocument | undefined>();
    const texts = new Map<string, string>();
    for (const service of names) {
      const entry = file.services[service] as ExportFile['services'][string];
      const head = await this.#head(namespace, service);
      heads.set(service, head);
      texts.set(service, candidateText(entryBody(service, entry), head?.text));
    }
    const brought = new Map(
      names.flatMap((service) => {
        const schema = file.services[service]?.schema;
        return schema === undefined || schema === null ? [] : [[service, schema as object] as const];
      }),
    );
    await this.#refuseInvalid(namespace, texts, brought);

    const imported: string[] = [];
    const unchanged: string[] = [];
    for (const service of names) {
      const text = texts.get(service) as string;
      const head = heads.get(service);
      if (head?.text === text) {
        unchanged.push(service);
        continue;
      }
      await this.#store.set(namespace, service, text, {
        expectedVersion: head?.version ?? 0,
        author,
        message: `imported from ${file.namespace}${file.services[service]?.version === undefined ? '' : ` (version ${file.services[service]?.version})`}`,
      });
      imported.push(service);
    }
    this.#namespaces.add(namespace);
    await this.#publishBroughtSchemas(namespace, brought);
    this.#logger.info(
      { event: { action: 'config-centre-import' }, user: { id: author }, labels: { namespace, source_namespace: file.namespace } },
      `${author} imported ${imported.length} document(s) into ${namespace} from an export of ${file.namespace}`,
    );
    return { imported, unchanged };
  }

  /** Schemas an import brought, for services that have published none here yet: the namespace can then be checked. */
  async #publishBroughtSchemas(namespace: string, brought: ReadonlyMap<string, object>): Promise<void> {
    for (const [service, schema] of brought) {
      try {
        if ((await this.#store.schema(namespace, service)) === undefined) await this.#store.publishSchema(namespace, service, schema);
      } catch (error) {
        this.#logger.warn(
          { event: { action: 'config-schema-publish-failed' }, error: { message: (error as Error).message } },
          `could not publish the imported schema of ${namespace}/${service}: ${(error as Error).message}`,
        );
      }
    }
  }

  async #refuseInvalid(namespace: string, texts: ReadonlyMap<string, string>, brought?: ReadonlyMap<string, object>): Promise<void> {
    const errors = await candidateProblems(this.#candidate(namespace, texts, brought), [...texts.keys()]);
    if (errors.length > 0)
      throw new UnprocessableError(`The document breaks the configuration rules (${errors.length} problem(s)); nothing was stored`, {
        errors,
      });
  }

  #candidate(namespace: string, texts: ReadonlyMap<string, string>, brought?: ReadonlyMap<string, object>): CandidateNamespace {
    const store = this.#store;
    return {
      namespace,
      documents: async () => [...new Set([...(await store.list(namespace)), ...texts.keys()])],
      text: async (service) => texts.get(service) ?? (await store.current(namespace, service))?.text,
      schema: async (service) => (await store.schema(namespace, service)) ?? brought?.get(service),
    };
  }

  async #head(namespace: string, service: string): Promise<ConfigDocument | undefined> {
    try {
      return await this.#store.get(namespace, service);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  #logWrite(action: string, written: ConfigDocument, author: string): void {
    this.#logger.info(
      {
        event: { action },
        user: { id: author },
        labels: { namespace: written.namespace, document: written.service, version: written.version },
      },
      `${author} stored ${written.namespace}/${written.service} version ${written.version}`,
    );
  }
}

/** The stored text as data; null when it is not a YAML mapping (a working copy broken by hand). */
function dataOf(text: string): Data | null {
  try {
    return parseConfigText(text, 'stored document');
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}

/** An export entry's text wins over its document (it keeps comments and references as written). */
function entryBody(
  service: string,
  entry: { document?: Data | null | undefined; text?: string | undefined },
): { document?: Data; text?: string } {
  if (entry.text !== undefined) return { text: entry.text };
  if (entry.document !== undefined && entry.document !== null) return { document: entry.document };
  throw new ValidationError([
    { field: `body.services.${service}`, rule: 'required', message: `${service} has neither "text" nor "document"` },
  ]);
}

/** The YAML to store: `text` as given, or `document` written over the previous text (keeping its comments). */
function candidateText(body: { document?: Data | undefined; text?: string | undefined }, previousText: string | undefined): string {
  if ((body.document === undefined) === (body.text === undefined))
    throw new ValidationError([{ field: 'body', rule: 'oneOf', message: 'send exactly one of "document" and "text"' }]);
  return body.text ?? renderConfigText(body.document as Data, previousText);
}

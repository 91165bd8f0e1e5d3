/**
 * The config centre on etcd. Key layout under a prefix (default `/flotilla/config`):
 *
 *   <prefix>/<ns>/<service>                      the head version (JSON: ConfigDocument)
 *   <prefix>/<ns>/<service>/history/<0000000007> every version, same JSON
 *   <prefix>/<ns>/<service>/schema               the service's config JSON Schema
 *
 * A write is one transaction guarded by the head key's mod revision, so of two
 * writers that read the same head only one succeeds. Watches are on the exact
 * head key: another namespace (or another service) never reaches a watcher.
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { UnavailableError } from '@flotilla/core';
import { BaseConfigStore, nextDocument, notFound, type InternalSetOptions } from './base-store.ts';
import { ConfigConflictError } from './errors.ts';
import { checkName, checkVersion, padVersion } from './names.ts';
import type { ConfigChange, ConfigDocument, ConfigStore, ConfigSubscription, ConfigVersionInfo, CurrentDocument } from './types.ts';

export interface EtcdConfigStoreOptions {
  /** `http://host:port`, one or more. */
  endpoints: string[];
  prefix?: string;
  env?: Record<string, string | undefined>;
  /** Per-call deadline (ms); default 5000. */
  callTimeoutMs?: number;
}

export const DEFAULT_ETCD_PREFIX = '/flotilla/config';

/** Loads the etcd client only when this backend is used (it brings gRPC with it). */
export async function createEtcdConfigStore(options: EtcdConfigStoreOptions): Promise<EtcdConfigStore> {
  const { Etcd3 } = await import('etcd3');
  const callTimeoutMs = options.callTimeoutMs ?? 5_000;
  const client = new Etcd3({
    hosts: options.endpoints,
    dialTimeout: Math.min(callTimeoutMs, 3_000),
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
  });
  return new EtcdConfigStore(client, options);
}

export class EtcdConfigStore extends BaseConfigStore implements ConfigStore {
  private readonly client: Etcd3;
  readonly backend = 'etcd' as const;
  readonly location: string;
  private readonly prefix: string;
  private readonly env: Record<string, string | undefined>;
  private readonly endpoints: string;

  constructor(client: Etcd3, options: EtcdConfigStoreOptions) {
    super();
    this.client = client;
    this.prefix = (options.prefix ?? DEFAULT_ETCD_PREFIX).replace(/\/+$/, '');
    this.env = options.env ?? process.env;
    this.endpoints = options.endpoints.join(',');
    this.location = `etcd ${this.endpoints} ${this.prefix}`;
  }

  headKey(namespace: string, service: string): string {
    return `${this.prefix}/${checkName('namespace', namespace)}/${checkName('service', service)}`;
  }

  private historyPrefix(namespace: string, service: string): string {
    return `${this.headKey(namespace, service)}/history/`;
  }

  async get(namespace: string, service: string, version?: number): Promise<ConfigDocument> {
    const key =
      version === undefined ? this.headKey(namespace, service) : this.historyPrefix(namespace, service) + padVersion(checkVersion(version));
    const text = await this.call(() => this.client.get(key).string());
    if (text === null) throw notFound(namespace, service, version);
    return JSON.parse(text) as ConfigDocument;
  }

  async head(namespace: string, service: string): Promise<number> {
    const text = await this.call(() => this.client.get(this.headKey(namespace, service)).string());
    return text === null ? 0 : (JSON.parse(text) as ConfigDocument).version;
  }

  async history(namespace: string, service: string): Promise<ConfigVersionInfo[]> {
    const values = await this.call(() => this.client.getAll().prefix(this.historyPrefix(namespace, service)).strings());
    return Object.values(values)
      .map((text) => {
        const { text: _text, ...info } = JSON.parse(text) as ConfigDocument;
        return info;
      })
      .sort((a, b) => a.version - b.version);
  }

  protected async write(namespace: string, service: string, text: string, options: InternalSetOptions): Promise<ConfigDocument> {
    const key = this.headKey(namespace, service);
    const { kvs } = await this.call(() => this.client.get(key).exec());
    const current = kvs[0];
    const head = current === undefined ? 0 : (JSON.parse(current.value.toString('utf8')) as ConfigDocument).version;
    if (head !== options.expectedVersion) throw new ConfigConflictError(namespace, service, options.expectedVersion, head);
    const document = nextDocument(namespace, service, head, text, options, this.env);
    const json = JSON.stringify(document);
    const result = await this.call(() =>
      this.client
        .if(key, 'Mod', '==', current === undefined ? 0 : current.mod_revision)
        .then(
          this.client.put(key).value(json),
          this.client.put(this.historyPrefix(namespace, service) + padVersion(document.version)).value(json),
        )
        .commit(),
    );
    if (!result.succeeded) throw new ConfigConflictError(namespace, service, options.expectedVersion, await this.head(namespace, service));
    return document;
  }

  async list(namespace: string): Promise<string[]> {
    const base = `${this.prefix}/${checkName('namespace', namespace)}/`;
    const keys = await this.call(() => this.client.getAll().prefix(base).keys());
    return [...new Set(keys.map((k) => k.slice(base.length).split('/')[0] ?? ''))].filter((name) => name !== '').sort();
  }

  async current(namespace: string, service: string): Promise<CurrentDocument | undefined> {
    const text = await this.call(() => this.client.get(this.headKey(namespace, service)).string());
    if (text === null) return undefined;
    const document = JSON.parse(text) as ConfigDocument;
    return { text: document.text, version: document.version };
  }

  async watch(
    namespace: string,
    service: string,
    onChange: (change: ConfigChange) => void,
    onError?: (error: Error) => void,
  ): Promise<ConfigSubscription> {
    const watcher: Watcher = await this.call(() => this.client.watch().key(this.headKey(namespace, service)).create());
    watcher.on('put', (kv: IKeyValue) => {
      try {
        const document = JSON.parse(kv.value.toString('utf8')) as ConfigDocument;
        onChange({ namespace, service, version: document.version, text: document.text });
      } catch (error) {
        onError?.(error as Error);
      }
    });
    watcher.on('delete', () => onChange({ namespace, service, version: undefined, text: undefined }));
    // etcd3 reconnects a watch by itself and resumes from the last revision it saw.
    watcher.on('disconnected', (error: Error) =>
      onError?.(new UnavailableError(`config watch on ${this.location} disconnected; reconnecting`, { cause: error })),
    );
    watcher.on('error', (error: Error) => onError?.(error));
    return { close: () => watcher.cancel() };
  }

  async publishSchema(namespace: string, service: string, schema: object): Promise<void> {
    const key = `${this.headKey(namespace, service)}/schema`;
    const text = JSON.stringify(schema);
    const existing = await this.call(() => this.client.get(key).string());
    if (existing !== text) await this.call(() => this.client.put(key).value(text).exec());
  }

  async schema(namespace: string, service: string): Promise<object | undefined> {
    const text = await this.call(() => this.client.get(`${this.headKey(namespace, service)}/schema`).string());
    return text === null ? undefined : (JSON.parse(text) as object);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  /** Turns "cannot reach etcd" into UnavailableError, which callers (and the CLI's exit code) can tell apart. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUnreachable(error))
        throw new UnavailableError(`etcd at ${this.endpoints} is unavailable: ${(error as Error).message}`, {
          cause: error,
        });
      throw error;
    }
  }
}

function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    /Unavailable|DeadlineExceeded|BrokenCircuit|ClientClosed|Cancelled/i.test(error.name) ||
    /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|circuit/i.test(error.message)
  );
}

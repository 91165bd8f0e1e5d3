// HTTP client for the API server on undici: one shared connection pool (Agent) per
// client, JSON in and out, errors as KubeApiError, and watch streams as async iterables.
import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import type { ClusterConnection } from './connection.ts';
import { KubeApiError } from './errors.ts';
import type { KubeObject, ObjectList, WatchEvent } from './objects.ts';
import { collectionPath, objectPath, type ResourceType } from './resources.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** abort the stream when no byte arrived for this long (a half-open connection) */
  idleTimeoutMs: number;
  /** called once the server accepted the watch (a 2xx answer), before any event */
  onOpen?(): void;
}

export interface KubeClientOptions {
  /** the size of the connection pool (default 32) */
  connections?: number;
  /** the field manager of apply and patch requests (default FIELD_MANAGER) */
  fieldManager?: string;
}

export const FIELD_MANAGER = 'flotilla-operator';

function toQueryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class KubeClient {
  readonly server: string;
  private readonly agent: Agent;
  private readonly connection: ClusterConnection;
  private readonly fieldManager: string;
  private token: { value: string; readAt: number } | undefined;

  constructor(connection: ClusterConnection, options: KubeClientOptions = {}) {
    this.connection = connection;
    this.server = connection.server;
    this.fieldManager = options.fieldManager ?? FIELD_MANAGER;
    this.agent = new Agent({
      connections: options.connections ?? 32,
      keepAliveTimeout: 30_000,
      connect: {
        ca: connection.ca,
        cert: connection.cert,
        key: connection.key,
        rejectUnauthorized: !connection.insecureSkipTlsVerify,
      },
    });
  }

  /**
   * A client for the same cluster and field manager with a connection pool of its own, so
   * its requests never wait behind this client's (leader election beside bulk writes).
   */
  withOwnConnections(connections = 1): KubeClient {
    return new KubeClient(this.connection, { connections, fieldManager: this.fieldManager });
  }

  private authorization(): string | undefined {
    if (this.connection.token) return `Bearer ${this.connection.token}`;
    if (!this.connection.tokenFile) return undefined;
    // Projected tokens are refreshed by the kubelet; re-read them every minute.
    if (!this.token || Date.now() - this.token.readAt > 60_000) {
      this.token = { value: readFileSync(this.connection.tokenFile, 'utf8').trim(), readAt: Date.now() };
    }
    return `Bearer ${this.token.value}`;
  }

  private async send(
    method: Dispatcher.HttpMethod,
    path: string,
    options: RequestOptions & { bodyTimeout?: number },
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string | string[]> = { accept: 'application/json' };
    const auth = this.authorization();
    if (auth) headers.authorization = auth;
    const impersonate = this.connection.impersonate;
    if (impersonate) {
      headers['impersonate-user'] = impersonate.user;
      if (impersonate.groups?.length) headers['impersonate-group'] = impersonate.groups;
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = JSON.stringify(options.body);
    }
    const timeout = options.timeoutMs ?? 30_000;
    return await request(`${this.server}${path}${toQueryString(options.query)}`, {
      dispatcher: this.agent,
      method,
      headers,
      body,
      signal: options.signal,
      headersTimeout: timeout,
      bodyTimeout: options.bodyTimeout ?? timeout,
    });
  }

  /** Sends a request and returns the decoded JSON body; non-2xx answers throw KubeApiError. */
  async request<T>(method: Dispatcher.HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await response.body.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (response.statusCode >= 300) {
      throw KubeApiError.fromStatus(response.statusCode, json, `${method} ${path}: HTTP ${response.statusCode}`);
    }
    return json as T;
  }

  /** Opens a watch and yields its events until the server ends the stream. */
  async *watch(path: string, query: Query, options: WatchOptions): AsyncGenerator<WatchEvent> {
    const response = await this.send('GET', path, {
      query: { ...query, watch: true },
      signal: options.signal,
      bodyTimeout: options.idleTimeoutMs,
      timeoutMs: 30_000,
    });
    if (response.statusCode >= 300) {
      const text = await response.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      throw KubeApiError.fromStatus(response.statusCode, json, `watch ${path}: HTTP ${response.statusCode}`);
    }
    options.onOpen?.();
    let buffered = '';
    try {
      for await (const chunk of response.body) {
        buffered += (chunk as Buffer).toString('utf8');
        for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield JSON.parse(line) as WatchEvent;
        }
      }
    } finally {
      response.body.destroy();
    }
  }

  // ---- typed helpers -------------------------------------------------------------

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return await this.request<T>('GET', objectPath(type, namespace, name));
  }

  async list<T extends KubeObject>(type: ResourceType, namespace?: string, query: Query = {}): Promise<ObjectList<T>> {
    return await this.request<ObjectList<T>>('GET', collectionPath(type, namespace), { query });
  }

  async create<T extends KubeObject>(type: ResourceType, obj: T, query: Query = {}): Promise<T> {
    return await this.request<T>('POST', collectionPath(type, obj.metadata.namespace), { body: obj, query });
  }

  async replace<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return await this.request<T>('PUT', objectPath(type, obj.metadata.namespace, obj.metadata.name ?? ''), {
      body: obj,
    });
  }

  /** Server-side apply with this client's field manager; `force` takes over conflicting fields. */
  async apply<T extends KubeObject>(
    type: ResourceType,
    obj: T,
    options: { force?: boolean; subresource?: string; dryRun?: boolean } = {},
  ): Promise<T> {
    return await this.request<T>('PATCH', objectPath(type, obj.metadata.namespace, obj.metadata.name ?? '', options.subresource), {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: {
        fieldManager: this.fieldManager,
        force: options.force ?? true,
        dryRun: options.dryRun ? 'All' : undefined,
      },
    });
  }

  async patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    kind: 'json' | 'merge' = 'merge',
    subresource?: string,
  ): Promise<T> {
    const contentType = kind === 'json' ? 'application/json-patch+json' : 'application/merge-patch+json';
    return await this.request<T>('PATCH', objectPath(type, namespace, name, subresource), {
      body: patch,
      contentType,
      query: { fieldManager: this.fieldManager },
    });
  }

  async delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    propagationPolicy?: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<void> {
    await this.request('DELETE', objectPath(type, namespace, name), {
      body: propagationPolicy ? { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy } : undefined,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

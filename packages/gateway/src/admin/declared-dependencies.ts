/**
 * The dependencies services declare: a service that calls another has a
 * `dependencies.<service>` section in its config (orders:
 * `dependencies.users`, with `grpcAddress` and `timeoutMs`), and every
 * service publishes its config schema to the config centre for tools. The
 * edges are read from those published schemas, so they cover every service
 * of the namespace whether or not it runs, and need nothing from the
 * services themselves. A section with a `grpcAddress` key is a gRPC
 * dependency, any other an HTTP one. Read again at most every `ttlMs`.
 */
import type { ConfigStore } from '@flotilla/config';

export interface DeclaredDependency {
  from: string;
  to: string;
  protocol: 'http' | 'grpc';
}

const SHARED_DOCUMENT = 'shared';
const DEFAULT_TTL_MS = 30_000;

export class DeclaredDependencies {
  readonly #store: ConfigStore;
  readonly #namespace: string;
  readonly #ttlMs: number;
  #cached: { at: number; edges: Promise<DeclaredDependency[]> } | undefined;

  constructor(store: ConfigStore, namespace: string, ttlMs = DEFAULT_TTL_MS) {
    this.#store = store;
    this.#namespace = namespace;
    this.#ttlMs = ttlMs;
  }

  /** Every declared edge, sorted; empty when the centre cannot be read. */
  edges(): Promise<DeclaredDependency[]> {
    const now = Date.now();
    if (this.#cached === undefined || now - this.#cached.at > this.#ttlMs) {
      this.#cached = { at: now, edges: this.#read().catch(() => []) };
    }
    return this.#cached.edges;
  }

  async #read(): Promise<DeclaredDependency[]> {
    const documents = (await this.#store.list(this.#namespace)).filter((name) => name !== SHARED_DOCUMENT);
    const schemas = await Promise.all(
      documents.map(async (service) => [service, await this.#store.schema(this.#namespace, service).catch(() => undefined)] as const),
    );
    return schemas
      .flatMap(([service, schema]) => dependenciesIn(service, schema))
      .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  }
}

/** The `dependencies` sections a config JSON Schema declares. */
export function dependenciesIn(service: string, schema: object | undefined): DeclaredDependency[] {
  const sections = propertiesOf(propertiesOf(schema)?.dependencies);
  if (sections === undefined) return [];
  return Object.entries(sections).map(([to, section]) => ({
    from: service,
    to,
    protocol: propertiesOf(section)?.grpcAddress === undefined ? 'http' : 'grpc',
  }));
}

function propertiesOf(schema: unknown): Record<string, unknown> | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  const properties = (schema as { properties?: unknown }).properties;
  return properties !== null && typeof properties === 'object' ? (properties as Record<string, unknown>) : undefined;
}

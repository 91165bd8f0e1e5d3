/**
 * The merged OpenAPI the gateway serves at `/openapi.json`: fetched from each
 * routed upstream's `/openapi.json` in parallel, merged, and cached for a TTL
 * (shorter while an upstream is missing, so it reappears soon). Concurrent
 * requests during a refresh share one fetch.
 */
import type { Dispatcher } from 'undici';
import type { RouteTable } from '../routes/table.ts';
import { statusCountsAsFailure, type UpstreamResolver } from '../upstream/resolver.ts';
import { mergeOpenApi, type OpenApiDocument } from './merge.ts';

export interface PublishedOpenApiOptions {
  title: string;
  version: string;
  cacheTtlMs: number;
  fetchTimeoutMs: number;
  current(): { table: RouteTable; resolver: UpstreamResolver };
  pool(origin: string): Dispatcher;
}

const PARTIAL_TTL_MS = 5_000;

export class PublishedOpenApi {
  readonly #options: PublishedOpenApiOptions;
  #cached: { document: OpenApiDocument; expires: number; table: RouteTable } | undefined;
  #refreshing: Promise<OpenApiDocument> | undefined;

  constructor(options: PublishedOpenApiOptions) {
    this.#options = options;
  }

  async document(): Promise<OpenApiDocument> {
    const { table } = this.#options.current();
    const cached = this.#cached;
    if (cached !== undefined && cached.table === table && cached.expires > Date.now()) return cached.document;
    this.#refreshing ??= this.#build().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Forget the cached document (routes changed). */
  invalidate(): void {
    this.#cached = undefined;
  }

  async #build(): Promise<OpenApiDocument> {
    const { table, resolver } = this.#options.current();
    const routed = [...new Set(table.routes.flatMap((r) => (r.kind === 'proxy' ? [r.upstream] : r.parts.map((p) => p.upstream))))];
    const documents = new Map<string, OpenApiDocument>();
    const unavailable: string[] = [];
    await Promise.all(
      routed.map(async (upstream) => {
        const document = await this.#fetch(resolver, upstream);
        if (document === undefined) unavailable.push(upstream);
        else documents.set(upstream, document);
      }),
    );
    unavailable.sort();
    const ordered = new Map(routed.filter((u) => documents.has(u)).map((u) => [u, documents.get(u) as OpenApiDocument]));
    const document = mergeOpenApi({
      title: this.#options.title,
      version: this.#options.version,
      table,
      documents: ordered,
      unavailable,
    });
    const ttl = unavailable.length > 0 ? Math.min(this.#options.cacheTtlMs, PARTIAL_TTL_MS) : this.#options.cacheTtlMs;
    this.#cached = { document, expires: Date.now() + ttl, table };
    return document;
  }

  async #fetch(resolver: UpstreamResolver, upstream: string): Promise<OpenApiDocument | undefined> {
    const picked = resolver.pick(upstream);
    if (picked === undefined) return undefined;
    try {
      const response = await this.#options.pool(picked.origin).request({
        path: '/openapi.json',
        method: 'GET',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.#options.fetchTimeoutMs),
      });
      picked.done({ ok: !statusCountsAsFailure(response.statusCode) });
      if (response.statusCode !== 200) {
        await response.body.dump();
        return undefined;
      }
      const document = (await response.body.json()) as unknown;
      return document !== null && typeof document === 'object' && typeof (document as { paths?: unknown }).paths === 'object'
        ? (document as OpenApiDocument)
        : undefined;
    } catch {
      picked.done({ ok: false }); // no-op when the answer already counted (a body that failed to parse)
      return undefined;
    }
  }
}

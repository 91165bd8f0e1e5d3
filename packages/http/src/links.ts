/**
 * OpenAPI links from a route's own schema: `links: { 201: { getUser: {
 * operationId: 'getUser', parameters: { id: '$response.body#/id' } } } }`
 * says how a response leads to the next call (clients and stateful API
 * fuzzers follow them). @fastify/swagger does not carry links, so they are
 * collected per operationId when routes are added and put into the document.
 */
import type { FastifyInstance } from 'fastify';

export interface OpenApiLink {
  operationId: string;
  parameters?: Record<string, string>;
  requestBody?: unknown;
  description?: string;
}

/** Status → link name → link, as a route declares them in `schema.links`. */
export type RouteLinks = Record<number, Record<string, OpenApiLink>>;

type Operation = { operationId?: string; responses?: Record<string, { links?: Record<string, OpenApiLink> }> };

export class LinkRegistry {
  readonly #byOperation = new Map<string, RouteLinks>();

  /** Records the links of every route added after this call. */
  collect(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const schema = route.schema as { operationId?: string; links?: RouteLinks } | undefined;
      if (schema?.operationId !== undefined && schema.links !== undefined) this.#byOperation.set(schema.operationId, schema.links);
    });
  }

  /** `document` with each operation's links on its responses. */
  apply<T extends { paths?: Record<string, Record<string, unknown>> }>(document: T): T {
    for (const item of Object.values(document.paths ?? {})) {
      for (const operation of Object.values(item) as Operation[]) {
        const links = operation?.operationId === undefined ? undefined : this.#byOperation.get(operation.operationId);
        if (links === undefined) continue;
        for (const [status, named] of Object.entries(links)) {
          const response = operation.responses?.[status];
          if (response !== undefined) response.links = { ...response.links, ...named };
        }
      }
    }
    return document;
  }
}

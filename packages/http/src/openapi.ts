/**
 * OpenAPI 3.1 generated from the same TypeBox schemas that validate requests,
 * served at `/openapi.json`, with interactive docs at `/docs`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { documentCommonResponses } from './common-responses.ts';
import { LinkRegistry } from './links.ts';
import { optionalWhenDefaulted } from './optional-defaults.ts';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** `document`: what `/openapi.json` serves instead of the app's own (the gateway's merged document). */
export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo, document?: () => Promise<unknown>): Promise<void> {
  // First, so the problems every route can answer are in each route's schema before the document reads it.
  documentCommonResponses(app);
  const links = new LinkRegistry();
  links.collect(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      components: {
        schemas: {},
      },
    },
    // Shared schemas keep their `$id` as their component name (`User`, not `def-0`).
    transformObject: (documents) =>
      'openapiObject' in documents
        ? optionalWhenDefaulted(links.apply(documents.openapiObject as { paths?: Record<string, Record<string, unknown>> }))
        : documents.swaggerObject,
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`),
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { url: '/openapi.json' } as Record<string, unknown>,
  });
  if (document === undefined) {
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    return;
  }
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache');
    return document();
  });
}

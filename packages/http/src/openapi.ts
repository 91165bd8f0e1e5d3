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
/**
 * What no single operation can say: answers given before any route is chosen.
 * Each is application/problem+json with the `type` named here.
 */
export const CONNECTION_LEVEL_ANSWERS = [
  '## Answers to any request',
  '',
  'Every error is `application/problem+json` (RFC 9457) with a stable `type`. Besides the responses each operation lists:',
  '',
  '- **404** `not-found`: no operation has this path.',
  '- **405** `method-not-allowed`: the path exists but not with this method; `Allow` lists the methods it has.',
  '- **400** `bad-request`: a request line, header or chunked framing HTTP/1.1 does not allow (the connection is closed).',
  '- **408** `request-timeout`: the request was not received in time.',
  '- **414** `uri-too-long`, **431** `header-fields-too-large`: a target or header section larger than the server reads.',
  '- **417** `expectation-failed`: an `Expect` other than `100-continue`.',
  '- **505** `http-version-not-supported`: a request line of another HTTP version than 1.0 or 1.1 (RFC 9110 §15.6.6).',
  '- **503** `unavailable`: the instance is shutting down; retry on another.',
].join('\n');

export async function registerOpenApi(app: FastifyInstance, info: OpenApiInfo, document?: () => Promise<unknown>): Promise<void> {
  // First, so the problems every route can answer are in each route's schema before the document reads it.
  documentCommonResponses(app);
  const links = new LinkRegistry();
  links.collect(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...info, description: [info.description, CONNECTION_LEVEL_ANSWERS].filter(Boolean).join('\n\n') },
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

/** REST routes for $name$: schemas in, domain calls, HTTP semantics (ETag, If-Match, Location) out. */
import { expectedVersion, problemResponses, versionEtag, type HttpApp } from '@flotilla/kit';
import Type from 'typebox';
import type { $Name$Domain } from './domain.ts';
import type { ItemRecord } from './repository.ts';
import { IdParams, Item, ItemInput, ItemPage, ListQuery, MutationHeaders, ReadHeaders } from './schemas.ts';

const tags = ['$name$'];

/** Where a created item leads (OpenAPI links: clients and stateful fuzzers follow them). */
const ITEM_LINKS = {
  getItem: { operationId: 'getItem', parameters: { id: '$response.body#/id' } },
  replaceItem: { operationId: 'replaceItem', parameters: { id: '$response.body#/id' } },
  deleteItem: { operationId: 'deleteItem', parameters: { id: '$response.body#/id' } },
};

export function register$Name$Routes(app: HttpApp, items: $Name$Domain): void {
  app.post(
    '/$name$/items',
    {
      schema: {
        tags,
        summary: 'Create an item',
        operationId: 'createItem',
        body: ItemInput,
        response: { 201: Item },
        links: { 201: ITEM_LINKS },
      },
    },
    async (request, reply) => {
      const item = await items.create(request.body);
      return reply.code(201).header('location', `/$name$/items/${item.id}`).header('etag', versionEtag(item.version)).send(toWire(item));
    },
  );

  app.get(
    '/$name$/items/:id',
    {
      schema: {
        tags,
        summary: 'Get an item',
        operationId: 'getItem',
        params: IdParams,
        headers: ReadHeaders,
        response: { 200: Item, 304: Type.Null({ description: 'The copy named by `If-None-Match` is current' }), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const item = await items.get(request.params.id);
      const etag = versionEtag(item.version);
      if (request.headers['if-none-match'] === etag) return reply.code(304).header('etag', etag).send(null);
      return reply.header('etag', etag).send(toWire(item));
    },
  );

  app.get(
    '/$name$/items',
    {
      schema: {
        tags,
        summary: 'List items, oldest first, cursor-paginated',
        operationId: 'listItems',
        querystring: ListQuery,
        response: { 200: ItemPage },
      },
    },
    async (request, reply) => {
      const page = await items.list(request.query);
      if (page.nextCursor !== null) {
        const next = new URLSearchParams({ limit: String(request.query.limit), cursor: page.nextCursor });
        reply.header('link', `</$name$/items?${next.toString()}>; rel="next"`);
      }
      return { items: page.items.map(toWire), nextCursor: page.nextCursor };
    },
  );

  app.put(
    '/$name$/items/:id',
    {
      schema: {
        tags,
        summary: 'Replace an item',
        operationId: 'replaceItem',
        params: IdParams,
        headers: MutationHeaders,
        body: ItemInput,
        response: { 200: Item, ...problemResponses(404, 412) },
      },
    },
    async (request, reply) => {
      const item = await items.replace(request.params.id, request.body, expectedVersion(request.headers['if-match']));
      return reply.header('etag', versionEtag(item.version)).send(toWire(item));
    },
  );

  app.delete(
    '/$name$/items/:id',
    {
      schema: {
        tags,
        summary: 'Delete an item',
        operationId: 'deleteItem',
        params: IdParams,
        headers: MutationHeaders,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problemResponses(404, 412) },
      },
    },
    async (request, reply) => {
      await items.remove(request.params.id, expectedVersion(request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
}

export function toWire(item: ItemRecord): Item {
  return {
    id: item.id,
    name: item.name,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
    version: item.version,
  };
}

/** REST routes for users: schemas in, domain calls, HTTP semantics (ETag, Location, Idempotency-Key) out. */
import { expectedVersion, problemResponses, versionEtag, type HttpApp } from '@flotilla/kit';
import Type from 'typebox';
import { fingerprint, type UsersDomain } from './domain.ts';
import { CreateHeaders, IdParams, ListQuery, MutationHeaders, ReadHeaders, User, UserInput, UserPage } from './schemas.ts';
import type { UserRecord } from './repository.ts';

const tags = ['users'];

/** Where a created user leads (OpenAPI links: clients and stateful fuzzers follow them). */
const USER_LINKS = {
  getUser: { operationId: 'getUser', parameters: { id: '$response.body#/id' } },
  replaceUser: { operationId: 'replaceUser', parameters: { id: '$response.body#/id' } },
  deleteUser: { operationId: 'deleteUser', parameters: { id: '$response.body#/id' } },
};

export function registerUserRoutes(app: HttpApp, users: UsersDomain): void {
  app.post(
    '/users',
    {
      schema: {
        tags,
        summary: 'Create a user',
        operationId: 'createUser',
        headers: CreateHeaders,
        body: UserInput,
        response: { 201: User, ...problemResponses(409, 422) },
        links: { 201: USER_LINKS },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const { user, replayed } = await users.create(
        request.body,
        key === undefined ? undefined : { key, fingerprint: fingerprint(request.body) },
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).header('location', `/users/${user.id}`).header('etag', etagOf(user)).send(toWire(user));
    },
  );

  app.get(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Get a user',
        operationId: 'getUser',
        params: IdParams,
        headers: ReadHeaders,
        response: { 200: User, 304: Type.Null({ description: 'The copy named by `If-None-Match` is current' }), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const user = await users.get(request.params.id);
      const etag = etagOf(user);
      if (request.headers['if-none-match'] === etag) return reply.code(304).header('etag', etag).send(null);
      return reply.header('etag', etag).send(toWire(user));
    },
  );

  app.get(
    '/users',
    {
      schema: {
        tags,
        summary: 'List users, oldest first, cursor-paginated',
        operationId: 'listUsers',
        querystring: ListQuery,
        response: { 200: UserPage },
      },
    },
    async (request, reply) => {
      const page = await users.list(request.query);
      if (page.nextCursor !== null) {
        const next = new URLSearchParams({
          limit: String(request.query.limit),
          cursor: page.nextCursor,
          ...(request.query.email === undefined ? {} : { email: request.query.email }),
        });
        reply.header('link', `</users?${next.toString()}>; rel="next"`);
      }
      return { items: page.items.map(toWire), nextCursor: page.nextCursor };
    },
  );

  app.put(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Replace a user',
        operationId: 'replaceUser',
        params: IdParams,
        headers: MutationHeaders,
        body: UserInput,
        response: { 200: User, ...problemResponses(404, 409, 412) },
      },
    },
    async (request, reply) => {
      const user = await users.replace(request.params.id, request.body, expectedVersion(request.headers['if-match']));
      return reply.header('etag', etagOf(user)).send(toWire(user));
    },
  );

  app.delete(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Delete a user',
        operationId: 'deleteUser',
        params: IdParams,
        headers: MutationHeaders,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problemResponses(404, 412) },
      },
    },
    async (request, reply) => {
      await users.remove(request.params.id, expectedVersion(request.headers['if-match']));
      return reply.code(204).send(null);
    },
  );
}

export function toWire(user: UserRecord): User {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    version: user.version,
  };
}

function etagOf(user: UserRecord): string {
  return versionEtag(user.version);
}

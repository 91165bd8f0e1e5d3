/** The merged OpenAPI: upstream documents re-keyed by public paths, components namespaced, aggregations described. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, freePort } from '@flotilla/testing';
import { startGateway, type GatewayUnderTest } from '../support/gateway.ts';
import { json, send, startUpstream, type Upstream } from '../support/http.ts';

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

const usersDocument = {
  openapi: '3.1.0',
  info: { title: 'users API', version: '1' },
  paths: {
    '/users': {
      get: { operationId: 'listUsers', responses: { '200': { description: 'ok' } } },
      post: {
        operationId: 'createUser',
        responses: {
          '201': {
            description: 'created',
            links: {
              read: { operationId: 'getUser', parameters: { id: '$response.body#/id' } },
              reindex: { operationId: 'reindex' },
            },
          },
        },
      },
    },
    '/users/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^u[0-9]+$' } }],
      get: {
        operationId: 'getUser',
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: ref('User') } } },
          '400': { description: 'bad id', content: { 'application/problem+json': { schema: { type: 'object' } } } },
          '404': { description: 'no such user', content: { 'application/problem+json': { schema: { type: 'object' } } } },
        },
      },
      delete: { operationId: 'deleteUser', responses: { '204': { description: 'gone' } } },
    },
    '/admin/reindex': { post: { operationId: 'reindex', responses: { '202': { description: 'later' } } } },
  },
  components: { schemas: { User: { type: 'object', properties: { id: { type: 'string' }, friend: ref('User') } } } },
};

const ordersDocument = {
  openapi: '3.1.0',
  info: { title: 'orders API', version: '1' },
  paths: {
    '/orders': {
      get: {
        operationId: 'listOrders',
        tags: ['orders'],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: ref('OrderPage') } } } },
      },
      post: { operationId: 'createOrder', responses: { '201': { description: 'created' } } },
    },
  },
  components: { schemas: { OrderPage: { type: 'object', properties: { items: { type: 'array' } } } } },
};

describe('gateway merged OpenAPI', () => {
  let gateway: GatewayUnderTest;
  let users: Upstream;
  let orders: Upstream;
  let dead: string;
  const docFetches = (upstream: Upstream): number => upstream.seen.filter((s) => s.url === '/openapi.json').length;

  const config = (extraRoute = ''): string => `
upstreams:
  users: { instances: ['${users.url}'] }
  orders: { instances: ['${orders.url}'] }
  greeter: { instances: ['${dead}'] }
routes:
  - { path: /api/users/**, upstream: users, stripPrefix: /api }
  - { path: /api/orders/**, upstream: orders, stripPrefix: /api, methods: [GET] }
  - { path: /api/hello/**, upstream: greeter, stripPrefix: /api }
${extraRoute}
aggregations:
  - name: user-profile
    path: /api/users/:id/profile
    parts:
      user: { upstream: users, path: '/users/{id}', required: true }
      orders: { upstream: orders, path: '/orders?userId={id}' }
`;

  before(async () => {
    users = await startUpstream((req, res) => (req.url === '/openapi.json' ? json(res, 200, usersDocument) : json(res, 404, {})));
    orders = await startUpstream((req, res) => (req.url === '/openapi.json' ? json(res, 200, ordersDocument) : json(res, 404, {})));
    dead = `http://127.0.0.1:${await freePort()}`;
    gateway = await startGateway(config());
  });

  after(async () => {
    await gateway.stop();
    await Promise.all([users.close(), orders.close()]);
  });

  test('paths appear under their public prefix, only for operations a route serves', async () => {
    const answer = await send(`${gateway.url}/openapi.json`);
    assert.equal(answer.status, 200);
    const doc = answer.json<{
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string; tags?: string[] }>>;
    }>();
    assert.equal(doc.openapi, '3.1.0');
    // Beside the routed services: the gateway's own admin API, every operation tagged `admin`.
    const [admin, routed] = [true, false].map((own) => Object.keys(doc.paths).filter((path) => path.startsWith('/admin/') === own));
    assert.deepEqual(routed?.sort(), ['/api/orders', '/api/users', '/api/users/{id}', '/api/users/{id}/profile']);
    assert.ok(admin !== undefined && admin.length > 0);
    for (const path of admin)
      for (const operation of Object.values(doc.paths[path] ?? {})) assert.deepEqual(operation.tags, ['admin'], path);
    assert.deepEqual(Object.keys(doc.paths['/api/orders'] ?? {}), ['get'], 'the orders route only allows GET');
    assert.equal(doc.paths['/api/users/{id}']?.get?.operationId, 'users.getUser');
    assert.deepEqual(doc.paths['/api/users/{id}']?.get?.tags, ['users'], 'untagged operations are tagged with their upstream');
    assert.deepEqual(doc.paths['/api/orders']?.get?.tags, ['orders']);
    assert.ok(doc.paths['/api/users/{id}']?.parameters !== undefined, 'path-level parameters are kept');
  });

  test('components are namespaced per upstream and every $ref follows', async () => {
    const doc = (await send(`${gateway.url}/openapi.json`)).json<{
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    }>();
    assert.deepEqual(Object.keys(doc.components.schemas).sort(), ['orders.OrderPage', 'users.User']);
    assert.deepEqual(doc.components.schemas['users.User'], {
      type: 'object',
      properties: { id: { type: 'string' }, friend: ref('users.User') },
    });
    const getUser = doc.paths['/api/users/{id}']?.get as {
      responses: Record<string, { content: Record<string, { schema: unknown }> }>;
    };
    assert.deepEqual(getUser.responses['200']?.content['application/json']?.schema, ref('users.User'));
  });

  test('an aggregation is documented with its parts’ schemas and the partial contract', async () => {
    const doc = (await send(`${gateway.url}/openapi.json`)).json<{
      paths: Record<
        string,
        {
          get: {
            responses: Record<
              string,
              { content?: Record<string, { schema: { properties: Record<string, unknown>; required: string[] } }> }
            >;
          };
        }
      >;
    }>();
    const schema = doc.paths['/api/users/{id}/profile']?.get.responses['200']?.content?.['application/json']?.schema;
    assert.ok(schema !== undefined);
    assert.deepEqual(schema.properties.user, ref('users.User'));
    assert.deepEqual(schema.properties.orders, ref('orders.OrderPage'));
    assert.deepEqual(schema.required, ['user']);
    assert.deepEqual(schema.properties.partial, {
      type: 'array',
      items: { enum: ['orders'] },
      description: 'Optional parts that failed or timed out; absent when the answer is complete',
    });
  });

  test('what the gateway itself can answer is documented on every routed operation, as problem+json', async () => {
    type Responses = Record<string, { description: string; content?: Record<string, unknown> }>;
    const doc = (await send(`${gateway.url}/openapi.json`)).json<{ paths: Record<string, Record<string, { responses: Responses }>> }>();
    for (const [path, item] of Object.entries(doc.paths)) {
      if (path.startsWith('/admin/')) continue;
      for (const [method, operation] of Object.entries(item)) {
        if (method === 'parameters') continue;
        for (const status of ['502', '503', '504', '429']) {
          const response = operation.responses[status];
          assert.ok(response !== undefined, `${method} ${path} documents ${status}`);
          assert.deepEqual(Object.keys(response.content ?? {}), ['application/problem+json'], `${method} ${path} ${status}`);
        }
      }
    }
  });

  test("the answers no operation lists (404, 405, connection-level errors, the gateway's 413) are in the description", async () => {
    const doc = (await send(`${gateway.url}/openapi.json`)).json<{ info: { description: string } }>();
    for (const status of ['404', '405', '413', '431', '505']) assert.ok(doc.info.description.includes(`**${status}**`), status);
  });

  test('links follow the namespaced operation ids; a link to an operation the gateway does not route is dropped', async () => {
    type Responses = Record<string, { links?: Record<string, { operationId: string }> }>;
    const doc = (await send(`${gateway.url}/openapi.json`)).json<{ paths: Record<string, Record<string, { responses: Responses }>> }>();
    assert.deepEqual(doc.paths['/api/users']?.post?.responses['201']?.links, {
      read: { operationId: 'users.getUser', parameters: { id: '$response.body#/id' } },
    });
  });

  test("an aggregation takes its path parameter's schema from its required part, and documents the part's client errors", async () => {
    type Operation = { parameters: Array<{ name: string; schema: unknown }>; responses: Record<string, { description: string }> };
    const doc = (await send(`${gateway.url}/openapi.json`)).json<{ paths: Record<string, { get: Operation }> }>();
    const profile = doc.paths['/api/users/{id}/profile']?.get;
    assert.ok(profile !== undefined);
    assert.deepEqual(profile.parameters[0], { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^u[0-9]+$' } });
    assert.equal(profile.responses['400']?.description, 'bad id');
    assert.equal(profile.responses['404']?.description, 'no such user');
    assert.ok(profile.responses['502'] !== undefined && profile.responses['504'] !== undefined);
  });

  test('an unreachable upstream is left out and named in x-flotilla-unavailable-upstreams', async () => {
    const doc = (await send(`${gateway.url}/openapi.json`)).json();
    assert.deepEqual(doc['x-flotilla-unavailable-upstreams'], ['greeter']);
  });

  test('the document is cached, and rebuilt when the routes change', async () => {
    const before = docFetches(users);
    await send(`${gateway.url}/openapi.json`);
    await send(`${gateway.url}/openapi.json`);
    assert.equal(docFetches(users), before, 'served from the cache');
    gateway.writeConfig(config('  - { path: /api/admin/**, upstream: users, rewrite: "/admin{**}", methods: [POST] }'));
    const doc = await eventually(
      async () => {
        const candidate = (await send(`${gateway.url}/openapi.json`)).json<{ paths: Record<string, unknown> }>();
        return candidate.paths['/api/admin/reindex'] === undefined ? undefined : candidate;
      },
      { message: 'the reloaded routes in the document' },
    );
    assert.ok(docFetches(users) > before, 'fetched again after the reload');
    assert.ok(doc.paths['/api/admin/reindex'] !== undefined);
  });

  test('/docs serves the interactive docs for the merged document', async () => {
    const answer = await send(`${gateway.url}/docs/`);
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /text\/html/);
  });
});

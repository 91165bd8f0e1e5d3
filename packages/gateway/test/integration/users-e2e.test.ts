/** End to end with the real users service behind the gateway (orders left down on purpose). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, startUsers, type UsersUnderTest } from '@flotilla/testing';
import { startGateway, type GatewayUnderTest } from './support/gateway.ts';
import { send } from './support/http.ts';

interface User {
  id: string;
  name: string;
  email: string;
}

describe('gateway in front of the real users service', () => {
  let gateway: GatewayUnderTest;
  let users: UsersUnderTest;

  before(async () => {
    users = await startUsers();
    const ordersDown = `http://127.0.0.1:${await freePort()}`;
    gateway = await startGateway(`
upstreams:
  users: { instances: ['${users.base}'] }
  orders: { instances: ['${ordersDown}'] }
routes:
  - { name: users, path: /api/users/**, upstream: users, stripPrefix: /api }
  - { name: orders, path: /api/orders/**, upstream: orders, stripPrefix: /api }
aggregations:
  - name: user-profile
    path: /api/users/:id/profile
    timeoutMs: 2000
    parts:
      user: { upstream: users, path: '/users/{id}', required: true }
      orders: { upstream: orders, path: '/orders?userId={id}', timeoutMs: 1000 }
`);
  });

  after(async () => {
    await gateway.stop();
    await users.stop();
  });

  test('create, read and validate users through /api/users', async () => {
    const created = await send(`${gateway.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-create' },
      body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com' }),
    });
    assert.equal(created.status, 201, created.body);
    const user = created.json<User>();
    assert.equal(created.headers.location, `/api/users/${user.id}`, 'Location is rewritten into the public path');
    assert.equal(created.headers['x-request-id'], 'e2e-create');

    const fetched = await send(`${gateway.url}${created.headers.location}`);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.headers.etag, '"1"');
    assert.deepEqual(fetched.json(), user);

    const invalid = await send(`${gateway.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '', email: 'nope' }),
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.headers['content-type'], 'application/problem+json; charset=utf-8', "the service's own problem passes through");
    assert.equal(invalid.json().type, 'https://flotilla.dev/problems/validation');
  });

  test('the profile aggregation answers with the user and names orders as missing', async () => {
    const created = (
      await send(`${gateway.url}/api/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.com' }),
      })
    ).json<User>();
    const profile = await send(`${gateway.url}/api/users/${created.id}/profile`);
    assert.equal(profile.status, 200);
    assert.deepEqual(profile.json(), { user: created, partial: ['orders'] });
    assert.equal(profile.headers['x-flotilla-partial'], 'orders');

    const unknown = await send(`${gateway.url}/api/users/01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69/profile`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().type, 'https://flotilla.dev/problems/not-found');
    assert.equal(unknown.json().instance, '/api/users/01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69/profile');
  });

  test("the merged OpenAPI carries the users service's real paths under /api", async () => {
    const doc = (await send(`${gateway.url}/openapi.json`)).json<{
      paths: Record<string, Record<string, unknown>>;
      'x-flotilla-unavailable-upstreams'?: string[];
    }>();
    assert.ok(doc.paths['/api/users'] !== undefined && doc.paths['/api/users']?.post !== undefined);
    assert.deepEqual(
      Object.keys(doc.paths['/api/users/{id}'] ?? {})
        .filter((k) => k !== 'parameters')
        .sort(),
      ['delete', 'get', 'put'],
    );
    assert.ok(doc.paths['/api/users/{id}/profile'] !== undefined);
    assert.deepEqual(doc['x-flotilla-unavailable-upstreams'], ['orders']);
  });
});

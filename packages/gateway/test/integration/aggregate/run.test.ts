/** Declared aggregations: parts called in parallel, merged; partial answers; required-part failures. */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@flotilla/testing';
import { startGateway, type GatewayUnderTest } from '../support/gateway.ts';
import { json, send, startUpstream, type Upstream } from '../support/http.ts';

/** Resolves once `key` has been announced (or after a safety timeout, so a broken gateway fails instead of hanging). */
class Rendezvous {
  readonly #waiters = new Map<string, Array<() => void>>();
  readonly #arrived = new Set<string>();
  announce(key: string): void {
    this.#arrived.add(key);
    for (const wake of this.#waiters.get(key) ?? []) wake();
    this.#waiters.delete(key);
  }
  wait(key: string, safetyMs = 5_000): Promise<boolean> {
    if (this.#arrived.has(key)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), safetyMs);
      this.#waiters.set(key, [
        ...(this.#waiters.get(key) ?? []),
        () => {
          clearTimeout(timer);
          resolve(true);
        },
      ]);
    });
  }
}

function hang(res: ServerResponse): void {
  const timer = setTimeout(() => res.end(), 10_000);
  res.on('close', () => clearTimeout(timer));
}

describe('gateway aggregation', () => {
  let gateway: GatewayUnderTest;
  let users: Upstream;
  let orders: Upstream;
  const meeting = new Rendezvous();

  before(async () => {
    users = await startUpstream((req, res) => {
      const id = decodeURIComponent((req.url ?? '').split('/')[2] ?? '');
      meeting.announce(`users:${id}`);
      switch (id) {
        case 'missing':
          return json(
            res,
            404,
            {
              type: 'https://flotilla.dev/problems/not-found',
              title: 'Not found',
              status: 404,
              detail: 'No user missing',
              instance: req.url,
            },
            'application/problem+json',
          );
        case 'boom':
          return json(res, 500, { type: 'https://flotilla.dev/problems/internal', status: 500 }, 'application/problem+json');
        case 'hang':
          return hang(res);
        case 'together':
          // Answers only once the orders part has arrived too: a sequential gateway would never get here in time.
          return void meeting.wait('orders:together').then((met) => json(res, met ? 200 : 500, { id, name: 'Together' }));
        default:
          return json(res, 200, { id, name: `User ${id}` });
      }
    });
    orders = await startUpstream((req, res) => {
      const userId = new URL(req.url ?? '/', 'http://x').searchParams.get('userId') ?? '';
      meeting.announce(`orders:${userId}`);
      switch (userId) {
        case 'slow-orders':
          return void setTimeout(() => json(res, 200, { items: [{ id: 'o-slow' }], nextCursor: null }), 150);
        case 'hang-orders':
          return hang(res);
        case 'failing-orders':
          return json(res, 503, { type: 'https://flotilla.dev/problems/unavailable', status: 503 }, 'application/problem+json');
        case 'together':
          return void meeting
            .wait('users:together')
            .then((met) => json(res, met ? 200 : 500, { items: [{ id: 'o-together' }], nextCursor: null }));
        default:
          return json(res, 200, { items: [{ id: `o-${userId}`, userId }], nextCursor: null });
      }
    });
    const dead = `http://127.0.0.1:${await freePort()}`;
    gateway = await startGateway(`
upstreams:
  users: { instances: ['${users.url}'] }
  orders: { instances: ['${orders.url}'] }
  dead: { instances: ['${dead}'] }
  ghost: { instances: [] }
routes:
  - { path: /api/users/**, upstream: users, stripPrefix: /api }
aggregations:
  - name: user-profile
    path: /api/users/:id/profile
    timeoutMs: 1000
    parts:
      user: { upstream: users, path: '/users/{id}', required: true }
      orders: { upstream: orders, path: '/orders?userId={id}', timeoutMs: 400 }
  - name: user-card
    path: /api/cards/:id
    parts:
      user: { upstream: users, path: '/users/{id}', required: true }
      orders: { upstream: dead, path: '/orders?userId={id}' }
      extras: { upstream: ghost, path: '/extras/{id}' }
  - name: dead-required
    path: /api/dead-profile/:id
    parts:
      user: { upstream: dead, path: '/users/{id}', required: true }
      orders: { upstream: orders, path: '/orders?userId={id}' }
`);
  });

  after(async () => {
    await gateway.stop();
    await Promise.all([users.close(), orders.close()]);
  });

  test('both parts answer: 200 with { user, orders }, complete', async () => {
    const answer = await send(`${gateway.url}/api/users/u1/profile`);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.deepEqual(answer.json(), {
      user: { id: 'u1', name: 'User u1' },
      orders: { items: [{ id: 'o-u1', userId: 'u1' }], nextCursor: null },
    });
    assert.equal(answer.headers['x-flotilla-partial'], undefined);
  });

  test('the aggregation wins over the wider proxy route; other paths under it are still proxied', async () => {
    assert.deepEqual((await send(`${gateway.url}/api/users/u2`)).json(), { id: 'u2', name: 'User u2' });
  });

  test('parts are called in parallel: each part only answers once the other has arrived', async () => {
    const answer = await send(`${gateway.url}/api/users/together/profile`);
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(answer.json(), {
      user: { id: 'together', name: 'Together' },
      orders: { items: [{ id: 'o-together' }], nextCursor: null },
    });
  });

  test('a slow optional part within its timeout is waited for', async () => {
    const answer = await send(`${gateway.url}/api/users/slow-orders/profile`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json<{ orders: unknown }>().orders, { items: [{ id: 'o-slow' }], nextCursor: null });
    assert.equal(answer.headers['x-flotilla-partial'], undefined);
  });

  test('an optional part that times out: 200 with the rest, partial list and header', async () => {
    const answer = await send(`${gateway.url}/api/users/hang-orders/profile`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), { user: { id: 'hang-orders', name: 'User hang-orders' }, partial: ['orders'] });
    assert.equal(answer.headers['x-flotilla-partial'], 'orders');
  });

  test('an optional part that fails: 200 with the rest, partial list and header', async () => {
    const answer = await send(`${gateway.url}/api/users/failing-orders/profile`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), {
      user: { id: 'failing-orders', name: 'User failing-orders' },
      partial: ['orders'],
    });
    assert.equal(answer.headers['x-flotilla-partial'], 'orders');
    const logged = gateway.logs.lines.some((l) => String(l.message).includes('part orders missing (status)'));
    assert.ok(logged, 'the missing part is logged with its reason');
  });

  test('optional parts on a dead instance and on an upstream without instances: both named as missing', async () => {
    const answer = await send(`${gateway.url}/api/cards/u3`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), { user: { id: 'u3', name: 'User u3' }, partial: ['orders', 'extras'] });
    assert.equal(answer.headers['x-flotilla-partial'], 'orders,extras');
  });

  test('the required part answers 404: the answer is its 404 problem, located at the public URL', async () => {
    const answer = await send(`${gateway.url}/api/users/missing/profile`, { headers: { 'x-request-id': 'agg-404' } });
    assert.equal(answer.status, 404);
    assert.equal(answer.headers['content-type'], 'application/problem+json');
    const problem = answer.json();
    assert.equal(problem.type, 'https://flotilla.dev/problems/not-found');
    assert.equal(problem.detail, 'No user missing');
    assert.equal(problem.instance, '/api/users/missing/profile');
    assert.equal(problem.requestId, 'agg-404');
    assert.equal(problem.part, 'user');
  });

  test('the required part fails with 5xx: 502 problem naming the part', async () => {
    const answer = await send(`${gateway.url}/api/users/boom/profile`);
    assert.equal(answer.status, 502);
    assert.equal(answer.json().type, 'https://flotilla.dev/problems/bad-gateway');
    assert.equal(answer.json().part, 'user');
  });

  test('the required part times out: 504 problem', async () => {
    const answer = await send(`${gateway.url}/api/users/hang/profile`);
    assert.equal(answer.status, 504);
    assert.equal(answer.json().type, 'https://flotilla.dev/problems/deadline-exceeded');
    assert.equal(answer.json().part, 'user');
  });

  test('the required part cannot be reached: 502 problem', async () => {
    const answer = await send(`${gateway.url}/api/dead-profile/u4`);
    assert.equal(answer.status, 502);
    assert.equal(answer.json().type, 'https://flotilla.dev/problems/bad-gateway');
  });

  test('every part receives the request id and forwarding headers; client-only headers stay behind', async () => {
    await send(`${gateway.url}/api/users/u5/profile`, {
      headers: { 'x-request-id': 'agg-ids', 'accept-encoding': 'gzip', authorization: 'Bearer t' },
    });
    const userCall = users.seen.find((s) => s.url === '/users/u5');
    const orderCall = orders.seen.find((s) => s.url === '/orders?userId=u5');
    for (const call of [userCall, orderCall]) {
      assert.ok(call !== undefined);
      assert.equal(call.headers['x-request-id'], 'agg-ids');
      assert.equal(call.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(call.headers.authorization, 'Bearer t', 'end-to-end headers such as authorization reach the parts');
      assert.equal(call.headers['accept-encoding'], undefined, 'the gateway parses the parts, so it asks for identity');
      assert.equal(call.headers.accept, 'application/json');
    }
  });

  test('HEAD on an aggregation answers the headers only', async () => {
    const answer = await send(`${gateway.url}/api/users/u6/profile`, { method: 'HEAD' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '');
  });
});

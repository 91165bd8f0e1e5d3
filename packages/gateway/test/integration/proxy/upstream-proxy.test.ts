/** Proxying through a real gateway to real upstream servers: methods, statuses, headers, errors. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@flotilla/testing';
import { startGateway, type GatewayUnderTest } from '../support/gateway.ts';
import { echo, send, startUpstream, type Upstream } from '../support/http.ts';

interface Echoed {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('gateway proxy', () => {
  let gateway: GatewayUnderTest;
  let upstream: Upstream;
  let slow: Upstream;
  let hops: Upstream;

  before(async () => {
    upstream = await startUpstream(echo);
    slow = await startUpstream((_req, res) => {
      const timer = setTimeout(() => res.end('late'), 5_000);
      res.on('close', () => clearTimeout(timer));
    });
    hops = await startUpstream((_req, res) => {
      res.writeHead(200, [
        'content-type',
        'text/plain',
        'connection',
        'keep-alive, x-upstream-hop',
        'keep-alive',
        'timeout=5',
        'x-upstream-hop',
        'secret',
        'proxy-authenticate',
        'Basic',
        'x-end-to-end',
        'kept',
        'set-cookie',
        'a=1',
        'set-cookie',
        'b=2',
        'x-request-id',
        'upstream-made-this-up',
      ]);
      res.end('ok');
    });
    const dead = `http://127.0.0.1:${await freePort()}`;
    gateway = await startGateway(`
upstreams:
  echo: { instances: ['${upstream.url}'] }
  slow: { instances: ['${slow.url}'] }
  hops: { instances: ['${hops.url}'] }
  dead: { instances: ['${dead}'] }
  ghost: { instances: [] }
routes:
  - { path: /api/echo/**, upstream: echo, stripPrefix: /api }
  - { path: /v2/things/**, upstream: echo, rewrite: '/internal/things{**}' }
  - { path: /api/items/:id, upstream: echo, rewrite: '/items/{id}/detail', methods: [GET, HEAD] }
  - { path: /api/slow/**, upstream: slow, stripPrefix: /api, timeoutMs: 150 }
  - { path: /api/hops/**, upstream: hops, stripPrefix: /api }
  - { path: /api/dead/**, upstream: dead, stripPrefix: /api }
  - { path: /api/ghost/**, upstream: ghost, stripPrefix: /api }
`);
  });

  after(async () => {
    await gateway.stop();
    await Promise.all([upstream.close(), slow.close(), hops.close()]);
  });

  for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
    test(`${method} reaches the upstream with its path, query, headers and body`, async () => {
      const hasBody = method !== 'GET' && method !== 'DELETE';
      const answer = await send(`${gateway.url}/api/echo/users/7?expand=orders&x=1`, {
        method,
        headers: { 'x-custom': 'hello', ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        ...(hasBody ? { body: JSON.stringify({ name: 'Ada' }) } : {}),
      });
      assert.equal(answer.status, 200);
      const echoed = answer.json<Echoed>();
      assert.equal(echoed.method, method);
      assert.equal(echoed.url, '/echo/users/7?expand=orders&x=1', 'the /api prefix is stripped, the query kept');
      assert.equal(echoed.headers['x-custom'], 'hello');
      assert.equal(echoed.body, hasBody ? JSON.stringify({ name: 'Ada' }) : '');
    });
  }

  test('upstream statuses and end-to-end headers come back unchanged', async () => {
    for (const status of [201, 204, 404, 409, 500]) {
      const answer = await send(`${gateway.url}/api/echo/x`, { headers: { 'x-want-status': String(status) } });
      assert.equal(answer.status, status);
      if (status !== 204) assert.equal(answer.headers['content-type'], 'application/json');
    }
    const cookies = await send(`${gateway.url}/api/hops/anything`);
    assert.deepEqual(cookies.headers['set-cookie'], ['a=1', 'b=2'], 'repeated headers survive');
    assert.equal(cookies.headers['x-end-to-end'], 'kept');
    assert.equal(cookies.body, 'ok');
  });

  test('a rewrite template maps the captured rest and parameters', async () => {
    const rest = (await send(`${gateway.url}/v2/things/a/b?q=1`)).json<Echoed>();
    assert.equal(rest.url, '/internal/things/a/b?q=1');
    const bare = (await send(`${gateway.url}/v2/things`)).json<Echoed>();
    assert.equal(bare.url, '/internal/things');
    const param = (await send(`${gateway.url}/api/items/42`)).json<Echoed>();
    assert.equal(param.url, '/items/42/detail');
  });

  test('HEAD is proxied without a body', async () => {
    const answer = await send(`${gateway.url}/api/items/42`, { method: 'HEAD' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '');
    assert.equal(upstream.seen.at(-1)?.method, 'HEAD');
  });

  test('a method the route does not allow is 405 with Allow, as problem+json', async () => {
    const answer = await send(`${gateway.url}/api/items/42`, { method: 'DELETE' });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.allow, 'GET, HEAD');
    assert.equal(answer.headers['content-type'], 'application/problem+json');
    assert.equal(answer.json().type, 'https://flotilla.dev/problems/method-not-allowed');
  });

  test('hop-by-hop request headers, and those Connection names, stop at the gateway', async () => {
    const answer = await send(`${gateway.url}/api/echo/hop`, {
      headers: {
        connection: 'keep-alive, x-client-hop',
        'x-client-hop': 'secret',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'x-end-to-end': 'kept',
      },
    });
    const seen = upstream.seen.at(-1);
    assert.equal(answer.status, 200);
    assert.ok(seen !== undefined);
    for (const name of ['x-client-hop', 'keep-alive', 'te', 'proxy-authorization'])
      assert.ok(!seen.rawHeaderNames.includes(name), `${name} must not reach the upstream`);
    assert.equal(seen.headers['x-end-to-end'], 'kept');
    assert.equal(seen.headers.connection, 'keep-alive', "only undici's own connection header");
  });

  test('hop-by-hop response headers, and those Connection names, stop at the gateway', async () => {
    const answer = await send(`${gateway.url}/api/hops/x`);
    for (const name of ['x-upstream-hop', 'keep-alive', 'proxy-authenticate'])
      assert.ok(!answer.headerNames.includes(name), `${name} must not reach the client`);
    assert.notEqual(answer.headers.connection, 'keep-alive, x-upstream-hop');
  });

  test('Forwarded and X-Forwarded-* describe the client hop and extend an existing chain', async () => {
    const host = new URL(gateway.url).host;
    const first = (await send(`${gateway.url}/api/echo/fwd`)).json<Echoed>();
    assert.equal(first.headers.forwarded, `for=127.0.0.1;host="${host}";proto=http`);
    assert.equal(first.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(first.headers['x-forwarded-proto'], 'http');
    assert.equal(first.headers['x-forwarded-host'], host);

    const chained = (
      await send(`${gateway.url}/api/echo/fwd`, {
        headers: { forwarded: 'for=10.0.0.1', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https' },
      })
    ).json<Echoed>();
    assert.equal(chained.headers.forwarded, `for=10.0.0.1, for=127.0.0.1;host="${host}";proto=http`);
    assert.equal(chained.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
    assert.equal(chained.headers['x-forwarded-proto'], 'http', 'replaced with what this hop saw');
  });

  test('x-request-id: an incoming one is propagated both ways', async () => {
    const answer = await send(`${gateway.url}/api/echo/id`, { headers: { 'x-request-id': 'client-abc.123' } });
    assert.equal(answer.json<Echoed>().headers['x-request-id'], 'client-abc.123');
    assert.equal(answer.headers['x-request-id'], 'client-abc.123');
  });

  test("x-request-id: minted when absent or malformed, and the upstream's own is not echoed", async () => {
    const minted = await send(`${gateway.url}/api/echo/id`);
    const sent = minted.json<Echoed>().headers['x-request-id'];
    assert.match(sent ?? '', UUID);
    assert.equal(minted.headers['x-request-id'], sent);
    const malformed = await send(`${gateway.url}/api/echo/id`, {
      headers: { 'x-request-id': 'has spaces and <angle>' },
    });
    assert.match(malformed.json<Echoed>().headers['x-request-id'] ?? '', UUID);
    const upstreamMadeOne = await send(`${gateway.url}/api/hops/x`, { headers: { 'x-request-id': 'mine' } });
    assert.equal(upstreamMadeOne.headers['x-request-id'], 'mine');
  });

  test('an upstream without instances is 502 problem+json', async () => {
    const answer = await send(`${gateway.url}/api/ghost/x`, { headers: { 'x-request-id': 'ghost-1' } });
    assert.equal(answer.status, 502);
    assert.equal(answer.headers['content-type'], 'application/problem+json');
    const problem = answer.json();
    assert.equal(problem.type, 'https://flotilla.dev/problems/bad-gateway');
    assert.equal(problem.upstream, 'ghost');
    assert.equal(problem.requestId, 'ghost-1');
    assert.equal(problem.instance, '/api/ghost/x');
  });

  test('an instance that refuses connections is 502 problem+json, also with a request body', async () => {
    for (const options of [{}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }]) {
      const answer = await send(`${gateway.url}/api/dead/x`, options);
      assert.equal(answer.status, 502);
      assert.equal(answer.json().type, 'https://flotilla.dev/problems/bad-gateway');
      assert.match(String(answer.json().detail), /refused/);
    }
  });

  test('an upstream slower than the route timeout is 504 problem+json', async () => {
    const answer = await send(`${gateway.url}/api/slow/x`);
    assert.equal(answer.status, 504);
    assert.equal(answer.headers['content-type'], 'application/problem+json');
    assert.equal(answer.json().type, 'https://flotilla.dev/problems/deadline-exceeded');
    assert.match(String(answer.json().detail), /150 ms/);
  });

  test('unrouted paths fall through to Fastify: health answers, others are 404 problem+json', async () => {
    assert.equal((await send(`${gateway.url}/healthz`)).status, 200);
    assert.equal((await send(`${gateway.url}/readyz`)).status, 200);
    const missing = await send(`${gateway.url}/nowhere`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json().type, 'https://flotilla.dev/problems/not-found');
  });

  test('dot segments that would climb out of a route are refused', async () => {
    const answer = await send(`${gateway.url}/api/echo/%2e%2e/admin`);
    assert.equal(answer.status, 400);
    assert.equal(answer.json().type, 'https://flotilla.dev/problems/bad-request');
  });

  test('failures are logged with the upstream and the request id', async () => {
    await send(`${gateway.url}/api/dead/logged`, { headers: { 'x-request-id': 'dead-log-1' } });
    const line = gateway.logs.lines.find(
      (l) =>
        (l.event as { action?: string } | undefined)?.action === 'upstream-failure' &&
        (l.http as { request: { id: string } }).request.id === 'dead-log-1',
    );
    assert.ok(line !== undefined, 'an upstream-failure line');
    assert.deepEqual(line.labels, { upstream: 'dead' });
    const access = gateway.logs.lines.find(
      (l) =>
        (l.http as { request?: { id?: string }; response?: { status_code?: number } } | undefined)?.request?.id === 'dead-log-1' &&
        (l.http as { response?: unknown }).response !== undefined,
    );
    assert.ok(access !== undefined, 'an access-log line');
    assert.equal((access.http as { response: { status_code: number } }).response.status_code, 502);
  });
});

/**
 * Requests no route serves: every method Node's parser accepts gets 405 with
 * `Allow` where the path exists, 404 where it does not, never a 5xx, and
 * without its body being read.
 */
import assert from 'node:assert/strict';
import { METHODS } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createHttpServer, registerHealthRoutes, type HttpApp } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';
import Type from 'typebox';
import { type RawAnswer, rawExchange, requestText } from '@flotilla/testing';

const logs = captureLogs();
let app: HttpApp;
let port: number;

before(async () => {
  app = createHttpServer({ logger: createLogger({ service: 'test', destination: logs.stream }) });
  registerHealthRoutes(app as never, { isReady: () => true, checks: () => ({}) });
  app.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.delete('/orders/:id', async (_request, reply) => reply.code(204).send());
  app.post('/orders', { schema: { body: Type.Object({ sku: Type.String() }, { additionalProperties: false }) } }, async () => ({}));
  app.get('/files/:name.png', async () => ({ image: true }));
  await app.register(
    async (scope) => {
      scope.get('/config', async () => ({}));
    },
    { prefix: '/admin' },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

after(() => app.close());

function assertProblem(answer: RawAnswer, status: number, code: string): Record<string, unknown> {
  assert.equal(answer.status, status, JSON.stringify(answer));
  assert.match(answer.headers['content-type'] ?? '', /^application\/problem\+json/);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  assert.equal(body.type, `https://flotilla.dev/problems/${code}`);
  assert.equal(body.status, status);
  return body;
}

/** Every method Node parses, bar CONNECT (a tunnel request, tested on its own) and the ones each path declares. */
const UNDECLARED = METHODS.filter((m) => !['CONNECT', 'GET', 'HEAD', 'DELETE'].includes(m));

describe('405 with Allow where the path exists', () => {
  test('every undeclared method on a parametric path', async () => {
    for (const method of UNDECLARED) {
      const answer = await rawExchange(port, requestText(method, '/orders/42'));
      const body = assertProblem(answer, 405, 'method-not-allowed');
      assert.equal(answer.headers.allow, 'DELETE, GET, HEAD', method);
      assert.equal(body.instance, '/orders/42');
      assert.ok(!String(body.detail).includes(method), 'the detail does not repeat the method');
    }
  });

  test('QUERY without a Content-Type (once a 500) is a 405 like the others', async () => {
    const answer = await rawExchange(port, requestText('QUERY', '/orders/42'));
    assertProblem(answer, 405, 'method-not-allowed');
  });

  test('OPTIONS is answered with the methods there are', async () => {
    const answer = await rawExchange(port, requestText('OPTIONS', '/orders/42'));
    assertProblem(answer, 405, 'method-not-allowed');
    assert.equal(answer.headers.allow, 'DELETE, GET, HEAD');
  });

  test('HEAD where GET is served is served', async () => {
    const answer = await rawExchange(port, requestText('HEAD', '/orders/42'), { head: true });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '');
  });

  test('static paths, parameters with a suffix, routes under a prefix and health routes', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/orders', 'POST'],
      ['PUT', '/files/cat.png', 'GET, HEAD'],
      ['POST', '/admin/config', 'GET, HEAD'],
      ['DELETE', '/healthz', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await rawExchange(port, requestText(method, path));
      assertProblem(answer, 405, 'method-not-allowed');
      assert.equal(answer.headers.allow, allow, `${method} ${path}`);
    }
  });

  test('the body of a request no route takes is not parsed: a broken one still gets 405, and the connection stays usable', async () => {
    const answer = await rawExchange(port, requestText('PATCH', '/orders/42', ['Content-Type: application/json'], '{"broken'));
    assertProblem(answer, 405, 'method-not-allowed');
    assert.equal(answer.headers.connection, 'keep-alive');
  });

  test('a body declared larger than four times the body limit is not read at all: the connection closes', async () => {
    const head = `PATCH /orders/42 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${4 * 1_048_576 + 1}\r\n\r\n`;
    const answer = await rawExchange(port, head);
    assertProblem(answer, 405, 'method-not-allowed');
    assert.equal(answer.headers.connection, 'close');
    assert.equal(answer.closed, true);
  });

  test('CONNECT to a path that exists is a 405; the connection closes', async () => {
    const answer = await rawExchange(port, 'CONNECT /orders/42 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assertProblem(answer, 405, 'method-not-allowed');
    assert.equal(answer.headers.allow, 'DELETE, GET, HEAD');
    assert.equal(answer.closed, true);
  });
});

describe('404 where no route has the path', () => {
  test('every method, including CONNECT to a host', async () => {
    for (const method of [...UNDECLARED, 'GET', 'HEAD', 'DELETE']) {
      const answer = await rawExchange(port, requestText(method, '/nowhere/at/all'), { head: method === 'HEAD' });
      if (method === 'HEAD') assert.equal(answer.status, 404);
      else
        assert.ok(!assertProblem(answer, 404, 'not-found').detail?.toString().includes('nowhere'), 'the detail does not repeat the path');
    }
    const tunnel = await rawExchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    assertProblem(tunnel, 404, 'not-found');
    assert.equal(tunnel.closed, true);
  });

  test('a POST of broken JSON to a missing path is a 404, not a 400', async () => {
    const answer = await rawExchange(port, requestText('POST', '/nowhere', ['Content-Type: application/json'], '{{{'));
    assertProblem(answer, 404, 'not-found');
  });

  test('a path that only looks like a route (an extra segment, another suffix) is a 404', async () => {
    for (const path of ['/orders/42/items', '/files/cat.gif', '/admin/config/x', '/orders/']) {
      assertProblem(await rawExchange(port, requestText('PATCH', path)), 404, 'not-found');
    }
  });

  test('an asterisk target is a 404; an absolute-form one is routed by its path (RFC 9112 §3.2.2)', async () => {
    assertProblem(await rawExchange(port, requestText('OPTIONS', '*')), 404, 'not-found');
    assert.equal((await rawExchange(port, requestText('GET', 'http://elsewhere.example/orders/1'))).status, 200);
    const wrongMethod = await rawExchange(port, requestText('PUT', 'http://elsewhere.example/orders/1'));
    assertProblem(wrongMethod, 405, 'method-not-allowed');
    assert.equal(wrongMethod.headers.allow, 'DELETE, GET, HEAD');
  });

  test('nothing unexpected was logged', () => {
    assert.deepEqual(
      logs.lines.filter((line) => (line.level as number) >= 50),
      [],
    );
  });
});

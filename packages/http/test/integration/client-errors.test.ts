/**
 * What the server answers before any route runs: the HTTP parser's refusals
 * and timeouts, the Node server's own checks, the router's refusals and the
 * drain. Each is a complete problem+json response on the socket, followed by
 * the connection closing; none is a 5xx but a request naming another HTTP
 * major version (505).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createHttpServer, type HttpApp, setFrontHandler } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs, eventually } from '@flotilla/testing';
import Type from 'typebox';
import { type RawAnswer, rawExchange, requestText } from '@flotilla/testing';

const logs = captureLogs();
let app: HttpApp;
let port: number;
let entered: () => void = () => {};
let release: () => void = () => {};

before(async () => {
  // A short request timeout keeps the slow-client cases short; they wait for the close, not for a time.
  app = createHttpServer({ logger: createLogger({ service: 'test', destination: logs.stream }), requestTimeoutMs: 500 });
  app.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.post(
    '/orders',
    { schema: { body: Type.Object({ sku: Type.String() }, { additionalProperties: false }) } },
    async (request) => request.body,
  );
  app.get('/slow', async () => {
    await new Promise<void>((resolve) => {
      release = resolve;
      entered();
    });
    return { slow: true };
  });
  setFrontHandler(app, (req) => {
    if (req.url === '/front/throws') throw new Error('a bug in the front handler');
    return false;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

after(() => app.close());

function assertProblem(answer: RawAnswer, status: number, code: string): Record<string, unknown> {
  assert.equal(answer.status, status, JSON.stringify(answer));
  assert.match(answer.headers['content-type'] ?? '', /^application\/problem\+json/);
  assert.equal(answer.headers['content-length'], String(Buffer.byteLength(answer.body)));
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  assert.equal(body.type, `https://flotilla.dev/problems/${code}`);
  assert.equal(body.status, status);
  assert.match(String(body.requestId), /^[0-9a-f-]{36}$/);
  assert.equal(answer.headers['x-request-id'], body.requestId);
  return body;
}

/** A refusal on the socket itself: a problem, `connection: close`, and the server closing the connection. */
async function assertRefused(
  request: string | Buffer | Array<string | Buffer>,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const answer = await rawExchange(port, request);
  const body = assertProblem(answer, status, code);
  assert.equal(answer.headers.connection, 'close');
  assert.equal(answer.closed, true, 'the server closes the connection');
  return body;
}

describe("the HTTP parser's refusals are problems", () => {
  const BAD_REQUESTS: Record<string, string> = {
    'a request line that is not one': 'GARBAGE\r\n\r\n',
    'a method the parser does not know': 'FROBNICATE /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n',
    'a lower-case method': 'get /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n',
    'a space in the target': 'GET /orders/a b HTTP/1.1\r\nHost: x\r\n\r\n',
    'a NUL in the target': 'GET /orders/a\0b HTTP/1.1\r\nHost: x\r\n\r\n',
    'bytes that are not ASCII in the target': 'GET /orders/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n',
    'lines ending in a bare LF': 'GET /orders/1 HTTP/1.1\nHost: x\n\n',
    'a CR inside a header value': 'GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-A: a\rInjected: 1\r\n\r\n',
    'an LF inside a header value': 'GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-A: a\nInjected: 1\r\n\r\n',
    'a folded header line': 'GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n',
    'a NUL in a header value': 'GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n',
    'a space before the colon': 'POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n',
    'Content-Length and Transfer-Encoding together':
      'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'two Content-Lengths': 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    'two equal Content-Lengths': 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}',
    'a negative Content-Length': 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'a Content-Length past 2^64': 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n',
    'chunked, then identity': 'POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    'a chunk size that is not hex':
      'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    'HTTP/1.2': 'GET /orders/1 HTTP/1.2\r\nHost: x\r\n\r\n',
  };
  for (const [what, request] of Object.entries(BAD_REQUESTS)) {
    test(`400 bad-request: ${what}`, async () => {
      const body = await assertRefused(Buffer.from(request, 'latin1'), 400, 'bad-request');
      assert.equal(body.instance, undefined, 'a target the parser refused is not repeated');
    });
  }

  test('431 header-fields-too-large: a header section over 16 KiB', async () => {
    await assertRefused(requestText('GET', '/orders/1', [`X-Big: ${'a'.repeat(20_000)}`]), 431, 'header-fields-too-large');
  });

  test('414 uri-too-long: a request line over the header limit by itself, not repeated', async () => {
    const long = `/orders/${'a'.repeat(20_000)}`;
    const body = await assertRefused(requestText('GET', long), 414, 'uri-too-long');
    assert.ok(!JSON.stringify(body).includes('aaaa'));
  });

  test('505 http-version-not-supported: another major version, parsed or not, and the HTTP/2 preface', async () => {
    await assertRefused('GET /orders/1 HTTP/3.0\r\nHost: x\r\n\r\n', 505, 'http-version-not-supported');
    await assertRefused('GET /orders/1 HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'http-version-not-supported');
    await assertRefused('GET /orders/1 HTTP/0.9\r\nHost: x\r\n\r\n', 505, 'http-version-not-supported');
    await assertRefused('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505, 'http-version-not-supported');
  });
});

describe('slow clients get 408 and a closed connection within the request timeout', () => {
  test('a body shorter than its Content-Length, then silence', async () => {
    const body = await assertRefused(
      'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sku"',
      408,
      'request-timeout',
    );
    assert.match(String(body.detail), /time/);
  });

  test('a header section that never ends', async () => {
    await assertRefused('GET /orders/1 HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n', 408, 'request-timeout');
  });

  test('the handler that was waiting for the body logs nothing unexpected', async () => {
    await assertRefused(
      'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{',
      408,
      'request-timeout',
    );
    assert.deepEqual(
      logs.lines.filter((line) => (line.level as number) >= 50),
      [],
    );
  });
});

describe("the Node server's own answers are problems", () => {
  test('400: an HTTP/1.1 request without a Host header, or with two', async () => {
    await assertRefused('GET /orders/1 HTTP/1.1\r\n\r\n', 400, 'bad-request');
    await assertRefused('GET /orders/1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'bad-request');
  });

  test('an HTTP/1.0 request without a Host header is served', async () => {
    const answer = await rawExchange(port, 'GET /orders/1 HTTP/1.0\r\n\r\n');
    assert.equal(answer.status, 200);
  });

  test('417 expectation-failed: an Expect other than 100-continue', async () => {
    await assertRefused(requestText('GET', '/orders/1', ['Expect: teapot']), 417, 'expectation-failed');
  });

  test('Expect: 100-continue is honoured', async () => {
    const answer = await rawExchange(
      port,
      requestText('POST', '/orders', ['Content-Type: application/json', 'Expect: 100-continue'], '{"sku":"a"}'),
    );
    assert.deepEqual(answer.interim, [100]);
    assert.equal(answer.status, 200);
  });

  test('500 internal, logged, when a front handler throws; the server goes on serving', async () => {
    const answer = await rawExchange(port, requestText('GET', '/front/throws'));
    const body = assertProblem(answer, 500, 'internal');
    assert.ok(!answer.body.includes('a bug'), 'the error itself stays in the log');
    await eventually(
      () => logs.lines.some((line) => (line.error as { message?: string } | undefined)?.message === 'a bug in the front handler'),
      {
        message: 'the error in the log',
      },
    );
    assert.equal(typeof body.requestId, 'string');
    assert.equal((await rawExchange(port, requestText('GET', '/orders/1'))).status, 200);
  });
});

describe('request targets', () => {
  test('an absolute-form target is served as its path; another form is a 400', async () => {
    const absolute = await rawExchange(port, `GET http://127.0.0.1:${port}/orders/7?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.equal(absolute.status, 200);
    assert.deepEqual(JSON.parse(absolute.body), { id: '7' });
    const bare = await rawExchange(port, `GET http://127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.notEqual(bare.status, 400, 'an absolute URL without a path is the root');
    const body = assertProblem(
      await rawExchange(port, 'GET ftp://127.0.0.1/orders/7 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      400,
      'bad-request',
    );
    assert.match(String(body.detail), /neither a path nor an absolute/);
  });
});

describe('a refused body is drained, not cut', () => {
  test('413 for a body over the limit, sent in full: the connection is kept (a proxy still sending it sees the answer, not a reset)', async () => {
    const body = `{"sku":"${'x'.repeat(1_048_576)}"}`;
    const answer = await rawExchange(port, requestText('POST', '/orders', ['Content-Type: application/json'], body));
    assertProblem(answer, 413, 'payload-too-large');
    assert.notEqual(answer.headers.connection, 'close');
    assert.equal(answer.closed, false);
  });

  test('413 for a body declared over four times the limit: not read, the connection closes', async () => {
    const answer = await rawExchange(
      port,
      `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${4 * 1_048_576 + 1}\r\n\r\n{"sku":`,
    );
    assertProblem(answer, 413, 'payload-too-large');
    assert.equal(answer.headers.connection, 'close');
    assert.equal(answer.closed, true);
  });
});

describe("the router's refusals are problems", () => {
  test('414 uri-too-long: a path parameter over 256 characters, not repeated', async () => {
    for (const length of [257, 10_000]) {
      const answer = await rawExchange(port, requestText('GET', `/orders/${'a'.repeat(length)}`));
      const body = assertProblem(answer, 414, 'uri-too-long');
      assert.equal(body.instance, undefined);
      assert.ok(!answer.body.includes('aaaa'), 'the parameter is not sent back');
    }
  });

  test('400 bad-request: a path that does not percent-decode to UTF-8', async () => {
    for (const path of ['/orders/%ff%fe', '/orders/%zz', '/orders/%c3%28']) {
      const body = assertProblem(await rawExchange(port, requestText('GET', path)), 400, 'bad-request');
      assert.match(String(body.detail), /percent-encoded/);
    }
  });

  test('400 bad-request: a NUL in the path or query, a query that does not decode, a reserved query name', async () => {
    const cases = [
      '/orders/a%00b',
      '/orders/1?x=%00',
      '/orders/1?x=%ff',
      '/orders/1?x=%e2%82',
      '/orders/1?__proto__[polluted]=1',
      '/orders/1?constructor=x',
      '/orders/1?a[prototype]=1',
      '/orders/1?%5F%5Fproto%5F%5F=1',
    ];
    for (const path of cases) assertProblem(await rawExchange(port, requestText('GET', path)), 400, 'bad-request');
  });
});

describe('draining', () => {
  test('a request that reaches the server while it closes gets 503 unavailable, then the connection closes', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    socket.write(requestText('GET', '/slow'));
    await inHandler;
    const closing = app.close();
    // The listener is closed after the drain began: from then on, new connections are refused.
    await eventually(() => connectionRefused(), { message: 'the listener to close' });
    socket.write(requestText('GET', '/orders/1'));
    release();
    await closing;
    await closed;
    const second = received.indexOf('HTTP/1.1 503');
    assert.ok(received.startsWith('HTTP/1.1 200'), received);
    assert.ok(second > 0, received);
    const answer = received.slice(second);
    assert.match(answer, /content-type: application\/problem\+json/);
    assert.match(answer, /connection: close/);
    assert.match(answer, /"type":"https:\/\/flotilla\.dev\/problems\/unavailable"/);
  });
});

function connectionRefused(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', () => resolve(true));
  });
}

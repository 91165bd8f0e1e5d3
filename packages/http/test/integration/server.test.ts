import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConflictError, currentContext, NotFoundError, PreconditionFailedError, UnavailableError, UnprocessableError } from '@flotilla/kit';
import { createHttpServer, registerHealthRoutes, type HttpApp } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import Type from 'typebox';
import { captureLogs, eventually } from '@flotilla/testing';

const logs = captureLogs();
let app: HttpApp;
let base: string;
let healthy = true;

before(async () => {
  app = createHttpServer({ logger: createLogger({ service: 'test', destination: logs.stream }), bodyLimitBytes: 1024 });
  registerHealthRoutes(app as never, {
    isReady: () => true,
    checks: () => ({
      database: async () => {
        if (!healthy) throw new Error('connection refused');
      },
    }),
  });
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object({ name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
      },
    },
    async (request) => ({ ok: true, body: request.body }),
  );
  app.get(
    '/things',
    { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 10, default: 5 }) }) } },
    async (request) => ({
      limit: request.query.limit,
    }),
  );
  app.get('/context', async () => ({ requestId: currentContext()?.requestId }));
  app.get('/boom', async () => {
    throw new Error('secret internal detail: SELECT * FROM users');
  });
  const kinds: Record<string, () => Error> = {
    'not-found': () => new NotFoundError('no such thing'),
    conflict: () => new ConflictError('taken'),
    'precondition-failed': () => new PreconditionFailedError('stale'),
    unprocessable: () => new UnprocessableError('nope'),
    unavailable: () => new UnavailableError('db down'),
  };
  app.get('/fail/:kind', async (request) => {
    throw (kinds[(request.params as { kind: string }).kind] as () => Error)();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

after(() => app.close());

async function problem(response: Response): Promise<Record<string, unknown>> {
  assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  return (await response.json()) as Record<string, unknown>;
}

describe('problem+json errors', () => {
  test('validation lists every offending field with its rule', async () => {
    const response = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '', count: -1, extra: true }),
    });
    assert.equal(response.status, 400);
    const body = await problem(response);
    assert.equal(body.type, 'https://flotilla.dev/problems/validation');
    const fields = (body.errors as Array<{ field: string; rule: string }>).map((e) => `${e.field}:${e.rule}`).sort();
    assert.deepEqual(fields, ['body.count:minimum', 'body.extra:unknown-field', 'body.name:minLength']);
  });

  test('missing required fields are named', async () => {
    const response = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const body = await problem(response);
    assert.deepEqual((body.errors as Array<{ field: string }>).map((e) => e.field).sort(), ['body.count', 'body.name']);
  });

  test('query strings are converted and defaulted, then validated', async () => {
    assert.deepEqual(await (await fetch(`${base}/things`)).json(), { limit: 5 });
    assert.deepEqual(await (await fetch(`${base}/things?limit=7`)).json(), { limit: 7 });
    const response = await fetch(`${base}/things?limit=abc`);
    assert.equal(response.status, 400);
    assert.equal(((await problem(response)).errors as Array<{ field: string }>)[0]?.field, 'query.limit');
  });

  test('malformed JSON is a 400 bad-request', async () => {
    const response = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "a",',
    });
    assert.equal(response.status, 400);
    assert.equal((await problem(response)).type, 'https://flotilla.dev/problems/bad-request');
  });

  test('a body over the limit is 413', async () => {
    const response = await fetch(`${base}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(5000), count: 1 }),
    });
    assert.equal(response.status, 413);
    assert.equal((await problem(response)).type, 'https://flotilla.dev/problems/payload-too-large');
  });

  test('a body that is not JSON is 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await fetch(`${base}/things`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: 'name=a',
      });
      assert.equal(response.status, 415, type);
      assert.equal((await problem(response)).type, 'https://flotilla.dev/problems/unsupported-media-type');
    }
  });

  test('domain errors map to their statuses', async () => {
    const expected: Record<string, number> = {
      'not-found': 404,
      conflict: 409,
      'precondition-failed': 412,
      unprocessable: 422,
      unavailable: 503,
    };
    for (const [kind, status] of Object.entries(expected)) {
      const response = await fetch(`${base}/fail/${kind}`);
      assert.equal(response.status, status, kind);
      const body = await problem(response);
      assert.equal(body.type, `https://flotilla.dev/problems/${kind}`);
      assert.equal(body.status, status);
    }
  });

  test('an unknown route is a 404 problem', async () => {
    const response = await fetch(`${base}/nowhere`);
    assert.equal(response.status, 404);
    assert.equal((await problem(response)).type, 'https://flotilla.dev/problems/not-found');
  });

  test('an unexpected error is a generic 500 whose correlation id is logged, never its details', async () => {
    const response = await fetch(`${base}/boom`);
    assert.equal(response.status, 500);
    const requestId = response.headers.get('x-request-id');
    const body = await problem(response);
    assert.equal(body.requestId, requestId);
    assert.ok(!JSON.stringify(body).includes('SELECT'), 'no internal detail reaches the client');
    const logged = logs.lines.find((l) => (l.error as { message?: string } | undefined)?.message?.includes('SELECT') === true);
    assert.ok(logged, 'the error is logged');
    assert.equal(logged['http.request.id'] ?? (logged.http as { request: { id: string } }).request.id, requestId);
  });
});

describe('request ids and context', () => {
  test('a well-formed incoming x-request-id is kept and visible to handlers', async () => {
    const response = await fetch(`${base}/context`, { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(response.headers.get('x-request-id'), 'abc-123');
    assert.deepEqual(await response.json(), { requestId: 'abc-123' });
  });

  test('a malformed one is replaced', async () => {
    const response = await fetch(`${base}/context`, { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.notEqual(response.headers.get('x-request-id'), 'bad id with spaces');
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('every request leaves one ECS access line', async () => {
    const response = await fetch(`${base}/things?limit=2`, {
      headers: { 'x-request-id': 'access-1', 'user-agent': 'probe/1' },
    });
    await response.text();
    // Written once the response has been sent (an onResponse hook): it may come a moment after the client has the answer.
    const accessLines = (): Array<Record<string, unknown>> =>
      logs.lines.filter(
        (l) =>
          (l.event as { type?: string[] } | undefined)?.type?.includes('access') &&
          (l.http as { request: { id: string } }).request.id === 'access-1',
      );
    await eventually(() => accessLines().length > 0, { message: 'the access line' });
    const lines = accessLines();
    assert.equal(lines.length, 1);
    const line = lines[0] as {
      http: { request: { method: string }; response: { status_code: number }; route: string };
      url: { path: string; query: string };
      event: { duration: number };
      user_agent: { original: string };
    };
    assert.equal(line.http.request.method, 'GET');
    assert.equal(line.http.response.status_code, 200);
    assert.equal(line.http.route, '/things');
    assert.equal(line.url.path, '/things');
    assert.equal(line.url.query, 'limit=2');
    assert.equal(line.user_agent.original, 'probe/1');
    assert.ok(line.event.duration > 0, 'duration in nanoseconds');
  });
});

describe('health', () => {
  test('/healthz is alive; /readyz checks dependencies and names the failing one', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    healthy = true;
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, { database: 'ok' });
    healthy = false;
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    const body = await problem(notReady);
    assert.match(String(body.detail), /database/);
    assert.deepEqual(body.checks, { database: 'connection refused' });
    healthy = true;
  });
});

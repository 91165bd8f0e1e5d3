/**
 * Path parameters: what the schema promises is what the router reads. A
 * parameter schema allowing more characters than the router accepts is
 * refused when the route is added; within the limit, the schema decides.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHttpServer, type HttpApp, Text } from '@flotilla/http';
import { createLogger } from '@flotilla/telemetry';
import { captureLogs } from '@flotilla/testing';
import Type from 'typebox';

const logs = captureLogs();
let app: HttpApp;
let base: string;

before(async () => {
  app = createHttpServer({ logger: createLogger({ service: 'test', destination: logs.stream }) });
  const params = Type.Object({ name: Text({ minLength: 1, maxLength: 100, nonBlank: true }) }, { additionalProperties: false });
  app.get('/hello/:name', { schema: { params } }, async (request) => ({ name: (request.params as { name: string }).name }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
after(() => app.close());

test('a parameter schema without a bound, or over the router limit, is refused at registration', () => {
  const unbounded = createHttpServer({ logger: createLogger({ service: 'test', destination: logs.stream }) });
  assert.throws(
    () => unbounded.get('/things/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, async () => ({})),
    /path parameter "id" needs maxLength ≤ 128/,
  );
  assert.throws(
    () => unbounded.get('/things/:id', { schema: { params: Type.Object({ id: Type.String({ maxLength: 129 }) }) } }, async () => ({})),
    /needs maxLength/,
  );
});

test('the schema counts code points: 100 astral characters pass, 101 are a 400 — not a 414', async () => {
  const hundred = encodeURIComponent('😀'.repeat(100));
  const ok = await fetch(`${base}/hello/${hundred}`);
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { name: string }).name, '😀'.repeat(100));
  const over = await fetch(`${base}/hello/${encodeURIComponent('😀'.repeat(101))}`);
  assert.equal(over.status, 400);
  assert.match(over.headers.get('content-type') ?? '', /^application\/problem\+json/);
  await over.arrayBuffer();
});

test('a blank value is refused with a sentence, not a regular expression; NUL never reaches a route', async () => {
  const blank = await fetch(`${base}/hello/%20%20`);
  assert.equal(blank.status, 400);
  const problem = (await blank.json()) as { errors: { field: string; rule: string; message: string }[] };
  assert.deepEqual(problem.errors, [{ field: 'path.name', rule: 'pattern', message: 'must not be blank nor contain U+0000' }]);
  const nul = await fetch(`${base}/hello/a%00b`);
  assert.equal(nul.status, 400);
  assert.equal(((await nul.json()) as { type: string }).type.endsWith('/bad-request'), true);
});

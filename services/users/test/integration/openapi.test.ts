/** The published API description comes from the same schemas that validate. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startUsers, type UsersUnderTest } from '@flotilla/testing';

let svc: UsersUnderTest;
before(async () => {
  svc = await startUsers();
});
after(() => svc.stop());

test('/openapi.json is OpenAPI 3.1 describing every users operation', async () => {
  const response = await fetch(`${svc.base}/openapi.json`);
  assert.equal(response.status, 200);
  const doc = (await response.json()) as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> };
          responses: Record<string, unknown>;
        }
      >
    >;
  };
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(Object.keys(doc.paths['/users'] ?? {}).sort(), ['get', 'post']);
  assert.deepEqual(Object.keys(doc.paths['/users/{id}'] ?? {}).sort(), ['delete', 'get', 'put']);
  const post = doc.paths['/users']?.post;
  const bodySchema = post?.requestBody?.content['application/json']?.schema;
  assert.deepEqual(Object.keys(bodySchema?.properties ?? {}).sort(), ['email', 'name']);
  assert.equal(bodySchema?.additionalProperties, false);
  assert.ok(post?.responses['201'] && post.responses['409'] && post.responses['422']);
  assert.equal(doc.paths['/healthz'], undefined, 'operational endpoints are not part of the API');
});

test('/docs serves interactive documentation', async () => {
  const response = await fetch(`${svc.base}/docs`, { redirect: 'follow' });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await response.text(), /swagger/i);
});

test('/readyz checks the database', async () => {
  const response = await fetch(`${svc.base}/readyz`);
  assert.equal(response.status, 200);
  assert.deepEqual(((await response.json()) as { checks: unknown }).checks, { database: 'ok' });
});

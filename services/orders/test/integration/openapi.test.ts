/** The published API description comes from the same schemas that validate; readiness ignores users. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startOrders, type OrdersUnderTest } from './stack.ts';

let svc: OrdersUnderTest;
before(async () => {
  // Nothing listens on port 1: users is unreachable from the start.
  svc = await startOrders('sqlite', '127.0.0.1:1');
});
after(() => svc?.stop());

interface Operation {
  requestBody?: {
    content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean; required?: string[] } }>;
  };
  responses: Record<string, unknown>;
}

test('/openapi.json is OpenAPI 3.1 describing every orders operation', async () => {
  const response = await fetch(`${svc.base}/openapi.json`);
  assert.equal(response.status, 200);
  const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, Operation>> };
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(Object.keys(doc.paths['/orders'] ?? {}).sort(), ['get', 'post']);
  assert.deepEqual(Object.keys(doc.paths['/orders/{id}'] ?? {}), ['get']);
  for (const action of ['pay', 'ship', 'cancel']) {
    const operation = doc.paths[`/orders/{id}/${action}`]?.post;
    assert.ok(operation?.responses['200'] && operation.responses['409'] && operation.responses['412'], action);
  }
  const post = doc.paths['/orders']?.post;
  const body = post?.requestBody?.content['application/json']?.schema;
  assert.deepEqual(Object.keys(body?.properties ?? {}).sort(), ['currency', 'items', 'userId']);
  assert.equal(body?.additionalProperties, false);
  assert.ok(post?.responses['201'] && post.responses['422'] && post.responses['503']);
  assert.equal(doc.paths['/healthz'], undefined, 'operational endpoints are not part of the API');
});

test('/readyz checks only the database: orders is ready while users is unreachable', async () => {
  const response = await fetch(`${svc.base}/readyz`);
  assert.equal(response.status, 200);
  assert.deepEqual(((await response.json()) as { checks: unknown }).checks, { database: 'ok' });
});

/** The orders service's OpenAPI document: valid OpenAPI 3.1, and it documents what the server enforces. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiProblems, startUsers, type UsersUnderTest } from '@flotilla/testing';
import { ITEMS_MAX, QUANTITY_MAX, UNIT_PRICE_MAX } from '../../src/schemas.ts';
import { startOrders, type OrdersUnderTest } from './stack.ts';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema };
type Document = {
  components: { schemas: Record<string, Schema> };
  paths: Record<
    string,
    Record<string, { responses: Record<string, unknown>; requestBody?: { content: Record<string, { schema: Schema }> } }>
  >;
};

describe('orders OpenAPI document', () => {
  let users: UsersUnderTest;
  let svc: OrdersUnderTest;
  let doc: Document;

  before(async () => {
    users = await startUsers();
    svc = await startOrders('sqlite', users.grpcAddress);
    doc = (await (await fetch(`${svc.base}/openapi.json`)).json()) as Document;
  });
  after(async () => {
    await svc?.stop();
    await users?.stop();
  });

  test('validates against the OpenAPI 3.1 schema and documents every problem as application/problem+json', async () => {
    assert.deepEqual(await openApiProblems(doc), []);
  });

  test('the item limits in the document bound every total to an exact integer', () => {
    const body = doc.paths['/orders']?.post?.requestBody?.content['application/json']?.schema;
    const items = body?.properties?.items as Schema;
    const item = doc.components.schemas[String(items.items?.$ref).replace('#/components/schemas/', '')] as Schema;
    assert.equal(items.maxItems, ITEMS_MAX);
    assert.equal(item.properties?.quantity?.maximum, QUANTITY_MAX);
    assert.equal(item.properties?.unitPrice?.maximum, UNIT_PRICE_MAX);
    assert.ok(Number.isSafeInteger(ITEMS_MAX * QUANTITY_MAX * UNIT_PRICE_MAX));
  });

  test('placing an order documents its 409 (a concurrent idempotent request) and 422 (unknown user, reused key)', () => {
    const statuses = Object.keys(doc.paths['/orders']?.post?.responses ?? {});
    for (const status of ['201', '400', '409', '413', '415', '422', '503', '504']) assert.ok(statuses.includes(status), status);
  });
});

/**
 * Hostile and malformed input: always a 4xx problem, never a 500, never a
 * state change — and never a call to users (validation comes first). Users is
 * a stand-in that knows every id, so the counter shows who got through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '@flotilla/testing';
import { orderInput, startOrders, startSlowUsers, type OrderBody, type OrdersUnderTest, type SlowUsers } from './stack.ts';

const USER = '0193a000-0000-7000-8000-0000000000aa';
const item = { sku: 'OK-1', quantity: 1, unitPrice: 100 };

for (const dialect of testDialects()) {
  describe(`orders bad input on ${dialect}`, () => {
    let users: SlowUsers;
    let svc: OrdersUnderTest;
    let existing: OrderBody;
    let snapshot: string;

    const state = async (): Promise<string> => {
      const page = (await (await fetch(`${svc.base}/orders?limit=100`)).json()) as { items: unknown[] };
      return JSON.stringify({ orders: page.items, rows: await svc.rowCounts() });
    };
    const raw = (method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${svc.base}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body }),
      });
    const post = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      raw('POST', '/orders', JSON.stringify(body), headers);

    before(async () => {
      users = await startSlowUsers(0);
      svc = await startOrders(dialect, users.grpcAddress);
      const created = await post(orderInput(USER));
      assert.equal(created.status, 201);
      existing = (await created.json()) as OrderBody;
      snapshot = await state();
    });
    after(async () => {
      await svc?.stop();
      await users?.stop();
    });

    const bodies: Array<[string, unknown]> = [
      ['wrong types', { userId: 42, items: 'many', currency: true }],
      ['missing fields', {}],
      ['no items', orderInput(USER, { items: [] })],
      ['101 items', orderInput(USER, { items: Array.from({ length: 101 }, (_, i) => ({ ...item, sku: `S${i}` })) })],
      ['a client-computed total', { ...orderInput(USER), total: 0 }],
      ['a client-chosen status', { ...orderInput(USER), status: 'paid' }],
      ['an unknown item field', orderInput(USER, { items: [{ ...item, discount: 50 }] })],
      ['an item that is not an object', orderInput(USER, { items: ['OK-1'] })],
      ['zero quantity', orderInput(USER, { items: [{ ...item, quantity: 0 }] })],
      ['negative quantity', orderInput(USER, { items: [{ ...item, quantity: -3 }] })],
      ['fractional quantity', orderInput(USER, { items: [{ ...item, quantity: 1.5 }] })],
      ['quantity over 10 000', orderInput(USER, { items: [{ ...item, quantity: 10_001 }] })],
      ['quantity as a string', orderInput(USER, { items: [{ ...item, quantity: '2' }] })],
      ['huge quantity', orderInput(USER, { items: [{ ...item, quantity: 1e20 }] })],
      ['negative unit price', orderInput(USER, { items: [{ ...item, unitPrice: -1 }] })],
      ['fractional unit price', orderInput(USER, { items: [{ ...item, unitPrice: 9.99 }] })],
      ['unit price beyond 2^53', orderInput(USER, { items: [{ ...item, unitPrice: 2 ** 60 }] })],
      ['unit price 1e300', orderInput(USER, { items: [{ ...item, unitPrice: 1e300 }] })],
      [
        'a unit price dearer than an exact total allows',
        orderInput(USER, { items: [{ sku: 'A', quantity: 10_000, unitPrice: Number.MAX_SAFE_INTEGER }] }),
      ],
      ['empty sku', orderInput(USER, { items: [{ ...item, sku: '' }] })],
      ['sku over 64 characters', orderInput(USER, { items: [{ ...item, sku: 'S'.repeat(65) }] })],
      ['SQL metacharacters in sku', orderInput(USER, { items: [{ ...item, sku: "x'); DROP TABLE orders;--" }] })],
      ['quotes and percent in sku', orderInput(USER, { items: [{ ...item, sku: '%" OR ""="' }] })],
      ['unicode sku', orderInput(USER, { items: [{ ...item, sku: 'tasse-été' }] })],
      ['lower-case currency', orderInput(USER, { currency: 'eur' })],
      ['four-letter currency', orderInput(USER, { currency: 'EURO' })],
      ['userId that is not a UUID', orderInput('not-a-user')],
      ['SQL in userId', orderInput("' OR '1'='1")],
    ];
    for (const [name, body] of bodies) {
      test(`POST /orders with ${name} → 400`, async () => {
        const calls = users.calls;
        const response = await post(body);
        assert.equal(response.status, 400, await response.clone().text());
        assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
        const problem = (await response.json()) as { type: string; status: number; errors?: unknown[] };
        assert.equal(problem.status, 400);
        assert.equal(problem.type, 'https://flotilla.dev/problems/validation');
        assert.ok((problem.errors ?? []).length > 0, 'names the offending fields');
        assert.equal(await state(), snapshot, 'state unchanged');
        assert.equal(users.calls, calls, 'users was not asked');
      });
    }

    const requests: Array<[string, string, string, string | undefined, number, Record<string, string>?]> = [
      ['malformed JSON', 'POST', '/orders', '{"userId": "x", "items": [', 400],
      ['JSON that is not an object', 'POST', '/orders', '[1,2,3]', 400],
      ['an empty body', 'POST', '/orders', '', 400],
      ['a body over the limit', 'POST', '/orders', JSON.stringify(orderInput(USER, { pad: 'z'.repeat(70_000) })), 413],
      ['a form body', 'POST', '/orders', 'userId=x', 415, { 'content-type': 'application/x-www-form-urlencoded' }],
      ['an over-long Idempotency-Key', 'POST', '/orders', JSON.stringify(orderInput(USER)), 400, { 'idempotency-key': 'k'.repeat(192) }],
      ['an Idempotency-Key with spaces', 'POST', '/orders', JSON.stringify(orderInput(USER)), 400, { 'idempotency-key': 'two words' }],
      ['an invalid id on GET', 'GET', '/orders/not-a-uuid', undefined, 400],
      ['SQL in the id', 'GET', "/orders/1'%20OR%20'1'='1", undefined, 400],
      ['an invalid id on pay', 'POST', '/orders/123/pay', undefined, 400],
      ['an unknown transition', 'POST', `/orders/{existing}/refund`, undefined, 404],
      ['a garbage If-Match', 'POST', `/orders/{existing}/pay`, undefined, 400, { 'if-match': 'yesterday' }],
      ['a weak If-Match (never matches strongly)', 'POST', `/orders/{existing}/pay`, undefined, 412, { 'if-match': 'W/"1"' }],
      ['limit 0', 'GET', '/orders?limit=0', undefined, 400],
      ['limit over 100', 'GET', '/orders?limit=101', undefined, 400],
      ['a non-numeric limit', 'GET', '/orders?limit=ten', undefined, 400],
      ['a boolean limit (no coercion the document does not describe)', 'GET', '/orders?limit=true', undefined, 400],
      ['a userId that is not a UUID', 'GET', "/orders?userId=1'%20OR%201=1", undefined, 400],
      ['a forged cursor', 'GET', '/orders?cursor=bm90LWEtY3Vyc29y', undefined, 400],
      ['an unknown query parameter', 'GET', '/orders?status=paid', undefined, 400],
    ];
    for (const [name, method, path, body, status, headers] of requests) {
      test(`${method} with ${name} → ${status}`, async () => {
        const calls = users.calls;
        const response = await raw(method, path.replace('{existing}', existing.id), body, headers);
        assert.equal(response.status, status, await response.clone().text());
        assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
        const problem = (await response.json()) as { type: string; status: number };
        assert.equal(problem.status, status);
        assert.match(problem.type, /^https:\/\/flotilla\.dev\/problems\//);
        assert.equal(await state(), snapshot, 'state unchanged');
        assert.equal(users.calls, calls, 'users was not asked');
      });
    }
  });
}

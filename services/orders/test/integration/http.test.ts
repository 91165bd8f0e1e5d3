/** The orders REST API against the real users service, run once per database dialect. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, startUsers, testDialects, type UsersUnderTest } from '@flotilla/testing';
import { orderInput, send, startOrders, type OrderBody, type OrdersUnderTest } from './stack.ts';
import { ITEMS_MAX, QUANTITY_MAX, UNIT_PRICE_MAX } from '../../src/schemas.ts';

for (const dialect of testDialects()) {
  describe(`orders REST on ${dialect}`, () => {
    let users: UsersUnderTest;
    let svc: OrdersUnderTest;
    let buyer: string;
    before(async () => {
      users = await startUsers();
      svc = await startOrders(dialect, users.grpcAddress, { FLOTILLA_ORDERS__IDEMPOTENCY__TTL_MS: '1500' });
      buyer = await users.createUser('Buyer');
    });
    after(async () => {
      await svc?.stop();
      await users?.stop();
    });

    const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> =>
      send(svc.base, method, path, body, headers);
    const create = async (userId = buyer, overrides: Record<string, unknown> = {}): Promise<OrderBody> => {
      const response = await call('POST', '/orders', orderInput(userId, overrides));
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as OrderBody;
    };
    const get = async (id: string): Promise<OrderBody> => (await (await call('GET', `/orders/${id}`)).json()) as OrderBody;

    test('POST creates a pending order: 201, Location, ETag, server-computed total', async () => {
      const response = await call('POST', '/orders', orderInput(buyer));
      assert.equal(response.status, 201);
      const order = (await response.json()) as OrderBody;
      assert.equal(response.headers.get('location'), `/orders/${order.id}`);
      assert.equal(response.headers.get('etag'), '"1"');
      assert.equal(order.userId, buyer);
      assert.equal(order.status, 'pending');
      assert.equal(order.currency, 'EUR');
      assert.equal(order.total, 2 * 1250 + 3 * 199);
      assert.deepEqual(order.items, [
        { sku: 'BOOK-1', quantity: 2, unitPrice: 1250 },
        { sku: 'pen_blue.2', quantity: 3, unitPrice: 199 },
      ]);
      assert.equal(order.version, 1);
      assert.equal(order.createdAt, order.updatedAt);
      const fetched = await call('GET', response.headers.get('location') as string);
      assert.equal(fetched.status, 200);
      assert.equal(fetched.headers.get('etag'), '"1"');
      assert.deepEqual(await fetched.json(), order);
    });

    test('a client-sent total is refused (400), not trusted or silently dropped', async () => {
      const before = await svc.rowCounts();
      const response = await call('POST', '/orders', { ...orderInput(buyer), total: 1 });
      assert.equal(response.status, 400);
      const problem = (await response.json()) as { errors: Array<{ field: string; rule: string }> };
      assert.deepEqual(
        problem.errors.map((e) => [e.field, e.rule]),
        [['body.total', 'unknown-field']],
      );
      assert.deepEqual(await svc.rowCounts(), before);
    });

    test('the dearest order the schema allows has an exact total; a dearer unit is 400 and nothing is written', async () => {
      const items = Array.from({ length: ITEMS_MAX }, (_, i) => ({ sku: `BIG-${i}`, quantity: QUANTITY_MAX, unitPrice: UNIT_PRICE_MAX }));
      const dearest = ITEMS_MAX * QUANTITY_MAX * UNIT_PRICE_MAX;
      assert.ok(Number.isSafeInteger(dearest));
      const exact = await create(buyer, { items });
      assert.equal(exact.total, dearest);
      assert.equal((await get(exact.id)).total, dearest, 'stored and read back without rounding');
      const before = await svc.rowCounts();
      const over = await call(
        'POST',
        '/orders',
        orderInput(buyer, { items: [{ sku: 'BIG', quantity: 1, unitPrice: UNIT_PRICE_MAX + 1 }] }),
      );
      assert.equal(over.status, 400);
      const problem = (await over.json()) as { errors: Array<{ field: string; rule: string }> };
      assert.deepEqual(problem.errors[0], { ...problem.errors[0], field: 'body.items.0.unitPrice', rule: 'maximum' });
      assert.deepEqual(await svc.rowCounts(), before);
    });

    test('zero-priced items are allowed and the lines keep their order', async () => {
      const items = Array.from({ length: 100 }, (_, i) => ({
        sku: `SKU-${String(99 - i).padStart(3, '0')}`,
        quantity: 1 + (i % 7),
        unitPrice: i % 3 === 0 ? 0 : i,
      }));
      const order = await create(buyer, { items });
      assert.deepEqual((await get(order.id)).items, items);
      assert.equal(
        order.total,
        items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0),
      );
    });

    test('pending → paid → shipped, each bumping version and ETag', async () => {
      const order = await create();
      const paid = await call('POST', `/orders/${order.id}/pay`);
      assert.equal(paid.status, 200);
      assert.equal(paid.headers.get('etag'), '"2"');
      const paidBody = (await paid.json()) as OrderBody;
      assert.equal(paidBody.status, 'paid');
      assert.equal(paidBody.version, 2);
      assert.equal(paidBody.createdAt, order.createdAt);
      assert.ok(paidBody.updatedAt >= order.updatedAt);
      const shipped = (await (await call('POST', `/orders/${order.id}/ship`)).json()) as OrderBody;
      assert.equal(shipped.status, 'shipped');
      assert.equal(shipped.version, 3);
      assert.deepEqual(await get(order.id), shipped);
    });

    test('cancel works from pending and from paid', async () => {
      const pending = await create();
      assert.equal(((await (await call('POST', `/orders/${pending.id}/cancel`)).json()) as OrderBody).status, 'cancelled');
      const paid = await create();
      assert.equal((await call('POST', `/orders/${paid.id}/pay`)).status, 200);
      assert.equal(((await (await call('POST', `/orders/${paid.id}/cancel`)).json()) as OrderBody).status, 'cancelled');
    });

    // Every (status, transition) pair the state machine does not allow.
    const illegal: Array<[string, string[], string]> = [
      ['pending', [], 'ship'],
      ['paid', ['pay'], 'pay'],
      ['shipped', ['pay', 'ship'], 'pay'],
      ['shipped', ['pay', 'ship'], 'ship'],
      ['shipped', ['pay', 'ship'], 'cancel'],
      ['cancelled', ['cancel'], 'pay'],
      ['cancelled', ['cancel'], 'ship'],
      ['cancelled', ['cancel'], 'cancel'],
    ];
    for (const [status, path, action] of illegal) {
      test(`${action} on a ${status} order is 409 naming the status, and changes nothing`, async () => {
        const order = await create();
        for (const step of path) assert.equal((await call('POST', `/orders/${order.id}/${step}`)).status, 200);
        const before = await get(order.id);
        assert.equal(before.status, status);
        const response = await call('POST', `/orders/${order.id}/${action}`);
        assert.equal(response.status, 409);
        assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
        const problem = (await response.json()) as {
          type: string;
          currentStatus: string;
          transition: string;
          reason: string;
          detail: string;
        };
        assert.equal(problem.type, 'https://flotilla.dev/problems/conflict');
        assert.equal(problem.reason, 'illegal-transition');
        assert.equal(problem.currentStatus, status);
        assert.equal(problem.transition, action);
        assert.match(problem.detail, new RegExp(status));
        assert.deepEqual(await get(order.id), before);
      });
    }

    test('transitions on an unknown order are 404', async () => {
      for (const action of ['pay', 'ship', 'cancel']) {
        assert.equal((await call('POST', `/orders/01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69/${action}`)).status, 404);
      }
      assert.equal((await call('GET', '/orders/01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69')).status, 404);
    });

    test('If-Match: a stale ETag is 412 and changes nothing; the current one succeeds', async () => {
      const order = await create();
      assert.equal((await call('POST', `/orders/${order.id}/pay`, undefined, { 'if-match': '"1"' })).status, 200);
      const stale = await call('POST', `/orders/${order.id}/cancel`, undefined, { 'if-match': '"1"' });
      assert.equal(stale.status, 412);
      assert.equal(((await stale.json()) as { type: string }).type, 'https://flotilla.dev/problems/precondition-failed');
      assert.equal((await get(order.id)).status, 'paid');
      assert.equal(
        (await call('POST', `/orders/${order.id}/ship`, undefined, { 'if-match': 'W/"2"' })).status,
        412,
        'weak tags never match',
      );
      assert.equal((await get(order.id)).status, 'paid');
      const shipped = await call('POST', `/orders/${order.id}/ship`, undefined, { 'if-match': '"2"' });
      assert.equal(shipped.status, 200);
      assert.equal(shipped.headers.get('etag'), '"3"');
    });

    test('a stale If-Match is 412 even when the transition would be illegal too', async () => {
      const order = await create();
      assert.equal((await call('POST', `/orders/${order.id}/cancel`)).status, 200);
      assert.equal((await call('POST', `/orders/${order.id}/pay`, undefined, { 'if-match': '"1"' })).status, 412);
      assert.equal((await call('POST', `/orders/${order.id}/pay`, undefined, { 'if-match': '"2"' })).status, 409);
    });

    test('concurrent pays: exactly one wins, the rest are 409', async () => {
      const order = await create();
      const responses = await Promise.all(Array.from({ length: 5 }, () => call('POST', `/orders/${order.id}/pay`)));
      const statuses = responses.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 409, 409, 409, 409]);
      const current = await get(order.id);
      assert.equal(current.status, 'paid');
      assert.equal(current.version, 2);
    });

    test('list is newest first, cursor-paginated, and filters by user', async () => {
      const other = await users.createUser('Other');
      const mine: string[] = [];
      for (let i = 0; i < 7; i++) mine.push((await create(other)).id);
      await create(); // someone else's order in between
      mine.push((await create(other)).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response = await call(
          'GET',
          `/orders?userId=${other}&limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        );
        assert.equal(response.status, 200);
        const page = (await response.json()) as { items: OrderBody[]; nextCursor: string | null };
        assert.ok(page.items.length <= 3);
        assert.ok(page.items.every((o) => o.userId === other));
        if (page.nextCursor !== null) assert.match(response.headers.get('link') ?? '', new RegExp(`userId=${other}.*rel="next"`));
        seen.push(...page.items.map((o) => o.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 100);
      assert.deepEqual(seen, [...mine].reverse(), 'all of them, newest first, no duplicates');
      assert.equal(pages, 3);
      const all = (await (await call('GET', '/orders?limit=100')).json()) as { items: OrderBody[] };
      assert.ok(all.items.length > mine.length, 'without userId every order is listed');
      assert.deepEqual(
        all.items.map((o) => o.id),
        [...all.items.map((o) => o.id)].sort().reverse(),
      );
    });

    test('a cursor is a position: any order id continues the listing after it', async () => {
      const newest = (await (await call('GET', '/orders?limit=1')).json()) as { items: OrderBody[] };
      const top = newest.items[0]?.id ?? '';
      const fromTop = (await (await call('GET', '/orders?limit=1&cursor=ffffffff-ffff-7fff-bfff-ffffffffffff')).json()) as {
        items: OrderBody[];
      };
      assert.deepEqual(
        fromTop.items.map((o) => o.id),
        [top],
        'a cursor after every id starts at the newest',
      );
      const pastEnd = await call('GET', '/orders?cursor=00000000-0000-7000-8000-000000000000');
      assert.equal(pastEnd.status, 200);
      assert.deepEqual(await pastEnd.json(), { items: [], nextCursor: null });
    });

    test('Idempotency-Key: same body replays, different body is 422, expired keys start over', async () => {
      const headers = { 'idempotency-key': `orders-${dialect}-1` };
      const first = await call('POST', '/orders', orderInput(buyer), headers);
      assert.equal(first.status, 201);
      const firstBody = (await first.json()) as OrderBody;
      const countAfterFirst = await svc.rowCounts();
      const again = await call('POST', '/orders', orderInput(buyer), headers);
      assert.equal(again.status, 201);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.headers.get('location'), first.headers.get('location'));
      assert.deepEqual(await again.json(), firstBody);
      const other = await call('POST', '/orders', orderInput(buyer, { currency: 'USD' }), headers);
      assert.equal(other.status, 422);
      assert.equal(((await other.json()) as { reason: string }).reason, 'idempotency-key-reused');
      assert.deepEqual(await svc.rowCounts(), countAfterFirst, 'neither the replay nor the refused request wrote anything');
      // 422 while the key lives; once its TTL has run out, the same request is a new one.
      const afterExpiry = await eventually(
        async () => {
          const answer = await call('POST', '/orders', orderInput(buyer, { currency: 'USD' }), headers);
          if (answer.status !== 422) return answer;
          await answer.arrayBuffer();
          return undefined;
        },
        { intervalMs: 100, message: 'the idempotency key to expire' },
      );
      assert.equal(afterExpiry.status, 201, 'an expired key is a new request');
      assert.notEqual(((await afterExpiry.json()) as OrderBody).id, firstBody.id);
    });

    test('concurrent requests with one Idempotency-Key create one order', async () => {
      const racer = await users.createUser('Racer');
      const headers = { 'idempotency-key': `orders-${dialect}-race` };
      const before = await svc.rowCounts();
      const responses = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/orders', orderInput(racer), headers)));
      const statuses = responses.map((r) => r.status);
      assert.ok(
        statuses.every((s) => s === 201 || s === 409),
        `statuses: ${statuses.join(',')}`,
      );
      assert.ok(statuses.includes(201));
      const ids = new Set(
        await Promise.all(responses.filter((r) => r.status === 201).map(async (r) => ((await r.json()) as OrderBody).id)),
      );
      assert.equal(ids.size, 1);
      const listed = (await (await call('GET', `/orders?userId=${racer}`)).json()) as { items: OrderBody[] };
      assert.deepEqual(
        listed.items.map((o) => o.id),
        [...ids],
      );
      const after = await svc.rowCounts();
      assert.equal(after.orders, before.orders + 1);
      assert.equal(after.items, before.items + 2);
    });
  });
}

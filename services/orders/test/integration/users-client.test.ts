/**
 * Creating an order asks the users service first: an unknown user is 422, users
 * down or too slow is 503, and in every case nothing at all is written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startUsers, testDialects, type UsersUnderTest } from '@flotilla/testing';
import { orderInput, send, startOrders, startSlowUsers, type OrderBody, type OrdersUnderTest, type SlowUsers } from './stack.ts';

interface Problem {
  type: string;
  status: number;
  reason?: string;
  dependency?: string;
}

async function problemOf(response: Response): Promise<Problem> {
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  return (await response.json()) as Problem;
}

for (const dialect of testDialects()) {
  describe(`orders → users on ${dialect}`, () => {
    describe('with users running', () => {
      let users: UsersUnderTest;
      let svc: OrdersUnderTest;
      before(async () => {
        users = await startUsers();
        svc = await startOrders(dialect, users.grpcAddress);
      });
      after(async () => {
        await svc?.stop();
        await users?.stop();
      });

      test('an unknown user is 422 unknown-user and writes nothing, with or without a key', async () => {
        const ghost = '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69';
        for (const headers of [{}, { 'idempotency-key': `ghost-${dialect}` }] as Array<Record<string, string>>) {
          const response = await send(svc.base, 'POST', '/orders', orderInput(ghost), headers);
          assert.equal(response.status, 422);
          const problem = await problemOf(response);
          assert.equal(problem.type, 'https://flotilla.dev/problems/unprocessable');
          assert.equal(problem.reason, 'unknown-user');
        }
        assert.deepEqual(await svc.rowCounts(), { orders: 0, items: 0 });
        // The refused keyed request left no claim behind: once the user exists the same key works.
        const real = await users.createUser('Late');
        const created = await send(svc.base, 'POST', '/orders', orderInput(real), { 'idempotency-key': `ghost-${dialect}` });
        assert.equal(created.status, 201);
      });

      test('a user deleted in users can no longer order', async () => {
        const userId = await users.createUser('Leaving');
        assert.equal((await send(svc.base, 'POST', '/orders', orderInput(userId))).status, 201);
        assert.equal((await fetch(`${users.base}/users/${userId}`, { method: 'DELETE' })).status, 204);
        const before = await svc.rowCounts();
        assert.equal((await send(svc.base, 'POST', '/orders', orderInput(userId))).status, 422);
        assert.deepEqual(await svc.rowCounts(), before);
      });
    });

    describe('when users stops', () => {
      let users: UsersUnderTest;
      let svc: OrdersUnderTest;
      let buyer: string;
      let placed: OrderBody;
      before(async () => {
        users = await startUsers();
        svc = await startOrders(dialect, users.grpcAddress);
        buyer = await users.createUser('Buyer');
        const response = await send(svc.base, 'POST', '/orders', orderInput(buyer), { 'idempotency-key': `before-outage-${dialect}` });
        assert.equal(response.status, 201);
        placed = (await response.json()) as OrderBody;
        await users.stop();
      });
      after(() => svc?.stop());

      test('creating is 503 unavailable and writes nothing', async () => {
        const before = await svc.rowCounts();
        for (const headers of [{}, { 'idempotency-key': `during-outage-${dialect}` }] as Array<Record<string, string>>) {
          const response = await send(svc.base, 'POST', '/orders', orderInput(buyer), headers);
          assert.equal(response.status, 503);
          const problem = await problemOf(response);
          assert.equal(problem.type, 'https://flotilla.dev/problems/unavailable');
          assert.equal(problem.reason, 'users-unavailable');
          assert.equal(problem.dependency, 'users');
        }
        assert.deepEqual(await svc.rowCounts(), before);
      });

      test('orders stays ready and keeps serving reads, transitions and replays', async () => {
        const ready = await fetch(`${svc.base}/readyz`);
        assert.equal(ready.status, 200);
        assert.equal((await send(svc.base, 'GET', `/orders/${placed.id}`)).status, 200);
        const replay = await send(svc.base, 'POST', '/orders', orderInput(buyer), { 'idempotency-key': `before-outage-${dialect}` });
        assert.equal(replay.status, 201, 'an answered request replays without asking users');
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
        assert.equal(((await replay.json()) as OrderBody).id, placed.id);
        assert.equal((await send(svc.base, 'POST', `/orders/${placed.id}/pay`)).status, 200);
      });
    });

    describe('when users is slower than the deadline', () => {
      let slow: SlowUsers;
      let svc: OrdersUnderTest;
      before(async () => {
        slow = await startSlowUsers(5_000);
        svc = await startOrders(dialect, slow.grpcAddress, { FLOTILLA_ORDERS__DEPENDENCIES__USERS__TIMEOUT_MS: '1000' });
      });
      after(async () => {
        await svc?.stop();
        await slow?.stop();
      });

      test('creating is 503 users-timeout, users was asked, and nothing is written', async () => {
        const response = await send(svc.base, 'POST', '/orders', orderInput('0193a000-0000-7000-8000-000000000001'), {
          'idempotency-key': `slow-${dialect}`,
        });
        assert.equal(response.status, 503);
        const problem = await problemOf(response);
        assert.equal(problem.reason, 'users-timeout');
        assert.equal(slow.calls, 1, 'the call reached users (it was slow, not unreachable)');
        assert.deepEqual(await svc.rowCounts(), { orders: 0, items: 0 });
      });
    });
  });
}

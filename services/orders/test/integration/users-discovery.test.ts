/**
 * Without `dependencies.users.grpcAddress` (the dev config), orders finds
 * users through discovery: users registers itself, orders' gRPC client picks a
 * registered instance per call. When users stops gracefully it deregisters
 * and creating an order is 503 users-unavailable; a users started again is
 * found again without touching orders.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { captureLogs, configDir, createTestDatabase, eventually, startUsers, type TestDatabase } from '@flotilla/testing';
import { ordersService } from '../../src/service.ts';
import { orderInput, send } from './stack.ts';

const home = mkdtempSync(join(tmpdir(), 'flotilla-orders-discovery-'));
let database: TestDatabase;
let orders: Awaited<ReturnType<typeof ordersService.start>>;

before(async () => {
  database = await createTestDatabase('sqlite');
  orders = await ordersService.start({
    configDir,
    namespace: 'dev',
    logDestination: captureLogs().stream,
    env: {
      FLOTILLA_HOME: home,
      FLOTILLA_ORDERS__DATABASE__DSN: database.dsn,
      FLOTILLA_ORDERS__HTTP__PORT: '0',
      FLOTILLA_ORDERS__GRPC__PORT: '0',
    },
  });
});

after(async () => {
  await orders?.stop();
  await database?.drop();
  rmSync(home, { recursive: true, force: true });
});

/** Waits until orders' view of the registry (its context's gRPC resolver) lists exactly the instance at `grpcAddress` (none for undefined). */
async function ordersSees(grpcAddress: string | undefined): Promise<void> {
  const set = orders.context.discovery.grpc.balancers.entry('users').set;
  const port = grpcAddress === undefined ? undefined : Number(grpcAddress.split(':')[1]);
  await eventually(
    () => {
      const seen = set.snapshot();
      assert.ok(
        port === undefined ? seen.length === 0 : seen.length === 1 && seen[0]?.ports.grpc === port,
        `orders sees ${JSON.stringify(seen)}`,
      );
      return true;
    },
    { message: `orders to see users at ${grpcAddress}` },
  );
}

test('orders reaches users through the registry, follows it away and back', async () => {
  assert.equal(orders.context.config.dependencies.users.grpcAddress, undefined, 'the dev config leaves users to discovery');
  const users = await startUsers({ env: { FLOTILLA_HOME: home } });
  const userId = await users.createUser('Found');
  await ordersSees(users.grpcAddress);
  assert.equal((await send(orders.httpUrl!, 'POST', '/orders', orderInput(userId))).status, 201);

  await users.stop();
  await ordersSees(undefined);
  const refused = await send(orders.httpUrl!, 'POST', '/orders', orderInput(userId));
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { reason: string }).reason, 'users-unavailable');

  const again = await startUsers({ env: { FLOTILLA_HOME: home } }); // a new instance on new ports, with a database of its own
  try {
    const newcomer = await again.createUser('Found');
    await ordersSees(again.grpcAddress);
    assert.equal((await send(orders.httpUrl!, 'POST', '/orders', orderInput(newcomer))).status, 201);
  } finally {
    await again.stop();
  }
});

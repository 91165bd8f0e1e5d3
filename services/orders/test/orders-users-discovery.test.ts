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
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.ts';
import { captureLogs } from '../../../packages/kit/test/support/log-capture.ts';
import { usersService } from '../../users/src/service.ts';
import { ordersService } from '../src/service.ts';
import { orderInput, send } from './support.ts';

const configDir = join(import.meta.dirname, '..', '..', '..', 'config');
const home = mkdtempSync(join(tmpdir(), 'flotilla-orders-discovery-'));
const databases: TestDatabase[] = [];
let orders: Awaited<ReturnType<typeof ordersService.start>>;

async function startUsers(): Promise<Awaited<ReturnType<typeof usersService.start>>> {
  const database = await createTestDatabase('sqlite');
  databases.push(database);
  return usersService.start({
    configDir,
    namespace: 'dev',
    logDestination: captureLogs().stream,
    env: {
      FLOTILLA_HOME: home,
      FLOTILLA_USERS__DATABASE__DSN: database.dsn,
      FLOTILLA_USERS__HTTP__PORT: '0',
      FLOTILLA_USERS__GRPC__PORT: '0',
    },
  });
}

async function createUser(base: string): Promise<string> {
  const response = await send(base, 'POST', '/users', { name: 'Found', email: `found-${Date.now()}-${Math.random()}@example.com` });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

before(async () => {
  const database = await createTestDatabase('sqlite');
  databases.push(database);
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
  await Promise.all(databases.map((d) => d.drop()));
  rmSync(home, { recursive: true, force: true });
});

/** Waits until orders' view of the registry (its context's gRPC resolver) lists exactly the instance at `grpcAddress` (none for undefined). */
async function ordersSees(grpcAddress: string | undefined): Promise<void> {
  const set = orders.context.discovery.grpc.balancers.entry('users').set;
  const port = grpcAddress === undefined ? undefined : Number(grpcAddress.split(':')[1]);
  const seen = (): boolean =>
    port === undefined ? set.snapshot().length === 0 : set.snapshot().length === 1 && set.snapshot()[0]?.ports.grpc === port;
  for (let waited = 0; !seen(); waited += 20) {
    if (waited > 10_000) throw new Error(`orders never saw users at ${grpcAddress}: ${JSON.stringify(set.snapshot())}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('orders reaches users through the registry, follows it away and back', async () => {
  assert.equal(orders.context.config.dependencies.users.grpcAddress, undefined, 'the dev config leaves users to discovery');
  const users = await startUsers();
  const userId = await createUser(users.httpUrl!);
  await ordersSees(users.grpcAddress!);
  assert.equal((await send(orders.httpUrl!, 'POST', '/orders', orderInput(userId))).status, 201);

  await users.stop('test: users leaves');
  await ordersSees(undefined);
  const refused = await send(orders.httpUrl!, 'POST', '/orders', orderInput(userId));
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { reason: string }).reason, 'users-unavailable');

  const again = await startUsers(); // a new instance on new ports, with a database of its own
  try {
    const newcomer = await createUser(again.httpUrl!);
    await ordersSees(again.grpcAddress!);
    assert.equal((await send(orders.httpUrl!, 'POST', '/orders', orderInput(newcomer))).status, 201);
  } finally {
    await again.stop('test finished');
  }
});

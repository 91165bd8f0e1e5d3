/**
 * OrderService through grpcurl, which knows nothing but the address: every
 * type it shows or sends comes from server reflection (no .proto files given).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startUsers, type UsersUnderTest } from '@flotilla/testing';
import { ensureGrpcurl, grpcurl } from '../../../../scripts/test-services/grpcurl.ts';
import { type OrdersUnderTest, startOrders } from './stack.ts';

let users: UsersUnderTest;
let orders: OrdersUnderTest;
const call = (...args: string[]) => grpcurl(['-plaintext', '-max-time', '20', ...args]);
before(async () => {
  await ensureGrpcurl(); // the first run on a machine builds it
  users = await startUsers();
  orders = await startOrders('sqlite', users.grpcAddress);
});
after(async () => {
  await orders?.stop();
  await users?.stop();
});

test('list names the service and health', async () => {
  const listed = await call(orders.grpcAddress, 'list');
  assert.equal(listed.exitCode, 0, listed.stderr);
  assert.deepEqual(listed.stdout.trim().split('\n'), ['flotilla.orders.v1.OrderService', 'grpc.health.v1.Health']);
});

test('describe resolves every service and the types they use, google.protobuf.Timestamp included', async () => {
  const service = await call(orders.grpcAddress, 'describe', 'flotilla.orders.v1.OrderService');
  assert.equal(service.exitCode, 0, service.stderr);
  assert.match(service.stdout, /flotilla\.orders\.v1\.OrderService is a service:/);
  for (const rpc of ['CreateOrder', 'GetOrder', 'ListOrdersByUser']) assert.match(service.stdout, new RegExp(`rpc ${rpc} \\(`));

  const order = await call(orders.grpcAddress, 'describe', 'flotilla.orders.v1.Order');
  assert.equal(order.exitCode, 0, order.stderr);
  assert.match(order.stdout, /\.google\.protobuf\.Timestamp create_time = 7;/);
  assert.match(order.stdout, /\.flotilla\.orders\.v1\.OrderStatus status = 6;/);

  const health = await call(orders.grpcAddress, 'describe', 'grpc.health.v1.Health');
  assert.equal(health.exitCode, 0, health.stderr);
  assert.match(health.stdout, /rpc Watch \( \.grpc\.health\.v1\.HealthCheckRequest \) returns \( stream/);
});

test('a call on every service, built from reflection alone', async () => {
  const userId = await users.createUser('Grpcurl buyer');
  const request = { userId, currency: 'EUR', items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: '1250' }] };
  const created = await call('-d', JSON.stringify(request), orders.grpcAddress, 'flotilla.orders.v1.OrderService/CreateOrder');
  assert.equal(created.exitCode, 0, created.stderr);
  const { order } = JSON.parse(created.stdout) as { order: { id: string; total: string; status: string; createTime: string } };
  assert.equal(order.total, '2500', 'int64 is a string in JSON');
  assert.equal(order.status, 'ORDER_STATUS_PENDING');
  assert.match(order.createTime, /^\d{4}-\d{2}-\d{2}T/, 'a Timestamp, printed as RFC 3339');

  const got = await call('-d', JSON.stringify({ id: order.id }), orders.grpcAddress, 'flotilla.orders.v1.OrderService/GetOrder');
  assert.equal(got.exitCode, 0, got.stderr);
  assert.equal((JSON.parse(got.stdout) as { order: { id: string } }).order.id, order.id);

  const health = await call('-d', '{"service": "flotilla.orders.v1.OrderService"}', orders.grpcAddress, 'grpc.health.v1.Health/Check');
  assert.equal(health.exitCode, 0, health.stderr);
  assert.deepEqual(JSON.parse(health.stdout), { status: 'SERVING' });
});

test('an invalid call: grpcurl decodes the google.rpc.BadRequest details', async () => {
  const userId = await users.createUser('Grpcurl buyer');
  const request = { userId, currency: 'EUR', items: [{ sku: 'BOOK-1', quantity: 0, unitPrice: '1250' }] };
  const invalid = await call(
    '-format-error',
    '-d',
    JSON.stringify(request),
    orders.grpcAddress,
    'flotilla.orders.v1.OrderService/CreateOrder',
  );
  assert.equal(invalid.exitCode, 64 + 3, `grpcurl exits with 64 + INVALID_ARGUMENT: ${invalid.stderr}`);
  const status = JSON.parse(invalid.stderr) as { code: number; details: { '@type': string; fieldViolations?: { field: string }[] }[] };
  assert.equal(status.code, 3);
  const badRequest = status.details.find((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
  assert.deepEqual(
    badRequest?.fieldViolations?.map((violation) => violation.field),
    ['items.0.quantity'],
  );
});

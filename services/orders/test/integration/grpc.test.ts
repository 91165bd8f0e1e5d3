/** OrderService over gRPC: the generated client, a client loading the .proto at run time, and deadlines across orders → users. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { DeadlineExceededError, NotFoundError, UnprocessableError, ValidationError, type FlotillaError } from '@flotilla/kit';
import { ChannelPool, createGrpcClient, decodeStatusDetails, STATUS_DETAILS_TRAILER, type GrpcClient } from '@flotilla/grpc';
import { OrderServiceClient, OrderStatus } from '@flotilla/contracts/orders';
import { eventually, repoRoot, startUsers, testDialects, type UsersUnderTest } from '@flotilla/testing';
import { send, startOrders, startSlowUsers, type OrderBody, type OrdersUnderTest, type SlowUsers } from './stack.ts';

const protoRoot = join(repoRoot, 'proto');
const items = [
  { sku: 'MUG-01', quantity: 2, unitPrice: 900 },
  { sku: 'TEA.green', quantity: 1, unitPrice: 450 },
];

const grpcCode = (error: unknown): number | undefined => ((error as FlotillaError).cause as grpc.ServiceError | undefined)?.code;
/** google.rpc.ErrorInfo.reason from the status details trailer (the client's UnavailableError does not keep details). */
const errorInfoReason = (error: unknown): string | undefined => {
  const [raw] = ((error as FlotillaError).cause as grpc.ServiceError | undefined)?.metadata.get(STATUS_DETAILS_TRAILER) ?? [];
  return raw instanceof Buffer ? decodeStatusDetails(raw).errorInfo?.reason : undefined;
};

/** A client built from orders.proto at run time, with promise-returning methods. */
function dynamicOrdersClient(address: string): {
  call: <T>(method: string, request: object, deadlineMs?: number) => Promise<T>;
  close(): void;
} {
  const definition = protoLoader.loadSync('flotilla/orders/v1/orders.proto', {
    includeDirs: [protoRoot],
    longs: Number,
    enums: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    flotilla: { orders: { v1: { OrderService: grpc.ServiceClientConstructor } } };
  };
  const client = new loaded.flotilla.orders.v1.OrderService(address, grpc.credentials.createInsecure());
  type Callback<T> = (error: grpc.ServiceError | null, value: T) => void;
  return {
    call: <T>(method: string, request: object, deadlineMs?: number) =>
      new Promise<T>((resolve, reject) =>
        (client[method] as (r: object, m: grpc.Metadata, o: grpc.CallOptions, cb: Callback<T>) => void).call(
          client,
          request,
          new grpc.Metadata(),
          deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
          (error, value) => (error ? reject(error) : resolve(value)),
        ),
      ),
    close: () => client.close(),
  };
}

for (const dialect of testDialects()) {
  describe(`orders gRPC on ${dialect}`, () => {
    let users: UsersUnderTest;
    let svc: OrdersUnderTest;
    let client: GrpcClient<OrderServiceClient>;
    const pool = new ChannelPool();
    let buyer: string;
    before(async () => {
      users = await startUsers();
      svc = await startOrders(dialect, users.grpcAddress);
      client = createGrpcClient(OrderServiceClient, 'orders', { resolve: () => svc.grpcAddress, pool });
      buyer = await users.createUser('Grpc buyer');
    });
    after(async () => {
      pool.closeAll();
      await svc?.stop();
      await users?.stop();
    });

    test('CreateOrder then GetOrder, sharing the REST data', async () => {
      const { order } = await client.createOrder({ userId: buyer, items, currency: 'GBP', idempotencyKey: '' });
      assert.ok(order);
      assert.equal(order.total, 2 * 900 + 450);
      assert.equal(order.status, OrderStatus.ORDER_STATUS_PENDING);
      assert.deepEqual(order.items, items);
      assert.ok(order.createTime instanceof Date);
      const rest = (await (await fetch(`${svc.base}/orders/${order.id}`)).json()) as OrderBody;
      assert.equal(rest.total, order.total);
      assert.equal(rest.createdAt, order.createTime.toISOString());
      assert.equal((await send(svc.base, 'POST', `/orders/${order.id}/pay`)).status, 200);
      const got = await client.getOrder({ id: order.id });
      assert.equal(got.order?.status, OrderStatus.ORDER_STATUS_PAID);
      await assert.rejects(client.getOrder({ id: '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69' }), NotFoundError);
    });

    test('idempotency_key: a retry returns the first order; another request under the key is FAILED_PRECONDITION', async () => {
      const request = { userId: buyer, items, currency: 'EUR', idempotencyKey: `grpc-${dialect}-1` };
      const first = (await client.createOrder(request)).order!;
      const again = (await client.createOrder(request)).order!;
      assert.deepEqual(again, first);
      const rest = await send(
        svc.base,
        'POST',
        '/orders',
        { userId: buyer, items, currency: 'EUR' },
        { 'idempotency-key': `grpc-${dialect}-1` },
      );
      assert.equal(rest.status, 201, 'REST and gRPC share the key space');
      assert.equal(((await rest.json()) as OrderBody).id, first.id);
      await assert.rejects(
        client.createOrder({ ...request, currency: 'USD' }),
        (error: unknown) =>
          error instanceof UnprocessableError &&
          error.details?.reason === 'idempotency-key-reused' &&
          grpcCode(error) === grpc.status.FAILED_PRECONDITION,
      );
    });

    test('an unknown user is FAILED_PRECONDITION unknown-user and writes nothing', async () => {
      const before = await svc.rowCounts();
      await assert.rejects(
        client.createOrder({ userId: '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69', items, currency: 'EUR', idempotencyKey: '' }),
        (error: unknown) =>
          error instanceof UnprocessableError &&
          error.details?.reason === 'unknown-user' &&
          grpcCode(error) === grpc.status.FAILED_PRECONDITION,
      );
      assert.deepEqual(await svc.rowCounts(), before);
    });

    test('invalid requests are INVALID_ARGUMENT naming the proto fields, and write nothing', async () => {
      const before = await svc.rowCounts();
      const invalid: Array<[object, string]> = [
        [{ userId: 'nope', items, currency: 'EUR' }, 'user_id'],
        [{ userId: buyer, items: [], currency: 'EUR' }, 'items'],
        [{ userId: buyer, items: [{ sku: 'A', quantity: 0, unitPrice: 1 }], currency: 'EUR' }, 'items.0.quantity'],
        [{ userId: buyer, items: [{ sku: 'A', quantity: 1, unitPrice: -5 }], currency: 'EUR' }, 'items.0.unit_price'],
        [{ userId: buyer, items: [{ sku: "x'; DROP TABLE orders;--", quantity: 1, unitPrice: 1 }], currency: 'EUR' }, 'items.0.sku'],
        [{ userId: buyer, items, currency: 'eur' }, 'currency'],
        [{ userId: buyer, items, currency: 'EUR', idempotencyKey: 'has space' }, 'idempotency_key'],
        [
          {
            userId: buyer,
            items: [
              { sku: 'A', quantity: 1, unitPrice: Number.MAX_SAFE_INTEGER },
              { sku: 'B', quantity: 1, unitPrice: 1 },
            ],
            currency: 'EUR',
          },
          'items.0.unit_price',
        ],
      ];
      for (const [request, field] of invalid) {
        await assert.rejects(client.createOrder({ idempotencyKey: '', ...request } as never), (error: unknown) => {
          assert.ok(error instanceof ValidationError, String(error));
          assert.equal(grpcCode(error), grpc.status.INVALID_ARGUMENT);
          assert.ok(
            error.violations.some((v) => v.field === field),
            `${field} in ${JSON.stringify(error.violations)}`,
          );
          return true;
        });
      }
      await assert.rejects(client.listOrdersByUser({ userId: buyer, pageSize: -1, pageToken: '' }), ValidationError);
      await assert.rejects(client.listOrdersByUser({ userId: buyer, pageSize: 1, pageToken: 'forged' }), ValidationError);
      assert.deepEqual(await svc.rowCounts(), before);
    });

    test('ListOrdersByUser pages newest first with page_size and page_token', async () => {
      const lister = await users.createUser('Lister');
      const made: string[] = [];
      for (let i = 0; i < 5; i++)
        made.push((await client.createOrder({ userId: lister, items, currency: 'EUR', idempotencyKey: '' })).order!.id);
      const seen: string[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const page = await client.listOrdersByUser({ userId: lister, pageSize: 2, pageToken });
        assert.ok(page.orders.length <= 2);
        seen.push(...page.orders.map((o) => o.id));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken !== '' && pages < 10);
      assert.deepEqual(seen, [...made].reverse());
      assert.equal(pages, 3);
      assert.deepEqual(
        (await client.listOrdersByUser({ userId: lister, pageSize: 0, pageToken: '' })).orders.map((o) => o.id),
        [...made].reverse(),
        '0 is the default size',
      );
      assert.equal(
        (await client.listOrdersByUser({ userId: lister, pageSize: 1_000_000, pageToken: '' })).orders.length,
        5,
        'too large is lowered, not refused',
      );
    });

    test('every RPC works from a client that loads orders.proto at run time', async () => {
      const dynamic = dynamicOrdersClient(svc.grpcAddress);
      try {
        type Wire = {
          id: string;
          userId: string;
          total: number;
          status: string;
          items: Array<{ sku: string; quantity: number; unitPrice: number }>;
        };
        const created = await dynamic.call<{ order: Wire }>('CreateOrder', {
          userId: buyer,
          currency: 'EUR',
          items: [{ sku: 'DYN-1', quantity: 3, unitPrice: 333 }],
          idempotencyKey: `dyn-${dialect}`,
        });
        assert.equal(created.order.total, 999);
        assert.equal(created.order.status, 'ORDER_STATUS_PENDING');
        assert.deepEqual(created.order.items, [{ sku: 'DYN-1', quantity: 3, unitPrice: 333 }]);
        const got = await dynamic.call<{ order: Wire }>('GetOrder', { id: created.order.id });
        assert.equal(got.order.id, created.order.id);
        const listed = await dynamic.call<{ orders: Wire[]; nextPageToken: string }>('ListOrdersByUser', { userId: buyer, pageSize: 1 });
        assert.deepEqual(
          listed.orders.map((o) => o.id),
          [created.order.id],
          'newest first',
        );
        assert.notEqual(listed.nextPageToken, '');
        await assert.rejects(
          dynamic.call('CreateOrder', { userId: buyer, currency: 'EUR', items: [{ sku: 'X', quantity: -1, unitPrice: 1 }] }),
          (error: grpc.ServiceError) => error.code === grpc.status.INVALID_ARGUMENT,
        );
        await assert.rejects(
          dynamic.call('GetOrder', { id: '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69' }),
          (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND,
        );
      } finally {
        dynamic.close();
      }
    });

    test('health answers SERVING for OrderService and overall', async () => {
      const definition = protoLoader.loadSync('grpc/health/v1/health.proto', { includeDirs: [protoRoot], enums: String });
      const loaded = grpc.loadPackageDefinition(definition) as unknown as {
        grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
      };
      const health = new loaded.grpc.health.v1.Health(svc.grpcAddress, grpc.credentials.createInsecure());
      try {
        for (const service of ['', 'flotilla.orders.v1.OrderService']) {
          const answer = await new Promise<{ status: string }>((resolve, reject) =>
            (health.Check as (r: object, cb: (e: Error | null, v: { status: string }) => void) => void).call(health, { service }, (e, v) =>
              e ? reject(e) : resolve(v),
            ),
          );
          assert.equal(answer.status, 'SERVING', service);
        }
      } finally {
        health.close();
      }
    });
  });

  describe(`orders gRPC deadlines across orders → users on ${dialect}`, () => {
    const ownTimeoutMs = 3_000;
    let slow: SlowUsers;
    let svc: OrdersUnderTest;
    let client: GrpcClient<OrderServiceClient>;
    const pool = new ChannelPool();
    before(async () => {
      slow = await startSlowUsers(30_000);
      svc = await startOrders(dialect, slow.grpcAddress, { FLOTILLA_ORDERS__DEPENDENCIES__USERS__TIMEOUT_MS: String(ownTimeoutMs) });
      client = createGrpcClient(OrderServiceClient, 'orders', { resolve: () => svc.grpcAddress, pool });
    });
    after(async () => {
      pool.closeAll();
      await svc?.stop();
      await slow?.stop();
    });

    /** The deadline users got with the call orders made for `userId` (epoch ms, Infinity for none). */
    const waitForUsersCall = (userId: string): Promise<number> =>
      eventually(() => slow.deadlines.get(userId), { message: `orders to ask users about ${userId}` });

    // First, so the channels are connected before the tests whose budget is short.
    test("a caller with more time than orders' own users timeout hears UNAVAILABLE users-timeout", async () => {
      const userId = '0193a000-0000-7000-8000-00000000000c';
      await assert.rejects(
        client.createOrder({ userId, items, currency: 'EUR', idempotencyKey: '' }, { timeoutMs: 20_000 }),
        (error: unknown) =>
          (error as FlotillaError).code === 'unavailable' &&
          errorInfoReason(error) === 'USERS_TIMEOUT' &&
          grpcCode(error) === grpc.status.UNAVAILABLE,
      );
      assert.deepEqual(await svc.rowCounts(), { orders: 0, items: 0 });
    });

    test("a caller deadline shorter than users' delay: DEADLINE_EXCEEDED, and users got the caller's deadline, not orders' own", async () => {
      const userId = '0193a000-0000-7000-8000-00000000000a';
      const callerDeadline = Date.now() + 500;
      const startedAt = Date.now();
      await assert.rejects(
        client.createOrder({ userId, items, currency: 'EUR', idempotencyKey: '' }, { deadline: callerDeadline }),
        DeadlineExceededError,
      );
      const seenByUsers = await waitForUsersCall(userId);
      assert.ok(
        seenByUsers < startedAt + ownTimeoutMs,
        `users saw deadline ${seenByUsers - startedAt} ms after the start; orders' own would be ${ownTimeoutMs}`,
      );
      assert.deepEqual(await svc.rowCounts(), { orders: 0, items: 0 });
    });

    test('the same through a run-time-loaded client', async () => {
      const userId = '0193a000-0000-7000-8000-00000000000b';
      const dynamic = dynamicOrdersClient(svc.grpcAddress);
      const startedAt = Date.now();
      try {
        await assert.rejects(
          dynamic.call('CreateOrder', { userId, currency: 'EUR', items }, 500),
          (error: grpc.ServiceError) => error.code === grpc.status.DEADLINE_EXCEEDED,
        );
      } finally {
        dynamic.close();
      }
      assert.ok((await waitForUsersCall(userId)) < startedAt + ownTimeoutMs, "users got the caller's deadline, not orders' own");
      assert.deepEqual(await svc.rowCounts(), { orders: 0, items: 0 });
    });
  });
}

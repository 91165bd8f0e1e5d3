/**
 * The stack the orders suites run against (the real users service comes from
 * @flotilla/testing's startUsers): a deliberately slow users stand-in, and
 * orders itself on a fresh database of one dialect, each on free ports.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@flotilla/kit';
import { createDatabase } from '@flotilla/data';
import { createGrpcServer, unary, type GrpcServer } from '@flotilla/grpc';
import { UserServiceService, type UserServiceServer } from '@flotilla/contracts/users';
import { type CapturedLogs, captureLogs, configDir, createTestDatabase, type DialectName, type TestDatabase } from '@flotilla/testing';
import { ordersService } from '../../src/service.ts';

export interface SlowUsers {
  grpcAddress: string;
  /** GetUser calls received so far. */
  readonly calls: number;
  /** By user id, the deadline GetUser arrived with (epoch ms; Infinity when none): what the caller propagated. */
  readonly deadlines: Map<string, number>;
  stop(): Promise<void>;
}

/** A UserService whose GetUser answers (with a user) only after `delayMs`, or when the caller gives up. */
export async function startSlowUsers(delayMs: number): Promise<SlowUsers> {
  let calls = 0;
  const deadlines = new Map<string, number>();
  const implementation: Pick<UserServiceServer, 'getUser'> = {
    getUser: unary(async ({ id }, call) => {
      calls++;
      const deadline = call.getDeadline();
      deadlines.set(id, deadline instanceof Date ? deadline.getTime() : deadline);
      const gaveUp = new AbortController();
      call.once('cancelled', () => gaveUp.abort());
      await sleep(delayMs, undefined, { signal: gaveUp.signal }).catch(() => undefined);
      return { user: { id, name: 'Slow', email: 'slow@example.com', createTime: new Date(), updateTime: new Date(), version: 1 } };
    }),
  };
  const server: GrpcServer = createGrpcServer({
    logger: createLogger({ service: 'slow-users', level: 'silent' }),
    services: [{ definition: UserServiceService, implementation: implementation as UserServiceServer }],
  });
  const port = await server.listen('127.0.0.1', 0);
  return {
    grpcAddress: `127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    deadlines,
    stop: async () => {
      await server.shutdown(100);
    },
  };
}

export interface OrdersUnderTest {
  base: string;
  grpcAddress: string;
  logs: CapturedLogs;
  database: TestDatabase;
  /** Rows in orders and order_items, read straight from the database: proof that nothing was half-written. */
  rowCounts(): Promise<{ orders: number; items: number }>;
  stop(): Promise<void>;
}

export async function startOrders(
  dialect: DialectName,
  usersGrpcAddress: string,
  extraEnv: Record<string, string> = {},
): Promise<OrdersUnderTest> {
  const database = await createTestDatabase(dialect);
  const logs = captureLogs();
  const running = await ordersService.start({
    configDir,
    namespace: 'dev',
    logDestination: logs.stream,
    env: {
      FLOTILLA_ORDERS__DATABASE__DSN: database.dsn,
      FLOTILLA_ORDERS__HTTP__PORT: '0',
      FLOTILLA_ORDERS__GRPC__PORT: '0',
      FLOTILLA_ORDERS__HTTP__BODY_LIMIT_BYTES: '65536',
      FLOTILLA_ORDERS__DEPENDENCIES__USERS__GRPC_ADDRESS: usersGrpcAddress,
      ...extraEnv,
    },
  });
  return {
    base: running.httpUrl as string,
    grpcAddress: running.grpcAddress as string,
    logs,
    database,
    rowCounts: async () => {
      const reader = createDatabase({ dsn: database.dsn });
      try {
        const count = async (table: string): Promise<number> => {
          const row = await reader.db
            .selectFrom(table as never)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow();
          return Number((row as { n: unknown }).n);
        };
        return { orders: await count('orders'), items: await count('order_items') };
      } finally {
        await reader.close();
      }
    },
    stop: async () => {
      await running.stop('test finished');
      await database.drop();
    },
  };
}

export interface OrderBody {
  id: string;
  userId: string;
  items: Array<{ sku: string; quantity: number; unitPrice: number }>;
  total: number;
  currency: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** fetch with a JSON body. */
export function send(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export function orderInput(userId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    userId,
    currency: 'EUR',
    items: [
      { sku: 'BOOK-1', quantity: 2, unitPrice: 1250 },
      { sku: 'pen_blue.2', quantity: 3, unitPrice: 199 },
    ],
    ...overrides,
  };
}

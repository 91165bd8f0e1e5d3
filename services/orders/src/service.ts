/** The orders service declaration: what it needs and how its parts connect. */
import { UpstreamGuards } from '@flotilla/resilience';
import { defineService } from '@flotilla/kit';
import { descriptorSet } from '@flotilla/contracts/descriptor-set';
import { OrderServiceService } from '@flotilla/contracts/orders';
import { OrdersConfig } from './config.ts';
import { OrdersDomain } from './domain.ts';
import { orderServiceImplementation } from './grpc.ts';
import { registerOrderRoutes } from './http.ts';
import { migrations } from './migrations/index.ts';
import { OrderStore } from './store.ts';
import { GrpcUserDirectory } from './users-client.ts';

interface OrdersDeps {
  orders: OrdersDomain;
  users: GrpcUserDirectory;
}

export const ordersService = defineService({
  name: 'orders',
  version: '0.1.0',
  description:
    'Orders: place (checking the user over gRPC), read, list, pay, ship and cancel, with optimistic concurrency and idempotent creates.',
  config: OrdersConfig,
  database: { migrations },
  setup: ({ config, database, logger, discovery, namespace, telemetry, reload }): OrdersDeps => {
    const guards = new UpstreamGuards(config.resilience, { namespace, metrics: telemetry, logger });
    reload.onChange('resilience', () => guards.update(reload.current().resilience));
    const users = new GrpcUserDirectory(config.dependencies.users, discovery.grpc, guards.get('users'), logger);
    return { users, orders: new OrdersDomain(new OrderStore(database!), users, { idempotencyTtlMs: config.idempotency.ttlMs }) };
  },
  // No readiness check on users: orders keeps serving reads and answers 503 on create while users is down.
  http: (app, { orders }) => registerOrderRoutes(app, orders),
  grpc: {
    services: ({ orders }) => [{ definition: OrderServiceService, implementation: orderServiceImplementation(orders) }],
    descriptorSet,
  },
  close: async ({ users }) => users.close(),
});

/** The orders service's config: the shared keys plus its database, idempotency window, the users dependency and its guards. */
import { DatabaseConfig, GrpcConfig, serviceConfig } from '@flotilla/service';
import { ResilienceSettings } from '@flotilla/resilience';
import Type from 'typebox';

const strict = { additionalProperties: false } as const;

export const UsersDependencyConfig = Type.Object(
  {
    grpcAddress: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'host:port of the users gRPC service; unset: users is found through discovery, an instance per call',
      }),
    ),
    timeoutMs: Type.Integer({
      minimum: 1,
      maximum: 60_000,
      default: 1_000,
      description: "Deadline of one user lookup (the caller's own deadline still caps it)",
    }),
  },
  { ...strict, default: {} },
);

export const OrdersConfig = serviceConfig({
  grpc: GrpcConfig,
  database: DatabaseConfig,
  idempotency: Type.Object(
    { ttlMs: Type.Integer({ default: 86_400_000, minimum: 1_000, description: 'How long an Idempotency-Key is remembered' }) },
    { ...strict, default: {} },
  ),
  dependencies: Type.Object({ users: UsersDependencyConfig }, { ...strict, default: {} }),
  /** Guards on outbound calls (upstream `users`): retries within a budget, breaker, bulkhead, faults; hot-reloaded. */
  resilience: ResilienceSettings,
});

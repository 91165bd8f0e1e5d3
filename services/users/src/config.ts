/** The users service's config: the shared keys plus its database and idempotency window. */
import { DatabaseConfig, GrpcConfig, serviceConfig } from '@flotilla/service';
import Type from 'typebox';

export const UsersConfig = serviceConfig({
  grpc: GrpcConfig,
  database: DatabaseConfig,
  idempotency: Type.Object(
    { ttlMs: Type.Integer({ default: 86_400_000, minimum: 1_000, description: 'How long an Idempotency-Key is remembered' }) },
    { additionalProperties: false, default: {} },
  ),
});

/** The users service's config: the shared keys plus its database and idempotency window. */
import { DatabaseConfig, serviceConfig } from '@flotilla/kit/config';
import Type from 'typebox';

export const UsersConfig = serviceConfig({
  database: DatabaseConfig,
  idempotency: Type.Object(
    { ttlMs: Type.Integer({ default: 86_400_000, minimum: 1_000, description: 'How long an Idempotency-Key is remembered' }) },
    { additionalProperties: false, default: {} },
  ),
});

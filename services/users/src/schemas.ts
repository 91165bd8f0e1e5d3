/** Wire schemas: they validate requests, type the handlers and document the API. */
import Type, { type Static } from 'typebox';
import { IdempotencyKeyHeader, IfMatchHeader, UUID_PATTERN } from '@flotilla/kit';

export const NAME_MAX = 100;
export const EMAIL_MAX = 254;

export const UserId = Type.String({ pattern: UUID_PATTERN, description: 'UUIDv7', examples: ['01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69'] });

export const User = Type.Object(
  {
    id: UserId,
    name: Type.String(),
    email: Type.String({ format: 'email' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    version: Type.Integer({ minimum: 1, description: 'Incremented on every change; also the ETag' }),
  },
  { $id: 'User', additionalProperties: false },
);
export type User = Static<typeof User>;

/** Body of POST and PUT. Unknown fields are rejected (400), not silently dropped. */
export const UserInput = Type.Object(
  {
    // Trimmed length is checked by the domain; the schema bounds what we read at all.
    name: Type.String({ minLength: 1, maxLength: 1000, description: `1–${NAME_MAX} characters after trimming` }),
    email: Type.String({ format: 'email', maxLength: EMAIL_MAX }),
  },
  { additionalProperties: false },
);
export type UserInput = Static<typeof UserInput>;

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[A-Za-z0-9_-]+$',
        description: "The previous page's `nextCursor`, as issued (opaque, base64url); any other value is a 400 with rule `cursor`",
      }),
    ),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: EMAIL_MAX, description: 'Exact match, case-insensitive' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const UserPage = Type.Object(
  {
    items: Type.Array(User),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: UserId }, { additionalProperties: false });

export const MutationHeaders = Type.Object({ 'if-match': Type.Optional(IfMatchHeader) });

export const CreateHeaders = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKeyHeader) });

export const ReadHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ maxLength: 64, description: 'The ETag of a copy the client holds: 304 when it is current' }),
  ),
});

/** Wire schemas: they validate requests, type the handlers and document the API. */
import Type, { type Static } from 'typebox';
import { IdempotencyKeyHeader, IfMatchHeader, Text, Uuid } from '@flotilla/kit';

export const NAME_MAX = 100;
export const EMAIL_MAX = 254;

export const UserId = Uuid({ description: 'UUIDv7', examples: ['01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69'] });

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
    // Stored trimmed: at most NAME_MAX as sent keeps the trimmed name within it.
    name: Text({ minLength: 1, maxLength: NAME_MAX, nonBlank: true, description: 'Stored without leading and trailing white space' }),
    email: Type.String({ format: 'email', maxLength: EMAIL_MAX }),
  },
  { additionalProperties: false },
);
export type UserInput = Static<typeof UserInput>;

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Uuid({
        description: "The previous page's `nextCursor`: the `id` of its last user. The page holds the users listed after that id",
      }),
    ),
    email: Type.Optional(Text({ minLength: 1, maxLength: EMAIL_MAX, description: 'Exact match, case-insensitive' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const UserPage = Type.Object(
  {
    items: Type.Array(User),
    nextCursor: Type.Union([Uuid(), Type.Null()], {
      description: 'Pass it as `cursor` for the next page; null on the last page',
    }),
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

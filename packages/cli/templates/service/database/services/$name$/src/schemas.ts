/** Wire schemas: they validate requests, type the handlers and document the API. */
import { IfMatchHeader, UUID_PATTERN } from '@flotilla/kit';
import Type, { type Static } from 'typebox';
import { NAME_MAX } from './domain.ts';

export const ItemId = Type.String({ pattern: UUID_PATTERN, description: 'UUIDv7', examples: ['01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69'] });

export const Item = Type.Object(
  {
    id: ItemId,
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    version: Type.Integer({ minimum: 1, description: 'Incremented on every change; also the ETag' }),
  },
  { $id: 'Item', additionalProperties: false },
);
export type Item = Static<typeof Item>;

/** Body of POST and PUT. Unknown fields are rejected (400), not silently dropped. */
export const ItemInput = Type.Object(
  {
    // The trimmed length is checked by the domain; the schema bounds what is read at all.
    name: Type.String({ minLength: 1, maxLength: NAME_MAX * 4, description: `1–${NAME_MAX} characters after trimming` }),
  },
  { additionalProperties: false },
);
export type ItemInput = Static<typeof ItemInput>;

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
  },
  { additionalProperties: false },
);

export const ItemPage = Type.Object(
  {
    items: Type.Array(Item),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: ItemId }, { additionalProperties: false });

export const MutationHeaders = Type.Object({ 'if-match': Type.Optional(IfMatchHeader) });

export const ReadHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ maxLength: 64, description: 'The ETag of a copy the client holds: 304 when it is current' }),
  ),
});

/** Wire schemas: they validate requests, type the handlers and document the API. */
import { IfMatchHeader, Text, Uuid } from '@flotilla/kit';
import Type, { type Static } from 'typebox';
import { NAME_MAX } from './domain.ts';

export const ItemId = Uuid({ description: 'UUIDv7', examples: ['01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69'] });

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
    // Stored trimmed: at most NAME_MAX as sent keeps the trimmed name within it.
    name: Text({ minLength: 1, maxLength: NAME_MAX, nonBlank: true, description: 'Stored without leading and trailing white space' }),
  },
  { additionalProperties: false },
);
export type ItemInput = Static<typeof ItemInput>;

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Uuid({ description: "The previous page's `nextCursor`: the `id` of its last item. The page holds the items listed after that id" }),
    ),
  },
  { additionalProperties: false },
);

export const ItemPage = Type.Object(
  {
    items: Type.Array(Item),
    nextCursor: Type.Union([Uuid(), Type.Null()], { description: 'Pass it as `cursor` for the next page; null on the last page' }),
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

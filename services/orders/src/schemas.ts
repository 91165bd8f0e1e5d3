/** Wire schemas: they validate requests (REST and gRPC), type the handlers and document the API. */
import Type, { type Static } from 'typebox';
import { UUID_PATTERN } from '@flotilla/kit';

export const ITEMS_MAX = 100;
export const QUANTITY_MAX = 10_000;
export const SKU_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
export const CURRENCY_PATTERN = '^[A-Z]{3}$';
export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
/** Printable ASCII; the kit's idempotency store keeps keys of up to 191 characters. */
export const IDEMPOTENCY_KEY_MAX = 191;
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]+$';

export const OrderId = Type.String({ pattern: UUID_PATTERN, description: 'UUIDv7', examples: ['01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69'] });
export const UserId = Type.String({ pattern: UUID_PATTERN, description: 'Id of an existing user (checked with the users service)' });

export const OrderItem = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64, pattern: SKU_PATTERN, description: 'Letters, digits, ".", "_" and "-"' }),
    quantity: Type.Integer({ minimum: 1, maximum: QUANTITY_MAX }),
    unitPrice: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'Price of one unit in minor units of the currency (cents)',
    }),
  },
  { $id: 'OrderItem', additionalProperties: false },
);
export type OrderItem = Static<typeof OrderItem>;

export const Order = Type.Object(
  {
    id: OrderId,
    userId: UserId,
    items: Type.Array(OrderItem),
    total: Type.Integer({ minimum: 0, description: 'Sum of quantity × unitPrice in minor units, computed by the server' }),
    currency: Type.String({ pattern: CURRENCY_PATTERN }),
    status: Type.Enum([...ORDER_STATUSES]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    version: Type.Integer({ minimum: 1, description: 'Incremented on every change; also the ETag' }),
  },
  { $id: 'Order', additionalProperties: false },
);
export type Order = Static<typeof Order>;

/**
 * Body of POST /orders (and the fields of CreateOrder). No `total`: the server
 * computes it, and an unknown field is a 400 rather than silently dropped.
 */
export const OrderInput = Type.Object(
  {
    userId: UserId,
    items: Type.Array(OrderItem, { minItems: 1, maxItems: ITEMS_MAX }),
    currency: Type.String({ pattern: CURRENCY_PATTERN, description: 'ISO 4217 alphabetic code, e.g. EUR' }),
  },
  { additionalProperties: false },
);
export type OrderInput = Static<typeof OrderInput>;

export const ListQuery = Type.Object(
  {
    userId: Type.Optional(UserId),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: "Opaque; from the previous page's nextCursor" })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const OrderPage = Type.Object(
  {
    items: Type.Array(Order),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: OrderId }, { additionalProperties: false });

export const MutationHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 200, description: 'ETag from a previous read; a stale one gives 412' })),
});

export const CreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: IDEMPOTENCY_KEY_MAX,
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description: 'Replays the first response for the same key and body',
    }),
  ),
});

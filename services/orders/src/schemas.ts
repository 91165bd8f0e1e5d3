/** Wire schemas: they validate requests (REST and gRPC), type the handlers and document the API. */
import Type, { type Static } from 'typebox';
import { IdempotencyKeyHeader, IfMatchHeader, Uuid } from '@flotilla/kit';

export const ITEMS_MAX = 100;
export const QUANTITY_MAX = 10_000;
/**
 * The dearest unit price: with at most ITEMS_MAX lines of QUANTITY_MAX units,
 * any order the schema accepts has a total an IEEE double holds exactly
 * (≤ Number.MAX_SAFE_INTEGER), so the schema alone says which totals exist.
 */
export const UNIT_PRICE_MAX = Math.floor(Number.MAX_SAFE_INTEGER / (ITEMS_MAX * QUANTITY_MAX));
export const SKU_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
export const CURRENCY_PATTERN = '^[A-Z]{3}$';
export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const OrderId = Uuid({ description: 'UUIDv7', examples: ['01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69'] });
export const UserId = Uuid({ description: 'Id of an existing user (checked with the users service)' });

export const OrderItem = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64, pattern: SKU_PATTERN, description: 'Letters, digits, ".", "_" and "-"' }),
    quantity: Type.Integer({ minimum: 1, maximum: QUANTITY_MAX }),
    unitPrice: Type.Integer({
      minimum: 0,
      maximum: UNIT_PRICE_MAX,
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
    total: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'Sum of quantity × unitPrice in minor units, computed by the server (the item limits keep it exact)',
    }),
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
    cursor: Type.Optional(
      Uuid({
        description: "The previous page's `nextCursor`: the `id` of its last order. The page holds the orders listed after that id",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const OrderPage = Type.Object(
  {
    items: Type.Array(Order),
    nextCursor: Type.Union([Uuid(), Type.Null()], {
      description: 'Pass it as `cursor` for the next page; null on the last page',
    }),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: OrderId }, { additionalProperties: false });

export const MutationHeaders = Type.Object({ 'if-match': Type.Optional(IfMatchHeader) });

export const CreateHeaders = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKeyHeader) });

/** gRPC OrderService: the same domain calls as the REST routes, validated with the same schemas. */
import { compileChecker, IdempotencyKeyHeader, ValidationError, type FieldViolation } from '@flotilla/kit';
import { unary } from '@flotilla/grpc';
import { OrderStatus as WireStatus, type Order as WireOrder, type OrderServiceServer } from '@flotilla/contracts/orders';
import type { OrdersDomain } from './domain.ts';
import { OrderId, OrderInput, UserId, type OrderStatus } from './schemas.ts';
import type { OrderRecord } from './repository.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const STATUS_TO_WIRE: Record<OrderStatus, WireStatus> = {
  pending: WireStatus.ORDER_STATUS_PENDING,
  paid: WireStatus.ORDER_STATUS_PAID,
  shipped: WireStatus.ORDER_STATUS_SHIPPED,
  cancelled: WireStatus.ORDER_STATUS_CANCELLED,
};

const checkInput = compileChecker(OrderInput);
const checkOrderId = compileChecker(OrderId);
const checkUserId = compileChecker(UserId);
const checkIdempotencyKey = compileChecker(IdempotencyKeyHeader);

export function orderServiceImplementation(orders: OrdersDomain): OrderServiceServer {
  return {
    createOrder: unary(async ({ userId, items, currency, idempotencyKey }) => {
      const fields = { userId, items: items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })), currency };
      validate(checkInput, fields, '');
      // proto3 has no "absent" string: empty means no key.
      if (idempotencyKey !== '') validate(checkIdempotencyKey, idempotencyKey, 'idempotency_key');
      const { order } = await orders.create(fields, idempotencyKey === '' ? undefined : idempotencyKey);
      return { order: toMessage(order) };
    }),
    getOrder: unary(async ({ id }) => {
      validate(checkOrderId, id, 'id');
      return { order: toMessage(await orders.get(id)) };
    }),
    listOrdersByUser: unary(async ({ userId, pageSize, pageToken }) => {
      validate(checkUserId, userId, 'user_id');
      if (pageToken !== '') validate(checkOrderId, pageToken, 'page_token');
      if (pageSize < 0) throw new ValidationError([{ field: 'page_size', rule: 'minimum', message: 'must be >= 0 (0 picks the default)' }]);
      const limit = pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
      const page = await orders.list({ userId, limit, ...(pageToken === '' ? {} : { cursor: pageToken }) });
      return { orders: page.items.map(toMessage), nextPageToken: page.nextCursor ?? '' };
    }),
  };
}

function validate(checker: ReturnType<typeof compileChecker>, value: unknown, root: string): void {
  if (checker.check(value)) return;
  const violations: FieldViolation[] = checker
    .problems(value)
    .map((p) => ({ field: [root, ...p.path.map(snakeCase)].filter(Boolean).join('.'), rule: p.rule, message: p.message }));
  throw new ValidationError(violations);
}

/** Violations name fields as the .proto does (unit_price, not unitPrice). */
function snakeCase(segment: string): string {
  return segment.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function toMessage(order: OrderRecord): WireOrder {
  return {
    id: order.id,
    userId: order.userId,
    items: order.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    total: order.total,
    currency: order.currency,
    status: STATUS_TO_WIRE[order.status],
    createTime: order.createdAt,
    updateTime: order.updatedAt,
  };
}

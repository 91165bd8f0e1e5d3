/** REST routes for orders: schemas in, domain calls, HTTP semantics (ETag, Location, Idempotency-Key, If-Match) out. */
import { expectedVersion, problemResponses, versionEtag, type HttpApp } from '@flotilla/kit';
import type { OrdersDomain, Transition } from './domain.ts';
import { CreateHeaders, IdParams, ListQuery, MutationHeaders, Order, OrderInput, OrderPage } from './schemas.ts';
import type { OrderRecord } from './repository.ts';

const tags = ['orders'];

/** Where a placed order leads (OpenAPI links: clients and stateful fuzzers follow them). */
const ORDER_LINKS = {
  getOrder: { operationId: 'getOrder', parameters: { id: '$response.body#/id' } },
  payOrder: { operationId: 'payOrder', parameters: { id: '$response.body#/id' } },
  shipOrder: { operationId: 'shipOrder', parameters: { id: '$response.body#/id' } },
  cancelOrder: { operationId: 'cancelOrder', parameters: { id: '$response.body#/id' } },
};

const TRANSITION_SUMMARIES: Record<Transition, string> = {
  pay: 'Pay a pending order',
  ship: 'Ship a paid order',
  cancel: 'Cancel a pending or paid order',
};

export function registerOrderRoutes(app: HttpApp, orders: OrdersDomain): void {
  app.post(
    '/orders',
    {
      schema: {
        tags,
        summary: 'Place an order (the user must exist; the total is computed here)',
        operationId: 'createOrder',
        links: { 201: ORDER_LINKS },
        headers: CreateHeaders,
        body: OrderInput,
        response: { 201: Order, ...problemResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const { order, replayed } = await orders.create(request.body, request.headers['idempotency-key']);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).header('location', `/orders/${order.id}`).header('etag', etagOf(order)).send(toWire(order));
    },
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        tags,
        summary: 'Get an order',
        operationId: 'getOrder',
        params: IdParams,
        response: { 200: Order, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const order = await orders.get(request.params.id);
      return reply.header('etag', etagOf(order)).send(toWire(order));
    },
  );

  app.get(
    '/orders',
    {
      schema: {
        tags,
        summary: "List orders newest first, optionally one user's; cursor-paginated",
        operationId: 'listOrders',
        querystring: ListQuery,
        response: { 200: OrderPage },
      },
    },
    async (request, reply) => {
      const page = await orders.list(request.query);
      if (page.nextCursor !== null) {
        const next = new URLSearchParams({
          ...(request.query.userId === undefined ? {} : { userId: request.query.userId }),
          limit: String(request.query.limit),
          cursor: page.nextCursor,
        });
        reply.header('link', `</orders?${next.toString()}>; rel="next"`);
      }
      return { items: page.items.map(toWire), nextCursor: page.nextCursor };
    },
  );

  for (const action of ['pay', 'ship', 'cancel'] as const) {
    app.post(
      `/orders/:id/${action}`,
      {
        schema: {
          tags,
          summary: TRANSITION_SUMMARIES[action],
          operationId: `${action}Order`,
          params: IdParams,
          headers: MutationHeaders,
          response: { 200: Order, ...problemResponses(404, 409, 412) },
        },
      },
      async (request, reply) => {
        const order = await orders.transition(request.params.id, action, expectedVersion(request.headers['if-match']));
        return reply.header('etag', etagOf(order)).send(toWire(order));
      },
    );
  }
}

export function toWire(order: OrderRecord): Order {
  return {
    id: order.id,
    userId: order.userId,
    items: order.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    total: order.total,
    currency: order.currency,
    status: order.status,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    version: order.version,
  };
}

function etagOf(order: OrderRecord): string {
  return versionEtag(order.version);
}

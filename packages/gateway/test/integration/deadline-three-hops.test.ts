/**
 * A deadline across three hops, through real processes (users and orders on
 * SQLite, the gateway; config/dev plus environment, see support/system.ts):
 *
 *   client ─HTTP─▶ gateway ─HTTP─▶ orders ─gRPC─▶ [slow link] ─▶ users
 *
 * Each hop spends time before calling the next (an injected delay: the
 * `x-flotilla-fault` header at the gateway, a configured
 * `resilience.upstreams.users.fault.delay` in orders), so the budget each
 * one receives must be strictly smaller than the one before. The budgets are
 * read from the traces, where every server span carries the budget its
 * caller allowed (`flotilla.deadline.budget_ms`).
 *
 * Users is made slow for one call by a relay that holds its answer back:
 * users serves the call, but orders hears nothing before the deadline. The
 * client then gets 504 problem+json (over gRPC, DEADLINE_EXCEEDED), and no
 * order is written.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OrderServiceClient } from '@flotilla/contracts/orders';
import { type OtlpReceiver, type ReceivedSpan, SPAN_KIND, startOtlpReceiver } from '@flotilla/testing';
import { startSlowLink, type SlowLink } from './support/slow-link.ts';
import { startSystem, tracedSystemKeys, type RunningSystem } from './support/system.ts';

const BUDGET = 'flotilla.deadline.budget_ms';
/** What the client allows each request: far more than the hops need, far less than orders' own 10 s for users. */
const CLIENT_BUDGET_MS = 1_500;
const HOP_DELAY_MS = 50;

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const newTrace = (): { traceId: string; traceparent: string } => {
  const traceId = hex(16);
  return { traceId, traceparent: `00-${traceId}-${hex(8)}-01` };
};

function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function budgetOf(span: ReceivedSpan | undefined, hop: string): number {
  assert.ok(span, `no server span for ${hop}`);
  const budget = span.attributes[BUDGET];
  assert.equal(typeof budget, 'number', `${hop}'s span carries no ${BUDGET}: ${JSON.stringify(span.attributes)}`);
  return budget as number;
}

describe('a deadline across gateway → orders → users (gRPC)', () => {
  let receiver: OtlpReceiver;
  let link: SlowLink | undefined;
  let system: RunningSystem;
  let userId: string;
  let keptOrderId: string;
  const order = (): Record<string, unknown> => ({
    userId,
    items: [{ sku: 'book-1', quantity: 1, unitPrice: 1250 }],
    currency: 'EUR',
  });

  before(async () => {
    receiver = await startOtlpReceiver();
    system = await startSystem({
      keys: tracedSystemKeys(receiver.endpoint),
      serviceKeys: {
        orders: {
          // The caller's deadline, not orders' own limit for users, is what bounds the call.
          DEPENDENCIES__USERS__TIMEOUT_MS: '10000',
          RESILIENCE__UPSTREAMS__USERS__FAULT__DELAY__MS: String(HOP_DELAY_MS),
          RESILIENCE__UPSTREAMS__USERS__FAULT__DELAY__PERCENT: '100',
        },
      },
      ordersDialsUsers: async (usersGrpc) => {
        link = await startSlowLink(usersGrpc);
        return link.address;
      },
    });
    const created = await postJson(`${system.gateway.url}/api/users`, {
      name: 'Grace Hopper',
      email: `grace-${hex(4)}@example.com`,
    });
    assert.equal(created.status, 201, await created.clone().text());
    userId = ((await created.json()) as { id: string }).id;
    // One order through every hop with the same budget: it must fit, and it is the only order this user may end up with.
    const kept = await postJson(`${system.gateway.url}/api/orders`, order(), {
      'x-request-timeout': String(CLIENT_BUDGET_MS),
    });
    assert.equal(kept.status, 201, await kept.clone().text());
    keptOrderId = ((await kept.json()) as { id: string }).id;
  });

  after(async () => {
    await system?.stop();
    await link?.close();
    await receiver?.close();
  });

  /** The user's orders, read through the gateway. */
  const ordersOfUser = async (): Promise<string[]> => {
    const listed = await fetch(`${system.gateway.url}/api/orders?userId=${userId}`);
    assert.equal(listed.status, 200, await listed.clone().text());
    return ((await listed.json()) as { items: Array<{ id: string }> }).items.map((o) => o.id);
  };

  /** The spans of one trace, once `complete` holds for them. */
  const traceOf = async (traceId: string, complete: (trace: ReceivedSpan[]) => boolean, what: string): Promise<ReceivedSpan[]> =>
    (await receiver.waitFor((spans) => complete(spans.filter((s) => s.traceId === traceId)), what, 30_000)).filter(
      (s) => s.traceId === traceId,
    );

  const serverSpans = (trace: ReceivedSpan[], service: string, name: (n: string) => boolean): ReceivedSpan[] =>
    trace.filter((s) => s.service === service && s.kind === SPAN_KIND.server && name(s.name));
  const isGetUser = (name: string): boolean => name.endsWith('/GetUser');
  /** Orders' call to users is over (its client span ended) — and it did not succeed. */
  const usersCallEnded = (trace: ReceivedSpan[]): boolean => {
    const calls = trace.filter((s) => s.service === 'orders' && s.kind === SPAN_KIND.client && isGetUser(s.name));
    if (calls.length === 0) return false;
    for (const call of calls)
      assert.notEqual(
        call.attributes['rpc.grpc.status_code'],
        grpc.status.OK,
        "orders' call to users succeeded although users' answer was held",
      );
    return true;
  };

  test('over HTTP: each hop gets less time than the last; users too slow → 504 problem+json, no order written', async (t: TestContext) => {
    const { traceId, traceparent } = newTrace();
    link!.hold();
    let trace: ReceivedSpan[];
    try {
      const answer = await postJson(`${system.gateway.url}/api/orders`, order(), {
        traceparent,
        'x-request-timeout': String(CLIENT_BUDGET_MS),
        // The gateway's own hop spends this before calling orders (the dev namespace honours the header).
        'x-flotilla-fault': `delay=${HOP_DELAY_MS}ms`,
      });
      assert.equal(answer.status, 504, await answer.clone().text());
      assert.match(String(answer.headers.get('content-type')), /^application\/problem\+json/);
      const problem = (await answer.json()) as { type: string; status: number };
      assert.equal(problem.type, 'https://flotilla.dev/problems/deadline-exceeded');
      assert.equal(problem.status, 504);
      // Users' answer stays held until orders' call to users has ended: each hop's deadline is relative,
      // so orders' runs out a little after the gateway's; the gateway leaving must end the call as well.
      trace = await traceOf(
        traceId,
        (spans) =>
          serverSpans(spans, 'gateway', () => true).length > 0 &&
          serverSpans(spans, 'orders', (n) => n === 'POST /orders').length > 0 &&
          usersCallEnded(spans) &&
          serverSpans(spans, 'users', isGetUser).length > 0,
        'the slow order trace across gateway, orders and users',
      );
    } finally {
      link!.release();
    }
    const gateway = budgetOf(serverSpans(trace, 'gateway', () => true)[0], 'gateway');
    const orders = budgetOf(serverSpans(trace, 'orders', (n) => n === 'POST /orders')[0], 'orders');
    const users = serverSpans(trace, 'users', isGetUser).map((span) => budgetOf(span, 'users'));
    t.diagnostic(`budgets received: gateway ${gateway} ms → orders ${orders} ms → users ${users.join(', ')} ms`);
    assert.equal(gateway, CLIENT_BUDGET_MS, "the gateway received the client's budget (its route timeout is longer)");
    assert.ok(orders < gateway, `orders received ${orders} ms, not less than the gateway's ${gateway} ms`);
    for (const budget of users) assert.ok(budget < orders, `users received ${budget} ms, not less than orders' ${orders} ms`);

    // Orders' handler is done (its span ended), so nothing of this request can write later: still only the first order.
    assert.deepEqual(await ordersOfUser(), [keptOrderId]);
  });

  test('over gRPC: DEADLINE_EXCEEDED when users is too slow, each hop with less time, no order written', async (t: TestContext) => {
    const { traceId, traceparent } = newTrace();
    const client = new OrderServiceClient(system.orders.grpcTarget as string, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', traceparent);
    link!.hold();
    let trace: ReceivedSpan[];
    try {
      const failure = await new Promise<grpc.ServiceError>((resolve, reject) =>
        client.createOrder(
          { userId, items: [{ sku: 'book-1', quantity: 1, unitPrice: 1250 }], currency: 'EUR', idempotencyKey: '' },
          metadata,
          { deadline: Date.now() + CLIENT_BUDGET_MS },
          (error) => (error === null ? reject(new Error('the order was created although users never answered in time')) : resolve(error)),
        ),
      );
      assert.equal(failure.code, grpc.status.DEADLINE_EXCEEDED, `${grpc.status[failure.code]}: ${failure.details}`);
      trace = await traceOf(
        traceId,
        (spans) =>
          serverSpans(spans, 'orders', (n) => n.endsWith('/CreateOrder')).length > 0 &&
          usersCallEnded(spans) &&
          serverSpans(spans, 'users', isGetUser).length > 0,
        'the slow gRPC order trace across orders and users',
      );
    } finally {
      link!.release();
      client.close();
    }
    const orders = budgetOf(serverSpans(trace, 'orders', (n) => n.endsWith('/CreateOrder'))[0], 'orders');
    const users = serverSpans(trace, 'users', isGetUser).map((span) => budgetOf(span, 'users'));
    t.diagnostic(`budgets received: client ${CLIENT_BUDGET_MS} ms → orders ${orders} ms → users ${users.join(', ')} ms`);
    assert.ok(orders <= CLIENT_BUDGET_MS, `orders received ${orders} ms, more than the client's ${CLIENT_BUDGET_MS} ms`);
    for (const budget of users) assert.ok(budget < orders, `users received ${budget} ms, not less than orders' ${orders} ms`);

    assert.deepEqual(await ordersOfUser(), [keptOrderId]);
  });
});

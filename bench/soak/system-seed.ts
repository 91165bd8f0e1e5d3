/** Getting the whole system ready for the soak: routes answered through the gateway, then orders to read. */

const UNKNOWN_ID = '01936f0e-8c3a-7cc4-9a52-3f1e2d4b5a69';

/**
 * The gateway is ready before discovery has found every upstream: wait until
 * each route reaches its service (a greeting, and a 404 problem from users and
 * orders for an id that does not exist).
 */
export async function waitForRoutes(gatewayUrl: string, timeoutMs = 60_000): Promise<void> {
  const expected: [string, number][] = [
    ['/api/hello/soak', 200],
    [`/api/users/${UNKNOWN_ID}`, 404],
    [`/api/orders/${UNKNOWN_ID}`, 404],
  ];
  const deadline = performance.now() + timeoutMs;
  for (const [path, status] of expected) {
    for (;;) {
      const answer = await fetch(`${gatewayUrl}${path}`).catch(() => undefined);
      await answer?.arrayBuffer();
      if (answer?.status === status) break;
      if (performance.now() > deadline) throw new Error(`${path} through the gateway: ${answer?.status ?? 'no answer'}, not ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** One order per user through POST /api/orders (8 in flight); returns their ids. */
export async function seedOrders(gatewayUrl: string, userIds: string[]): Promise<string[]> {
  const ids: string[] = new Array<string>(userIds.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < userIds.length) {
      const n = next++;
      const response = await fetch(`${gatewayUrl}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: userIds[n], items: [{ sku: 'SEED-1', quantity: 2, unitPrice: 499 }], currency: 'EUR' }),
      });
      const body = (await response.json()) as { id?: string };
      if (response.status !== 201 || typeof body.id !== 'string')
        throw new Error(`seeding: POST /api/orders answered ${response.status}: ${JSON.stringify(body)}`);
      ids[n] = body.id;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}

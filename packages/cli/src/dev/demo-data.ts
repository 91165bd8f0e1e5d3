/**
 * A small demo data set for `flotilla dev`, loaded through the public REST APIs
 * (so it exercises validation like any client) and only when users is empty.
 */
import { OWN_REQUEST_HEADERS } from './own-requests.ts';

const DEMO_USERS = [
  { name: 'Ada Lovelace', email: 'ada@example.com' },
  { name: 'Grace Hopper', email: 'grace@example.com' },
  { name: 'Alan Turing', email: 'alan@example.com' },
];

const DEMO_ORDERS = [
  { items: [{ sku: 'ANALYTICAL-ENGINE', quantity: 1, unitPrice: 125_000 }], currency: 'GBP' },
  {
    items: [
      { sku: 'COBOL-MANUAL', quantity: 2, unitPrice: 1_999 },
      { sku: 'NANOSECOND-WIRE', quantity: 10, unitPrice: 30 },
    ],
    currency: 'USD',
  },
];

export async function loadDemoData(usersUrl: string, ordersUrl: string): Promise<{ loaded: boolean; userIds: string[] }> {
  const existing = (await (await fetch(`${usersUrl}/users?limit=1`, { headers: OWN_REQUEST_HEADERS })).json()) as {
    items: Array<{ id: string }>;
  };
  if (existing.items.length > 0) return { loaded: false, userIds: existing.items.map((u) => u.id) };
  const userIds: string[] = [];
  for (const user of DEMO_USERS) {
    const response = await fetch(`${usersUrl}/users`, {
      method: 'POST',
      headers: { ...OWN_REQUEST_HEADERS, 'content-type': 'application/json', 'idempotency-key': `demo-${user.email}` },
      body: JSON.stringify(user),
    });
    if (response.status !== 201) throw new Error(`demo user ${user.email}: HTTP ${response.status} ${await response.text()}`);
    userIds.push(((await response.json()) as { id: string }).id);
  }
  for (const [index, order] of DEMO_ORDERS.entries()) {
    const userId = userIds[index] as string;
    const response = await fetch(`${ordersUrl}/orders`, {
      method: 'POST',
      headers: { ...OWN_REQUEST_HEADERS, 'content-type': 'application/json', 'idempotency-key': `demo-order-${index}` },
      body: JSON.stringify({ userId, ...order }),
    });
    if (response.status !== 201) throw new Error(`demo order ${index}: HTTP ${response.status} ${await response.text()}`);
  }
  return { loaded: true, userIds };
}

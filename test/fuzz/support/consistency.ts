/**
 * What a fuzzing run must not leave in the databases, read directly with
 * SQL after every request has been answered:
 *
 * - users: every email is one the API would accept (format `email`, at most
 *   254 characters, no surrounding spaces) and its lower-cased copy, which the
 *   unique index uses, matches it;
 * - orders: every order has lines, and its total is the exact sum of
 *   quantity × unit price of its lines; no line without its order;
 * - idempotency records (both services): none left `pending` (a claim that
 *   never completed), each completed one holds a response, and the resource
 *   its stored 201 names exists — unless the service answered a DELETE of it
 *   (users can be deleted; orders cannot).
 */
import { createDatabase, IDEMPOTENCY_TABLE } from '@flotilla/data';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { sql } from 'kysely';
import type { FuzzSystem } from './system.ts';

const Email = Compile(Type.String({ format: 'email', maxLength: 254 }));

interface IdempotencyRow {
  scope: string;
  idem_key: string;
  status: string;
  response_status: number | null;
  response_body: string | null;
}

type Violations = string[];

// biome-ignore lint/suspicious/noExplicitAny: rows of tables this file reads with plain SQL
type AnyDatabase = ReturnType<typeof createDatabase<any>>;

async function withDatabase<T>(dsn: string, read: (database: AnyDatabase) => Promise<T>): Promise<T> {
  const database = createDatabase({ dsn });
  try {
    return await read(database);
  } finally {
    await database.close();
  }
}

/** Ids whose DELETE the users process answered with 204 (from its access log lines). */
function deletedUserIds(system: FuzzSystem): Set<string> {
  const deleted = new Set<string>();
  for (const match of system.processes.users.stdout().matchAll(/"message":"DELETE \/users\/([^"/?\s]+) 204"/g)) {
    deleted.add(decodeURIComponent(match[1] ?? '').toLowerCase());
  }
  return deleted;
}

function short(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

async function idempotencyViolations(
  service: string,
  database: AnyDatabase,
  counts: Record<string, number>,
  exists: (id: string) => Promise<boolean>,
  mayBeGone: (id: string) => boolean,
): Promise<Violations> {
  const violations: Violations = [];
  const rows = (
    await sql<IdempotencyRow>`select scope, idem_key, status, response_status, response_body from ${sql.table(IDEMPOTENCY_TABLE)}`.execute(
      database.db,
    )
  ).rows;
  counts[`${service} idempotency records`] = rows.length;
  for (const row of rows) {
    const where = `${service} idempotency record (${row.scope}, ${short(row.idem_key)})`;
    if (row.status !== 'complete') {
      violations.push(`${where} is still '${row.status}' after every request was answered`);
      continue;
    }
    if (row.response_status === null || row.response_body === null) {
      violations.push(`${where} is complete but holds no response`);
      continue;
    }
    if (row.response_status !== 201) continue;
    let id: unknown;
    try {
      id = (JSON.parse(row.response_body) as { id?: unknown }).id;
    } catch {
      violations.push(`${where} holds a response body that is not JSON: ${short(row.response_body)}`);
      continue;
    }
    if (typeof id !== 'string') violations.push(`${where} holds a 201 naming no id: ${short(row.response_body)}`);
    else if (!(await exists(id)) && !mayBeGone(id.toLowerCase())) violations.push(`${where} points at ${id}, which does not exist`);
  }
  return violations;
}

async function usersViolations(system: FuzzSystem, rows: Record<string, number>): Promise<Violations> {
  const deleted = deletedUserIds(system);
  return withDatabase(system.databases.users.dsn, async (database) => {
    const violations: Violations = [];
    const users = (
      await sql<{ id: string; email: string; email_normalized: string }>`select id, email, email_normalized from users`.execute(database.db)
    ).rows;
    for (const user of users) {
      if (!Email.Check(user.email) || user.email !== user.email.trim())
        violations.push(`user ${user.id} has an invalid email ${short(user.email)}`);
      if (user.email_normalized !== user.email.toLowerCase())
        violations.push(`user ${user.id}: email_normalized ${short(user.email_normalized)} is not the lower case of ${short(user.email)}`);
    }
    rows.users = users.length;
    const ids = new Set(users.map((user) => user.id.toLowerCase()));
    violations.push(
      ...(await idempotencyViolations(
        'users',
        database,
        rows,
        async (id) => ids.has(id.toLowerCase()),
        (id) => deleted.has(id),
      )),
    );
    return violations;
  });
}

async function ordersViolations(system: FuzzSystem, rows: Record<string, number>): Promise<Violations> {
  return withDatabase(system.databases.orders.dsn, async (database) => {
    const violations: Violations = [];
    const orders = (await sql<{ id: string; total: number | string }>`select id, total from orders`.execute(database.db)).rows;
    const items = (
      await sql<{
        order_id: string;
        quantity: number | string;
        unit_price: number | string;
      }>`select order_id, quantity, unit_price from order_items`.execute(database.db)
    ).rows;
    const sums = new Map<string, { sum: bigint; lines: number }>();
    for (const item of items) {
      const entry = sums.get(item.order_id) ?? { sum: 0n, lines: 0 };
      entry.sum += BigInt(item.quantity) * BigInt(item.unit_price);
      entry.lines++;
      sums.set(item.order_id, entry);
    }
    rows.orders = orders.length;
    rows['order lines'] = items.length;
    const ids = new Set<string>();
    for (const order of orders) {
      ids.add(order.id.toLowerCase());
      const entry = sums.get(order.id);
      if (entry === undefined) violations.push(`order ${order.id} has no lines`);
      else if (BigInt(order.total) !== entry.sum)
        violations.push(`order ${order.id} has total ${order.total} but its ${entry.lines} lines add up to ${entry.sum}`);
    }
    for (const orderId of sums.keys())
      if (!ids.has(orderId.toLowerCase())) violations.push(`order_items rows for ${orderId}, which does not exist`);
    violations.push(
      ...(await idempotencyViolations(
        'orders',
        database,
        rows,
        async (id) => ids.has(id.toLowerCase()),
        () => false,
      )),
    );
    return violations;
  });
}

export interface ConsistencyReport {
  /** Empty when both databases are consistent. */
  violations: Violations;
  /** Rows read, to show the run reached the data: users, orders, idempotency records. */
  rows: Record<string, number>;
}

export async function checkConsistency(system: FuzzSystem): Promise<ConsistencyReport> {
  const rows: Record<string, number> = {};
  const violations = [...(await usersViolations(system, rows)), ...(await ordersViolations(system, rows))];
  return { violations, rows };
}

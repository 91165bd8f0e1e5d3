/** The OrderRepository the domain asks for, as Kysely queries. The only file that knows table and column names. */
import { BackoffPolicy, sleep } from '@flotilla/core';
import { IdempotencyStore, isSerializationFailure, toDate, type Database } from '@flotilla/data';
import type { Kysely, Selectable } from 'kysely';
import type { IdempotencyKey, IdempotentInsert, IdempotentOutcome, OrderLine, OrderRecord, OrderRepository } from './repository.ts';
import type { OrderStatus } from './schemas.ts';

type OrdersTable = {
  id: string;
  user_id: string;
  currency: string;
  status: string;
  total: number;
  created_at: Date | string;
  updated_at: Date | string;
  version: number;
};

type OrderItemsTable = {
  order_id: string;
  line: number;
  sku: string;
  quantity: number;
  unit_price: number;
};

// Type aliases, not interfaces: Kysely's withTables wants an index-signature-compatible record.
export type OrdersTables = {
  orders: OrdersTable;
  order_items: OrderItemsTable;
};

/** Thrown inside a transaction only to roll it back. */
const ROLLBACK = Symbol('rollback');
/** Attempts of a transaction the database chose as a deadlock victim. */
const DEADLOCK_ATTEMPTS = 5;
/** Full jitter, so the transactions that collided do not collide again. */
const DEADLOCK_BACKOFF = new BackoffPolicy({ initialMs: 25, maxMs: 40, jitter: 'full' });

export class OrderStore implements OrderRepository {
  private readonly database: Database<object>;
  private readonly db: Kysely<OrdersTables>;
  private readonly idempotency: IdempotencyStore;

  constructor(database: Database<object>) {
    this.database = database;
    this.db = database.db.withTables<OrdersTables>();
    this.idempotency = new IdempotencyStore(database);
  }

  /** The order and its lines, in one transaction. */
  async insert(order: OrderRecord): Promise<void> {
    await this.database.transaction(async (trx) => this.insertWith(order, trx.withTables<OrdersTables>()));
  }

  /** Insert and record the outcome under an idempotency key, atomically: all of it happens or none. */
  async insertIdempotently(order: OrderRecord, key: IdempotencyKey): Promise<IdempotentInsert> {
    return this.retryingDeadlocks(() =>
      this.database.transaction(async (trx) => {
        const begun = await this.idempotency.begin(key.scope, key.key, key.fingerprint, key.ttlMs, trx);
        if (begun.state !== 'new') return outcomeOf(begun);
        await this.insertWith(order, trx.withTables<OrdersTables>());
        await this.idempotency.complete(key.scope, key.key, { statusCode: 201, headers: {}, body: JSON.stringify(order) }, trx);
        return { state: 'created' as const };
      }),
    );
  }

  /**
   * What an earlier request under this key left, without claiming it: a replay,
   * a mismatch, one still running — or undefined when the key is unused (or
   * expired). The claim `begin` makes for an unused key is rolled back, so
   * nothing is written; the real claim is made with the insert.
   *
   * On MySQL/MariaDB, InnoDB may pick one of several concurrent claims of a
   * key that another transaction rolled back as a deadlock victim; such
   * transactions (here and in insertIdempotently) are simply run again.
   */
  async priorOutcome(key: IdempotencyKey): Promise<IdempotentOutcome | undefined> {
    return this.retryingDeadlocks(async () => {
      try {
        return await this.database.transaction(async (trx) => {
          const begun = await this.idempotency.begin(key.scope, key.key, key.fingerprint, key.ttlMs, trx);
          if (begun.state === 'new') throw ROLLBACK;
          return outcomeOf(begun);
        });
      } catch (error) {
        if (error === ROLLBACK) return undefined;
        throw error;
      }
    });
  }

  async findById(id: string): Promise<OrderRecord | undefined> {
    const row = await this.db.selectFrom('orders').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
    if (row === undefined) return undefined;
    const [order] = await this.withItems([row]);
    return order;
  }

  /** Keyset pagination, newest first (ids are UUIDv7, so id order is creation order). */
  async list(query: { limit: number; beforeId?: string | undefined; userId?: string | undefined }): Promise<OrderRecord[]> {
    let select = this.db.selectFrom('orders').selectAll().orderBy('id', 'desc').limit(query.limit);
    if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
    if (query.beforeId !== undefined) select = select.where('id', '<', query.beforeId);
    return this.withItems(await select.execute());
  }

  /** Moves the order to `status` if its version is still `expectedVersion`; false otherwise. */
  async updateStatus(id: string, status: OrderStatus, updatedAt: Date, expectedVersion: number): Promise<boolean> {
    const result = await this.db
      .updateTable('orders')
      .set({ status, updated_at: updatedAt, version: expectedVersion + 1 })
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  private async retryingDeadlocks<T>(transaction: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await transaction();
      } catch (error) {
        if (attempt >= DEADLOCK_ATTEMPTS || !isSerializationFailure(error)) throw error;
        await sleep(DEADLOCK_BACKOFF.delayMs(attempt));
      }
    }
  }

  private async insertWith(order: OrderRecord, executor: Kysely<OrdersTables>): Promise<void> {
    await executor
      .insertInto('orders')
      .values({
        id: order.id,
        user_id: order.userId,
        currency: order.currency,
        status: order.status,
        total: order.total,
        created_at: order.createdAt,
        updated_at: order.updatedAt,
        version: order.version,
      })
      .execute();
    await executor
      .insertInto('order_items')
      .values(
        order.items.map((item, line) => ({ order_id: order.id, line, sku: item.sku, quantity: item.quantity, unit_price: item.unitPrice })),
      )
      .execute();
  }

  /** Attaches each order's lines with one query for the whole page. */
  private async withItems(rows: Selectable<OrdersTable>[]): Promise<OrderRecord[]> {
    if (rows.length === 0) return [];
    const items = await this.db
      .selectFrom('order_items')
      .selectAll()
      .where(
        'order_id',
        'in',
        rows.map((row) => row.id),
      )
      .orderBy('order_id')
      .orderBy('line')
      .execute();
    const byOrder = new Map<string, OrderLine[]>();
    for (const item of items) {
      const lines = byOrder.get(item.order_id) ?? [];
      lines.push({ sku: item.sku, quantity: Number(item.quantity), unitPrice: Number(item.unit_price) });
      byOrder.set(item.order_id, lines);
    }
    return rows.map((row) => fromRow(row, byOrder.get(row.id) ?? []));
  }
}

function fromRow(row: Selectable<OrdersTable>, items: OrderLine[]): OrderRecord {
  return {
    id: row.id,
    userId: row.user_id,
    items,
    total: Number(row.total),
    currency: row.currency,
    status: row.status as OrderStatus,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: Number(row.version),
  };
}

function outcomeOf(
  begun: { state: 'replay'; response: { body: string } } | { state: 'mismatch' } | { state: 'in-progress' },
): IdempotentOutcome {
  return begun.state === 'replay' ? { state: 'replay', order: fromSnapshot(begun.response.body) } : begun;
}

function fromSnapshot(body: string): OrderRecord {
  const parsed = JSON.parse(body) as Omit<OrderRecord, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };
  return { ...parsed, createdAt: new Date(parsed.createdAt), updatedAt: new Date(parsed.updatedAt) };
}

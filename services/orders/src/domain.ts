/**
 * The orders domain: rules about orders, with no HTTP, no gRPC and no SQL. The
 * REST routes and the gRPC service both call these methods. It declares the
 * ports it needs, implemented by adapters: OrderRepository (repository.ts,
 * by store.ts) and UserDirectory (below, by users-client.ts).
 */
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, PreconditionFailedError, UnprocessableError, ValidationError, uuidv7 } from '@flotilla/kit';
import type { OrderStatus } from './schemas.ts';
import type { IdempotentOutcome, OrderLine, OrderRecord, OrderRepository } from './repository.ts';

export interface OrderFields {
  userId: string;
  items: OrderLine[];
  currency: string;
}

export interface Page {
  items: OrderRecord[];
  nextCursor: string | null;
}

/**
 * Whether a user exists, answered by the users service. Resolves when it does;
 * otherwise throws UnprocessableError (reason `unknown-user`), an `unavailable`
 * FlotillaError (users down or too slow) or DeadlineExceededError (the
 * caller's own deadline ran out).
 */
export interface UserDirectory {
  assertExists(userId: string): Promise<void>;
}

export type Transition = 'pay' | 'ship' | 'cancel';

/** The state machine: which statuses each transition leaves from, and where it goes. */
export const TRANSITIONS: Record<Transition, { from: readonly OrderStatus[]; to: OrderStatus }> = {
  pay: { from: ['pending'], to: 'paid' },
  ship: { from: ['paid'], to: 'shipped' },
  cancel: { from: ['pending', 'paid'], to: 'cancelled' },
};

export interface OrdersDomainOptions {
  idempotencyTtlMs: number;
}

const IDEMPOTENCY_SCOPE = 'orders.create';
/** Attempts at a transition that keeps losing optimistic-concurrency races (no If-Match given). */
const TRANSITION_ATTEMPTS = 5;
/** ConflictError reason for a lost optimistic-concurrency race (gRPC maps it to ABORTED). */
const VERSION_CONFLICT = 'version-conflict';

export class OrdersDomain {
  private readonly repository: OrderRepository;
  private readonly users: UserDirectory;
  private readonly options: OrdersDomainOptions;

  constructor(repository: OrderRepository, users: UserDirectory, options: OrdersDomainOptions) {
    this.repository = repository;
    this.users = users;
    this.options = options;
  }

  /**
   * Places an order. The user is checked before anything is written, so an
   * unknown user or an unreachable users service leaves no trace. With an
   * idempotency key, a request already answered is replayed without asking
   * users again; the claim, the order and its lines commit in one transaction.
   */
  async create(fields: OrderFields, idempotencyKey?: string): Promise<{ order: OrderRecord; replayed: boolean }> {
    const clean = normalise(fields);
    const key =
      idempotencyKey === undefined
        ? undefined
        : { scope: IDEMPOTENCY_SCOPE, key: idempotencyKey, fingerprint: fingerprint(clean), ttlMs: this.options.idempotencyTtlMs };
    if (key !== undefined) {
      const prior = await this.repository.priorOutcome(key);
      if (prior !== undefined) return settle(prior);
    }
    await this.users.assertExists(clean.userId);
    const now = new Date();
    const order: OrderRecord = {
      id: uuidv7(now.getTime()),
      ...clean,
      total: totalOf(clean.items),
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    if (key === undefined) {
      await this.repository.insert(order);
      return { order, replayed: false };
    }
    const outcome = await this.repository.insertIdempotently(order, key);
    return outcome.state === 'created' ? { order, replayed: false } : settle(outcome);
  }

  async get(id: string): Promise<OrderRecord> {
    const order = await this.repository.findById(id);
    if (order === undefined) throw notFound(id);
    return order;
  }

  /** Newest first, optionally one user's; the cursor is the last id of the previous page. */
  async list(query: { limit: number; cursor?: string | undefined; userId?: string | undefined }): Promise<Page> {
    const userId = query.userId?.toLowerCase();
    const beforeId = query.cursor?.toLowerCase();
    const rows = await this.repository.list({ limit: query.limit + 1, beforeId, userId });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? last.id : null };
  }

  /**
   * pay / ship / cancel. `expectedVersion` comes from If-Match: a stale one is
   * 412 before anything else. A transition the current status does not allow
   * is 409 naming that status. Without If-Match a lost race is retried against
   * the new state (two concurrent `pay`s: one wins, the other gets 409).
   */
  async transition(id: string, action: Transition, expectedVersion?: number): Promise<OrderRecord> {
    const rule = TRANSITIONS[action];
    for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      if (expectedVersion !== undefined && expectedVersion !== current.version) throw stale(id, current.version);
      if (!rule.from.includes(current.status)) throw illegalTransition(current, action);
      const updatedAt = new Date();
      if (await this.repository.updateStatus(current.id, rule.to, updatedAt, current.version)) {
        return { ...current, status: rule.to, updatedAt, version: current.version + 1 };
      }
    }
    throw new ConflictError(`Order ${id} keeps changing; read it again and retry`, { reason: VERSION_CONFLICT });
  }
}

/** Sum of quantity × unitPrice, exact; over Number.MAX_SAFE_INTEGER it is a validation error, never a rounded total. */
export function totalOf(items: readonly OrderLine[]): number {
  let total = 0n;
  for (const item of items) total += BigInt(item.quantity) * BigInt(item.unitPrice);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ValidationError([
      { field: 'items', rule: 'total-overflow', message: `the order total must not exceed ${Number.MAX_SAFE_INTEGER} minor units` },
    ]);
  }
  return Number(total);
}

/** A stable digest of a create request, to detect an idempotency key reused for another one. */
function fingerprint(fields: OrderFields): string {
  const canonical = [fields.userId, fields.currency, fields.items.map((i) => [i.sku, i.quantity, i.unitPrice])];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

function normalise(fields: OrderFields): OrderFields {
  const items = fields.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice }));
  totalOf(items); // refuse an overflowing order before asking anyone anything
  return { userId: fields.userId.toLowerCase(), currency: fields.currency, items };
}

function settle(outcome: IdempotentOutcome): { order: OrderRecord; replayed: boolean } {
  switch (outcome.state) {
    case 'replay':
      return { order: outcome.order, replayed: true };
    case 'mismatch':
      throw new UnprocessableError('This Idempotency-Key was already used with a different request', { reason: 'idempotency-key-reused' });
    case 'in-progress':
      throw new ConflictError('A request with this Idempotency-Key is still being processed; retry later', {
        reason: 'idempotency-key-in-progress',
      });
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Order ${id} does not exist`);
}

function stale(id: string, version: number): PreconditionFailedError {
  return new PreconditionFailedError(`Order ${id} has changed (current version ${version}); read it again and retry`);
}

function illegalTransition(order: OrderRecord, action: Transition): ConflictError {
  return new ConflictError(
    `Order ${order.id} is ${order.status}; it cannot ${action === 'pay' ? 'be paid' : action === 'ship' ? 'be shipped' : 'be cancelled'}`,
    {
      reason: 'illegal-transition',
      currentStatus: order.status,
      transition: action,
    },
  );
}

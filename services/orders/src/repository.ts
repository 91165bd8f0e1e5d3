/**
 * What the orders domain needs from storage, declared here so the domain
 * depends on nothing below it: store.ts implements OrderRepository.
 */
import type { OrderStatus } from './schemas.ts';

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export interface OrderRecord {
  id: string;
  userId: string;
  items: OrderLine[];
  total: number;
  currency: string;
  status: OrderStatus;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/** An idempotency key, where it applies, what it was first used with and how long it is remembered. */
export interface IdempotencyKey {
  scope: string;
  key: string;
  fingerprint: string;
  ttlMs: number;
}

/** What an earlier request under a key left behind. */
export type IdempotentOutcome = { state: 'replay'; order: OrderRecord } | { state: 'mismatch' } | { state: 'in-progress' };

export type IdempotentInsert = { state: 'created' } | IdempotentOutcome;

export interface OrderRepository {
  /** The order and its lines, all or nothing. */
  insert(order: OrderRecord): Promise<void>;
  /** Insert and record the outcome under the key, atomically: all of it happens or none. */
  insertIdempotently(order: OrderRecord, key: IdempotencyKey): Promise<IdempotentInsert>;
  /** The earlier outcome under the key, without claiming it; undefined when the key is unused or expired. */
  priorOutcome(key: IdempotencyKey): Promise<IdempotentOutcome | undefined>;
  findById(id: string): Promise<OrderRecord | undefined>;
  /** Newest first, before `beforeId`; `userId` is already lower-cased. */
  list(query: { limit: number; beforeId?: string | undefined; userId?: string | undefined }): Promise<OrderRecord[]>;
  /** Moves the order to `status` if its version is still `expectedVersion`; false otherwise. */
  updateStatus(id: string, status: OrderStatus, updatedAt: Date, expectedVersion: number): Promise<boolean>;
}

/**
 * The `Idempotency-Key` store, kept in the service's own database.
 *
 *   begin()    claims (scope, key) for a request; the primary key makes the
 *              database decide, so two concurrent identical requests cannot both
 *              get 'new'. Later requests see 'in-progress', 'replay' (with the
 *              stored response) or 'mismatch' (same key, different request).
 *   complete() stores the response; pass the transaction that made the change
 *              so the change and its recorded response commit together.
 *   abandon()  releases the claim after a failure so a retry can proceed.
 *
 * Expired entries behave as absent and are replaced. A claim still pending after
 * `pendingTimeoutMs` (its process died mid-request) is treated as abandoned.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { IDEMPOTENCY_KEY_MAX_LENGTH, ValidationError } from '@flotilla/core';
import type { Database } from './database.ts';
import type { Migration } from './migrator.ts';
import { keyTextType, longTextType, timestampType, toDate } from './schema.ts';

export const IDEMPOTENCY_TABLE = 'flotilla_idempotency_key';

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type BeginResult =
  | { state: 'new' }
  | { state: 'replay'; response: StoredResponse }
  | { state: 'mismatch' }
  | { state: 'in-progress' };

export interface IdempotencyStoreOptions {
  /** A claim pending longer than this is presumed dead and may be taken over. Default 60 000. */
  pendingTimeoutMs?: number;
  /** The clock; tests move it. Default `() => new Date()`. */
  now?: () => Date;
}

/** Where queries run: the database's Kysely, or a transaction from `database.transaction()`. */
// biome-ignore lint/suspicious/noExplicitAny: the caller's own schema, which the store does not know
export type Executor = Kysely<any>;

interface IdempotencyRow {
  scope: string;
  idem_key: string;
  request_hash: string;
  status: 'pending' | 'complete';
  lease_id: string;
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
  created_at: Date | string;
  expires_at: Date | string;
}

interface IdempotencyTables {
  [IDEMPOTENCY_TABLE]: IdempotencyRow;
}

export const MAX_SCOPE_LENGTH = 191;
export const MAX_KEY_LENGTH = IDEMPOTENCY_KEY_MAX_LENGTH;
export const MAX_REQUEST_HASH_LENGTH = 128;

/** Add to the service's migration list. */
export const idempotencyMigration: Migration = {
  name: '0000_flotilla_idempotency_keys',
  async up(db, dialect) {
    await db.schema
      .createTable(IDEMPOTENCY_TABLE)
      .addColumn('scope', keyTextType(dialect, MAX_SCOPE_LENGTH), (col) => col.notNull())
      .addColumn('idem_key', keyTextType(dialect, MAX_KEY_LENGTH), (col) => col.notNull())
      .addColumn('request_hash', keyTextType(dialect, MAX_REQUEST_HASH_LENGTH), (col) => col.notNull())
      .addColumn('status', keyTextType(dialect, 16), (col) => col.notNull())
      .addColumn('lease_id', keyTextType(dialect, 36), (col) => col.notNull())
      .addColumn('response_status', 'integer')
      .addColumn('response_headers', longTextType(dialect))
      .addColumn('response_body', longTextType(dialect))
      .addColumn('created_at', timestampType(dialect), (col) => col.notNull())
      .addColumn('expires_at', timestampType(dialect), (col) => col.notNull())
      .addPrimaryKeyConstraint('flotilla_idempotency_key_pk', ['scope', 'idem_key'])
      .execute();
    await db.schema.createIndex('flotilla_idempotency_key_expires_at').on(IDEMPOTENCY_TABLE).column('expires_at').execute();
  },
  async down(db) {
    await db.schema.dropTable(IDEMPOTENCY_TABLE).execute();
  },
};

const MAX_ATTEMPTS = 4;

export class IdempotencyStore {
  // biome-ignore lint/suspicious/noExplicitAny: the caller's own schema, which the store does not know
  readonly #database: Database<any>;
  readonly #pendingTimeoutMs: number;
  readonly #now: () => Date;

  // biome-ignore lint/suspicious/noExplicitAny: the caller's own schema, which the store does not know
  constructor(database: Database<any>, options: IdempotencyStoreOptions = {}) {
    this.#database = database;
    this.#pendingTimeoutMs = options.pendingTimeoutMs ?? 60_000;
    this.#now = options.now ?? (() => new Date());
  }

  /** Claims (scope, key) for a request whose canonical form hashes to `requestHash`. */
  async begin(scope: string, key: string, requestHash: string, ttlMs: number, executor?: Executor): Promise<BeginResult> {
    checkLengths(scope, key, requestHash);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
    const db = this.#db(executor);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.#now();
      if (await this.#tryInsert(db, { scope, key, requestHash, now, expiresAt: new Date(now.getTime() + ttlMs) })) return { state: 'new' };
      const row = await db
        .selectFrom(IDEMPOTENCY_TABLE)
        .selectAll()
        .where('scope', '=', scope)
        .where('idem_key', '=', key)
        .executeTakeFirst();
      if (row === undefined) continue; // released between our insert and select: try again
      if (this.#isDead(row, now)) {
        // Replace it; the lease id makes sure we delete that entry and not a newer claim.
        await db
          .deleteFrom(IDEMPOTENCY_TABLE)
          .where('scope', '=', scope)
          .where('idem_key', '=', key)
          .where('lease_id', '=', row.lease_id)
          .execute();
        continue;
      }
      if (row.request_hash !== requestHash) return { state: 'mismatch' };
      if (row.status !== 'complete') return { state: 'in-progress' };
      return { state: 'replay', response: responseOf(row) };
    }
    // Someone keeps replacing it under us: from the caller's view, it is busy.
    return { state: 'in-progress' };
  }

  /** Records the response for a claimed key. False when the claim no longer exists (expired, taken over, abandoned). */
  async complete(scope: string, key: string, response: StoredResponse, executor?: Executor): Promise<boolean> {
    const result = await this.#db(executor)
      .updateTable(IDEMPOTENCY_TABLE)
      .set({
        status: 'complete',
        response_status: response.statusCode,
        response_headers: JSON.stringify(response.headers),
        response_body: response.body,
      })
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Releases a pending claim after a failure, so a retry with the same key starts afresh. */
  async abandon(scope: string, key: string, executor?: Executor): Promise<void> {
    await this.#db(executor)
      .deleteFrom(IDEMPOTENCY_TABLE)
      .where('scope', '=', scope)
      .where('idem_key', '=', key)
      .where('status', '=', 'pending')
      .execute();
  }

  /** Deletes expired entries; returns how many. Run it now and then (e.g. hourly). */
  async purgeExpired(now: Date = this.#now(), executor?: Executor): Promise<number> {
    const result = await this.#db(executor).deleteFrom(IDEMPOTENCY_TABLE).where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  #db(executor: Executor | undefined): Kysely<IdempotencyTables> {
    return (executor ?? this.#database.db) as Kysely<IdempotencyTables>;
  }

  #isDead(row: IdempotencyRow, now: Date): boolean {
    if (toDate(row.expires_at).getTime() <= now.getTime()) return true;
    return row.status === 'pending' && toDate(row.created_at).getTime() + this.#pendingTimeoutMs <= now.getTime();
  }

  async #tryInsert(
    db: Kysely<IdempotencyTables>,
    claim: { scope: string; key: string; requestHash: string; now: Date; expiresAt: Date },
  ): Promise<boolean> {
    const values = {
      scope: claim.scope,
      idem_key: claim.key,
      request_hash: claim.requestHash,
      status: 'pending' as const,
      lease_id: randomUUID(),
      response_status: null,
      response_headers: null,
      response_body: null,
      created_at: claim.now,
      expires_at: claim.expiresAt,
    };
    // "Insert unless the key exists" without raising: a unique-violation error
    // would abort a surrounding PostgreSQL transaction.
    const insert =
      this.#database.dialect === 'mysql'
        ? db.insertInto(IDEMPOTENCY_TABLE).ignore().values(values)
        : db
            .insertInto(IDEMPOTENCY_TABLE)
            .values(values)
            .onConflict((conflict) => conflict.columns(['scope', 'idem_key']).doNothing());
    const result = await insert.executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }
}

function responseOf(row: IdempotencyRow): StoredResponse {
  return {
    statusCode: row.response_status ?? 200,
    headers: row.response_headers === null ? {} : (JSON.parse(row.response_headers) as Record<string, string>),
    body: row.response_body ?? '',
  };
}

function checkLengths(scope: string, key: string, requestHash: string): void {
  const violations = [];
  // Checked here because MySQL's INSERT IGNORE would truncate instead of failing.
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    violations.push({ field: 'Idempotency-Key', rule: 'length', message: `must be 1 to ${MAX_KEY_LENGTH} characters` });
  }
  if (scope.length === 0 || scope.length > MAX_SCOPE_LENGTH) {
    violations.push({ field: 'scope', rule: 'length', message: `must be 1 to ${MAX_SCOPE_LENGTH} characters` });
  }
  if (requestHash.length === 0 || requestHash.length > MAX_REQUEST_HASH_LENGTH) {
    violations.push({
      field: 'requestHash',
      rule: 'length',
      message: `must be 1 to ${MAX_REQUEST_HASH_LENGTH} characters`,
    });
  }
  if (violations.length > 0) throw new ValidationError(violations, 'Invalid idempotency key');
}

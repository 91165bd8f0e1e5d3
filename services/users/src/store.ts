/** The UserRepository the domain asks for, as Kysely queries. The only file that knows table and column names. */
import { ConflictError } from '@flotilla/kit';
import { IdempotencyStore, isUniqueViolation, toDate, type Database } from '@flotilla/data';
import type { CompiledQuery, Kysely, Selectable } from 'kysely';
import type { IdempotencyKey, IdempotentInsert, UserRecord, UserRepository } from './repository.ts';

type UsersTable = {
  id: string;
  name: string;
  email: string;
  email_normalized: string;
  created_at: Date | string;
  updated_at: Date | string;
  version: number;
};

// A type alias, not an interface: Kysely's withTables wants an index-signature-compatible record.
export type UsersTables = {
  users: UsersTable;
};

export class UserStore implements UserRepository {
  private readonly database: Database<object>;
  private readonly db: Kysely<UsersTables>;
  private readonly idempotency: IdempotencyStore;
  /** The hottest query (GET /users/:id, the gRPC lookups) built and compiled once; each call binds its id. */
  private readonly byId: CompiledQuery<Selectable<UsersTable>>;

  constructor(database: Database<object>) {
    this.database = database;
    this.db = database.db.withTables<UsersTables>();
    this.idempotency = new IdempotencyStore(database);
    this.byId = this.db.selectFrom('users').selectAll().where('id', '=', '').compile();
  }

  async insert(user: UserRecord, executor: Kysely<UsersTables> = this.db): Promise<void> {
    try {
      await executor.insertInto('users').values(toRow(user)).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A user with email ${user.email} already exists`, { reason: 'email-taken' });
      throw error;
    }
  }

  /** Insert and record the outcome under an idempotency key, atomically: both happen or neither. */
  async insertIdempotently(user: UserRecord, key: IdempotencyKey): Promise<IdempotentInsert> {
    return this.database.transaction(async (trx) => {
      const tx = trx.withTables<UsersTables>();
      const begun = await this.idempotency.begin(key.scope, key.key, key.fingerprint, key.ttlMs, trx);
      if (begun.state === 'replay') return { state: 'replay', user: fromSnapshot(begun.response.body) };
      if (begun.state !== 'new') return { state: begun.state };
      await this.insert(user, tx);
      await this.idempotency.complete(key.scope, key.key, { statusCode: 201, headers: {}, body: JSON.stringify(user) }, trx);
      return { state: 'created' };
    });
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const { rows } = await this.db.executeQuery<Selectable<UsersTable>>({ ...this.byId, parameters: [id.toLowerCase()] });
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  async findByIds(ids: string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .where(
        'id',
        'in',
        ids.map((id) => id.toLowerCase()),
      )
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  /** Keyset pagination in id order (UUIDv7, so creation order). */
  async list(query: { limit: number; afterId?: string | undefined; email?: string | undefined }): Promise<UserRecord[]> {
    let select = this.db.selectFrom('users').selectAll().orderBy('id').limit(query.limit);
    if (query.afterId !== undefined) select = select.where('id', '>', query.afterId);
    if (query.email !== undefined) select = select.where('email_normalized', '=', query.email);
    return (await select.execute()).map(fromRow);
  }

  /** Writes `user` if the stored version is still `expectedVersion`; false otherwise. */
  async update(user: UserRecord, expectedVersion: number): Promise<boolean> {
    try {
      const result = await this.db
        .updateTable('users')
        .set({
          name: user.name,
          email: user.email,
          email_normalized: user.email.toLowerCase(),
          updated_at: user.updatedAt,
          version: user.version,
        })
        .where('id', '=', user.id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A user with email ${user.email} already exists`, { reason: 'email-taken' });
      throw error;
    }
  }

  async delete(id: string, expectedVersion?: number): Promise<boolean> {
    let query = this.db.deleteFrom('users').where('id', '=', id.toLowerCase());
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

function toRow(user: UserRecord): UsersTable {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    email_normalized: user.email.toLowerCase(),
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    version: user.version,
  };
}

function fromRow(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: Number(row.version),
  };
}

function fromSnapshot(body: string): UserRecord {
  const parsed = JSON.parse(body) as { id: string; name: string; email: string; createdAt: string; updatedAt: string; version: number };
  return { ...parsed, createdAt: new Date(parsed.createdAt), updatedAt: new Date(parsed.updatedAt) };
}

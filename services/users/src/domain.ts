/**
 * The users domain: rules about users, with no HTTP and no SQL. Both the REST
 * routes and the gRPC service call these methods; storage is reached only
 * through the UserRepository port (repository.ts).
 */
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, PreconditionFailedError, UnprocessableError, ValidationError, uuidv7 } from '@flotilla/kit';
import { EMAIL_MAX, NAME_MAX } from './schemas.ts';
import type { UserRecord, UserRepository } from './repository.ts';

export interface UserFields {
  name: string;
  email: string;
}

export interface Page {
  items: UserRecord[];
  nextCursor: string | null;
}

export interface IdempotencyOptions {
  key: string;
  /** What the key was first used with; a different request under the same key is refused. */
  fingerprint: string;
}

export interface UsersDomainOptions {
  idempotencyTtlMs: number;
}

export class UsersDomain {
  private readonly repository: UserRepository;
  private readonly options: UsersDomainOptions;

  constructor(repository: UserRepository, options: UsersDomainOptions) {
    this.repository = repository;
    this.options = options;
  }

  async create(fields: UserFields, idempotency?: IdempotencyOptions): Promise<{ user: UserRecord; replayed: boolean }> {
    const clean = normalise(fields);
    const now = new Date();
    const record: UserRecord = { id: uuidv7(now.getTime()), ...clean, createdAt: now, updatedAt: now, version: 1 };
    if (idempotency === undefined) {
      await this.repository.insert(record);
      return { user: record, replayed: false };
    }
    const outcome = await this.repository.insertIdempotently(record, {
      scope: 'users.create',
      key: idempotency.key,
      fingerprint: idempotency.fingerprint,
      ttlMs: this.options.idempotencyTtlMs,
    });
    switch (outcome.state) {
      case 'created':
        return { user: record, replayed: false };
      case 'replay':
        return { user: outcome.user, replayed: true };
      case 'mismatch':
        throw new UnprocessableError('This Idempotency-Key was already used with a different request body', {
          reason: 'idempotency-key-reused',
        });
      case 'in-progress':
        throw new ConflictError('A request with this Idempotency-Key is still being processed; retry later', {
          reason: 'idempotency-key-in-progress',
        });
    }
  }

  async get(id: string): Promise<UserRecord> {
    const user = await this.repository.findById(id);
    if (user === undefined) throw notFound(id);
    return user;
  }

  async getMany(ids: string[]): Promise<UserRecord[]> {
    return this.repository.findByIds(ids);
  }

  async list(query: { limit: number; cursor?: string | undefined; email?: string | undefined }): Promise<Page> {
    // The cursor is the last id of the previous page (ids are UUIDv7, listed in order).
    const afterId = query.cursor?.toLowerCase();
    const rows = await this.repository.list({ limit: query.limit + 1, afterId, email: query.email?.trim().toLowerCase() });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? last.id : null };
  }

  /** Full replace. `expectedVersion` comes from If-Match; undefined means "whatever is current". */
  async replace(id: string, fields: UserFields, expectedVersion?: number): Promise<UserRecord> {
    const clean = normalise(fields);
    const current = await this.get(id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw stale(id, current.version);
    const next: UserRecord = { ...current, ...clean, updatedAt: new Date(), version: current.version + 1 };
    if (await this.repository.update(next, current.version)) return next;
    // Someone changed or deleted it between our read and write.
    const now = await this.repository.findById(id);
    if (now === undefined) throw notFound(id);
    throw stale(id, now.version);
  }

  async remove(id: string, expectedVersion?: number): Promise<void> {
    const current = await this.get(id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw stale(id, current.version);
    if (await this.repository.delete(id, expectedVersion)) return;
    const now = await this.repository.findById(id);
    if (now === undefined) throw notFound(id);
    throw stale(id, now.version);
  }
}

/** A stable digest of a create request, to detect an Idempotency-Key reused for another body. */
export function fingerprint(fields: UserFields): string {
  return createHash('sha256')
    .update(JSON.stringify([fields.name, fields.email]))
    .digest('base64url');
}

function normalise(fields: UserFields): UserFields {
  const name = fields.name.trim();
  const email = fields.email.trim();
  const violations = [];
  // Characters as JSON Schema and SQL count them: code points, not UTF-16 units.
  const nameLength = codePoints(name);
  if (nameLength < 1 || nameLength > NAME_MAX)
    violations.push({ field: 'body.name', rule: 'length', message: `must be 1–${NAME_MAX} characters after trimming` });
  if (codePoints(email) > EMAIL_MAX)
    violations.push({ field: 'body.email', rule: 'maxLength', message: `must be at most ${EMAIL_MAX} characters` });
  if (violations.length > 0) throw new ValidationError(violations);
  return { name, email };
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`User ${id} does not exist`);
}

function stale(id: string, version: number): PreconditionFailedError {
  return new PreconditionFailedError(`User ${id} has changed (current version ${version}); read it again and retry`);
}

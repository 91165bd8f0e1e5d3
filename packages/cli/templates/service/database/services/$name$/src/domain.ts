/**
 * The $name$ domain: the rules about items, with no HTTP and no SQL. The REST
 * routes and the gRPC service both call these methods; storage is reached
 * only through the $Name$Repository port (repository.ts).
 */
import { NotFoundError, PreconditionFailedError, uuidv7, ValidationError } from '@flotilla/kit';
import type { $Name$Repository, ItemRecord } from './repository.ts';

export const NAME_MAX = 100;

export interface ItemFields {
  name: string;
}

export interface ItemPage {
  items: ItemRecord[];
  nextCursor: string | null;
}

export class $Name$Domain {
  private readonly repository: $Name$Repository;

  constructor(repository: $Name$Repository) {
    this.repository = repository;
  }

  async create(fields: ItemFields): Promise<ItemRecord> {
    const name = normaliseName(fields.name);
    const now = new Date();
    const item: ItemRecord = { id: uuidv7(now.getTime()), name, createdAt: now, updatedAt: now, version: 1 };
    await this.repository.insert(item);
    return item;
  }

  async get(id: string): Promise<ItemRecord> {
    const item = await this.repository.findById(id.toLowerCase());
    if (item === undefined) throw notFound(id);
    return item;
  }

  async list(query: { limit: number; cursor?: string | undefined }): Promise<ItemPage> {
    const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.repository.list({ limit: query.limit + 1, afterId });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.id) : null };
  }

  /** Full replace. `expectedVersion` comes from If-Match; undefined means "whatever is current". */
  async replace(id: string, fields: ItemFields, expectedVersion?: number): Promise<ItemRecord> {
    const name = normaliseName(fields.name);
    const current = await this.get(id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw stale(id, current.version);
    const next: ItemRecord = { ...current, name, updatedAt: new Date(), version: current.version + 1 };
    if (await this.repository.update(next, current.version)) return next;
    throw await this.lostRace(id);
  }

  async remove(id: string, expectedVersion?: number): Promise<void> {
    const current = await this.get(id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw stale(id, current.version);
    if (!(await this.repository.delete(current.id, current.version))) throw await this.lostRace(id);
  }

  /** Someone changed or deleted the item between our read and our write. */
  private async lostRace(id: string): Promise<Error> {
    const now = await this.repository.findById(id.toLowerCase());
    return now === undefined ? notFound(id) : stale(id, now.version);
  }
}

/** A name is 1–NAME_MAX characters once trimmed. */
export function normaliseName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > NAME_MAX) {
    throw new ValidationError([{ field: 'name', rule: 'length', message: `must be 1–${NAME_MAX} characters after trimming` }]);
  }
  return trimmed;
}

/** The opaque `nextCursor` of a page: the last id on it. */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ after: id })).toString('base64url');
}

/** The id a cursor this API issued points after; any other value is a validation error. */
export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && /^[0-9a-f-]{36}$/i.test(parsed.after)) return parsed.after.toLowerCase();
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError([{ field: 'query.cursor', rule: 'cursor', message: 'is not a cursor this API issued' }]);
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Item ${id} does not exist`);
}

function stale(id: string, version: number): PreconditionFailedError {
  return new PreconditionFailedError(`Item ${id} has changed (current version ${version}); read it again and retry`);
}

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
    // The cursor is the last id of the previous page (ids are UUIDv7, listed in order).
    const afterId = query.cursor?.toLowerCase();
    const rows = await this.repository.list({ limit: query.limit + 1, afterId });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last !== undefined ? last.id : null };
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
  // Characters as JSON Schema and SQL count them: code points, not UTF-16 units.
  const length = [...trimmed].length;
  if (length === 0 || length > NAME_MAX) {
    throw new ValidationError([{ field: 'name', rule: 'length', message: `must be 1–${NAME_MAX} characters after trimming` }]);
  }
  return trimmed;
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Item ${id} does not exist`);
}

function stale(id: string, version: number): PreconditionFailedError {
  return new PreconditionFailedError(`Item ${id} has changed (current version ${version}); read it again and retry`);
}

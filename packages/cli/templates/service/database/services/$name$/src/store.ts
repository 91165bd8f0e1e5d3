/** The $Name$Repository the domain asks for, as Kysely queries. The only file that knows table and column names. */
import { toDate, type Database } from '@flotilla/data';
import type { Kysely, Selectable } from 'kysely';
import type { $Name$Repository, ItemRecord } from './repository.ts';

type ItemsTable = {
  id: string;
  name: string;
  created_at: Date | string;
  updated_at: Date | string;
  version: number;
};

// A type alias, not an interface: Kysely's withTables wants an index-signature-compatible record.
export type $Name$Tables = {
  items: ItemsTable;
};

export class $Name$Store implements $Name$Repository {
  private readonly db: Kysely<$Name$Tables>;

  constructor(database: Database<object>) {
    this.db = database.db.withTables<$Name$Tables>();
  }

  async insert(item: ItemRecord): Promise<void> {
    await this.db.insertInto('items').values(toRow(item)).execute();
  }

  async findById(id: string): Promise<ItemRecord | undefined> {
    const row = await this.db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /** Keyset pagination in id order (UUIDv7, so creation order). */
  async list(query: { limit: number; afterId?: string | undefined }): Promise<ItemRecord[]> {
    let select = this.db.selectFrom('items').selectAll().orderBy('id').limit(query.limit);
    if (query.afterId !== undefined) select = select.where('id', '>', query.afterId);
    return (await select.execute()).map(fromRow);
  }

  async update(item: ItemRecord, expectedVersion: number): Promise<boolean> {
    const result = await this.db
      .updateTable('items')
      .set({ name: item.name, updated_at: item.updatedAt, version: item.version })
      .where('id', '=', item.id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(id: string, expectedVersion: number): Promise<boolean> {
    const result = await this.db.deleteFrom('items').where('id', '=', id).where('version', '=', expectedVersion).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

function toRow(item: ItemRecord): ItemsTable {
  return { id: item.id, name: item.name, created_at: item.createdAt, updated_at: item.updatedAt, version: item.version };
}

function fromRow(row: Selectable<ItemsTable>): ItemRecord {
  return {
    id: row.id,
    name: row.name,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: Number(row.version),
  };
}

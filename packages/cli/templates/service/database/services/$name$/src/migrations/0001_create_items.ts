import type { Migration } from '@flotilla/data';
import { timestampType } from '@flotilla/data';

/** Items: a UUIDv7 key (so id order is creation order), a name and a version for optimistic concurrency. */
export const createItems: Migration = {
  name: '0001_create_items',
  async up(db, dialect) {
    await db.schema
      .createTable('items')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('created_at', timestampType(dialect), (c) => c.notNull())
      .addColumn('updated_at', timestampType(dialect), (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('items').execute();
  },
};

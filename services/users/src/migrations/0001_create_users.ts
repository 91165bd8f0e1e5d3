import type { Migration } from '@flotilla/data';
import { keyTextType, timestampType } from '@flotilla/data';

/** Users, with a case-insensitive unique email (stored lower-cased beside the original). */
export const createUsers: Migration = {
  name: '0001_create_users',
  async up(db, dialect) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('email', 'varchar(254)', (c) => c.notNull())
      .addColumn('email_normalized', keyTextType(dialect, 254), (c) => c.notNull().unique())
      .addColumn('created_at', timestampType(dialect), (c) => c.notNull())
      .addColumn('updated_at', timestampType(dialect), (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('users').execute();
  },
};

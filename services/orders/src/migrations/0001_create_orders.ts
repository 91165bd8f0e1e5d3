import type { Migration } from '@flotilla/data';
import { keyTextType, timestampType } from '@flotilla/data';

/** Orders, one row each; the lines live in order_items. Money is integer minor units (bigint). */
export const createOrders: Migration = {
  name: '0001_create_orders',
  async up(db, dialect) {
    await db.schema
      .createTable('orders')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('currency', 'varchar(3)', (c) => c.notNull())
      .addColumn('status', keyTextType(dialect, 16), (c) => c.notNull())
      .addColumn('total', 'bigint', (c) => c.notNull())
      .addColumn('created_at', timestampType(dialect), (c) => c.notNull())
      .addColumn('updated_at', timestampType(dialect), (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('orders').execute();
  },
};

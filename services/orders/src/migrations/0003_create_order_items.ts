import type { Migration } from '@flotilla/data';
import { keyTextType } from '@flotilla/data';

/**
 * The lines of an order, in the order the client sent them (`line` from 0).
 * A child table rather than a JSON column: typed columns read back the same on
 * every dialect, and skus stay queryable. The foreign key is a table constraint
 * because MySQL ignores inline column REFERENCES.
 */
export const createOrderItems: Migration = {
  name: '0003_create_order_items',
  async up(db, dialect) {
    await db.schema
      .createTable('order_items')
      .addColumn('order_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('line', 'integer', (c) => c.notNull())
      .addColumn('sku', keyTextType(dialect, 64), (c) => c.notNull())
      .addColumn('quantity', 'integer', (c) => c.notNull())
      .addColumn('unit_price', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('order_items_pk', ['order_id', 'line'])
      .addForeignKeyConstraint('order_items_order_fk', ['order_id'], 'orders', ['id'], (fk) => fk.onDelete('cascade'))
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('order_items').execute();
  },
};

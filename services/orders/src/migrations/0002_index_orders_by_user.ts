import type { Migration } from '@flotilla/data';

/** Listing one user's orders newest first is a range scan of (user_id, id). */
export const indexOrdersByUser: Migration = {
  name: '0002_index_orders_by_user',
  async up(db) {
    await db.schema.createIndex('orders_user_id_id').on('orders').columns(['user_id', 'id']).execute();
  },
  async down(db) {
    await db.schema.dropIndex('orders_user_id_id').on('orders').execute();
  },
};

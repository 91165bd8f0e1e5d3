/** Every migration of the orders database, in order. Never edit one that has shipped: add the next. */
import { idempotencyMigration, type Migration } from '@flotilla/data';
import { createOrders } from './0001_create_orders.ts';
import { indexOrdersByUser } from './0002_index_orders_by_user.ts';
import { createOrderItems } from './0003_create_order_items.ts';

export const migrations: Migration[] = [createOrders, indexOrdersByUser, createOrderItems, idempotencyMigration];

/** Every migration of the users database, in order. Never edit one that has shipped: add the next. */
import { idempotencyMigration, type Migration } from '@flotilla/data';
import { createUsers } from './0001_create_users.ts';

export const migrations: Migration[] = [createUsers, idempotencyMigration];

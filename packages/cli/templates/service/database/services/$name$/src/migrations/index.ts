/** Every migration of the $name$ database, in order. Never edit one that has shipped: add the next. */
import type { Migration } from '@flotilla/data';
import { createItems } from './0001_create_items.ts';

export const migrations: Migration[] = [createItems];

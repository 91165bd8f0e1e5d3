/**
 * What the users domain needs from storage, declared here so the domain
 * depends on nothing below it: store.ts implements UserRepository.
 */

export interface UserRecord {
  id: string;
  name: string;
  email: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/** An Idempotency-Key, where it applies, what it was first used with and how long it is remembered. */
export interface IdempotencyKey {
  scope: string;
  key: string;
  fingerprint: string;
  ttlMs: number;
}

export type IdempotentInsert =
  | { state: 'created' }
  | { state: 'replay'; user: UserRecord }
  | { state: 'mismatch' }
  | { state: 'in-progress' };

export interface UserRepository {
  /** Throws ConflictError (reason `email-taken`) when the email is in use. */
  insert(user: UserRecord): Promise<void>;
  /** Insert and record the outcome under the key, atomically: both happen or neither. */
  insertIdempotently(user: UserRecord, key: IdempotencyKey): Promise<IdempotentInsert>;
  findById(id: string): Promise<UserRecord | undefined>;
  findByIds(ids: string[]): Promise<UserRecord[]>;
  /** In id order, after `afterId`; `email` is already lower-cased. */
  list(query: { limit: number; afterId?: string | undefined; email?: string | undefined }): Promise<UserRecord[]>;
  /** Writes `user` if the stored version is still `expectedVersion`; false otherwise. Throws ConflictError (`email-taken`). */
  update(user: UserRecord, expectedVersion: number): Promise<boolean>;
  /** Deletes the user (only at `expectedVersion`, when given); false when nothing matched. */
  delete(id: string, expectedVersion?: number): Promise<boolean>;
}

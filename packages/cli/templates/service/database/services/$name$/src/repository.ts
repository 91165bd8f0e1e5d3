/**
 * What the $name$ domain needs from storage, declared here so the domain
 * depends on nothing below it: store.ts implements $Name$Repository.
 */

export interface ItemRecord {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface $Name$Repository {
  insert(item: ItemRecord): Promise<void>;
  findById(id: string): Promise<ItemRecord | undefined>;
  /** In id order (UUIDv7, so creation order), after `afterId`. */
  list(query: { limit: number; afterId?: string | undefined }): Promise<ItemRecord[]>;
  /** Writes `item` if the stored version is still `expectedVersion`; false otherwise. */
  update(item: ItemRecord, expectedVersion: number): Promise<boolean>;
  /** Deletes the item if the stored version is still `expectedVersion`; false when nothing matched. */
  delete(id: string, expectedVersion: number): Promise<boolean>;
}

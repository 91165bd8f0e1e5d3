// The informer's local copy of objects, by "namespace/name" key, with secondary indexes
// (namespace, controlling owner, and any custom ones) kept up to date on every change.
import { controllerOf, objectKey, type KubeObject } from './objects.ts';

/** Maps an object to the index values it is filed under. */
export type IndexFunction<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'namespace';
export const OWNER_INDEX = 'owner';

/** Owner index value: "<ownerKind>/<namespace>/<ownerName>" of the controlling owner. */
export function ownerIndexValue(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

const builtInIndexers: Record<string, IndexFunction<KubeObject>> = {
  [NAMESPACE_INDEX]: (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []),
  [OWNER_INDEX]: (obj) => {
    const owner = controllerOf(obj);
    return owner ? [ownerIndexValue(owner.kind, obj.metadata.namespace, owner.name)] : [];
  },
};

export class IndexedCache<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers: Record<string, IndexFunction<T>>;
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunction<T>> = {}) {
    this.indexers = { ...builtInIndexers, ...indexers };
    for (const name of Object.keys(this.indexers)) this.indices.set(name, new Map());
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /** Objects filed under `value` in the index `indexName`. */
  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`no index named ${indexName}`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const key of keys) {
      const item = this.items.get(key);
      if (item) out.push(item);
    }
    return out;
  }

  /** Inserts or replaces; returns the previous object. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const previous = this.items.get(key);
    if (previous) this.unindex(key, previous);
    this.items.set(key, obj);
    this.index(key, obj);
    return previous;
  }

  remove(key: string): T | undefined {
    const previous = this.items.get(key);
    if (!previous) return undefined;
    this.unindex(key, previous);
    this.items.delete(key);
    return previous;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name)!;
      for (const value of fn(obj)) {
        let keys = index.get(value);
        if (!keys) {
          keys = new Set();
          index.set(value, keys);
        }
        keys.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const index = this.indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

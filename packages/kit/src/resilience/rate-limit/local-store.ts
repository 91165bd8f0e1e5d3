/**
 * Buckets in this process, with bounded memory. The map is kept in
 * least-recently-used order (a take moves its bucket to the end); each take
 * also looks at the oldest few buckets and drops those that have refilled
 * (forgetting a full bucket changes no decision). Past `maxBuckets` the
 * least recently used bucket goes even if it is not full: memory stays
 * bounded under a flood of distinct keys, at the price of a fresh bucket for
 * a client idle long enough to be the oldest.
 */
import { isFull, takeTokens, type BucketResult, type BucketShape, type BucketState } from './token-bucket.js';

interface Entry {
  state: BucketState;
  shape: BucketShape;
}

/** How many of the oldest buckets one take examines for idleness. */
const SWEEP_PER_TAKE = 4;

export class LocalBucketStore {
  readonly #buckets = new Map<string, Entry>();
  #maxBuckets: number;
  readonly #now: () => number;

  constructor(options: { maxBuckets: number; now?: () => number }) {
    this.#maxBuckets = options.maxBuckets;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#buckets.size;
  }

  set maxBuckets(value: number) {
    this.#maxBuckets = value;
    this.#evictOverflow();
  }

  take(key: string, shape: BucketShape, cost = 1): BucketResult {
    const now = this.#now();
    const entry = this.#buckets.get(key);
    const { result, state } = takeTokens(entry?.state, now, shape, cost);
    if (entry !== undefined) this.#buckets.delete(key);
    this.#buckets.set(key, { state, shape });
    this.#sweep(now, key);
    this.#evictOverflow();
    return result;
  }

  clear(): void {
    this.#buckets.clear();
  }

  #sweep(now: number, justTaken: string): void {
    let examined = 0;
    for (const [key, entry] of this.#buckets) {
      if (examined++ >= SWEEP_PER_TAKE || key === justTaken) return;
      if (isFull(entry.state, now, entry.shape)) this.#buckets.delete(key);
    }
  }

  #evictOverflow(): void {
    while (this.#buckets.size > this.#maxBuckets) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done === true) return;
      this.#buckets.delete(oldest.value);
    }
  }
}

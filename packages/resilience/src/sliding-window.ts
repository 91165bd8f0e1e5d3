/**
 * SlidingCounts: a few counters over a sliding time window, kept in a ring of
 * buckets (window / buckets ms each). Old buckets are cleared as time moves
 * on, so the totals always cover the last `windowMs` (give or take the
 * bucket being filled). Running sums: O(1) to add and to read (amortised
 * over the buckets that expire); no timers.
 */
import type { Clock } from './clock.ts';

export class SlidingCounts<K extends string> {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly buckets: number;
  readonly #keys: readonly K[];
  readonly #clock: Clock;
  /** Per bucket: which bucket number (time / bucketMs) it holds, and its counts. */
  readonly #epochs: number[];
  readonly #counts: number[][];
  /** Running sums over the buckets in the window, kept as buckets expire, so reading costs no loop. */
  readonly #sums: number[];
  /** The newest bucket number seen; buckets up to it have been expired. */
  #current = Number.NEGATIVE_INFINITY;

  constructor(keys: readonly K[], options: { windowMs: number; buckets: number; clock: Clock }) {
    if (!(options.windowMs > 0) || !Number.isInteger(options.buckets) || options.buckets < 1) {
      throw new RangeError(
        `A sliding window needs windowMs > 0 and a whole number of buckets ≥ 1 (got ${options.windowMs} ms, ${options.buckets})`,
      );
    }
    this.windowMs = options.windowMs;
    this.bucketMs = options.windowMs / options.buckets;
    this.buckets = options.buckets;
    this.#keys = keys;
    this.#clock = options.clock;
    this.#epochs = new Array<number>(options.buckets).fill(Number.NEGATIVE_INFINITY);
    this.#counts = Array.from({ length: options.buckets }, () => new Array<number>(keys.length).fill(0));
    this.#sums = new Array<number>(keys.length).fill(0);
  }

  add(key: K, n = 1): void {
    const epoch = this.#advance();
    const slot = this.#slot(epoch);
    const counts = this.#counts[slot] as number[];
    const index = this.#keys.indexOf(key);
    counts[index] = (counts[index] as number) + n;
    this.#sums[index] = (this.#sums[index] as number) + n;
  }

  /** One counter summed over the window. */
  count(key: K): number {
    this.#advance();
    return this.#sums[this.#keys.indexOf(key)] as number;
  }

  /** Every counter summed over the window. */
  totals(): Record<K, number> {
    this.#advance();
    return Object.fromEntries(this.#keys.map((key, i) => [key, this.#sums[i]])) as Record<K, number>;
  }

  /** Moves the window to now: buckets that fell out of it leave the sums and are reused. */
  #advance(): number {
    const epoch = Math.floor(this.#clock.now() / this.bucketMs);
    if (epoch === this.#current) return epoch;
    if (epoch < this.#current) return this.#current; // a clock stepping back: keep counting in the newest bucket
    // Every bucket number from the one after #current to epoch now starts empty (at most one lap of the ring).
    const first = Math.max(this.#current + 1, epoch - this.buckets + 1);
    for (let e = first; e <= epoch; e++) {
      const slot = this.#slot(e);
      const counts = this.#counts[slot] as number[];
      if (this.#epochs[slot] !== Number.NEGATIVE_INFINITY) {
        for (let i = 0; i < counts.length; i++) {
          this.#sums[i] = (this.#sums[i] as number) - (counts[i] as number);
          counts[i] = 0;
        }
      }
      this.#epochs[slot] = e;
    }
    this.#current = epoch;
    return epoch;
  }

  #slot(epoch: number): number {
    const length = this.#epochs.length;
    return ((epoch % length) + length) % length;
  }
}

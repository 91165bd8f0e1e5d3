/**
 * Buckets in Redis, shared by every process that points at the same server
 * and prefix. Each decision is bounded in time: commands time out after
 * `timeoutMs`, and while the connection is down they fail at once instead
 * of queueing (the offline queue is off), so a dead Redis never holds a
 * request; the caller decides what happens then (see StoreFailover).
 */
import { Redis } from 'ioredis';
import { TAKE_TOKENS_LUA } from './redis-script.ts';
import type { BucketResult, BucketShape } from './token-bucket.ts';

export interface RedisBucketStoreOptions {
  url: string;
  prefix: string;
  timeoutMs: number;
}

type TakeTokensCommand = (
  key: string,
  capacity: number,
  refillPerMs: number,
  cost: number,
  ttlMs: number,
) => Promise<[number, number, number, number]>;

export class RedisBucketStore {
  readonly prefix: string;
  readonly #client: Redis;
  readonly #timeoutMs: number;
  /** Settles once the first connection is ready; until then a take waits for it (bounded). */
  #firstReady: Promise<void> | undefined;

  constructor(options: RedisBucketStoreOptions) {
    this.prefix = options.prefix;
    this.#timeoutMs = options.timeoutMs;
    this.#client = new Redis(options.url, {
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(options.timeoutMs, 1_000),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Keep reconnecting (quickly at first, then once a second) so recovery is noticed.
      retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
      lazyConnect: false,
      // Decisions made in the same turn of the event loop leave in one write (one syscall, not one per request).
      enableAutoPipelining: true,
    });
    // Connection errors are reported through failed takes (StoreFailover logs transitions once).
    this.#client.on('error', () => undefined);
    this.#client.defineCommand('flotillaTakeTokens', { numberOfKeys: 1, lua: TAKE_TOKENS_LUA });
    this.#firstReady = new Promise<void>((resolve) => this.#client.once('ready', () => resolve()));
    void this.#firstReady.then(() => (this.#firstReady = undefined));
  }

  async take(key: string, shape: BucketShape, cost = 1): Promise<BucketResult> {
    if (this.#firstReady !== undefined) await this.#waitForFirstConnection();
    const ttlMs = Math.ceil(shape.capacity / shape.refillPerMs) + 1_000;
    const command = (this.#client as unknown as { flotillaTakeTokens: TakeTokensCommand }).flotillaTakeTokens;
    const [allowed, remaining, resetMs, retryAfterMs] = await command.call(
      this.#client,
      this.prefix + key,
      shape.capacity,
      shape.refillPerMs,
      cost,
      ttlMs,
    );
    return { allowed: allowed === 1, remaining, resetMs, retryAfterMs };
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }

  /** At start-up the first decisions wait (at most `timeoutMs`) for the connection instead of failing over at once. */
  async #waitForFirstConnection(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#timeoutMs)));
    await Promise.race([this.#firstReady, timeout]);
    clearTimeout(timer);
  }
}

/**
 * One undici Pool per upstream instance (origin), with keep-alive, kept
 * across route reloads. Pools for origins no longer routed are closed
 * gracefully: requests already on them finish first.
 */
import { Pool } from 'undici';
import type { ProxyOptions } from '../config.ts';

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: Pool.Options;

  constructor(proxy: ProxyOptions) {
    this.#options = {
      connections: proxy.connectionsPerInstance,
      pipelining: 1,
      keepAliveTimeout: proxy.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(proxy.keepAliveTimeoutMs, 600_000),
      connectTimeout: proxy.connectTimeoutMs,
      headersTimeout: proxy.defaultTimeoutMs,
      bodyTimeout: proxy.bodyTimeoutMs,
    };
  }

  get(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, this.#options);
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes the pools of origins outside `keep`. */
  retainOnly(keep: ReadonlySet<string>): void {
    for (const [origin, pool] of this.#pools) {
      if (keep.has(origin)) continue;
      this.#pools.delete(origin);
      void pool.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => pool.destroy())));
  }
}

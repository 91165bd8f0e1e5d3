// A reflector feeding an indexed cache, with event handlers notified of every change.
// A relist is diffed against the cache: new objects are adds, changed resourceVersions are
// updates, and objects that vanished become deletes (finalStateUnknown = true).
// A handler that throws (or rejects) gets the same event again after a backoff: errors
// are never lost and never become unhandled rejections. An optional transform cuts each
// object down as it enters the cache (transform.ts); handlers see what the cache keeps.
import { Backoff, BackoffPolicy } from '@flotilla/core';
import { IndexedCache, type IndexFunction } from './cache.ts';
import type { KubeClient } from './client.ts';
import type { KubeLogger } from './logger.ts';
import { objectKey, type KubeObject } from './objects.ts';
import { Reflector, type ReflectorHealth, type ReflectorOptions, type ReflectorSink } from './reflector.ts';
import type { ResourceType } from './resources.ts';
import type { CacheTransform } from './transform.ts';

export interface EventHandler<T extends KubeObject> {
  /** isInInitialList: the object was already there at the first list (client-go's flag of the same name) */
  onAdd?(obj: T, isInInitialList: boolean): void | Promise<void>;
  onUpdate?(oldObj: T, newObj: T): void | Promise<void>;
  /** finalStateUnknown: the delete was inferred from a relist, `obj` is the last state seen */
  onDelete?(obj: T, finalStateUnknown: boolean): void | Promise<void>;
}

/** A failing handler is retried soon, then less and less often. */
const HANDLER_RETRY_BACKOFF = new BackoffPolicy({ initialMs: 50, maxMs: 10_000, jitter: 'equal' });

export interface InformerOptions<T extends KubeObject> extends ReflectorOptions<T> {
  indexers?: Record<string, IndexFunction<T>>;
  /** a watch silent for longer than this (and not reconnected) makes the informer unhealthy */
  unhealthyAfterMs?: number;
}

export class Informer<T extends KubeObject> implements ReflectorSink<T> {
  readonly cache: IndexedCache<T>;
  readonly type: ResourceType;
  private readonly handlers: EventHandler<T>[] = [];
  private readonly reflector: Reflector<T>;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly retryBackoff = new Map<string, Backoff>();
  private syncWaiters: (() => void)[] = [];
  private readonly unhealthyAfterMs: number;
  private readonly log: KubeLogger;
  private started = false;
  /** handler failures that were scheduled for redelivery */
  handlerRetries = 0;

  constructor(client: KubeClient, type: ResourceType, log: KubeLogger, options: InformerOptions<T> = {}) {
    this.type = type;
    this.log = log.child({ informer: type.plural });
    this.cache = new IndexedCache<T>(options.indexers);
    this.reflector = new Reflector<T>(client, type, this, this.log, options);
    this.unhealthyAfterMs = options.unhealthyAfterMs ?? 30_000;
  }

  /** Sets what the cache keeps of each object; only before start(), so every cached object went through it. */
  setTransform(transform: CacheTransform<T>): void {
    if (this.started) throw new Error(`informer ${this.type.plural}: setTransform must be called before start()`);
    this.reflector.setTransform(transform);
  }

  addHandler(handler: EventHandler<T>): void {
    this.handlers.push(handler);
    // A handler added after sync still hears about everything already cached.
    if (this.hasSynced()) for (const obj of this.cache.list()) this.deliver(handler, objectKey(obj), (h) => h.onAdd?.(obj, true));
  }

  start(): void {
    this.started = true;
    this.reflector.start();
  }

  async stop(): Promise<void> {
    await this.reflector.stop();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  hasSynced(): boolean {
    return this.reflector.status().synced;
  }

  /** Synced, and the watch is open or was in contact recently. */
  healthy(now = Date.now()): boolean {
    const status = this.reflector.status();
    return status.synced && (status.watching || now - status.lastContact < this.unhealthyAfterMs);
  }

  status(): ReflectorHealth {
    return this.reflector.status();
  }

  get resourceVersion(): string {
    return this.reflector.resourceVersion;
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.hasSynced()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  // ---- ReflectorSink ---------------------------------------------------------------

  replace(items: T[], _resourceVersion: string): void {
    // The reflector marks itself synced after this returns: until then this is the first list.
    const initial = !this.hasSynced();
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const previous = this.cache.upsert(item);
      if (!previous) this.notify(key, (h) => h.onAdd?.(item, initial));
      else if (previous.metadata.resourceVersion !== item.metadata.resourceVersion) this.notify(key, (h) => h.onUpdate?.(previous, item));
    }
    for (const key of this.cache.keys()) {
      if (seen.has(key)) continue;
      const gone = this.cache.remove(key)!;
      this.notify(key, (h) => h.onDelete?.(gone, true));
    }
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const wake of waiters) wake();
  }

  added(obj: T): void {
    const key = objectKey(obj);
    const previous = this.cache.upsert(obj);
    this.notify(key, previous ? (h) => h.onUpdate?.(previous, obj) : (h) => h.onAdd?.(obj, false));
  }

  modified(obj: T): void {
    const key = objectKey(obj);
    const previous = this.cache.upsert(obj);
    this.notify(key, previous ? (h) => h.onUpdate?.(previous, obj) : (h) => h.onAdd?.(obj, false));
  }

  deleted(obj: T): void {
    const key = objectKey(obj);
    this.cache.remove(key);
    this.notify(key, (h) => h.onDelete?.(obj, false));
  }

  // ---- delivery ----------------------------------------------------------------------

  private notify(key: string, call: (handler: EventHandler<T>) => void | Promise<void>): void {
    for (const handler of this.handlers) this.deliver(handler, key, call);
  }

  private deliver(handler: EventHandler<T>, key: string, call: (handler: EventHandler<T>) => void | Promise<void>): void {
    const retry = (error: unknown) => this.scheduleRetry(handler, key, call, error);
    try {
      const result = call(handler);
      if (result instanceof Promise) result.then(() => this.retryBackoff.delete(key), retry);
    } catch (error) {
      retry(error);
    }
  }

  private scheduleRetry(
    handler: EventHandler<T>,
    key: string,
    call: (handler: EventHandler<T>) => void | Promise<void>,
    error: unknown,
  ): void {
    this.handlerRetries += 1;
    let backoff = this.retryBackoff.get(key);
    if (!backoff) {
      backoff = new Backoff(HANDLER_RETRY_BACKOFF);
      this.retryBackoff.set(key, backoff);
    }
    const delay = backoff.next();
    this.log.warn({ err: error, key, retryInMs: delay }, 'event handler failed; redelivering');
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.deliver(handler, key, call);
    }, delay);
    this.retryTimers.add(timer);
  }
}

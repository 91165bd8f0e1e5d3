// List-then-watch loop that keeps a sink in step with the API server.
//
// LIST is paginated (limit 500). WATCH starts from the list's resourceVersion with
// bookmarks, a jittered server timeout and a client idle timeout, and resumes from the
// last resourceVersion seen. 410 Gone (compacted history) triggers a relist, which the
// sink diffs into its cache. resourceVersions are opaque strings. Errors back off.
// A transform, if set, cuts each object down before the sink sees it: list items page by
// page (a relist never holds every whole object at once) and every watch event.
import { Backoff, BackoffPolicy, jittered, sleepUnlessAborted } from '@flotilla/core';
import type { KubeClient, Query } from './client.ts';
import { isGone, isStatus, KubeApiError } from './errors.ts';
import type { KubeObject, ObjectList } from './objects.ts';
import type { KubeLogger } from './logger.ts';
import { collectionPath, type ResourceType } from './resources.ts';
import type { CacheTransform } from './transform.ts';

/** Spread, yet never much shorter than planned: a failing API server is not hammered. */
const LIST_WATCH_BACKOFF = new BackoffPolicy({ initialMs: 800, maxMs: 30_000, jitter: 'equal' });

export interface ReflectorSink<T extends KubeObject> {
  /** A complete, consistent list replaces what the sink holds. */
  replace(items: T[], resourceVersion: string): void;
  added(obj: T): void;
  modified(obj: T): void;
  deleted(obj: T): void;
}

export interface ReflectorOptions<T extends KubeObject = KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  pageSize?: number;
  /** the server-side watch timeout is jittered in [min, 2*min) seconds */
  minWatchTimeoutSeconds?: number;
  /** abort a watch that delivered nothing (not even a bookmark) for this long */
  idleTimeoutMs?: number;
  /** delays between failed lists and watches; default 0.8 s doubling to 30 s, equal jitter */
  backoff?: BackoffPolicy;
  /** Told about every failed list or watch (after it is logged); the loop retries by itself. */
  onError?(error: unknown): void;
  /** Told when a list completed or a watch stream opened: the API server is reachable again. */
  onConnected?(): void;
  /** what the sink gets of each object (transform.ts); default the object as sent */
  transform?: CacheTransform<T>;
}

export interface ReflectorHealth {
  synced: boolean;
  watching: boolean;
  lastError?: string;
  /** ms since epoch of the last successful list or watch event */
  lastContact: number;
  /** completed LISTs: 1 after the first sync, +1 per relist (e.g. after 410 Gone) */
  lists: number;
}

export class Reflector<T extends KubeObject> {
  private readonly client: KubeClient;
  private readonly type: ResourceType;
  private readonly sink: ReflectorSink<T>;
  private readonly log: KubeLogger;
  private readonly options: ReflectorOptions<T>;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private lastResourceVersion = '';
  private readonly health: ReflectorHealth = { synced: false, watching: false, lastContact: 0, lists: 0 };
  private readonly backoff: Backoff;
  private readonly selectors: Query;
  private transform: CacheTransform<T> | undefined;

  constructor(client: KubeClient, type: ResourceType, sink: ReflectorSink<T>, log: KubeLogger, options: ReflectorOptions<T> = {}) {
    this.client = client;
    this.type = type;
    this.sink = sink;
    this.log = log;
    this.options = options;
    this.backoff = new Backoff(options.backoff ?? LIST_WATCH_BACKOFF);
    this.selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    this.transform = options.transform;
  }

  /** Replaces the transform; call it before start(). */
  setTransform(transform: CacheTransform<T>): void {
    this.transform = transform;
  }

  get resourceVersion(): string {
    return this.lastResourceVersion;
  }

  status(): ReflectorHealth {
    return { ...this.health };
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(signal);
          needList = false;
        }
        const delivered = await this.watchOnce(signal);
        // A watch that ends at once without delivering anything is a failure in disguise
        // (e.g. a server shutting down): back off instead of spinning.
        if (delivered === 0 && !signal.aborted) await sleepUnlessAborted(this.backoff.next(), signal);
      } catch (error) {
        this.health.watching = false;
        if (signal.aborted) break;
        if (isGone(error)) {
          this.log.info({ event: { action: 'relist' }, resource: this.type.plural }, 'resourceVersion expired (410 Gone); relisting');
          needList = true;
          continue;
        }
        this.health.lastError = error instanceof Error ? error.message : String(error);
        const delay = this.backoff.next();
        this.log.warn({ err: error, resource: this.type.plural, retryInMs: delay }, 'list/watch failed');
        this.options.onError?.(error);
        await sleepUnlessAborted(delay, signal);
      }
    }
    this.health.watching = false;
  }

  private async list(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page: ObjectList<T> = await this.client.request('GET', collectionPath(this.type, this.options.namespace), {
        query: { ...this.selectors, limit: this.options.pageSize ?? 500, continue: continueToken },
        signal,
        timeoutMs: 60_000,
      });
      // Lists do not carry apiVersion/kind per item; restore them so handlers see whole objects.
      const transform = this.transform;
      for (const item of page.items) {
        const whole = { ...item, apiVersion: page.apiVersion, kind: this.type.kind };
        items.push(transform ? transform(whole) : whole);
      }
      continueToken = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? '';
    } while (continueToken);
    this.sink.replace(items, resourceVersion);
    this.lastResourceVersion = resourceVersion;
    this.health.synced = true;
    this.health.lists += 1;
    this.health.lastContact = Date.now();
    this.options.onConnected?.();
  }

  /** Runs one watch until the server closes it; returns how many events arrived. */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    let delivered = 0;
    const minTimeout = this.options.minWatchTimeoutSeconds ?? 300;
    const stream = this.client.watch(
      collectionPath(this.type, this.options.namespace),
      {
        ...this.selectors,
        resourceVersion: this.lastResourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.floor(jittered(minTimeout, 1)),
      },
      { signal, idleTimeoutMs: this.options.idleTimeoutMs ?? 300_000, onOpen: () => this.options.onConnected?.() },
    );
    this.health.watching = true;
    for await (const event of stream) {
      delivered += 1;
      this.health.lastContact = Date.now();
      if (event.type === 'ERROR') {
        const status = isStatus(event.object) ? event.object : undefined;
        throw new KubeApiError(status?.code ?? 500, status?.reason ?? 'Unknown', status?.message ?? 'watch error');
      }
      const obj = event.object as T;
      // Read before the transform, which may leave it out.
      const resourceVersion = obj.metadata?.resourceVersion;
      if (event.type !== 'BOOKMARK') {
        const kept = this.transform ? this.transform(obj) : obj;
        if (event.type === 'ADDED') this.sink.added(kept);
        else if (event.type === 'MODIFIED') this.sink.modified(kept);
        else if (event.type === 'DELETED') this.sink.deleted(kept);
      }
      if (resourceVersion) this.lastResourceVersion = resourceVersion;
      this.backoff.reset();
    }
    this.health.watching = false;
    return delivered;
  }
}

// A controller: informers for the primary type and the types it owns, a rate-limited work
// queue of primary keys, and N workers calling the reconciler. Level-triggered: the
// reconciler gets a key, never an event, and reads the current state from the caches.
// The caches drop managedFields and the last-applied annotation unless an informer is
// given a transform of its own (`transform` in forOptions / informerOptions, cache-shapes.ts).
import type { Logger } from 'pino';
import {
  Informer,
  type InformerOptions,
  type KubeClient,
  type KubeObject,
  objectKey,
  type ResourceType,
  splitKey,
  withoutBookkeeping,
} from '@flotilla/kube';
import type { OperatorMetrics } from './metrics.ts';
import { ownerKey } from './owners.ts';
import { generationChanged, type UpdatePredicate } from './predicates.ts';
import { defaultControllerRateLimiter } from './rate-limiter.ts';
import { WorkQueue } from './workqueue.ts';

export interface ReconcileRequest {
  key: string;
  namespace?: string;
  name: string;
}

export interface ReconcileResult {
  /** reconcile again after this many ms (a success: failure history is cleared) */
  requeueAfterMs?: number;
  /** reconcile again soon, rate-limited */
  requeue?: boolean;
}

export interface Reconciler {
  reconcile(request: ReconcileRequest, signal: AbortSignal): Promise<ReconcileResult | undefined>;
}

export interface OwnedType {
  type: ResourceType;
  informerOptions?: InformerOptions<KubeObject>;
}

export interface ControllerOptions {
  name: string;
  client: KubeClient;
  forType: ResourceType;
  forOptions?: InformerOptions<KubeObject>;
  owns?: OwnedType[];
  workers?: number;
  metrics: OperatorMetrics;
  log: Logger;
  /** update filter for the primary type (default: generation changed) */
  updatePredicate?: UpdatePredicate;
}

export class Controller {
  private readonly options: ControllerOptions;
  readonly name: string;
  readonly queue: WorkQueue;
  readonly primary: Informer<KubeObject>;
  readonly owned = new Map<string, Informer<KubeObject>>();
  private reconciler: Reconciler | undefined;
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  private active = false;
  private readonly log: Logger;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.name = options.name;
    this.log = options.log.child({ controller: options.name });
    this.queue = new WorkQueue(options.name, defaultControllerRateLimiter(), options.metrics.workqueue);
    this.primary = new Informer(options.client, options.forType, this.log, { transform: withoutBookkeeping, ...options.forOptions });
    const predicate = options.updatePredicate ?? generationChanged;
    this.primary.addHandler({
      onAdd: (obj) => this.queue.add(objectKey(obj)),
      onUpdate: (oldObj, newObj) => {
        if (predicate(oldObj, newObj)) this.queue.add(objectKey(newObj));
      },
      onDelete: (obj) => this.queue.add(objectKey(obj)),
    });
    const group = options.forType.group;
    for (const { type, informerOptions } of options.owns ?? []) {
      const informer = new Informer<KubeObject>(options.client, type, this.log, { transform: withoutBookkeeping, ...informerOptions });
      const enqueueOwner = (obj: KubeObject) => {
        const key = ownerKey(obj, group, options.forType.kind);
        if (key) this.queue.add(key);
      };
      informer.addHandler({ onAdd: enqueueOwner, onUpdate: (_old, obj) => enqueueOwner(obj), onDelete: enqueueOwner });
      this.owned.set(type.kind, informer);
    }
  }

  informers(): Informer<KubeObject>[] {
    return [this.primary, ...this.owned.values()];
  }

  /** Starts the informers (a standby replica runs these too, to take over warm). */
  startInformers(): void {
    for (const informer of this.informers()) informer.start();
  }

  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all(this.informers().map((informer) => informer.waitForSync(signal)));
    return results.every(Boolean);
  }

  synced(): boolean {
    return this.informers().every((informer) => informer.hasSynced());
  }

  healthy(): boolean {
    return this.informers().every((informer) => informer.healthy());
  }

  /** Starts the workers once the caches are synced (only on the leader). */
  async startWorkers(reconciler: Reconciler): Promise<void> {
    this.reconciler = reconciler;
    const count = this.options.workers ?? 1;
    this.options.metrics.controller.maxConcurrentReconciles.set({ controller: this.name }, count);
    this.options.metrics.controller.activeWorkers.set({ controller: this.name }, 0);
    if (!(await this.waitForCacheSync(this.abort.signal))) return;
    this.active = true;
    for (let i = 0; i < count; i++) this.workers.push(this.work());
  }

  /**
   * Stops handing out work (leadership lost) and waits for in-flight reconciles. The
   * informers keep running and the queue keeps collecting keys for the next term.
   */
  async stopWorkers(): Promise<void> {
    this.active = false;
    this.queue.releaseWaiters();
    await Promise.all(this.workers);
    this.workers = [];
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.active = false;
    this.queue.shutDown();
    await Promise.all(this.workers);
    await Promise.all(this.informers().map((informer) => informer.stop()));
  }

  private async work(): Promise<void> {
    const { controller } = this.options.metrics;
    const labels = { controller: this.name };
    while (this.active) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (!this.active) {
        // Woken after leadership ended: hand the key back for the next leader term.
        this.queue.done(key);
        this.queue.add(key);
        return;
      }
      controller.activeWorkers.inc(labels);
      const started = process.hrtime.bigint();
      let result: string;
      try {
        const outcome = await this.reconciler!.reconcile({ key, ...splitKey(key) }, this.abort.signal);
        if (outcome?.requeueAfterMs !== undefined) {
          this.queue.forget(key);
          this.queue.addAfter(key, outcome.requeueAfterMs);
          result = 'requeue_after';
        } else if (outcome?.requeue) {
          this.queue.addRateLimited(key);
          result = 'requeue';
        } else {
          this.queue.forget(key);
          result = 'success';
        }
      } catch (error) {
        result = 'error';
        controller.reconcileErrors.inc(labels);
        this.log.warn({ err: error, key, retries: this.queue.retries(key) }, 'reconcile failed; will retry');
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
        controller.activeWorkers.dec(labels);
      }
      controller.reconcileTotal.inc({ controller: this.name, result });
      controller.reconcileTime.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}

/**
 * Bulkhead: at most `maxConcurrent` calls to an upstream at once, and at most
 * `maxQueue` more waiting for a slot; beyond that a call fails at once with
 * `overloaded` (503 / RESOURCE_EXHAUSTED), so a slow upstream cannot take
 * every socket and every request of the caller with it. A queued call leaves
 * the queue as soon as its signal fires or its deadline passes.
 *
 * Written here rather than taken from cockatiel: its bulkhead keeps an
 * aborted call queued until a slot frees, and its limits cannot change on a
 * config reload.
 */
import type { Logger } from 'pino';
import { FlotillaError } from '@flotilla/core';
import type { MetricsRegistry } from '@flotilla/telemetry';
import { bulkheadInstruments, type BulkheadInstruments } from './metrics.ts';
import {
  executionContext,
  invoke,
  type ExecuteOptions,
  type ExecutionContext,
  type Operation,
  type PolicyStep,
  type SteppedPolicy,
} from './policy.ts';

export interface BulkheadSettings {
  /** Default 64. */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot; 0 = fail as soon as all slots are taken. Default 64. */
  maxQueue: number;
}

export const BULKHEAD_DEFAULTS: BulkheadSettings = { maxConcurrent: 64, maxQueue: 64 };

export interface BulkheadStatus extends BulkheadSettings {
  inFlight: number;
  queued: number;
  rejections: number;
}

export interface BulkheadOptions extends Partial<BulkheadSettings> {
  upstream: string;
  metrics?: MetricsRegistry | undefined;
  logger?: Logger | undefined;
}

/** Node's timers overflow past this; a deadline further away is never reached while queued. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The bulkheads registered on each MetricsRegistry, published when it is scraped. */
const bulkheadsByRegistry = new WeakMap<MetricsRegistry, Set<Bulkhead>>();

interface Waiter {
  admit(): void;
}

export class Bulkhead implements SteppedPolicy {
  readonly upstream: string;
  #settings: BulkheadSettings;
  #inFlight = 0;
  #rejections = 0;
  readonly #queue: Waiter[] = [];
  readonly #logger: Logger | undefined;
  readonly #instruments: BulkheadInstruments | undefined;
  readonly #registry: MetricsRegistry | undefined;

  constructor(options: BulkheadOptions) {
    this.upstream = options.upstream;
    this.#settings = {
      maxConcurrent: options.maxConcurrent ?? BULKHEAD_DEFAULTS.maxConcurrent,
      maxQueue: options.maxQueue ?? BULKHEAD_DEFAULTS.maxQueue,
    };
    this.#logger = options.logger;
    const registry = options.metrics;
    if (registry !== undefined) {
      let bulkheads = bulkheadsByRegistry.get(registry);
      if (bulkheads === undefined) {
        bulkheads = new Set();
        bulkheadsByRegistry.set(registry, bulkheads);
      }
      bulkheads.add(this);
      this.#registry = registry;
      // Read at scrape time: setting two labelled gauges on every call's entry and exit cost more than the bulkhead itself.
      this.#instruments = bulkheadInstruments(registry, () => {
        for (const bulkhead of bulkheadsByRegistry.get(registry) ?? []) bulkhead.#publish();
      });
      this.#publish();
    }
  }

  /** New limits; running calls finish, and freed or added slots admit queued ones. */
  configure(settings: Partial<BulkheadSettings>): void {
    this.#settings = {
      maxConcurrent: settings.maxConcurrent ?? this.#settings.maxConcurrent,
      maxQueue: settings.maxQueue ?? this.#settings.maxQueue,
    };
    this.#drain();
  }

  status(): BulkheadStatus {
    return { ...this.#settings, inFlight: this.#inFlight, queued: this.#queue.length, rejections: this.#rejections };
  }

  execute<T>(fn: Operation<T>, options?: ExecuteOptions<T>): Promise<T> {
    const context = executionContext(options);
    if (this.tryEnter()) return this.#holding(fn, context);
    return this.enter(context).then(() => this.#holding(fn, context));
  }

  /** For `wrap()`: a slot taken at once, or after a wait in the queue; given back when the call settles. */
  readonly step: PolicyStep = {
    enter: (context) => (this.tryEnter() ? undefined : this.enter(context)),
    leave: () => this.leave(),
  };

  /**
   * Takes a free slot at once when there is one and nobody is queued (true);
   * the caller must `leave()` when its call ends. The synchronous half of
   * `execute`, for a guard that composes the steps itself.
   */
  tryEnter(): boolean {
    if (this.#inFlight >= this.#settings.maxConcurrent || this.#queue.length > 0) return false;
    this.#inFlight++;
    return true;
  }

  /** Waits for a slot (after `tryEnter` said no): rejects with `overloaded` when the queue is full, or when the call's signal or deadline fires first. */
  enter(context: ExecutionContext): Promise<void> {
    if (this.#queue.length >= this.#settings.maxQueue) return Promise.reject(this.#reject());
    return this.#wait(context);
  }

  /** Gives back a slot taken by `tryEnter` or `enter`, admitting the next queued call. */
  leave(): void {
    this.#inFlight--;
    this.#drain();
  }

  #holding<T>(fn: Operation<T>, context: ExecutionContext): Promise<T> {
    return invoke(fn, context).then(
      (value) => {
        this.leave();
        return value;
      },
      (error: unknown) => {
        this.leave();
        throw error;
      },
    );
  }

  /** Resolves once a slot is handed over (already counted in #inFlight). */
  #wait(context: ExecutionContext): Promise<void> {
    const cancellation = context.cancellation;
    if (cancellation.aborted) return Promise.reject(cancellation.reason);
    const remaining = context.deadline.remaining();
    const deadlineError = (): Error => context.deadline.error(`Deadline exceeded while queued for ${this.upstream}`);
    if (remaining <= 0) return Promise.reject(deadlineError());
    return new Promise<void>((resolve, reject) => {
      const leave = (error: unknown): void => {
        cleanUp();
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(error);
      };
      // A timer of its own (not the deadline's unref'd signal): a queued call keeps the process up until it is served or given up.
      const timer = remaining <= MAX_TIMER_MS ? setTimeout(() => leave(deadlineError()), remaining) : undefined;
      const stopWatching = cancellation.onAbort(leave);
      const cleanUp = (): void => {
        clearTimeout(timer);
        stopWatching();
      };
      const waiter: Waiter = {
        admit: () => {
          cleanUp();
          resolve();
        },
      };
      this.#queue.push(waiter);
    });
  }

  #drain(): void {
    while (this.#inFlight < this.#settings.maxConcurrent && this.#queue.length > 0) {
      this.#inFlight++;
      (this.#queue.shift() as Waiter).admit();
    }
  }

  #reject(): FlotillaError {
    this.#rejections++;
    this.#instruments?.rejections.inc({ upstream: this.upstream });
    const { maxConcurrent, maxQueue } = this.#settings;
    this.#logger?.debug(
      { upstream: this.upstream, bulkhead: { inFlight: this.#inFlight, queued: this.#queue.length } },
      `bulkhead for ${this.upstream} full`,
    );
    return new FlotillaError(
      'overloaded',
      `Too many concurrent calls to ${this.upstream}: ${maxConcurrent} running and ${maxQueue} queued`,
      {
        details: { upstream: this.upstream, maxConcurrent, maxQueue },
      },
    );
  }

  #publish(): void {
    this.#instruments?.inFlight.set({ upstream: this.upstream }, this.#inFlight);
    this.#instruments?.queued.set({ upstream: this.upstream }, this.#queue.length);
  }

  dispose(): void {
    if (this.#registry !== undefined) bulkheadsByRegistry.get(this.#registry)?.delete(this);
    this.#instruments?.inFlight.remove({ upstream: this.upstream });
    this.#instruments?.queued.remove({ upstream: this.upstream });
  }
}

/**
 * LeasedKey: one key kept in etcd under a lease of this process, and put
 * back by itself whenever it goes missing.
 *
 * - etcd3 grants the lease (TTL) and writes the key under it; keepalives go
 *   out every TTL/3 on one stream. The lease is given up only when etcd
 *   answers that it is gone, never because etcd could not be reached for a
 *   while (etcd3's own Lease gives up after 2 × TTL): a restarted etcd
 *   restores its leases with a fresh TTL, however long it was down.
 * - Lease lost (a keepalive answered with TTL 0, or a put refused): a new
 *   lease is granted and the key written again, retried with the
 *   RetryPolicy's backoff while etcd cannot be reached.
 * - The first answer on a stream opened after a broken one checks the key
 *   and puts it back if someone deleted it while the lease lived on.
 * - etcd refusing the credentials before the first write fails `start()`
 *   (a configuration problem); after it, it is retried like an outage.
 */
import type { Etcd3, Lease } from 'etcd3';
import { Deadline } from '@flotilla/core';
import { sleep } from '@flotilla/resilience';
import { RetryPolicy } from '@flotilla/resilience';
import { RECONNECT_DELAYS } from './etcd-client.ts';

export interface RegistrationEvent {
  type: 'registered' | 'lease-lost' | 'unreachable';
  leaseId?: string;
  error?: unknown;
}

export interface LeasedKeyOptions {
  key: string;
  ttlSeconds: number;
  /** The access error (credentials refused, no permission) `error` stands for, if any. */
  accessError: (error: unknown) => Error | undefined;
  /** Told about every (re)registration, lease loss and failed attempt, for logs. */
  onEvent?: (event: RegistrationEvent) => void;
}

const reconnect = new RetryPolicy(RECONNECT_DELAYS);

interface HeldLease {
  lease: Lease;
  id: string;
}

export class LeasedKey {
  readonly key: string;
  readonly #client: () => Promise<Etcd3>;
  readonly #options: LeasedKeyOptions;
  readonly #stopped = new AbortController();
  readonly #written: { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void };
  #value: string;
  #held: HeldLease | undefined;
  #everWritten = false;
  #loop: Promise<void> | undefined;

  constructor(client: () => Promise<Etcd3>, value: string, options: LeasedKeyOptions) {
    this.#client = client;
    this.#value = value;
    this.#options = options;
    this.key = options.key;
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    promise.catch(() => undefined); // nobody may be waiting
    this.#written = { promise, resolve, reject };
  }

  /** The current lease, if one is held. */
  get leaseId(): string | undefined {
    return this.#held?.id;
  }

  /** Starts keeping the key; resolves once it has been written the first time. */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#written.promise;
  }

  /** Rewrites the value under the current lease (with no lease held right now, the next one gets it). */
  async update(value: string): Promise<void> {
    this.#value = value;
    const held = this.#held;
    if (held === undefined) return;
    try {
      await held.lease.put(this.key).value(value).exec();
    } catch (error) {
      if (!held.lease.revoked()) throw this.#options.accessError(error) ?? error;
      // the lease was lost on the way: the loop writes the new value under the next one
    }
  }

  /** Stops keeping the key and revokes the lease (deleting the key); a pending start() rejects. */
  async stop(): Promise<void> {
    this.#stopped.abort(new Error(`stopped before ${this.key} could be registered`));
    this.#written.reject(this.#stopped.signal.reason);
    await this.#loop;
    const held = this.#held;
    this.#held = undefined;
    await held?.lease.revoke().catch(() => undefined); // etcd unreachable: the lease expires within its TTL
  }

  async #run(): Promise<void> {
    const retry = new RetryPolicy({
      ...RECONNECT_DELAYS,
      maxAttempts: Number.POSITIVE_INFINITY,
      retryable: (error) => this.#everWritten || this.#options.accessError(error) === undefined,
      onRetry: ({ error }) => this.#options.onEvent?.({ type: 'unreachable', error: this.#options.accessError(error) ?? error }),
    });
    while (!this.#stopped.signal.aborted) {
      let held: HeldLease;
      try {
        held = await retry.execute(() => this.#grantAndPut(), {
          idempotent: true,
          signal: this.#stopped.signal,
          deadline: Deadline.NONE,
        });
      } catch (error) {
        this.#written.reject(this.#options.accessError(error) ?? error); // stopped, or credentials refused
        return;
      }
      this.#everWritten = true;
      this.#written.resolve();
      await this.#keepAlive(held);
    }
  }

  async #grantAndPut(): Promise<HeldLease> {
    const etcd = await this.#client();
    const lease = etcd.lease(this.#options.ttlSeconds, { autoKeepAlive: false });
    try {
      const id = await lease.grant();
      await lease.put(this.key).value(this.#value).exec();
      const held = { lease, id };
      this.#held = held;
      this.#options.onEvent?.({ type: 'registered', leaseId: id });
      return held;
    } catch (error) {
      lease.release(); // abandoned: etcd lets it expire
      throw error;
    }
  }

  /**
   * Keeps `held` alive until etcd says it is gone (then forgets it) or the key
   * is stopped. One long-lived stream, as etcd3's Lease uses, because an etcd
   * shutting down gracefully keeps serving open streams but refuses new ones;
   * a broken stream is opened again after a backoff, keeping the lease.
   */
  async #keepAlive(held: HeldLease): Promise<void> {
    let failures = 0;
    let recovering = false;
    for (;;) {
      const outcome = await this.#keepAliveStream(held, recovering, () => {
        failures = 0;
      });
      if (outcome === 'stopped') return;
      if (outcome === 'lost') {
        held.lease.release();
        if (this.#held === held) {
          this.#held = undefined;
          this.#options.onEvent?.({ type: 'lease-lost', leaseId: held.id });
        }
        return;
      }
      recovering = true;
      failures += 1;
      await sleep(reconnect.backoffMs(failures + 1), this.#stopped.signal).catch(() => undefined);
    }
  }

  /** One keepalive stream, written every TTL/3; after an outage (`recovering`) its first answer checks the key. */
  async #keepAliveStream(held: HeldLease, recovering: boolean, answered: () => void): Promise<'lost' | 'broken' | 'stopped'> {
    const signal = this.#stopped.signal;
    if (signal.aborted) return 'stopped';
    let stream: Awaited<ReturnType<Etcd3['leaseClient']['leaseKeepAlive']>>;
    try {
      stream = await (await this.#client()).leaseClient.leaseKeepAlive();
    } catch (error) {
      this.#options.onEvent?.({ type: 'unreachable', leaseId: held.id, error });
      return 'broken';
    }
    if (signal.aborted) {
      stream.end();
      return 'stopped';
    }
    const ttlMs = this.#options.ttlSeconds * 1000;
    return new Promise((done) => {
      let settled = false;
      let lastAnswer = Date.now();
      let first = true;
      const finish = (outcome: 'lost' | 'broken' | 'stopped'): void => {
        if (settled) return;
        settled = true;
        clearInterval(ticker);
        signal.removeEventListener('abort', onStop);
        held.lease.off('lost', onLost);
        stream.end(); // not cancel(): etcd3 counts a cancelled stream as a failed member
        done(outcome);
      };
      const onStop = (): void => finish('stopped');
      const onLost = (): void => finish('lost'); // a put under this lease was refused
      const ticker = setInterval(() => {
        // A stream that stopped answering (half-open connection) counts as broken.
        if (Date.now() - lastAnswer > ttlMs) return finish('broken');
        stream.write({ ID: held.id });
      }, ttlMs / 3);
      stream.on('data', (response) => {
        if (Number(response.TTL) <= 0) return finish('lost');
        lastAnswer = Date.now();
        if (!first) return;
        first = false;
        answered();
        if (recovering) void this.#restoreKey(held);
      });
      stream.on('error', (error) => {
        if (!settled) this.#options.onEvent?.({ type: 'unreachable', leaseId: held.id, error });
        finish('broken');
      });
      stream.on('end', () => finish('broken'));
      signal.addEventListener('abort', onStop, { once: true });
      held.lease.on('lost', onLost);
      stream.write({ ID: held.id });
    });
  }

  /** After an outage: puts the key back if it was deleted or overwritten while the lease lived on. */
  async #restoreKey(held: HeldLease): Promise<void> {
    try {
      const etcd = await this.#client();
      const current = (await etcd.get(this.key).exec()).kvs[0];
      if (this.#held !== held) return;
      if (current !== undefined && current.lease === held.id && current.value.toString('utf8') === this.#value) return;
      await held.lease.put(this.key).value(this.#value).exec();
      this.#options.onEvent?.({ type: 'registered', leaseId: held.id });
    } catch {
      // unreachable again: the next recovery checks again
    }
  }
}

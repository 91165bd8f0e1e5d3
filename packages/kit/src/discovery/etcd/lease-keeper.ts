/**
 * LeaseKeeper: keeps one key alive in etcd under this process's lease, and
 * puts it back by itself whenever it goes missing.
 *
 *   grant lease (TTL) -> put key with the lease -> keepalive stream (every TTL/3)
 *
 * - keepalive answered with TTL 0 (revoked, expired), or a put refused with
 *   "lease not found": the lease is lost -> grant a new one and put again;
 * - stream broken (etcd restarting, network, or no answer for a whole TTL):
 *   reconnect with backoff and keep the lease id; only etcd can say it is gone;
 * - each time a stream is (re)established the key is checked and re-put if
 *   someone deleted it.
 */
import type { EtcdClient, KeepAliveStream, RawKeepAliveResponse } from './client.ts';
import { Backoff, Sleeper } from './sleep.ts';

export interface LeaseKeeperOptions {
  key: string;
  ttlSeconds: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Told about every (re)registration and lease loss, for logs. */
  onEvent?: (event: { type: 'registered' | 'lease-lost' | 'unreachable'; leaseId?: string; error?: unknown }) => void;
}

type StreamOutcome = 'lost' | 'broken';

function isLeaseNotFound(error: unknown): boolean {
  return /lease not found/i.test(String((error as Error | undefined)?.message ?? error));
}

export class LeaseKeeper {
  readonly key: string;
  readonly #client: EtcdClient;
  readonly #ttlSeconds: number;
  readonly #backoff: Backoff;
  readonly #sleeper = new Sleeper();
  readonly #onEvent: NonNullable<LeaseKeeperOptions['onEvent']>;
  #value: string;
  #leaseId: string | undefined;
  #lastAck = 0;
  #stream: KeepAliveStream | undefined;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #firstPut: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };

  constructor(client: EtcdClient, value: string, options: LeaseKeeperOptions) {
    this.#client = client;
    this.#value = value;
    this.key = options.key;
    this.#ttlSeconds = options.ttlSeconds;
    this.#backoff = new Backoff(options.retryMinMs ?? 100, options.retryMaxMs ?? 2000);
    this.#onEvent = options.onEvent ?? (() => undefined);
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    promise.catch(() => undefined); // nobody may be waiting
    this.#firstPut = { promise, resolve, reject };
  }

  /** The current lease, if one is held. */
  get leaseId(): string | undefined {
    return this.#leaseId;
  }

  /** Starts the loop; resolves once the key has been written the first time. */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#firstPut.promise;
  }

  /** Rewrites the value (under the current lease; the loop writes it if no lease is held right now). */
  async update(value: string): Promise<void> {
    this.#value = value;
    const lease = this.#leaseId;
    if (lease === undefined) return;
    try {
      await this.#client.put(this.key, value, lease);
    } catch (error) {
      if (!isLeaseNotFound(error)) throw error;
      this.#dropLease(lease); // the loop re-grants and writes the new value
    }
  }

  /** Stops keeping the key alive and revokes the lease (deleting the key). Bounded by the client's call timeout; a pending start() rejects. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#firstPut.reject(new Error(`stopped before ${this.key} could be registered`));
    this.#sleeper.wake();
    this.#stream?.cancel();
    await this.#loop;
    const lease = this.#leaseId;
    this.#leaseId = undefined;
    if (lease !== undefined) await this.#client.leaseRevoke(lease).catch(() => undefined); // unreachable: it expires within its TTL
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (this.#leaseId === undefined) {
          const { id } = await this.#client.leaseGrant(this.#ttlSeconds);
          this.#leaseId = id;
          this.#lastAck = Date.now();
          await this.#client.put(this.key, this.#value, id);
          this.#onEvent({ type: 'registered', leaseId: id });
          this.#firstPut.resolve();
        }
        const outcome = await this.#keepAlive(this.#leaseId);
        if (outcome === 'lost') this.#dropLease(this.#leaseId);
      } catch (error) {
        if (isLeaseNotFound(error)) this.#dropLease(this.#leaseId);
        else this.#onEvent({ type: 'unreachable', error });
      }
      if (this.#stopped) break;
      // The lease id is kept across outages: only etcd can say it is gone (keepalive TTL 0),
      // and a restarted etcd restores its leases with a fresh TTL.
      await this.#sleeper.sleep(this.#backoff.next());
    }
  }

  #dropLease(lease: string | undefined): void {
    if (lease === undefined || this.#leaseId !== lease) return;
    this.#leaseId = undefined;
    this.#onEvent({ type: 'lease-lost', leaseId: lease });
  }

  /** Runs one keepalive stream until the lease is lost or the stream breaks. */
  #keepAlive(lease: string): Promise<StreamOutcome> {
    return new Promise((done) => {
      const stream = this.#client.keepAliveStream();
      this.#stream = stream;
      const intervalMs = Math.max(200, (this.#ttlSeconds * 1000) / 3);
      const began = Date.now();
      let checkedKey = false;
      let settled = false;
      const finish = (outcome: StreamOutcome): void => {
        if (settled) return;
        settled = true;
        clearInterval(ticker);
        stream.removeAllListeners('data');
        stream.cancel();
        done(outcome);
      };
      const ticker = setInterval(() => {
        // A stream that stopped answering (half-open connection) counts as broken.
        if (Date.now() - Math.max(this.#lastAck, began) > this.#ttlSeconds * 1000) return finish('broken');
        stream.write({ ID: lease });
      }, intervalMs);
      stream.on('data', (response: RawKeepAliveResponse) => {
        if (Number(response.TTL) <= 0) return finish('lost');
        this.#lastAck = Date.now();
        this.#backoff.reset();
        if (!checkedKey) {
          checkedKey = true;
          void this.#ensureKey(lease);
        }
      });
      stream.on('error', () => finish('broken'));
      stream.on('end', () => finish('broken'));
      stream.write({ ID: lease });
    });
  }

  /** After a reconnect: put the key back if it was deleted while the lease lived on. */
  async #ensureKey(lease: string): Promise<void> {
    try {
      const { kvs } = await this.#client.range(this.key);
      const current = kvs[0];
      if (this.#leaseId === lease && (current === undefined || current.lease !== lease || current.value.toString() !== this.#value)) {
        await this.#client.put(this.key, this.#value, lease);
        this.#onEvent({ type: 'registered', leaseId: lease });
      }
    } catch {
      // the next reconnect checks again
    }
  }
}

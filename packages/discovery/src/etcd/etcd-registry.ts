/**
 * EtcdRegistry: discovery across machines through etcd, on the etcd3 client.
 *
 * Key layout (values are the Instance as JSON):
 *
 *   <prefix>/<namespace>/services/<service>/<instance-id>
 *   e.g. /flotilla/dev/services/users/users-host-4242-a1b2c3
 *
 * Each registered process holds one lease (TTL, keepalive every TTL/3) that
 * its key is attached to, so a killed process disappears when the lease
 * expires; LeasedKey re-registers after a lost lease or an etcd restart.
 * Watches list the service prefix and follow it from the next revision
 * (see prefix-watch.ts); while etcd is down they keep the last known set.
 */
import type { Etcd3, IKeyValue, IOptions } from 'etcd3';
import { applyUpdate, instanceFromSpec, parseInstance } from '../instance.ts';
import { LiveInstanceSet } from '../instance-set.ts';
import { Once } from '../once.ts';
import type { Instance, InstanceSet, InstanceSpec, InstanceUpdate, Registration, Registry } from '../types.ts';
import { accessError, type EtcdIdentity } from './access-error.ts';
import { UnavailableError } from '@flotilla/core';
import { etcdClientSettings, openEtcd, type EtcdCredentials, type EtcdTlsFiles } from './etcd-client.ts';
import { LeasedKey, type RegistrationEvent } from './leased-key.ts';
import { watchPrefix, type PrefixWatch } from './prefix-watch.ts';

export interface EtcdRegistryOptions {
  /** etcd members, `http://host:port` (`https://` for TLS). */
  endpoints: string[];
  /** Environment namespace; default `$FLOTILLA_ENV` or `dev`. */
  namespace?: string;
  /** Root of every Flotilla key (default `/flotilla`). */
  prefix?: string;
  /** Lease TTL in seconds (default 10): how long a killed process stays listed at most. */
  ttlSeconds?: number;
  /** Deadline of each etcd call (default 3000). */
  callTimeoutMs?: number;
  /** User name and password, for an etcd with authentication on. */
  auth?: EtcdCredentials;
  /** CA, client certificate and key files for https:// endpoints. */
  tls?: EtcdTlsFiles;
  /** Registration events (registered again, lease lost, etcd unreachable), e.g. for logs. */
  onEvent?: (event: RegistrationEvent) => void;
}

export class EtcdRegistry implements Registry {
  readonly backend = 'etcd' as const;
  readonly namespace: string;
  readonly prefix: string;
  /** The etcd members, as configured. */
  readonly endpoints: readonly string[];
  readonly #settings: IOptions;
  readonly #identity: EtcdIdentity;
  readonly #ttlSeconds: number;
  readonly #callTimeoutMs: number;
  readonly #onEvent: EtcdRegistryOptions['onEvent'];
  readonly #once = new Once<Registration>();
  readonly #watches = new Map<LiveInstanceSet, PrefixWatch>();
  readonly #closingWatches = new Set<Promise<void>>();
  #etcd: Promise<Etcd3> | undefined;
  #closed = false;
  #key: LeasedKey | undefined;
  #instance: Instance | undefined;

  constructor(options: EtcdRegistryOptions) {
    this.namespace = options.namespace ?? process.env.FLOTILLA_ENV ?? 'dev';
    this.prefix = (options.prefix ?? '/flotilla').replace(/\/+$/, '');
    this.#ttlSeconds = options.ttlSeconds ?? 10;
    if (!Number.isInteger(this.#ttlSeconds) || this.#ttlSeconds < 2)
      throw new RangeError(`ttlSeconds must be an integer >= 2, got ${this.#ttlSeconds}`);
    this.#callTimeoutMs = options.callTimeoutMs ?? 3000;
    this.#onEvent = options.onEvent;
    this.#settings = etcdClientSettings({
      endpoints: options.endpoints,
      callTimeoutMs: this.#callTimeoutMs,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
    this.endpoints = this.#settings.hosts as string[];
    this.#identity = { endpoints: this.endpoints, username: options.auth?.username };
  }

  /** `<prefix>/<namespace>/services/<service>/` */
  servicePrefix(service: string): string {
    return `${this.prefix}/${this.namespace}/services/${service}/`;
  }

  instanceKey(instance: Pick<Instance, 'service' | 'id'>): string {
    return `${this.servicePrefix(instance.service)}${instance.id}`;
  }

  /** The current lease of this process's registration (for tests and `registry ls`). */
  get leaseId(): string | undefined {
    return this.#key?.leaseId;
  }

  register(spec: InstanceSpec): Promise<Registration> {
    return this.#once.run(async () => {
      const instance = instanceFromSpec(spec);
      const key = new LeasedKey(() => this.#client(), JSON.stringify(instance), {
        key: this.instanceKey(instance),
        ttlSeconds: this.#ttlSeconds,
        accessError: (error) => accessError(error, this.#identity),
        ...(this.#onEvent === undefined ? {} : { onEvent: this.#onEvent }),
      });
      this.#key = key;
      this.#instance = instance;
      try {
        await key.start();
      } catch (error) {
        if (this.#key === key) {
          this.#key = undefined;
          this.#instance = undefined;
        }
        throw error;
      }
      const registry = this;
      return {
        get instance() {
          return registry.#instance ?? instance;
        },
        update: async (update: InstanceUpdate) => {
          if (this.#key !== key || this.#instance === undefined) throw new Error('this process is not registered (deregistered already?)');
          this.#instance = applyUpdate(this.#instance, update);
          await key.update(JSON.stringify(this.#instance));
        },
      };
    });
  }

  async deregister(): Promise<void> {
    const key = this.#key;
    this.#key = undefined;
    this.#instance = undefined;
    this.#once.reset();
    await key?.stop();
  }

  watch(service: string): InstanceSet {
    const set: LiveInstanceSet = new LiveInstanceSet(service, () => {
      const closing = this.#watches.get(set)?.close(this.#callTimeoutMs);
      this.#watches.delete(set);
      if (closing === undefined) return;
      this.#closingWatches.add(closing);
      void closing.then(() => this.#closingWatches.delete(closing));
    });
    const prefix = this.servicePrefix(service);
    const watch = watchPrefix(() => this.#client(), prefix, {
      reset: (kvs) => set.replace(parseAll(kvs)),
      events: (events) => {
        for (const { type, kv } of events) {
          const id = kv.key.toString('utf8').slice(prefix.length);
          const instance = type === 'put' ? parseOne(kv) : undefined;
          if (instance !== undefined && instance.id === id) set.put(instance);
          else set.remove(id); // deleted, expired, or overwritten with something unreadable
        }
      },
      status: (status) => set.setStatus(status),
    });
    this.#watches.set(set, watch);
    return set;
  }

  async list(service: string): Promise<Instance[]> {
    const { kvs } = await this.#call((etcd) => etcd.getAll().prefix(this.servicePrefix(service)).exec());
    return parseAll(kvs);
  }

  async services(): Promise<string[]> {
    const root = `${this.prefix}/${this.namespace}/services/`;
    const keys = await this.#call((etcd) => etcd.getAll().prefix(root).keys());
    return [...new Set(keys.map((key) => key.slice(root.length).split('/')[0]!).filter((name) => name !== ''))].sort();
  }

  async close(): Promise<void> {
    for (const set of [...this.#watches.keys()]) set.close();
    await this.deregister();
    await Promise.all(this.#closingWatches); // etcd3 keeps reconnecting a watch it has not let go of
    this.#closed = true;
    if (this.#etcd !== undefined) (await this.#etcd).close();
  }

  /** The etcd3 client, made on first use. */
  #client(): Promise<Etcd3> {
    if (this.#closed) return Promise.reject(new Error('the etcd registry is closed'));
    this.#etcd ??= openEtcd(this.#settings);
    return this.#etcd;
  }

  async #call<T>(work: (etcd: Etcd3) => Promise<T>): Promise<T> {
    try {
      return await work(await this.#client());
    } catch (error) {
      throw accessError(error, this.#identity) ?? unreachable(error, this.#identity) ?? error;
    }
  }
}

/** etcd down or not answering in time: the kit's `unavailable` (503, exit 5 in the CLI), naming where. */
function unreachable(error: unknown, identity: EtcdIdentity): UnavailableError | undefined {
  // etcd3's error classes (loaded only with the etcd backend), told apart by class name.
  if (!(error instanceof Error) || !/^GRPC(Unavailable|DeadlineExceeded)Error$/.test(error.constructor.name)) return undefined;
  return new UnavailableError(`etcd at ${identity.endpoints.join(',')} is unavailable: ${(error as Error).message}`, { cause: error });
}

function parseOne(kv: IKeyValue): Instance | undefined {
  try {
    return parseInstance(JSON.parse(kv.value.toString('utf8')));
  } catch {
    return undefined; // not an instance we can read: ignored, never fatal
  }
}

function parseAll(kvs: IKeyValue[]): Instance[] {
  return kvs
    .map((kv) => ({ key: kv.key.toString('utf8'), instance: parseOne(kv) }))
    .filter(({ key, instance }) => instance !== undefined && key.endsWith(`/${instance.id}`))
    .map(({ instance }) => instance!)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

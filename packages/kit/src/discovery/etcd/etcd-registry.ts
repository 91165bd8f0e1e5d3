/**
 * EtcdRegistry: discovery across machines through etcd.
 *
 * Key layout (values are the Instance as JSON):
 *
 *   <prefix>/<namespace>/services/<service>/<instance-id>
 *   e.g. /flotilla/dev/services/users/users-host-4242-a1b2c3
 *
 * Each registered process holds one lease (TTL, keepalive every TTL/3) that
 * its key is attached to, so a killed process disappears when the lease
 * expires; the LeaseKeeper re-registers after a lost lease or an etcd restart.
 * Watches list the service prefix and follow it from the next revision
 * (see prefix-watcher.ts); while etcd is down they keep the last known set.
 */
import { applyUpdate, instanceFromSpec, parseInstance } from '../instance.ts';
import { LiveInstanceSet } from '../instance-set.ts';
import { Once } from '../once.ts';
import type { Instance, InstanceSet, InstanceSpec, InstanceUpdate, Registration, Registry } from '../types.ts';
import { EtcdClient, type KeyValue } from './client.ts';
import { LeaseKeeper, type LeaseKeeperOptions } from './lease-keeper.ts';
import { watchPrefix, type PrefixWatch } from './prefix-watcher.ts';

export interface EtcdRegistryOptions {
  /** etcd members, `http://host:port`. */
  endpoints: string[];
  /** Environment namespace; default `$FLOTILLA_ENV` or `dev`. */
  namespace?: string;
  /** Root of every Flotilla key (default `/flotilla`). */
  prefix?: string;
  /** Lease TTL in seconds (default 10): how long a killed process stays listed at most. */
  ttlSeconds?: number;
  /** Deadline of each etcd call (default 3000). */
  callTimeoutMs?: number;
  /** Registration events (registered again, lease lost, etcd unreachable), e.g. for logs. */
  onEvent?: LeaseKeeperOptions['onEvent'];
}

export class EtcdRegistry implements Registry {
  readonly backend = 'etcd' as const;
  readonly namespace: string;
  readonly prefix: string;
  readonly client: EtcdClient;
  readonly #ttlSeconds: number;
  readonly #onEvent: LeaseKeeperOptions['onEvent'];
  readonly #once = new Once<Registration>();
  readonly #watches = new Set<LiveInstanceSet>();
  #keeper: LeaseKeeper | undefined;
  #instance: Instance | undefined;

  constructor(options: EtcdRegistryOptions) {
    this.namespace = options.namespace ?? process.env.FLOTILLA_ENV ?? 'dev';
    this.prefix = (options.prefix ?? '/flotilla').replace(/\/+$/, '');
    this.#ttlSeconds = options.ttlSeconds ?? 10;
    if (!Number.isInteger(this.#ttlSeconds) || this.#ttlSeconds < 2)
      throw new RangeError(`ttlSeconds must be an integer >= 2, got ${this.#ttlSeconds}`);
    this.#onEvent = options.onEvent;
    this.client = new EtcdClient({
      endpoints: options.endpoints,
      ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
    });
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
    return this.#keeper?.leaseId;
  }

  register(spec: InstanceSpec): Promise<Registration> {
    return this.#once.run(async () => {
      const instance = instanceFromSpec(spec);
      const keeper = new LeaseKeeper(this.client, JSON.stringify(instance), {
        key: this.instanceKey(instance),
        ttlSeconds: this.#ttlSeconds,
        ...(this.#onEvent === undefined ? {} : { onEvent: this.#onEvent }),
      });
      this.#keeper = keeper;
      this.#instance = instance;
      await keeper.start();
      const registry = this;
      return {
        get instance() {
          return registry.#instance ?? instance;
        },
        update: async (update: InstanceUpdate) => {
          if (this.#keeper !== keeper || this.#instance === undefined)
            throw new Error('this process is not registered (deregistered already?)');
          this.#instance = applyUpdate(this.#instance, update);
          await keeper.update(JSON.stringify(this.#instance));
        },
      };
    });
  }

  async deregister(): Promise<void> {
    const keeper = this.#keeper;
    this.#keeper = undefined;
    this.#instance = undefined;
    this.#once.reset();
    await keeper?.stop();
  }

  watch(service: string): InstanceSet {
    let watch: PrefixWatch | undefined;
    const set: LiveInstanceSet = new LiveInstanceSet(service, () => {
      watch?.close();
      this.#watches.delete(set);
    });
    const prefix = this.servicePrefix(service);
    watch = watchPrefix(this.client, prefix, {
      reset: (kvs) => set.replace(parseAll(kvs)),
      events: (events) => {
        for (const { type, kv } of events) {
          const id = kv.key.slice(prefix.length);
          const instance = type === 'put' ? parseOne(kv) : undefined;
          if (instance !== undefined && instance.id === id) set.put(instance);
          else set.remove(id); // deleted, expired, or overwritten with something unreadable
        }
      },
      status: (status) => set.setStatus(status),
    });
    this.#watches.add(set);
    return set;
  }

  async list(service: string): Promise<Instance[]> {
    const { kvs } = await this.client.range(this.servicePrefix(service), { prefix: true });
    return parseAll(kvs);
  }

  async services(): Promise<string[]> {
    const root = `${this.prefix}/${this.namespace}/services/`;
    const { kvs } = await this.client.range(root, { prefix: true });
    return [...new Set(kvs.map((kv) => kv.key.slice(root.length).split('/')[0]!).filter((name) => name !== ''))].sort();
  }

  async close(): Promise<void> {
    for (const set of [...this.#watches]) set.close();
    await this.deregister();
    this.client.close();
  }
}

function parseOne(kv: KeyValue): Instance | undefined {
  try {
    return parseInstance(JSON.parse(kv.value.toString('utf8')));
  } catch {
    return undefined; // not an instance we can read: ignored, never fatal
  }
}

function parseAll(kvs: KeyValue[]): Instance[] {
  const prefixless = kvs.map((kv) => ({ kv, instance: parseOne(kv) }));
  return prefixless
    .filter(({ kv, instance }) => instance !== undefined && kv.key.endsWith(`/${instance.id}`))
    .map(({ instance }) => instance!)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

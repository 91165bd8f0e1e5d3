/**
 * EtcdClient: a small promise client for the parts of etcd's v3 gRPC API the
 * registry needs (KV range/put/delete, leases, watch streams), on one grpc-js
 * channel. It never retries by itself: the registry's loops decide what a
 * failure means. Calls fail fast while etcd is down (no wait-for-ready) and
 * the channel reconnects quickly once it is back (backoff capped at 2 s).
 */
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type ChannelOptions,
  type Client,
  type ClientDuplexStream,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { etcdPackageDefinition } from './proto.ts';

export interface EtcdClientOptions {
  /** `http://host:port` or `host:port`, one per member. TLS is not supported yet. */
  endpoints: string[];
  /** Deadline of each unary call (default 3000). */
  callTimeoutMs?: number;
  channelOptions?: ChannelOptions;
}

export interface KeyValue {
  key: string;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  /** Lease id ("0" when none). */
  lease: string;
}

export interface RawKeyValue {
  key: Buffer;
  value: Buffer;
  create_revision: string;
  mod_revision: string;
  lease: string;
}

export interface RawWatchResponse {
  header: { revision: string } | null;
  watch_id: string;
  created: boolean;
  canceled: boolean;
  compact_revision: string;
  cancel_reason: string;
  events: Array<{ type: 'PUT' | 'DELETE'; kv: RawKeyValue | null }>;
}

export interface RawKeepAliveResponse {
  ID: string;
  TTL: string;
}

export type WatchStream = ClientDuplexStream<object, RawWatchResponse>;
export type KeepAliveStream = ClientDuplexStream<{ ID: string }, RawKeepAliveResponse>;

type Unary = (
  request: object,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, response: unknown) => void,
) => void;

const services = loadPackageDefinition(etcdPackageDefinition) as unknown as {
  etcdserverpb: { KV: ServiceClientConstructor; Watch: ServiceClientConstructor; Lease: ServiceClientConstructor };
};

/** The byte string just after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key
}

export function decodeKeyValue(raw: RawKeyValue): KeyValue {
  return {
    key: raw.key.toString('utf8'),
    value: raw.value,
    createRevision: Number(raw.create_revision),
    modRevision: Number(raw.mod_revision),
    lease: raw.lease,
  };
}

/** grpc-js takes `ipv4:a:1,b:2` for several members (pick_first fails over); a single host name goes through DNS. */
function channelTarget(endpoints: string[]): string {
  const hosts = endpoints.map((endpoint) => {
    if (endpoint.startsWith('https://')) throw new Error(`etcd endpoint ${endpoint}: TLS is not supported yet`);
    return endpoint.replace(/^http:\/\//, '').replace(/\/+$/, '');
  });
  if (hosts.length === 0) throw new Error('etcd: at least one endpoint is required');
  if (hosts.length === 1) return hosts[0]!;
  if (hosts.every((host) => /^\d+\.\d+\.\d+\.\d+:\d+$/.test(host))) return `ipv4:${hosts.join(',')}`;
  if (hosts.every((host) => /^\[[0-9a-fA-F:]+\]:\d+$/.test(host))) return `ipv6:${hosts.join(',')}`;
  return hosts[0]!; // mixed or named hosts: the first one (put a DNS name with several records in front instead)
}

export class EtcdClient {
  readonly target: string;
  readonly #kv: Client;
  readonly #watch: Client;
  readonly #lease: Client;
  readonly #callTimeoutMs: number;
  #closed = false;

  constructor(options: EtcdClientOptions) {
    this.target = channelTarget(options.endpoints);
    this.#callTimeoutMs = options.callTimeoutMs ?? 3000;
    const channelOptions: ChannelOptions = {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
      'grpc.keepalive_time_ms': 10_000, // etcd refuses pings more often than every 5 s
      'grpc.keepalive_timeout_ms': 5_000,
      ...options.channelOptions,
    };
    const { KV, Watch, Lease } = services.etcdserverpb;
    this.#kv = new KV(this.target, credentials.createInsecure(), channelOptions);
    const channel = this.#kv.getChannel();
    this.#watch = new Watch(this.target, credentials.createInsecure(), { channelOverride: channel });
    this.#lease = new Lease(this.target, credentials.createInsecure(), { channelOverride: channel });
  }

  get closed(): boolean {
    return this.#closed;
  }

  async range(key: string, options: { prefix?: boolean; revision?: number } = {}): Promise<{ revision: number; kvs: KeyValue[] }> {
    const response = (await this.#call(this.#kv, 'Range', {
      key: Buffer.from(key),
      ...(options.prefix === true ? { range_end: prefixEnd(key) } : {}),
      ...(options.revision === undefined ? {} : { revision: String(options.revision) }),
    })) as { header: { revision: string }; kvs: RawKeyValue[] };
    return { revision: Number(response.header.revision), kvs: response.kvs.map(decodeKeyValue) };
  }

  async put(key: string, value: string | Buffer, lease?: string): Promise<{ revision: number }> {
    const response = (await this.#call(this.#kv, 'Put', {
      key: Buffer.from(key),
      value: Buffer.from(value),
      ...(lease === undefined ? {} : { lease }),
    })) as { header: { revision: string } };
    return { revision: Number(response.header.revision) };
  }

  async delete(key: string, options: { prefix?: boolean } = {}): Promise<{ revision: number; deleted: number }> {
    const response = (await this.#call(this.#kv, 'DeleteRange', {
      key: Buffer.from(key),
      ...(options.prefix === true ? { range_end: prefixEnd(key) } : {}),
    })) as {
      header: { revision: string };
      deleted: string;
    };
    return { revision: Number(response.header.revision), deleted: Number(response.deleted) };
  }

  /** Drops history before `revision` (tests use it to force a watch to relist). */
  async compact(revision: number): Promise<void> {
    await this.#call(this.#kv, 'Compact', { revision: String(revision), physical: true });
  }

  async leaseGrant(ttlSeconds: number): Promise<{ id: string; ttlSeconds: number }> {
    const response = (await this.#call(this.#lease, 'LeaseGrant', { TTL: String(ttlSeconds) })) as {
      ID: string;
      TTL: string;
      error: string;
    };
    if (response.error !== '') throw new Error(`etcd refused the lease: ${response.error}`);
    return { id: response.ID, ttlSeconds: Number(response.TTL) };
  }

  /** Revokes a lease and deletes its keys; a lease that no longer exists is not an error. */
  async leaseRevoke(id: string): Promise<void> {
    try {
      await this.#call(this.#lease, 'LeaseRevoke', { ID: id });
    } catch (error) {
      if (!/lease not found/i.test((error as Error).message)) throw error;
    }
  }

  /** Seconds left on a lease, or -1 when it does not exist (anymore). */
  async leaseTimeToLive(id: string): Promise<number> {
    const response = (await this.#call(this.#lease, 'LeaseTimeToLive', { ID: id })) as { TTL: string };
    return Number(response.TTL);
  }

  keepAliveStream(): KeepAliveStream {
    const method = (this.#lease as unknown as Record<string, () => KeepAliveStream>).LeaseKeepAlive!;
    return method.call(this.#lease);
  }

  watchStream(): WatchStream {
    const method = (this.#watch as unknown as Record<string, () => WatchStream>).Watch!;
    return method.call(this.#watch);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#kv.close(); // owns the shared channel
  }

  #call(client: Client, method: string, request: object): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('etcd client is closed'));
    const fn = (client as unknown as Record<string, Unary>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(client, request, new Metadata(), { deadline: Date.now() + this.#callTimeoutMs }, (error, response) =>
        error === null ? resolve(response) : reject(error),
      );
    });
  }
}

/**
 * The discovery vocabulary shared by every backend and by the balancers:
 * what an instance is, how a process registers itself, and the live set of
 * instances a client watches.
 */

/** Listening ports of an instance, per protocol. */
export interface InstancePorts {
  http?: number;
  grpc?: number;
}

/** Whether an instance wants traffic. `not-serving` stays listed but is never picked. */
export type InstanceHealth = 'serving' | 'not-serving';

export interface Instance {
  /** Unique across the service, stable for the life of the process. */
  id: string;
  service: string;
  /** Host or IP other processes reach it on. */
  address: string;
  ports: InstancePorts;
  version: string;
  region: string;
  zone: string;
  /** Relative share of traffic (1..1000); 0 takes it out of rotation. */
  weight: number;
  health: InstanceHealth;
  /** Free-form string labels (e.g. build sha, canary=true). */
  metadata: Record<string, string>;
}

/** What a process gives to `register`; everything but service, address and ports has a default. */
export interface InstanceSpec {
  service: string;
  address: string;
  ports: InstancePorts;
  id?: string;
  version?: string;
  region?: string;
  zone?: string;
  weight?: number;
  health?: InstanceHealth;
  metadata?: Record<string, string>;
}

/** The fields a registered process may change while it runs. */
export interface InstanceUpdate {
  health?: InstanceHealth;
  weight?: number;
  metadata?: Record<string, string>;
}

/** This process's entry in the registry. */
export interface Registration {
  /** The instance as last written. */
  readonly instance: Instance;
  /** Rewrites the entry (health, weight, metadata); the id and addresses never change. */
  update(update: InstanceUpdate): Promise<void>;
}

/** What changed in an InstanceSet, with the set after the change. */
export interface InstanceChange {
  added: Instance[];
  updated: Instance[];
  removed: Instance[];
  instances: readonly Instance[];
}

/**
 * - `connecting`: not loaded yet (the snapshot is empty);
 * - `live`: following the backend;
 * - `stale`: the backend is unreachable; the snapshot is the last known set.
 */
export type InstanceSetStatus = 'connecting' | 'live' | 'stale';

/** The live instances of one service: a snapshot plus change notifications. */
export interface InstanceSet {
  readonly service: string;
  readonly status: InstanceSetStatus;
  /** Every listed instance (serving or not), sorted by id. */
  snapshot(): readonly Instance[];
  /** Resolves once the first listing has loaded (it never rejects). */
  readonly ready: Promise<void>;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: (change: InstanceChange) => void): () => void;
  /** Stops following the backend; the snapshot stays as it was. */
  close(): void;
}

export type RegistryBackend = 'local' | 'etcd' | 'kubernetes';

export interface Registry {
  readonly backend: RegistryBackend;
  /**
   * Registers this process, once: a second call (even with another spec) does
   * not add an entry and resolves to the same Registration, like Go's
   * sync.Once. Resolves once the entry is written; the backend keeps it alive
   * (heartbeat / lease keepalive) and re-creates it if it is lost.
   */
  register(spec: InstanceSpec): Promise<Registration>;
  /** Removes this process's entry (graceful shutdown). Safe to call when not registered. */
  deregister(): Promise<void>;
  /** The live set of `service`'s instances. Close it when done. */
  watch(service: string): InstanceSet;
  /** A one-off listing of `service`'s instances, sorted by id. */
  list(service: string): Promise<Instance[]>;
  /** Names of services that have at least one instance. */
  services(): Promise<string[]>;
  /** Deregisters (if registered), closes watches and connections. */
  close(): Promise<void>;
}

/**
 * KubernetesRegistry: discovery from the EndpointSlices of the pod's
 * namespace.
 *
 * In Kubernetes the platform registers Pods: a Service selects them, the
 * kubelet reports their readiness (the `/readyz` probe) and the EndpointSlice
 * controller publishes their addresses and conditions. So `register()` writes
 * nothing (it validates the spec and returns a Registration that lives in this
 * process only), `deregister()` resolves at once, and readiness is the
 * signal. Services need only `get`/`list`/`watch` on EndpointSlices.
 *
 * `watch(service)` is an informer on the slices labelled
 * `kubernetes.io/service-name=<service>` (list, watch with bookmarks, relist
 * after 410 Gone, backoff). After every change the instances are recomputed
 * from all of the service's slices (endpoint-slices.ts). While the API server
 * is unreachable the set is `stale` and keeps the last known instances.
 */
import { Informer, Resources, silentLogger, type KubeClient, type KubeLogger } from '@flotilla/kube';
import { connectToCluster, type ClusterSettings } from '@flotilla/config';
import { kubeCall, kubernetesError, type KubeOperation } from '@flotilla/config';
import { applyUpdate, DEFAULT_REGION, instanceFromSpec } from '../instance.ts';
import { LiveInstanceSet } from '../instance-set.ts';
import { Once } from '../once.ts';
import type { Instance, InstanceSet, InstanceSpec, InstanceUpdate, Registration, Registry } from '../types.ts';
import { instancesFromSlices, SERVICE_NAME_LABEL, type EndpointSlice } from './endpoint-slices.ts';

interface RegistryLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface KubernetesRegistryOptions extends ClusterSettings {
  /** The region every instance is placed in (EndpointSlices carry zones only); default `local`. */
  region?: string;
  env?: Record<string, string | undefined>;
  /** Watch failures (a 403 names the missing permission); the informers retry by themselves. */
  logger?: RegistryLogger;
}

const RESOURCE = 'endpointslices.discovery.k8s.io';

export function createKubernetesRegistry(options: KubernetesRegistryOptions = {}): KubernetesRegistry {
  const cluster = connectToCluster(options, options.env ?? process.env);
  return new KubernetesRegistry(cluster.client, {
    ...options,
    namespace: cluster.namespace,
    server: cluster.server,
    ownsClient: true,
  });
}

export class KubernetesRegistry implements Registry {
  readonly backend = 'kubernetes' as const;
  /** The Kubernetes namespace whose EndpointSlices are read. */
  readonly namespace: string;
  readonly #client: KubeClient;
  readonly #server: string;
  readonly #region: string;
  readonly #logger: RegistryLogger | undefined;
  readonly #ownsClient: boolean;
  readonly #once = new Once<Registration>();
  readonly #watches = new Set<LiveInstanceSet>();
  readonly #stopping = new Set<Promise<void>>();

  constructor(
    client: KubeClient,
    options: { namespace: string; server: string; region?: string; logger?: RegistryLogger; ownsClient?: boolean },
  ) {
    this.#client = client;
    this.namespace = options.namespace;
    this.#server = options.server;
    this.#region = options.region ?? DEFAULT_REGION;
    this.#logger = options.logger;
    this.#ownsClient = options.ownsClient ?? false;
  }

  /** Validates the spec and returns a Registration kept in this process: the EndpointSlice controller publishes the Pod. */
  register(spec: InstanceSpec): Promise<Registration> {
    return this.#once.run(async () => {
      let instance = instanceFromSpec(spec);
      return {
        get instance() {
          return instance;
        },
        update: async (update: InstanceUpdate) => {
          instance = applyUpdate(instance, update); // weight and health are not published: readiness is the signal
        },
      };
    });
  }

  /** Nothing to remove: on SIGTERM the Pod is terminating, so its endpoint is no longer ready. */
  async deregister(): Promise<void> {
    this.#once.reset();
  }

  watch(service: string): InstanceSet {
    const informer = new Informer<EndpointSlice>(this.#client, Resources.EndpointSlice, this.#informerLog(service), {
      namespace: this.namespace,
      labelSelector: `${SERVICE_NAME_LABEL}=${service}`,
      onError: (error) => {
        set.setStatus('stale');
        const mapped = kubernetesError(error, this.#operation('watch'));
        this.#logger?.warn(
          {
            event: { action: 'discovery-watch-error' },
            labels: { service, registry: 'kubernetes' },
            error: { message: mapped.message },
          },
          `watching the endpoints of ${service}: ${mapped.message}`,
        );
      },
      // After a list, or once a watch stream is open again: what the cache holds is current.
      onConnected: () => recompute(),
    });
    const set: LiveInstanceSet = new LiveInstanceSet(service, () => {
      this.#watches.delete(set);
      const stopped = informer.stop();
      this.#stopping.add(stopped);
      void stopped.finally(() => this.#stopping.delete(stopped));
    });
    const recompute = (): void => {
      if (!set.closed && informer.hasSynced()) set.replace(instancesFromSlices(service, informer.cache.list(), { region: this.#region }));
    };
    // A relist notifies slice by slice; one recomputation after the whole batch is enough.
    let queued = false;
    const soon = (): void => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        recompute();
      });
    };
    informer.addHandler({ onAdd: soon, onUpdate: soon, onDelete: soon });
    this.#watches.add(set);
    informer.start();
    return set;
  }

  async list(service: string): Promise<Instance[]> {
    const slices = await kubeCall(this.#operation('list'), () =>
      this.#client.list<EndpointSlice>(Resources.EndpointSlice, this.namespace, {
        labelSelector: `${SERVICE_NAME_LABEL}=${service}`,
      }),
    );
    return instancesFromSlices(service, slices.items, { region: this.#region });
  }

  async services(): Promise<string[]> {
    const slices = await kubeCall(this.#operation('list'), () =>
      this.#client.list<EndpointSlice>(Resources.EndpointSlice, this.namespace, { labelSelector: SERVICE_NAME_LABEL }),
    );
    const byService = new Map<string, EndpointSlice[]>();
    for (const slice of slices.items) {
      const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
      if (name !== undefined) byService.set(name, [...(byService.get(name) ?? []), slice]);
    }
    return [...byService]
      .filter(([name, of]) => instancesFromSlices(name, of, { region: this.#region }).length > 0)
      .map(([name]) => name)
      .sort();
  }

  async close(): Promise<void> {
    for (const set of [...this.#watches]) set.close();
    await this.deregister();
    // Watches first: a client closes gracefully, and would wait for open watch streams.
    await Promise.all([...this.#stopping]);
    if (this.#ownsClient) await this.#client.close();
  }

  /** Relist notices (410 Gone) as info lines; failures are logged by onError, once, in plain words. */
  #informerLog(service: string): KubeLogger {
    const logger = this.#logger;
    if (logger === undefined) return silentLogger;
    const log: KubeLogger = {
      info: (object, message) => logger.info({ ...object, labels: { service, registry: 'kubernetes' } }, message ?? ''),
      warn: () => undefined,
      child: () => log,
    };
    return log;
  }

  #operation(verb: string): KubeOperation {
    return { verb, resource: RESOURCE, namespace: this.namespace, server: this.#server };
  }
}

/**
 * The config centre on Kubernetes ConfigMaps (layout in kubernetes-objects.ts).
 *
 * All documents live in one Kubernetes namespace (the pod's, or the one
 * configured); the Flotilla namespace (dev, staging, prod) is part of each
 * ConfigMap's name and a label. So services need a Role in their own
 * namespace only, and staging and prod kept in different Kubernetes
 * namespaces each get a store of their own.
 *
 * The head ConfigMap is the truth. A write is a PUT of the head carrying the
 * resourceVersion it was read at (a POST when there is none), so of two
 * writers that read the same head only one succeeds; the loser gets
 * ConfigConflictError. The version is then appended to the history ConfigMap
 * (its own compare-and-set, retried). If that append is lost (a crash), the
 * head still holds the version and the next write records it, so history
 * only ever lags the head. History is bounded: see HISTORY_LIMITS.
 *
 * Watches are informers on the one head ConfigMap (list + watch with
 * bookmarks, relist after 410 Gone, backoff on errors).
 */
import { Informer, isConflict, isNotFound, Resources, type KubeClient } from '@flotilla/kube';
import { ValidationError } from '@flotilla/core';
import { connectToCluster, type ClusterSettings } from '../kubernetes/cluster.ts';
import { kubeCall, kubernetesError, type KubeOperation } from '../kubernetes/errors.ts';
import { kubeLogger } from '../kubernetes/logger.ts';
import { BaseConfigStore, nextDocument, notFound, type InternalSetOptions } from './base-store.ts';
import { ConfigConflictError } from './errors.ts';
import { trimHistory, type HistoryLimits } from './kubernetes-history.ts';
import {
  headObject,
  historyDocuments,
  historyKey,
  historyObject,
  LABELS,
  namespaceSelector,
  objectName,
  parseHead,
  schemaObject,
  SCHEMA_KEY,
  type ConfigMap,
  type HeadDocument,
} from './kubernetes-objects.ts';
import { checkVersion } from './names.ts';
import type { ConfigChange, ConfigDocument, ConfigStore, ConfigSubscription, ConfigVersionInfo, CurrentDocument } from './types.ts';

/** A ConfigMap holds at most 1 MiB; documents are capped so the history always keeps a few. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

export interface KubernetesConfigStoreOptions extends ClusterSettings, Partial<HistoryLimits> {
  env?: Record<string, string | undefined>;
  /** For watch errors (the informers retry by themselves). */
  logger?: { info(object: object, message: string): void; warn(object: object, message: string): void };
}

/** Connects with a kubeconfig (or in-cluster credentials) and returns the store. */
export function createKubernetesConfigStore(options: KubernetesConfigStoreOptions = {}): KubernetesConfigStore {
  const env = options.env ?? process.env;
  const cluster = connectToCluster(options, env);
  return new KubernetesConfigStore(cluster.client, {
    ...options,
    namespace: cluster.namespace,
    server: cluster.server,
    ownsClient: true,
  });
}

export interface KubernetesStoreInternals extends Partial<HistoryLimits> {
  /** The Kubernetes namespace holding the ConfigMaps. */
  namespace: string;
  server: string;
  env?: Record<string, string | undefined>;
  logger?: KubernetesConfigStoreOptions['logger'];
  /** Close the client with the store. */
  ownsClient?: boolean;
}

export class KubernetesConfigStore extends BaseConfigStore implements ConfigStore {
  readonly backend = 'kubernetes' as const;
  readonly location: string;
  /** The Kubernetes namespace the ConfigMaps are in. */
  readonly kubeNamespace: string;
  private readonly client: KubeClient;
  private readonly options: KubernetesStoreInternals;
  private readonly limits: HistoryLimits;
  private readonly env: Record<string, string | undefined>;
  private readonly watches = new Set<Informer<ConfigMap>>();

  constructor(client: KubeClient, options: KubernetesStoreInternals) {
    super();
    this.client = client;
    this.options = options;
    this.kubeNamespace = options.namespace;
    this.env = options.env ?? process.env;
    this.limits = { maxVersions: options.maxVersions ?? 50, maxBytes: options.maxBytes ?? 768 * 1024 };
    this.location = `kubernetes ${options.server} namespace ${options.namespace} (ConfigMaps flotilla-config.*)`;
  }

  async get(namespace: string, service: string, version?: number): Promise<ConfigDocument> {
    const head = await this.readHead(namespace, service);
    if (version === undefined || checkVersion(version) === head?.document.version) {
      if (head === undefined) throw notFound(namespace, service, version);
      return head.document;
    }
    const history = await this.readHistory(namespace, service);
    const found = historyDocuments(history?.data).find((d) => d.version === version);
    if (found === undefined) throw notFound(namespace, service, version);
    return found;
  }

  async head(namespace: string, service: string): Promise<number> {
    return (await this.readHead(namespace, service))?.document.version ?? 0;
  }

  async history(namespace: string, service: string): Promise<ConfigVersionInfo[]> {
    const [head, history] = await Promise.all([this.readHead(namespace, service), this.readHistory(namespace, service)]);
    const documents = historyDocuments(history?.data);
    // The head is the truth: a version whose append was lost (or an outside edit) is shown all the same.
    if (head !== undefined && !documents.some((d) => d.version === head.document.version)) documents.push(head.document);
    return documents.map(({ text: _text, ...info }) => info);
  }

  protected async write(namespace: string, service: string, text: string, options: InternalSetOptions): Promise<ConfigDocument> {
    if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) {
      throw new ValidationError(
        [
          {
            field: 'text',
            rule: 'maxLength',
            message: `a document on the kubernetes backend is at most ${MAX_DOCUMENT_BYTES} bytes`,
          },
        ],
        `${namespace}/${service} is too large`,
      );
    }
    const head = await this.readHead(namespace, service);
    const current = head?.document.version ?? 0;
    if (current !== options.expectedVersion) throw new ConfigConflictError(namespace, service, options.expectedVersion, current);
    const document = nextDocument(namespace, service, current, text, options, this.env);
    const resourceVersion = head === undefined ? undefined : head.resourceVersion;
    try {
      const object = headObject(this.kubeNamespace, document, resourceVersion);
      if (resourceVersion === undefined) await this.client.create(Resources.ConfigMap, object);
      else await this.client.replace(Resources.ConfigMap, object);
    } catch (error) {
      // 409: someone else wrote the head since we read it (or created it first).
      if (isConflict(error))
        throw new ConfigConflictError(namespace, service, options.expectedVersion, await this.head(namespace, service));
      throw kubernetesError(error, this.operation(resourceVersion === undefined ? 'create' : 'update'));
    }
    // The head it replaced goes in too: an outside edit becomes a version of its own, and a
    // version whose append was lost earlier is recorded now. Entries already there are kept.
    const versions = head === undefined ? [document] : [head.document, document];
    await this.appendHistory(namespace, service, versions).catch((error: unknown) => {
      // The version is stored (the head is the truth); the next write records it in the history.
      this.options.logger?.warn(
        { event: { action: 'config-history-append-failed' }, error: { message: (error as Error).message } },
        `${namespace}/${service}@${document.version} is stored but not yet in its history: ${(error as Error).message}`,
      );
    });
    return document;
  }

  async list(namespace: string): Promise<string[]> {
    const objects = await kubeCall(this.operation('list'), () =>
      this.client.list<ConfigMap>(Resources.ConfigMap, this.kubeNamespace, {
        labelSelector: namespaceSelector(namespace),
      }),
    );
    const names = objects.items.map((o) => o.metadata.labels?.[LABELS.document]).filter((n): n is string => n !== undefined && n !== '');
    return [...new Set(names)].sort();
  }

  async current(namespace: string, service: string): Promise<CurrentDocument | undefined> {
    const head = await this.readHead(namespace, service);
    if (head === undefined) return undefined;
    return { text: head.document.text, version: head.outside ? undefined : head.document.version };
  }

  async watch(
    namespace: string,
    service: string,
    onChange: (change: ConfigChange) => void,
    onError?: (error: Error) => void,
  ): Promise<ConfigSubscription> {
    const name = objectName(namespace, service, 'head');
    const deliver = (object: ConfigMap | undefined): void => {
      if (object === undefined) {
        onChange({ namespace, service, version: undefined, text: undefined });
        return;
      }
      const head = parseHead(object, namespace, service);
      onChange({
        namespace,
        service,
        version: head.outside ? undefined : head.document.version,
        text: head.document.text,
      });
    };
    let firstFailure: ((error: unknown) => void) | undefined;
    const informer = new Informer<ConfigMap>(
      this.client,
      Resources.ConfigMap,
      kubeLogger(this.options.logger, { config: { document: `${namespace}/${service}` } }),
      {
        namespace: this.kubeNamespace,
        fieldSelector: `metadata.name=${name}`,
        onError: (error) => {
          if (firstFailure !== undefined) return firstFailure(error);
          onError?.(kubernetesError(error, this.operation('watch')));
        },
      },
    );
    // The document as it is now is what the caller reads next; only later changes are news.
    informer.addHandler({
      onAdd: (object, initial) => (initial ? undefined : deliver(object)),
      onUpdate: (_old, object) => deliver(object),
      onDelete: () => deliver(undefined),
    });
    informer.start();
    // Like the etcd backend, a watch that cannot start fails (a service then fails to start).
    const failed = new Promise<unknown>((resolve) => (firstFailure = resolve));
    const outcome = await Promise.race([informer.waitForSync().then(() => 'synced' as const), failed]);
    firstFailure = undefined;
    if (outcome !== 'synced') {
      await informer.stop();
      throw kubernetesError(outcome, this.operation('list'));
    }
    this.watches.add(informer);
    return {
      close: async () => {
        this.watches.delete(informer);
        await informer.stop();
      },
    };
  }

  async publishSchema(namespace: string, service: string, schema: object): Promise<void> {
    const text = JSON.stringify(schema);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.readObject(objectName(namespace, service, 'schema'));
      if (existing?.data?.[SCHEMA_KEY] === text) return;
      try {
        const object = schemaObject(this.kubeNamespace, namespace, service, text, existing?.metadata.resourceVersion);
        if (existing === undefined) await this.client.create(Resources.ConfigMap, object);
        else await this.client.replace(Resources.ConfigMap, object);
        return;
      } catch (error) {
        // Another replica published at the same moment: look again (it is most likely the same schema).
        if (isConflict(error) && attempt < 3) continue;
        throw kubernetesError(error, this.operation(existing === undefined ? 'create' : 'update'));
      }
    }
  }

  async schema(namespace: string, service: string): Promise<object | undefined> {
    const text = (await this.readObject(objectName(namespace, service, 'schema')))?.data?.[SCHEMA_KEY];
    return text === undefined ? undefined : (JSON.parse(text) as object);
  }

  async close(): Promise<void> {
    // Watches first: the client closes gracefully, and would wait for open watch streams.
    await Promise.all([...this.watches].map((informer) => informer.stop()));
    this.watches.clear();
    if (this.options.ownsClient === true) await this.client.close();
  }

  private operation(verb: string): KubeOperation {
    return { verb, resource: 'configmaps', namespace: this.kubeNamespace, server: this.options.server };
  }

  private async readObject(name: string): Promise<ConfigMap | undefined> {
    try {
      return await this.client.get<ConfigMap>(Resources.ConfigMap, this.kubeNamespace, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw kubernetesError(error, this.operation('get'));
    }
  }

  private async readHead(namespace: string, service: string): Promise<(HeadDocument & { resourceVersion: string }) | undefined> {
    const object = await this.readObject(objectName(namespace, service, 'head'));
    if (object === undefined) return undefined;
    return { ...parseHead(object, namespace, service), resourceVersion: object.metadata.resourceVersion ?? '' };
  }

  private readHistory(namespace: string, service: string): Promise<ConfigMap | undefined> {
    return this.readObject(objectName(namespace, service, 'history'));
  }

  /** Adds versions to the history ConfigMap with its own compare-and-set; writers of later versions may race here. */
  private async appendHistory(namespace: string, service: string, documents: ConfigDocument[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.readHistory(namespace, service);
      const data = { ...existing?.data };
      for (const document of documents) data[historyKey(document.version)] ??= JSON.stringify(document);
      const object = historyObject(
        this.kubeNamespace,
        namespace,
        service,
        trimHistory(data, this.limits),
        existing?.metadata.resourceVersion,
      );
      try {
        if (existing === undefined) await this.client.create(Resources.ConfigMap, object);
        else await this.client.replace(Resources.ConfigMap, object);
        return;
      } catch (error) {
        if (isConflict(error) && attempt < 10) continue; // 409: another writer's append (or create) came first
        throw kubernetesError(error, this.operation(existing === undefined ? 'create' : 'update'));
      }
    }
  }
}

// Notices changes to the Secrets that Databases name in spec.server.secretRef (an
// administrator password rotated, a DSN fixed). Those Secrets belong to the user and carry
// no label to select them by, so every Secret is watched, but only its key and
// resourceVersion are kept: the operator does not hold every Secret of the cluster in memory.
import { type KubeClient, type KubeLogger, type KubeObject, objectKey, Reflector, type ReflectorSink, Resources } from '@flotilla/kube';

export type SecretChanged = (namespace: string, name: string) => void;

class VersionSink implements ReflectorSink<KubeObject> {
  private readonly versions = new Map<string, string>();
  private synced = false;
  private readonly changed: SecretChanged;

  constructor(changed: SecretChanged) {
    this.changed = changed;
  }

  private notify(obj: KubeObject): void {
    if (obj.metadata.namespace && obj.metadata.name) this.changed(obj.metadata.namespace, obj.metadata.name);
  }

  replace(items: KubeObject[]): void {
    // The first list is no change: every Database is reconciled at start anyway.
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const before = this.versions.get(key);
      this.versions.set(key, item.metadata.resourceVersion ?? '');
      if (!initial && before !== item.metadata.resourceVersion) this.notify(item);
    }
    for (const key of [...this.versions.keys()]) {
      if (seen.has(key)) continue;
      this.versions.delete(key);
      const slash = key.indexOf('/');
      if (!initial) this.changed(key.slice(0, slash), key.slice(slash + 1));
    }
    this.synced = true;
  }

  added(obj: KubeObject): void {
    this.modified(obj);
  }

  modified(obj: KubeObject): void {
    this.versions.set(objectKey(obj), obj.metadata.resourceVersion ?? '');
    this.notify(obj);
  }

  deleted(obj: KubeObject): void {
    this.versions.delete(objectKey(obj));
    this.notify(obj);
  }
}

export class ServerSecretWatch {
  private readonly reflector: Reflector<KubeObject>;

  constructor(client: KubeClient, log: KubeLogger, changed: SecretChanged, namespace?: string) {
    this.reflector = new Reflector(client, Resources.Secret, new VersionSink(changed), log.child({ watch: 'server-secrets' }), {
      namespace,
    });
  }

  start(): void {
    this.reflector.start();
  }

  async stop(): Promise<void> {
    await this.reflector.stop();
  }

  /** Listed once, and the watch open or in contact within 30 s. */
  healthy(now = Date.now()): boolean {
    const status = this.reflector.status();
    return status.synced && (status.watching || now - status.lastContact < 30_000);
  }
}

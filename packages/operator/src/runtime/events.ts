// Kubernetes Events about the objects we reconcile (Normal/Warning + reason). A repeat of
// the same event for the same object bumps the count of the existing Event instead of
// creating a new one. Recording never fails the caller: errors are logged.
import type { Logger } from 'pino';
import { isNotFound, type KubeClient, type KubeObject, Resources } from '@flotilla/kube';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly component: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly recent = new Map<string, { name: string; count: number; at: number }>();

  constructor(client: KubeClient, component: string, instance: string, log: Logger) {
    this.client = client;
    this.component = component;
    this.instance = instance;
    this.log = log;
  }

  record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    void this.write(obj, type, reason, message).catch((error: unknown) => {
      this.log.warn({ err: error, reason }, 'could not record event');
    });
  }

  private async write(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const key = `${obj.metadata.uid}|${type}|${reason}|${message}`;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const seen = this.recent.get(key);
    if (seen && Date.now() - seen.at < 10 * 60_000) {
      seen.count += 1;
      seen.at = Date.now();
      try {
        await this.client.patch(Resources.Event, namespace, seen.name, { count: seen.count, lastTimestamp: now });
        return;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    if (this.recent.size > 10_000) this.recent.clear();
    const created = await this.client.create(Resources.Event, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${obj.metadata.name}.`, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      type,
      reason,
      message,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    } as KubeObject);
    this.recent.set(key, { name: created.metadata.name ?? '', count: 1, at: Date.now() });
  }
}

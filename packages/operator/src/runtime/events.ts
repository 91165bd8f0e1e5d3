// Kubernetes Events about the objects we reconcile (Normal/Warning + reason). A repeat of
// the same event for the same object bumps the count of the existing Event instead of
// creating a new one. Recording never fails the caller: errors are logged.
//
// Events are written in the background by two writers from a bounded queue (as client-go's
// broadcaster does), so a burst of reconciles spends the API server on the objects first
// and the Events follow; beyond MAX_PENDING, new events are dropped and counted.
import type { Logger } from 'pino';
import { isNotFound, type KubeClient, type KubeObject, Resources } from '@flotilla/kube';

export type EventType = 'Normal' | 'Warning';

const WRITERS = 2;
const MAX_PENDING = 10_000;

interface PendingEvent {
  obj: KubeObject;
  type: EventType;
  reason: string;
  message: string;
}

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly component: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly recent = new Map<string, { name: string; count: number; at: number }>();
  private pending: PendingEvent[] = [];
  private head = 0;
  private writing = 0;
  /** events dropped because MAX_PENDING were waiting */
  dropped = 0;

  constructor(client: KubeClient, component: string, instance: string, log: Logger) {
    this.client = client;
    this.component = component;
    this.instance = instance;
    this.log = log;
  }

  record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.pending.length - this.head >= MAX_PENDING) {
      this.dropped += 1;
      if (this.dropped % 1000 === 1) this.log.warn({ reason, dropped: this.dropped }, 'too many events waiting; dropping events');
      return;
    }
    this.pending.push({ obj, type, reason, message });
    this.drain();
  }

  /** How many events wait to be written. */
  get backlog(): number {
    return this.pending.length - this.head + this.writing;
  }

  private drain(): void {
    while (this.writing < WRITERS && this.head < this.pending.length) {
      const next = this.pending[this.head]!;
      this.head += 1;
      // Drop what was written now and then, so the array does not grow without bound.
      if (this.head === this.pending.length || (this.head > 1024 && this.head * 2 > this.pending.length)) {
        this.pending = this.pending.slice(this.head);
        this.head = 0;
      }
      this.writing += 1;
      void this.write(next.obj, next.type, next.reason, next.message)
        .catch((error: unknown) => this.log.warn({ err: error, reason: next.reason }, 'could not record event'))
        .finally(() => {
          this.writing -= 1;
          this.drain();
        });
    }
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

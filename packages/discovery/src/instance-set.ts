/**
 * LiveInstanceSet: the InstanceSet every backend feeds. Backends push whole
 * listings (`replace`) or single changes (`put` / `remove`); the set works out
 * what actually changed and tells listeners only about that, so a heartbeat
 * that rewrites an identical entry is silent.
 */
import { sameInstance } from './instance.ts';
import type { Instance, InstanceChange, InstanceSet, InstanceSetStatus } from './types.ts';

type Listener = (change: InstanceChange) => void;

export class LiveInstanceSet implements InstanceSet {
  readonly service: string;
  readonly ready: Promise<void>;
  #status: InstanceSetStatus = 'connecting';
  #byId = new Map<string, Instance>();
  #sorted: readonly Instance[] = [];
  #listeners = new Set<Listener>();
  #markReady!: () => void;
  #onClose: () => void;
  #closed = false;

  constructor(service: string, onClose: () => void = () => undefined) {
    this.service = service;
    this.#onClose = onClose;
    this.ready = new Promise((resolve) => (this.#markReady = resolve));
  }

  get status(): InstanceSetStatus {
    return this.#status;
  }

  get closed(): boolean {
    return this.#closed;
  }

  snapshot(): readonly Instance[] {
    return this.#sorted;
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#onClose();
  }

  /** The backend is reachable again (`live`) or not (`stale`, the last known set stays). */
  setStatus(status: 'live' | 'stale'): void {
    if (this.#closed) return;
    if (status === 'stale' && this.#status === 'connecting') return; // nothing known yet: still connecting
    this.#status = status;
    if (status === 'live') this.#markReady();
  }

  /** A complete listing: everything not in it is removed. Marks the set live. */
  replace(instances: Iterable<Instance>): void {
    const next = new Map<string, Instance>();
    for (const instance of instances) if (instance.service === this.service) next.set(instance.id, instance);
    const change: InstanceChange = { added: [], updated: [], removed: [], instances: [] };
    for (const [id, instance] of next) {
      const before = this.#byId.get(id);
      if (before === undefined) change.added.push(instance);
      else if (!sameInstance(before, instance)) change.updated.push(instance);
    }
    for (const [id, instance] of this.#byId) if (!next.has(id)) change.removed.push(instance);
    this.#byId = next;
    this.setStatus('live');
    this.#publish(change);
  }

  put(instance: Instance): void {
    if (instance.service !== this.service) return;
    const before = this.#byId.get(instance.id);
    if (before !== undefined && sameInstance(before, instance)) return;
    this.#byId.set(instance.id, instance);
    this.#publish({
      added: before === undefined ? [instance] : [],
      updated: before === undefined ? [] : [instance],
      removed: [],
      instances: [],
    });
  }

  remove(id: string): void {
    const before = this.#byId.get(id);
    if (before === undefined) return;
    this.#byId.delete(id);
    this.#publish({ added: [], updated: [], removed: [before], instances: [] });
  }

  #publish(change: InstanceChange): void {
    if (this.#closed) return;
    if (change.added.length + change.updated.length + change.removed.length === 0) return;
    this.#sorted = [...this.#byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const event = { ...change, instances: this.#sorted };
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        // One broken listener must not starve the others (or the backend loop).
        process.emitWarning(`an InstanceSet listener for ${this.service} threw: ${String(error)}`, 'FlotillaDiscoveryWarning');
      }
    }
  }
}

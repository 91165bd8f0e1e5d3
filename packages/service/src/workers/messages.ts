/**
 * What a process group's primary and its workers say over the cluster IPC
 * channel. Every message carries `flotilla` so the ones of other libraries
 * on the same channel are left alone.
 */
import type { MetricsRegistry } from '@flotilla/telemetry';

/** A worker's registry as plain JSON (`MetricsRegistry#snapshot()`). */
export type MetricsSnapshot = Awaited<ReturnType<MetricsRegistry['snapshot']>>;

/** A worker's listeners, as it bound them (the same in every worker: the primary holds the sockets). */
export interface WorkerListeners {
  http: { host: string; port: number } | undefined;
  grpc: { host: string; port: number } | undefined;
  /** The `<name> ready on …` URL, repeated in the group's own ready line. */
  url: string | undefined;
  /** The service's version, for the group's registration. */
  version: string;
}

/**
 * How a worker stops: `group` when the whole group stops (the usual graceful
 * stop: not ready, drain, close); `leave` when the others go on serving (a
 * rolling restart): first it stops taking connections and asks its clients to
 * reconnect (`Connection: close` on its next answers), so they move to the
 * others, then it stops as usual.
 */
export type StopMode = 'group' | 'leave';

export type ToWorker =
  | { flotilla: 'stop'; mode: StopMode }
  | { flotilla: 'collect-metrics'; id: number }
  | { flotilla: 'group-metrics'; id: number; text?: string; error?: string };

export type ToPrimary =
  | { flotilla: 'ready'; listeners: WorkerListeners }
  | { flotilla: 'metrics'; id: number; metrics?: MetricsSnapshot; error?: string }
  /** Sent once the worker's servers have stopped: its counters from then on stay in the group's totals. */
  | { flotilla: 'final-metrics'; metrics: MetricsSnapshot }
  | { flotilla: 'ask-group-metrics'; id: number };

export function isToWorker(message: unknown): message is ToWorker {
  return typeof message === 'object' && message !== null && typeof (message as { flotilla?: unknown }).flotilla === 'string';
}

export function isToPrimary(message: unknown): message is ToPrimary {
  return typeof message === 'object' && message !== null && typeof (message as { flotilla?: unknown }).flotilla === 'string';
}

/** The environment variable that makes a forked process a worker, holding its slot (1…N). */
export const WORKER_SLOT_ENV = 'FLOTILLA_WORKER_SLOT';

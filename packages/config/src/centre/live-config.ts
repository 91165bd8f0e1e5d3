/**
 * ConfigWatcher: what a running service does with a change from the centre.
 *
 * Each change is validated as a whole against the service's schema (the same
 * layering and `parseAgainstSchema` as at start). An invalid change is
 * rejected: nothing is applied, the previous config stays in force, an ECS
 * error line is logged and the status says which version was rejected and why.
 *
 * A valid change is split by key path. Paths that can change live (someone
 * registered `onChange` for them) are swapped in together, then their
 * subscribers are called. Paths marked `x-restart` in the schema, listed in
 * `restartKeys`, or with no subscriber are not applied at all: they are
 * reported in `pendingRestart` until a restart (or a revert) clears them.
 */
import type { Static, TSchema } from 'typebox';
import { keyPathChanges } from './document.ts';
import { getAtPath, isUnder, pathsOverlap, withValueAt } from './key-paths.ts';
import { buildServiceConfig, type ConfigLayer } from './layers.ts';
import { restartPathsOf } from './schema-json.ts';
import { SHARED_DOCUMENT, type ConfigBackend, type ConfigChange, type CurrentDocument } from './types.ts';

/** The pino subset the watcher logs through. */
export interface ReloadLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
  isLevelEnabled?(level: string): boolean;
}

export interface ConfigReloadStatus {
  namespace: string;
  service: string;
  backend: ConfigBackend;
  /** Version of the service's document in force; null for none, or an edit made outside the store. */
  appliedVersion: number | null;
  /** Version of the namespace's `shared` document in force. */
  sharedVersion: number | null;
  appliedAt: string;
  /** Changes applied since start / changes rejected since start. */
  reloads: number;
  rejections: number;
  /** The last rejected change, while no later change of that document has been applied. */
  rejected: { document: string; version: number | null; reason: string; at: string } | null;
  /** Key paths whose new value waits for a restart. */
  pendingRestart: string[];
  /** The last failure of the watch itself (e.g. etcd unreachable), cleared by the next change. */
  watchError: string | null;
}

export interface ConfigWatcherOptions<S extends TSchema> {
  service: string;
  namespace: string;
  backend: ConfigBackend;
  schema: S;
  env: Record<string, string | undefined>;
  /** Layers below the centre's documents (the files, when the centre is etcd). */
  baseLayers: ConfigLayer[];
  shared: CurrentDocument | undefined;
  own: CurrentDocument | undefined;
  initial: Static<S>;
  /** Key paths that always need a restart, besides those marked `x-restart` in the schema. */
  restartKeys?: string[];
}

type Listener = (value: unknown, previous: unknown) => void;
/** Checks a candidate config beyond its schema (e.g. cross-references); throws to reject the change. */
export type ConfigValidator<C> = (candidate: C) => void;

export class ConfigWatcher<S extends TSchema> {
  private readonly options: ConfigWatcherOptions<S>;
  private readonly restartKeys: string[];
  private readonly boot: Static<S>;
  private applied: Static<S>;
  private documents: { shared: CurrentDocument | undefined; own: CurrentDocument | undefined };
  private readonly listeners: Array<{ path: string; listener: Listener }> = [];
  private readonly validators: Array<ConfigValidator<Static<S>>> = [];
  private logger: ReloadLogger | undefined;
  private readonly state: ConfigReloadStatus;

  constructor(options: ConfigWatcherOptions<S>) {
    this.options = options;
    this.restartKeys = [...(options.restartKeys ?? []), ...restartPathsOf(options.schema)];
    this.boot = options.initial;
    this.applied = options.initial;
    this.documents = { shared: options.shared, own: options.own };
    this.state = {
      namespace: options.namespace,
      service: options.service,
      backend: options.backend,
      appliedVersion: options.own?.version ?? null,
      sharedVersion: options.shared?.version ?? null,
      appliedAt: new Date().toISOString(),
      reloads: 0,
      rejections: 0,
      rejected: null,
      pendingRestart: [],
      watchError: null,
    };
  }

  get schema(): S {
    return this.options.schema;
  }

  /** The config in force: boot values for restart-only keys, the latest valid values for live ones. */
  get config(): Static<S> {
    return this.applied;
  }

  setLogger(logger: ReloadLogger): void {
    this.logger = logger;
  }

  /** Calls `listener(value, previous)` after a valid change touches `path` (e.g. `log.level`); returns an unsubscribe. */
  onChange(path: string, listener: Listener): () => void {
    const entry = { path, listener };
    this.listeners.push(entry);
    return () => {
      const index = this.listeners.indexOf(entry);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /**
   * Adds a check every change must pass besides the schema, run on the config
   * that would be in force; a throw rejects the change like a schema error.
   */
  validate(validator: ConfigValidator<Static<S>>): () => void {
    this.validators.push(validator);
    return () => {
      const index = this.validators.indexOf(validator);
      if (index >= 0) this.validators.splice(index, 1);
    };
  }

  status(): ConfigReloadStatus {
    return {
      ...this.state,
      pendingRestart: [...this.state.pendingRestart],
      rejected: this.state.rejected === null ? null : { ...this.state.rejected },
    };
  }

  watchFailed(error: Error): void {
    this.state.watchError = error.message;
    this.logger?.warn({ event: { action: 'config-watch-error' }, error: { message: error.message } }, `config watch: ${error.message}`);
  }

  /** Feeds one change from the store. Returns what happened, for callers that care. */
  offer(change: ConfigChange): 'applied' | 'rejected' | 'unchanged' {
    if (change.namespace !== this.options.namespace) return 'unchanged'; // defence in depth: stores watch one namespace
    const which = change.service === SHARED_DOCUMENT ? 'shared' : change.service === this.options.service ? 'own' : undefined;
    if (which === undefined) return 'unchanged';
    const next = change.text === undefined ? undefined : { text: change.text, version: change.version };
    if (next?.text === this.documents[which]?.text) return 'unchanged';
    this.state.watchError = null;
    const documents = { ...this.documents, [which]: next };

    let pending: string[];
    let effective: unknown;
    try {
      const desired = buildServiceConfig(this.options.service, this.options.schema, this.layers(documents), this.options.env);
      pending = keyPathChanges(this.boot, desired)
        .map((c) => c.path)
        .filter((path) => this.needsRestart(path));
      effective = desired;
      for (const path of pending) effective = withValueAt(effective, path, getAtPath(this.boot, path));
      for (const validator of this.validators) validator(effective as Static<S>);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.state.rejections++;
      this.state.rejected = {
        document: change.service,
        version: change.version ?? null,
        reason,
        at: new Date().toISOString(),
      };
      this.logger?.error(
        {
          event: { action: 'config-rejected', outcome: 'failure', reason },
          labels: { document: change.service, version: change.version ?? null },
        },
        `config change ${describe(change)} rejected; the previous config stays in force`,
      );
      return 'rejected';
    }

    const live = keyPathChanges(this.applied, effective);
    const previous = this.applied;
    this.applied = effective as Static<S>;
    this.documents = documents;
    if (this.state.rejected?.document === change.service) this.state.rejected = null;
    this.state.reloads++;
    this.state.appliedAt = new Date().toISOString();
    this.state.appliedVersion = documents.own?.version ?? null;
    this.state.sharedVersion = documents.shared?.version ?? null;
    this.state.pendingRestart = pending;

    // Logged at the level in force before the change when that one shows it, so
    // turning the level down (info → warn) still leaves a trace of the change itself.
    const line = (): void =>
      this.logger?.info(
        {
          event: { action: 'config-applied' },
          labels: { document: change.service, version: change.version ?? null },
          // Paths only: values are resolved here and may hold secrets.
          config: { changed: live.map((c) => c.path), pendingRestart: pending },
        },
        `config change ${describe(change)} applied${live.length === 0 ? ' (nothing live changed)' : `: ${live.map((c) => c.path).join(', ')}`}${pending.length === 0 ? '' : `; pending restart: ${pending.join(', ')}`}`,
      );
    const shownBefore = this.logger?.isLevelEnabled?.('info') ?? true;
    if (shownBefore) line();
    this.notify(
      live.map((c) => c.path),
      previous,
    );
    if (!shownBefore) line();
    return 'applied';
  }

  private layers(documents: { shared: CurrentDocument | undefined; own: CurrentDocument | undefined }): ConfigLayer[] {
    const { namespace, service, backend } = this.options;
    const layers = [...this.options.baseLayers];
    if (documents.shared !== undefined) layers.push({ source: `${backend} ${namespace}/${SHARED_DOCUMENT}`, text: documents.shared.text });
    if (documents.own !== undefined) layers.push({ source: `${backend} ${namespace}/${service}`, text: documents.own.text });
    return layers;
  }

  private needsRestart(path: string): boolean {
    if (this.restartKeys.some((key) => isUnder(path, key))) return true;
    return !this.listeners.some((l) => pathsOverlap(l.path, path));
  }

  private notify(changed: string[], previous: unknown): void {
    for (const { path, listener } of [...this.listeners]) {
      if (!changed.some((c) => pathsOverlap(c, path))) continue;
      try {
        listener(getAtPath(this.applied, path), getAtPath(previous, path));
      } catch (error) {
        this.logger?.error(
          { event: { action: 'config-listener-failed' }, err: error },
          `applying ${path} failed: ${(error as Error).message}`,
        );
      }
    }
  }
}

function describe(change: ConfigChange): string {
  return `${change.namespace}/${change.service}${change.version === undefined ? ' (edited outside the store)' : `@${change.version}`}`;
}

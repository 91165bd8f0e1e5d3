/**
 * The config centre's contract: versioned YAML documents per (namespace,
 * service), written with compare-and-set, with history and a change feed.
 * A document is stored exactly as written (comments, `${VAR}` references);
 * references are resolved only when a service loads its config.
 */

/** The document holding the keys every service of a namespace shares. */
export const SHARED_DOCUMENT = 'shared';

export type ConfigBackend = 'file' | 'etcd' | 'kubernetes';

export interface ConfigVersionInfo {
  namespace: string;
  service: string;
  /** 1, 2, 3 … per (namespace, service); never reused. */
  version: number;
  /** ISO 8601. */
  time: string;
  author: string;
  message: string;
  /** Set when this version restored the content of an earlier one. */
  rollbackOf?: number;
}

export interface ConfigDocument extends ConfigVersionInfo {
  /** The YAML text as written. */
  text: string;
}

export interface WriteOptions {
  /** Defaults to `$USER@hostname`. */
  author?: string;
  message?: string;
}

export interface SetOptions extends WriteOptions {
  /** The version the writer read; 0 when it expects no document yet. A stale value is refused. */
  expectedVersion: number;
}

export interface RollbackOptions extends WriteOptions {
  /** When given, refused unless the head is still this version. */
  expectedVersion?: number;
}

export interface KeyPathChange {
  /** Dotted path, e.g. `log.level`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

export interface ConfigDiff {
  namespace: string;
  service: string;
  from: number;
  to: number;
  /** Unified diff of the YAML text (`---`/`+++` headers, `@@` hunks). Empty when equal. */
  unified: string;
  /** Leaf-level changes of the parsed documents (values as written, references unresolved). */
  changes: KeyPathChange[];
}

/** What a watcher sees: the working copy after a change. */
export interface ConfigChange {
  namespace: string;
  service: string;
  /** The version the text belongs to; undefined for a file edited outside the store. */
  version: number | undefined;
  /** undefined when the document was removed. */
  text: string | undefined;
}

export interface CurrentDocument {
  text: string;
  version: number | undefined;
}

export interface ConfigSubscription {
  close(): Promise<void>;
}

export interface ConfigStore {
  readonly backend: ConfigBackend;
  /** Where it keeps things, for messages (a folder, etcd endpoints and prefix, or an API server and namespace). */
  readonly location: string;
  /** A version, or the head when `version` is omitted. NotFoundError when there is none. */
  get(namespace: string, service: string, version?: number): Promise<ConfigDocument>;
  /** The head version; 0 when the document has no history. */
  head(namespace: string, service: string): Promise<number>;
  /** Stores a new version; ConfigConflictError when `expectedVersion` is not the head. */
  set(namespace: string, service: string, text: string, options: SetOptions): Promise<ConfigDocument>;
  /** Every version, oldest first. */
  history(namespace: string, service: string): Promise<ConfigVersionInfo[]>;
  /** Version 0 stands for the empty document. */
  diff(namespace: string, service: string, from: number, to: number): Promise<ConfigDiff>;
  /** A new version whose content equals `toVersion`. */
  rollback(namespace: string, service: string, toVersion: number, options?: RollbackOptions): Promise<ConfigDocument>;
  /** The documents of a namespace (services, and `shared`). */
  list(namespace: string): Promise<string[]>;
  /** The live document as a service reads it; no side effects. undefined when absent. */
  current(namespace: string, service: string): Promise<CurrentDocument | undefined>;
  /** Calls `onChange` after every change of that one document (never another namespace's). */
  watch(
    namespace: string,
    service: string,
    onChange: (change: ConfigChange) => void,
    onError?: (error: Error) => void,
  ): Promise<ConfigSubscription>;
  /** Stores the service's config JSON Schema so tools can validate without importing the service. */
  publishSchema(namespace: string, service: string, schema: object): Promise<void>;
  schema(namespace: string, service: string): Promise<object | undefined>;
  close(): Promise<void>;
}

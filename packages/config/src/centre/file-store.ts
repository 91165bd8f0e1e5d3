/**
 * The embedded config centre. The working copy stays where services and
 * people already look, `<configDir>/<ns>/<service>.yaml`; every version is a
 * JSON file under `<home>/config-history/<ns>/<service>/`. Writes hold a lock
 * file, and files are replaced atomically (temp + rename).
 *
 * An edit made to the working copy by hand is not lost: the next read or
 * write through the store records it as a version of its own first.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { BaseConfigStore, nextDocument, notFound, type InternalSetOptions } from './base-store.ts';
import { ConfigConflictError } from './errors.ts';
import { watchFile } from './file-change-feed.ts';
import { withFileLock } from './file-lock.ts';
import { checkName, checkVersion, padVersion } from './names.ts';
import type { ConfigChange, ConfigDocument, ConfigStore, ConfigSubscription, ConfigVersionInfo, CurrentDocument } from './types.ts';

export interface FileConfigStoreOptions {
  /** Holds `<ns>/<service>.yaml`; default `FLOTILLA_CONFIG_DIR` or `./config`. */
  configDir?: string;
  /** State folder; default `FLOTILLA_HOME` or `./.flotilla`. */
  home?: string;
  env?: Record<string, string | undefined>;
  /** How often a watcher checks the working copy besides fs.watch events (ms); default 250. */
  pollIntervalMs?: number;
  lockTimeoutMs?: number;
}

const VERSION_FILE = /^(\d{10})\.json$/;
const OUTSIDE_AUTHOR = '(edited outside flotilla)';

export class FileConfigStore extends BaseConfigStore implements ConfigStore {
  readonly backend = 'file' as const;
  readonly location: string;
  readonly configDir: string;
  readonly historyRoot: string;
  private readonly env: Record<string, string | undefined>;
  private readonly pollIntervalMs: number;
  private readonly lockTimeoutMs: number;

  constructor(options: FileConfigStoreOptions = {}) {
    super();
    this.env = options.env ?? process.env;
    this.configDir = resolve(options.configDir ?? this.env.FLOTILLA_CONFIG_DIR ?? 'config');
    this.historyRoot = join(resolve(options.home ?? this.env.FLOTILLA_HOME ?? '.flotilla'), 'config-history');
    this.location = `${this.configDir} (history in ${this.historyRoot})`;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  workingCopy(namespace: string, service: string): string {
    return join(this.configDir, checkName('namespace', namespace), `${checkName('service', service)}.yaml`);
  }

  private historyDir(namespace: string, service: string): string {
    return join(this.historyRoot, checkName('namespace', namespace), checkName('service', service));
  }

  private versionFile(namespace: string, service: string, version: number): string {
    return join(this.historyDir(namespace, service), `${padVersion(version)}.json`);
  }

  private locked<T>(namespace: string, service: string, work: () => T | Promise<T>): Promise<T> {
    return withFileLock(join(this.historyDir(namespace, service), '.lock'), work, this.lockTimeoutMs);
  }

  async get(namespace: string, service: string, version?: number): Promise<ConfigDocument> {
    if (version !== undefined) return this.readVersion(namespace, service, checkVersion(version));
    return this.locked(namespace, service, () => {
      const head = this.adoptOutsideEdit(namespace, service);
      if (head === 0) throw notFound(namespace, service);
      return this.readVersion(namespace, service, head);
    });
  }

  head(namespace: string, service: string): Promise<number> {
    return this.locked(namespace, service, () => this.adoptOutsideEdit(namespace, service));
  }

  async history(namespace: string, service: string): Promise<ConfigVersionInfo[]> {
    const head = await this.head(namespace, service);
    const versions: ConfigVersionInfo[] = [];
    for (let version = 1; version <= head; version++) {
      if (!existsSync(this.versionFile(namespace, service, version))) continue;
      const { text: _text, ...info } = this.readVersion(namespace, service, version);
      versions.push(info);
    }
    return versions;
  }

  protected write(namespace: string, service: string, text: string, options: InternalSetOptions): Promise<ConfigDocument> {
    return this.locked(namespace, service, () => {
      const head = this.adoptOutsideEdit(namespace, service);
      if (head !== options.expectedVersion) throw new ConfigConflictError(namespace, service, options.expectedVersion, head);
      const document = nextDocument(namespace, service, head, text, options, this.env);
      // History first: a crash before the working copy is replaced leaves an
      // "outside edit" that the next call records, so nothing is lost.
      writeFileAtomic(this.versionFile(namespace, service, document.version), `${JSON.stringify(document, null, 2)}\n`);
      writeFileAtomic(this.workingCopy(namespace, service), text);
      return document;
    });
  }

  async list(namespace: string): Promise<string[]> {
    checkName('namespace', namespace);
    const names = new Set<string>();
    for (const file of safeReaddir(join(this.configDir, namespace))) if (file.endsWith('.yaml')) names.add(file.slice(0, -'.yaml'.length));
    for (const dir of safeReaddir(join(this.historyRoot, namespace))) names.add(dir);
    return [...names].filter((name) => /^[a-z0-9][a-z0-9-]*$/.test(name)).sort();
  }

  async current(namespace: string, service: string): Promise<CurrentDocument | undefined> {
    const text = readIfExists(this.workingCopy(namespace, service));
    if (text === undefined) return undefined;
    const head = this.headOnDisk(namespace, service);
    const version = head > 0 && this.readVersion(namespace, service, head).text === text ? head : undefined;
    return { text, version };
  }

  async watch(
    namespace: string,
    service: string,
    onChange: (change: ConfigChange) => void,
    onError?: (error: Error) => void,
  ): Promise<ConfigSubscription> {
    const initial = await this.current(namespace, service);
    return watchFile({
      path: this.workingCopy(namespace, service),
      initialText: initial?.text,
      pollIntervalMs: this.pollIntervalMs,
      onText: async (text) => {
        const now = text === undefined ? undefined : await this.current(namespace, service);
        onChange({ namespace, service, version: now?.version, text });
      },
      ...(onError === undefined ? {} : { onError }),
    });
  }

  async publishSchema(namespace: string, service: string, schema: object): Promise<void> {
    const path = join(this.historyDir(namespace, service), 'schema.json');
    const text = `${JSON.stringify(schema, null, 2)}\n`;
    if (readIfExists(path) === text) return;
    await this.locked(namespace, service, () => writeFileAtomic(path, text));
  }

  async schema(namespace: string, service: string): Promise<object | undefined> {
    const text = readIfExists(join(this.historyDir(namespace, service), 'schema.json'));
    return text === undefined ? undefined : (JSON.parse(text) as object);
  }

  async close(): Promise<void> {}

  private headOnDisk(namespace: string, service: string): number {
    let head = 0;
    for (const file of safeReaddir(this.historyDir(namespace, service))) {
      const match = VERSION_FILE.exec(file);
      if (match?.[1] !== undefined) head = Math.max(head, Number(match[1]));
    }
    return head;
  }

  private readVersion(namespace: string, service: string, version: number): ConfigDocument {
    const text = readIfExists(this.versionFile(namespace, service, version));
    if (text === undefined) throw notFound(namespace, service, version);
    return JSON.parse(text) as ConfigDocument;
  }

  /** Records a hand edit of the working copy as a version; returns the head. Call under the lock. */
  private adoptOutsideEdit(namespace: string, service: string): number {
    const head = this.headOnDisk(namespace, service);
    const path = this.workingCopy(namespace, service);
    const text = readIfExists(path);
    if (text === undefined) return head;
    if (head > 0 && this.readVersion(namespace, service, head).text === text) return head;
    const document: ConfigDocument = {
      namespace,
      service,
      version: head + 1,
      time: statSync(path).mtime.toISOString(),
      author: OUTSIDE_AUTHOR,
      message: head === 0 ? `recorded the existing ${path}` : `recorded an edit of ${path} made outside flotilla`,
      text,
    };
    writeFileAtomic(this.versionFile(namespace, service, document.version), `${JSON.stringify(document, null, 2)}\n`);
    return document.version;
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

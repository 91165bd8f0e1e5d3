/**
 * LocalRegistry: discovery for one machine with no server. Each registered
 * process keeps a JSON file under `<home>/registry/<namespace>/<service>/`
 * fresh with a heartbeat; watchers follow the directory with fs.watch plus a
 * periodic rescan and ignore entries whose heartbeat is older than their TTL,
 * or whose process (on this host) no longer exists. A `kill -9`'d process thus
 * drops out within one rescan (pid check) or one TTL (other hosts sharing the
 * directory), and a restarted one reappears with its first heartbeat.
 */
import { watch as watchDir, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { applyUpdate, instanceFromSpec } from '../instance.ts';
import { LiveInstanceSet } from '../instance-set.ts';
import { Once } from '../once.ts';
import type { Instance, InstanceSet, InstanceSpec, InstanceUpdate, Registration, Registry } from '../types.ts';
import {
  entryPath,
  listDirs,
  listEntryFiles,
  liveness,
  readEntry,
  removeFile,
  serviceDir,
  writeEntry,
  type EntryFile,
} from './entry-files.ts';

export interface LocalRegistryOptions {
  /** Root of the registry files; default `$FLOTILLA_HOME/registry` (FLOTILLA_HOME defaults to `./.flotilla`). */
  dir?: string;
  /** Environment namespace; default `$FLOTILLA_ENV` or `dev`. */
  namespace?: string;
  /** An entry not refreshed for this long is dead (default 5000). */
  ttlMs?: number;
  /** How often the registered process rewrites its entry (default 1000; keep it well under ttlMs). */
  heartbeatMs?: number;
  /** How often watchers rescan besides fs.watch events (default 1000). */
  rescanMs?: number;
  /** Drop entries of processes on this host that no longer exist, before their TTL (default true). */
  checkPids?: boolean;
}

/** `$FLOTILLA_HOME`, or `.flotilla` in the working directory: where local state lives. */
export function flotillaHome(): string {
  return process.env.FLOTILLA_HOME ?? join(process.cwd(), '.flotilla');
}

export class LocalRegistry implements Registry {
  readonly backend = 'local' as const;
  readonly root: string;
  readonly namespace: string;
  readonly #ttlMs: number;
  readonly #heartbeatMs: number;
  readonly #rescanMs: number;
  readonly #checkPids: boolean;
  readonly #once = new Once<Registration>();
  readonly #watches = new Set<LiveInstanceSet>();
  #registered: { instance: Instance; timer: NodeJS.Timeout; writing: Promise<void> } | undefined;

  constructor(options: LocalRegistryOptions = {}) {
    this.root = options.dir ?? join(flotillaHome(), 'registry');
    this.namespace = options.namespace ?? process.env.FLOTILLA_ENV ?? 'dev';
    this.#ttlMs = options.ttlMs ?? 5000;
    this.#heartbeatMs = options.heartbeatMs ?? 1000;
    this.#rescanMs = options.rescanMs ?? 1000;
    this.#checkPids = options.checkPids ?? true;
    if (this.#heartbeatMs >= this.#ttlMs)
      throw new RangeError(`heartbeatMs (${this.#heartbeatMs}) must be shorter than ttlMs (${this.#ttlMs})`);
  }

  register(spec: InstanceSpec): Promise<Registration> {
    return this.#once.run(async () => {
      const instance = instanceFromSpec(spec);
      await this.#write(instance);
      const timer = setInterval(() => this.#heartbeat(), this.#heartbeatMs);
      timer.unref(); // the service's listeners keep the process alive, not the registry
      this.#registered = { instance, timer, writing: Promise.resolve() };
      const registry = this;
      return {
        get instance() {
          return registry.#registered?.instance ?? instance;
        },
        update: (update: InstanceUpdate) => this.#update(update),
      };
    });
  }

  async deregister(): Promise<void> {
    const pending = this.#once.current;
    if (pending === undefined) return;
    await pending.catch(() => undefined);
    const registered = this.#registered;
    this.#registered = undefined;
    this.#once.reset();
    if (registered === undefined) return;
    clearInterval(registered.timer);
    await registered.writing.catch(() => undefined);
    await removeFile(entryPath(this.root, this.namespace, registered.instance));
  }

  watch(service: string): InstanceSet {
    const dir = serviceDir(this.root, this.namespace, service);
    let watcher: FSWatcher | undefined;
    let debounce: NodeJS.Timeout | undefined;
    let scanning = false;
    let again = false;
    const set: LiveInstanceSet = new LiveInstanceSet(service, () => {
      clearInterval(poll);
      clearTimeout(debounce);
      watcher?.close();
      this.#watches.delete(set);
    });
    const scan = async (): Promise<void> => {
      if (scanning) {
        again = true;
        return;
      }
      scanning = true;
      try {
        do {
          again = false;
          const instances = await this.#scan(service);
          if (!set.closed) set.replace(instances);
        } while (again && !set.closed);
      } finally {
        scanning = false;
      }
    };
    const soon = (): void => {
      clearTimeout(debounce);
      debounce = setTimeout(() => void scan(), 20);
      debounce.unref();
    };
    const poll = setInterval(() => void scan(), this.#rescanMs);
    poll.unref();
    this.#watches.add(set);
    void (async () => {
      await mkdir(dir, { recursive: true }).catch(() => undefined);
      if (set.closed) return;
      try {
        watcher = watchDir(dir, { persistent: false }, soon);
        watcher.on('error', () => {
          watcher?.close(); // e.g. the directory was removed: the rescan timer carries on alone
          watcher = undefined;
        });
      } catch {
        // fs.watch unsupported here: polling alone still works, only slower
      }
      await scan();
    })();
    return set;
  }

  list(service: string): Promise<Instance[]> {
    return this.#scan(service);
  }

  async services(): Promise<string[]> {
    const names = await listDirs(join(this.root, this.namespace));
    const live = await Promise.all(names.map(async (name) => ((await this.#scan(name)).length > 0 ? name : undefined)));
    return live.filter((name): name is string => name !== undefined).sort();
  }

  async close(): Promise<void> {
    for (const set of [...this.#watches]) set.close();
    await this.deregister();
  }

  async #write(instance: Instance): Promise<void> {
    const entry: EntryFile = {
      instance,
      heartbeatAt: Date.now(),
      ttlMs: this.#ttlMs,
      pid: process.pid,
      host: hostname(),
    };
    await writeEntry(entryPath(this.root, this.namespace, instance), serviceDir(this.root, this.namespace, instance.service), entry);
  }

  #heartbeat(): void {
    const registered = this.#registered;
    if (registered === undefined) return;
    // Chained so a slow disk never has two writes racing; a failed beat is retried by the next one.
    registered.writing = registered.writing
      .then(() => (this.#registered === registered ? this.#write(registered.instance) : undefined))
      .catch(() => undefined);
  }

  async #update(update: InstanceUpdate): Promise<void> {
    const registered = this.#registered;
    if (registered === undefined) throw new Error('this process is not registered (deregistered already?)');
    registered.instance = applyUpdate(registered.instance, update);
    const write = registered.writing.then(() => this.#write(registered.instance));
    registered.writing = write.catch(() => undefined);
    await write;
  }

  /** Live entries of a service, sorted by id; dead ones are deleted on the way. */
  async #scan(service: string): Promise<Instance[]> {
    const dir = serviceDir(this.root, this.namespace, service);
    const now = Date.now();
    const found: Instance[] = [];
    for (const name of await listEntryFiles(dir)) {
      const path = join(dir, name);
      const entry = await readEntry(path);
      if (entry === undefined || entry.instance.service !== service) continue;
      const state = liveness(entry, now, this.#checkPids);
      if (state === 'alive') found.push(entry.instance);
      else await this.#collect(path, entry);
    }
    return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Deletes a dead entry, unless its owner refreshed it since we read it. */
  async #collect(path: string, seen: EntryFile): Promise<void> {
    const current = await readEntry(path);
    if (current === undefined || current.heartbeatAt !== seen.heartbeatAt) return;
    if (this.#registered !== undefined && current.instance.id === this.#registered.instance.id) return; // ours: never
    await removeFile(path).catch(() => undefined);
  }
}

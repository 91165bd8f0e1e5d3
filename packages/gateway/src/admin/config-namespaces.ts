/**
 * Which config namespaces the console offers. The centre's contract has no
 * listing of namespaces: the file backend's folders say it (working copies
 * and history); for etcd and kubernetes it is this gateway's own namespace
 * and those written through this API since it started (any other can still
 * be opened by name).
 */
import { readdirSync } from 'node:fs';
import { type ConfigStore, FileConfigStore } from '@flotilla/config';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class KnownNamespaces {
  readonly #store: ConfigStore;
  readonly #seen: Set<string>;

  constructor(store: ConfigStore, own: string) {
    this.#store = store;
    this.#seen = new Set([own]);
  }

  /** A namespace written through the admin API. */
  add(namespace: string): void {
    this.#seen.add(namespace);
  }

  async list(): Promise<string[]> {
    const names = new Set(this.#seen);
    const store = this.#store;
    if (store instanceof FileConfigStore) {
      for (const root of [store.configDir, store.historyRoot]) for (const name of folders(root)) names.add(name);
      // A folder without documents (an empty config/<ns>/) is not a namespace yet.
      for (const name of [...names]) if (!this.#seen.has(name) && (await store.list(name)).length === 0) names.delete(name);
    }
    return [...names].sort();
  }
}

function folders(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && NAME.test(entry.name))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

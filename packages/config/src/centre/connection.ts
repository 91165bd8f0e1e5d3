/**
 * A service's connection to the config centre: the first load (async, because
 * the centre may be etcd) and the subscriptions that feed its ConfigWatcher.
 * The watches start before the first read, so a change landing in between is
 * not missed; changes are held until the watcher starts, then replayed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Static, TSchema } from 'typebox';
import { resolveNamespace } from '../load.ts';
import { FileConfigStore } from './file-store.ts';
import { buildServiceConfig, type ConfigLayer } from './layers.ts';
import { openConfigStore } from './open-store.ts';
import { SHARED_DOCUMENT, type ConfigChange, type ConfigStore, type ConfigSubscription, type CurrentDocument } from './types.ts';
import { ConfigWatcher } from './live-config.ts';

export interface ConfigCentreOptions<S extends TSchema> {
  service: string;
  schema: S;
  namespace?: string;
  env?: Record<string, string | undefined>;
  /** Config folder (working copies for the file backend; the base layer under etcd). */
  dir?: string;
  home?: string;
  /** A store to use instead of the one the environment describes. */
  store?: ConfigStore;
  /** Watch for changes; default true unless `FLOTILLA_CONFIG_RELOAD=off`. */
  watch?: boolean;
  restartKeys?: string[];
}

export interface ConfigCentreConnection<S extends TSchema> {
  value: Static<S>;
  namespace: string;
  /** Where the config came from, lowest precedence first. */
  sources: string[];
  store: ConfigStore;
  watcher: ConfigWatcher<S>;
  /** Starts applying changes (held ones first). */
  start(): void;
  /** Stops watching and closes a store this connection opened. */
  close(): Promise<void>;
}

export async function startConfigCentre<S extends TSchema>(options: ConfigCentreOptions<S>): Promise<ConfigCentreConnection<S>> {
  const env = options.env ?? process.env;
  const namespace = resolveNamespace(env, options.namespace);
  const dir = resolve(options.dir ?? env.FLOTILLA_CONFIG_DIR ?? 'config');
  const ownsStore = options.store === undefined;
  const store =
    options.store ?? (await openConfigStore({ env, configDir: dir, ...(options.home === undefined ? {} : { home: options.home }) }));
  const subscriptions: ConfigSubscription[] = [];
  try {
    const held: ConfigChange[] = [];
    let deliver: (change: ConfigChange) => void = (change) => held.push(change);
    let onError: (error: Error) => void = () => undefined;
    const watch = options.watch ?? env.FLOTILLA_CONFIG_RELOAD !== 'off';
    if (watch) {
      for (const document of [SHARED_DOCUMENT, options.service]) {
        subscriptions.push(
          await store.watch(
            namespace,
            document,
            (change) => deliver(change),
            (error) => onError(error),
          ),
        );
      }
    }
    const [shared, own] = await Promise.all([
      store.current(namespace, SHARED_DOCUMENT),
      options.service === SHARED_DOCUMENT ? undefined : store.current(namespace, options.service),
    ]);
    const baseLayers = store.backend === 'file' ? [] : readFileLayers(dir, namespace, options.service);
    const centreLayers: ConfigLayer[] = [];
    if (shared !== undefined) centreLayers.push({ source: describe(store, namespace, SHARED_DOCUMENT, shared), text: shared.text });
    if (own !== undefined) centreLayers.push({ source: describe(store, namespace, options.service, own), text: own.text });
    const value = buildServiceConfig(options.service, options.schema, [...baseLayers, ...centreLayers], env);

    const watcher = new ConfigWatcher({
      service: options.service,
      namespace,
      backend: store.backend,
      schema: options.schema,
      env,
      baseLayers,
      shared,
      own,
      initial: value,
      ...(options.restartKeys === undefined ? {} : { restartKeys: options.restartKeys }),
    });
    let closed = false;
    return {
      value,
      namespace,
      sources: [...baseLayers, ...centreLayers].map((l) => l.source),
      store,
      watcher,
      start: () => {
        deliver = (change) => {
          if (!closed) watcher.offer(change);
        };
        onError = (error) => watcher.watchFailed(error);
        for (const change of held.splice(0)) deliver(change);
      },
      close: async () => {
        closed = true;
        await Promise.all(subscriptions.map((s) => s.close().catch(() => undefined)));
        if (ownsStore) await store.close();
      },
    };
  } catch (error) {
    await Promise.all(subscriptions.map((s) => s.close().catch(() => undefined)));
    if (ownsStore) await store.close();
    throw error;
  }
}

function describe(store: ConfigStore, namespace: string, service: string, document: CurrentDocument): string {
  if (store instanceof FileConfigStore) return store.workingCopy(namespace, service);
  return `${store.backend} ${namespace}/${service}${document.version === undefined ? '' : `@${document.version}`}`;
}

function readFileLayers(dir: string, namespace: string, service: string): ConfigLayer[] {
  return [SHARED_DOCUMENT, service]
    .map((name) => join(dir, namespace, `${name}.yaml`))
    .filter((file) => existsSync(file))
    .map((file) => ({ source: file, text: readFileSync(file, 'utf8') }));
}

/**
 * attachConfigReload: what defineService does with a connection to the config centre
 * once the logger exists — every service gets `log.level` live, its schema
 * published for tools, and a status object for an admin endpoint.
 */
import type { Static, TSchema } from 'typebox';
import type { ConfigCentreConnection } from './connection.ts';
import { schemaToJson } from './schema-json.ts';
import type { ConfigReloadStatus, ReloadLogger } from './live-config.ts';
import { SHARED_DOCUMENT } from './types.ts';

/** The admin route that serves `ConfigReloadStatus`. */
export const CONFIG_STATUS_PATH = '/admin/config';

export interface LevelSettable extends ReloadLogger {
  level: string;
}

export interface ConfigReload<C = unknown> {
  /** See ConfigWatcher.onChange. */
  onChange(path: string, listener: (value: unknown, previous: unknown) => void): () => void;
  /** See ConfigWatcher.validate: a check beyond the schema; a throw rejects the change (nothing applied). */
  validate(validator: (candidate: C) => void): () => void;
  /** The config in force now (boot values for keys waiting for a restart). */
  current(): C;
  status(): ConfigReloadStatus;
  close(): Promise<void>;
}

export interface AttachConfigReloadOptions<S extends TSchema> {
  centre: ConfigCentreConnection<S>;
  logger: LevelSettable;
  /** Publish the schema so `flotilla config set` can validate; default true. */
  publishSchema?: boolean;
}

export async function attachConfigReload<S extends TSchema>(options: AttachConfigReloadOptions<S>): Promise<ConfigReload<Static<S>>> {
  const { centre, logger } = options;
  const { watcher, store, namespace } = centre;
  const service = watcher.status().service;
  watcher.setLogger(logger);
  watcher.onChange('log.level', (value) => {
    if (typeof value === 'string') logger.level = value;
  });
  if (options.publishSchema !== false) await publish(centre, service, logger);
  centre.start();
  return {
    onChange: (path, listener) => watcher.onChange(path, listener),
    validate: (validator) => watcher.validate(validator),
    current: () => watcher.config,
    status: () => watcher.status(),
    close: () => centre.close(),
  };

  async function publish(connection: ConfigCentreConnection<S>, name: string, log: ReloadLogger): Promise<void> {
    try {
      // Only where this service is configured through the centre: a test run
      // with no config folder leaves no trace.
      const [own, shared] = await Promise.all([store.current(namespace, name), store.current(namespace, SHARED_DOCUMENT)]);
      if (own === undefined && shared === undefined) return;
      await store.publishSchema(namespace, name, schemaToJson(connection.watcher.schema));
    } catch (error) {
      log.warn(
        { event: { action: 'config-schema-publish-failed' }, error: { message: (error as Error).message } },
        `could not publish the config schema to ${store.location}: ${(error as Error).message}`,
      );
    }
  }
}

/** Serves the reload status at CONFIG_STATUS_PATH on a Fastify-like app; left out of its OpenAPI document. */
export function registerConfigStatusRoute(
  app: { get(path: string, options: { schema: { hide: true } }, handler: () => unknown): unknown },
  reload: Pick<ConfigReload, 'status'>,
  path = CONFIG_STATUS_PATH,
): void {
  app.get(path, { schema: { hide: true } }, () => reload.status());
}

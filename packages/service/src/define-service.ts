/**
 * `defineService`: one declaration per service. Starting loads the config
 * and the logger, then starts the service's components in order (telemetry →
 * config reload → discovery → anomaly config → database and migrations →
 * authenticator → setup → servers → readiness and registration); stopping
 * runs them backwards within a bounded time (`lifecycle.ts`, `components/`).
 */
import type { Static, TObject } from 'typebox';
import { startConfigCentre } from '@flotilla/config';
import { createDatabase, migrate } from '@flotilla/data';
import { createLogger, drainLogger } from '@flotilla/telemetry';
import type { Assembly } from './components/assembly.ts';
import { authenticatorComponent, configReloadComponent } from './components/config.ts';
import { databaseComponent, databaseSettings } from './components/data.ts';
import { discoveryComponent, readinessComponent } from './components/discovery.ts';
import { domainComponent } from './components/domain.ts';
import { anomalyConfigComponent, telemetryComponent } from './components/observability.ts';
import { serversComponent } from './components/servers.ts';
import type { BaseProperties } from './config-schema.ts';
import { Lifecycle } from './lifecycle.ts';
import { runMain } from './main.ts';
import type { RunningService, ServiceContext, ServiceDefinition, StartOptions } from './types.ts';

export interface Service<C, Deps> {
  readonly name: string;
  start(options?: StartOptions): Promise<RunningService<C, Deps>>;
  /** Runs as a process: start, print where it listens, stop on SIGTERM/SIGINT, exit. */
  main(): Promise<void>;
  /** Applies pending migrations and exits: the `migrate` command. */
  migrate(options?: StartOptions): Promise<{ applied: string[] }>;
}

export function defineService<S extends TObject<BaseProperties>, Deps = undefined>(
  definition: ServiceDefinition<S, Deps>,
): Service<Static<S>, Deps> {
  const service: Service<Static<S>, Deps> = {
    name: definition.name,
    start: (options = {}) => startService(definition, options),
    main: () => runMain(service),
    migrate: (options = {}) => migrateOnly(definition, options),
  };
  return service;
}

async function migrateOnly<S extends TObject<BaseProperties>, Deps>(
  definition: ServiceDefinition<S, Deps>,
  options: StartOptions,
): Promise<{ applied: string[] }> {
  if (definition.database === undefined) return { applied: [] };
  const centre = await startConfigCentre({
    service: definition.name,
    schema: definition.config,
    watch: false,
    ...centreOptions(options),
  });
  await centre.close();
  const settings = databaseSettings(definition.name, centre.value);
  const database = createDatabase({
    dsn: settings.dsn,
    pool: settings.pool,
    sqlite: { busyTimeoutMs: settings.sqliteBusyTimeoutMs },
  });
  try {
    return await migrate(database, definition.database.migrations);
  } finally {
    await database.close();
  }
}

function centreOptions(options: StartOptions) {
  return {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.configDir === undefined ? {} : { dir: options.configDir }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
  };
}

async function startService<S extends TObject<BaseProperties>, Deps>(
  definition: ServiceDefinition<S, Deps>,
  options: StartOptions,
): Promise<RunningService<Static<S>, Deps>> {
  // Config centre (file or etcd, by FLOTILLA_CONFIG_BACKEND): first load, then live changes.
  const loaded = await startConfigCentre({
    service: definition.name,
    schema: definition.config,
    ...centreOptions(options),
  });
  const config = loaded.value;
  const logger = createLogger({
    service: definition.name,
    environment: loaded.namespace,
    level: config.log.level,
    ...(definition.version === undefined ? {} : { version: definition.version }),
    ...(config.log.pretty === undefined ? {} : { pretty: config.log.pretty }),
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
  logger.info(
    {
      event: { action: 'config-loaded' },
      labels: { namespace: loaded.namespace },
      file: { path: loaded.sources.join(', ') || '(defaults)' },
    },
    'configuration loaded',
  );

  const a: Assembly<S, Deps> = { definition, options, loaded, config, logger, ready: false };
  let reason = 'stop requested';
  const lifecycle = new Lifecycle(logger);
  try {
    await lifecycle.start([
      telemetryComponent(a),
      configReloadComponent(a),
      discoveryComponent(a),
      anomalyConfigComponent(a),
      ...(definition.database === undefined ? [] : [databaseComponent(a, definition.database.migrations)]),
      authenticatorComponent(a),
      domainComponent(a),
      serversComponent(a),
      readinessComponent(a, () => reason),
    ]);
  } catch (error) {
    logger.flush();
    throw error;
  }
  const httpUrl = a.http?.url;
  const grpcAddress = a.grpc?.address;
  const where = [httpUrl, grpcAddress === undefined ? undefined : `grpc://${grpcAddress}`].filter((w) => w !== undefined).join(' and ');
  logger.info(
    { event: { action: 'started' }, url: { full: httpUrl }, labels: { grpc: grpcAddress } },
    `${definition.name} ready${where === '' ? '' : ` on ${where}`}`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (why = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      reason = why;
      await lifecycle.stop();
      logger.info({ event: { action: 'stopped' } }, `${definition.name} stopped`);
      await drainLogger(logger);
    })();
    return stopping;
  };
  return { context: a.context as ServiceContext<Static<S>>, deps: a.deps as Deps, http: a.http?.app, httpUrl, grpcAddress, stop };
}

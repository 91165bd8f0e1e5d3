/**
 * `defineService`: one declaration per service. Start order is
 * config → logger → database → migrations → setup → servers → ready;
 * shutdown runs the same steps backwards within a bounded time.
 */
import type { Static, TObject } from 'typebox';
import type { BaseProperties } from '../config/base-schema.ts';
import { attachConfigReload, registerConfigStatusRoute, startConfigCentre } from '../config/centre/index.ts';
import { createDatabase, migrate, redactDsn } from '../data/index.ts';
import { registerHealthRoutes, type HealthCheck } from '../http/health.ts';
import { registerOpenApi } from '../http/openapi.ts';
import { Authenticator } from '../http/auth/authenticator.ts';
import { authSettingsProblems } from '../http/auth/compile-settings.ts';
import { ConfigError } from '../config/problems.ts';
import { registerAuth } from '../http/auth/fastify.ts';
import { createHttpServer, type HttpApp } from '../http/server.ts';
import { createLogger, drainLogger } from '../observability/logger.ts';
import { createServiceTelemetry, withTelemetry } from '../observability/telemetry.ts';
import { registerAnomaliesRoute, registerMetricsRoute } from '../observability/http-telemetry.ts';
import { followAnomalyConfig } from '../observability/anomaly/follow-config.ts';
import { runMain } from './main.ts';
import { createGrpcServer, type GrpcServer } from '../grpc/server.ts';
import { closeAll as closeGrpcChannels } from '../grpc/client.ts';
import { openServiceDiscovery } from './discovery.ts';
import type {
  DatabaseSettings,
  GrpcSettings,
  RunningService,
  ServiceContext,
  ServiceDatabase,
  ServiceDefinition,
  StartOptions,
} from './types.ts';

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
  const settings = databaseSettings(definition, centre.value);
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

function databaseSettings<S extends TObject<BaseProperties>, Deps>(
  definition: ServiceDefinition<S, Deps>,
  config: Static<S>,
): DatabaseSettings {
  const settings = (config as unknown as { database?: DatabaseSettings }).database;
  if (settings === undefined) throw new Error(`${definition.name} declares a database but its config schema has no "database" key`);
  return settings;
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
  const reload = await attachConfigReload({ centre: loaded, logger });

  let database: ServiceDatabase | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  cleanups.push(() => reload.close());
  const telemetry = await createServiceTelemetry({
    identity: { service: definition.name, version: definition.version ?? '0.0.0', namespace: loaded.namespace },
    settings: { metrics: config.metrics, tracing: config.tracing, anomaly: config.anomaly },
    logger,
  });
  cleanups.push(() => telemetry.shutdown()); // last: spans of the shutdown itself are flushed too
  const discovery = openServiceDiscovery({
    service: definition.name,
    version: definition.version ?? '0.0.0',
    namespace: loaded.namespace,
    settings: config.discovery,
    env: options.env ?? process.env,
    logger,
  });
  cleanups.unshift(() => discovery.close());
  try {
    // The `anomaly` section is live: every detector (routes, methods, upstreams) takes a valid change at once.
    const unfollowAnomaly = followAnomalyConfig(definition.name, reload, telemetry.anomalies);
    cleanups.unshift(async () => unfollowAnomaly());
    if (definition.database !== undefined) {
      const settings = databaseSettings(definition, config);
      database = createDatabase({
        dsn: settings.dsn,
        pool: settings.pool,
        sqlite: { busyTimeoutMs: settings.sqliteBusyTimeoutMs },
        log: telemetry.databaseLogger(settings.dsn),
      });
      const opened = database;
      telemetry.watchDatabasePool(() => opened.poolStats());
      cleanups.unshift(() => opened.close());
      const { applied } = await migrate(database, definition.database.migrations);
      logger.info(
        {
          event: { action: 'migrated' },
          database: { dsn: redactDsn(settings.dsn), dialect: database.dialect },
          migrations: applied,
        },
        applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema up to date',
      );
    }

    // One authenticator per process, following `auth` live: the routes' hook and the service's own code
    // (the gateway's admission) share its verified tokens and its JWKS cache.
    const authenticator = new Authenticator(config.auth, { logger });
    const unsubscribeAuth = [
      reload.validate((candidate) => {
        const problems = authSettingsProblems(candidate.auth);
        if (problems.length > 0)
          throw new ConfigError(
            definition.name,
            'auth',
            problems.map((p) => ({ ...p, key: `auth.${p.key}` })),
          );
      }),
      reload.onChange('auth', () => authenticator.update(reload.current().auth)),
    ];
    cleanups.push(async () => {
      for (const unsubscribe of unsubscribeAuth) unsubscribe();
    });

    const context: ServiceContext<Static<S>> = {
      name: definition.name,
      namespace: loaded.namespace,
      config,
      logger,
      database,
      telemetry,
      reload,
      discovery: discovery.discovery,
      auth: authenticator,
    };
    const setup = definition.setup;
    const deps = (setup === undefined ? undefined : await withTelemetry(telemetry, () => setup(context))) as Deps;
    if (definition.close !== undefined) {
      const close = definition.close;
      cleanups.unshift(() => close(deps));
    }

    let ready = false;
    let http: HttpApp | undefined;
    let httpUrl: string | undefined;
    let httpPort: number | undefined;
    if (definition.http !== undefined) {
      http = createHttpServer({
        logger,
        bodyLimitBytes: config.http.bodyLimitBytes,
        keepAliveTimeoutMs: config.http.keepAliveTimeoutMs,
        requestTimeoutMs: config.http.requestTimeoutMs,
        telemetry,
        shedding: { settings: config.shedding, subscribe: (listener) => reload.onChange('shedding', listener) },
      });
      const checks = (): Record<string, HealthCheck> => ({
        ...(database === undefined ? {} : { database: () => (database as ServiceDatabase).ping() }),
        ...(definition.checks === undefined ? {} : definition.checks(deps)),
      });
      registerHealthRoutes(http as never, { checks, isReady: () => ready });
      registerConfigStatusRoute(http as never, reload);
      registerMetricsRoute(http as never, telemetry);
      registerAnomaliesRoute(http as never, telemetry);
      // Routes that declare `config: { auth }` are checked; the gateway's signed identity is trusted when it verifies.
      registerAuth(http, { authenticator, trustIdentityHeader: true });
      await registerOpenApi(http as never, {
        title: `${definition.name} API`,
        version: definition.version ?? '0.0.0',
        ...(definition.description === undefined ? {} : { description: definition.description }),
      });
      await definition.http(http, deps, context);
      await http.listen({ host: config.http.host, port: config.http.port });
      const address = http.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
      httpPort = port;
      httpUrl = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`;
    }

    let grpc: GrpcServer | undefined;
    let grpcAddress: string | undefined;
    let grpcListener: { host: string; port: number } | undefined;
    if (definition.grpc !== undefined) {
      const settings = (config as unknown as { grpc?: GrpcSettings }).grpc;
      if (settings === undefined) throw new Error(`${definition.name} serves gRPC but its config schema has no "grpc" key`);
      const { services, descriptorSet } = definition.grpc;
      grpc = createGrpcServer({
        logger,
        services: services(deps, context),
        health: () => ready,
        telemetry,
        ...(descriptorSet === undefined ? {} : { descriptorSet }),
      });
      const port = await grpc.listen(settings.host, settings.port);
      grpcListener = { host: settings.host, port };
      grpcAddress = `${settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host}:${port}`;
    }

    ready = true;
    grpc?.refreshHealth();
    // Listeners up and ready: now peers may find this instance (exactly once).
    await discovery.register(
      {
        ports: {
          ...(httpPort === undefined ? {} : { http: httpPort }),
          ...(grpcListener === undefined ? {} : { grpc: grpcListener.port }),
        },
        hosts: [...(httpPort === undefined ? [] : [config.http.host]), ...(grpcListener === undefined ? [] : [grpcListener.host])],
      },
      reload,
    );
    const where = [httpUrl, grpcAddress === undefined ? undefined : `grpc://${grpcAddress}`].filter((w) => w !== undefined).join(' and ');
    logger.info(
      { event: { action: 'started' }, url: { full: httpUrl }, labels: { grpc: grpcAddress } },
      `${definition.name} ready${where === '' ? '' : ` on ${where}`}`,
    );

    let stopping: Promise<void> | undefined;
    const stop = (reason = 'stop requested'): Promise<void> => {
      stopping ??= (async () => {
        // Out of the registry first, so callers stop picking this instance before it drains.
        await discovery.deregister(Math.min(2_000, config.shutdown.timeoutMs));
        ready = false;
        logger.info({ event: { action: 'stopping', reason } }, `${definition.name} shutting down: ${reason}`);
        grpc?.refreshHealth();
        await Promise.all([
          http === undefined ? undefined : closeWithin(http, config.shutdown.timeoutMs, logger),
          grpc?.shutdown(config.shutdown.timeoutMs),
        ]);
        closeGrpcChannels();
        for (const cleanup of cleanups) await cleanup().catch((error: unknown) => logger.error({ err: error }, 'error while closing'));
        logger.info({ event: { action: 'stopped' } }, `${definition.name} stopped`);
        await drainLogger(logger);
      })();
      return stopping;
    };
    return { context, deps, http, httpUrl, grpcAddress, stop };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    logger.flush();
    throw error;
  }
}

/** Stops accepting, lets in-flight requests finish, and cuts what is left at the deadline. */
async function closeWithin(http: HttpApp, timeoutMs: number, logger: { warn: (o: object, m: string) => void }): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  // Keep-alive connections that finish their last response after close() began
  // would otherwise linger until their idle timeout: sweep them as they go idle.
  const sweeper = setInterval(() => http.server.closeIdleConnections(), 50);
  const outcome = await Promise.race([http.close().then(() => 'closed' as const), deadline]);
  clearInterval(sweeper);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.warn(
      { event: { action: 'drain-timeout' } },
      `in-flight requests still running after ${timeoutMs} ms; closing their connections`,
    );
    http.server.closeAllConnections();
  }
}

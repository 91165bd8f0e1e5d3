/**
 * The HTTP and gRPC listeners: built from the definition, listening once
 * everything they serve is up; on stop both drain at once, bounded by
 * `shutdown.timeoutMs`.
 */
import type { TObject } from 'typebox';
import { registerConfigStatusRoute } from '@flotilla/config';
import { closeAll as closeGrpcChannels } from '@flotilla/grpc';
import { createGrpcServer } from '@flotilla/grpc';
import { type HealthCheck, registerHealthRoutes } from '@flotilla/http';
import { registerOpenApi } from '@flotilla/http';
import { registerAuth } from '@flotilla/http';
import { createHttpServer, type HttpApp } from '@flotilla/http';
import { registerAnomaliesRoute, registerLogLevelRoute, registerMetricsRoute } from '@flotilla/http';
import { registerRecentTraceRoute } from '@flotilla/http';
import type { BaseProperties } from '../config-schema.ts';
import { type Component, component } from '../lifecycle.ts';
import type { GrpcSettings, ServiceDatabase } from '../types.ts';
import { type Assembly, made } from './assembly.ts';

export function serversComponent<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Component {
  return component('servers', {
    start: async () => {
      await startHttp(a);
      await startGrpc(a);
    },
    stop: async () => {
      const timeoutMs = a.config.shutdown.timeoutMs;
      await Promise.all([
        a.http === undefined ? undefined : closeWithin(a.http.app, timeoutMs, a.logger),
        a.grpc?.server.shutdown(timeoutMs),
      ]);
      closeGrpcChannels();
    },
  });
}

async function startHttp<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Promise<void> {
  const { definition, config, logger } = a;
  if (definition.http === undefined) return;
  const telemetry = made(a.telemetry, 'telemetry');
  const reload = made(a.reload, 'config reload');
  const deps = a.deps as Deps;
  const http = createHttpServer({
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    keepAliveTimeoutMs: config.http.keepAliveTimeoutMs,
    requestTimeoutMs: config.http.requestTimeoutMs,
    telemetry,
    shedding: { settings: config.shedding, subscribe: (listener) => reload.onChange('shedding', listener) },
  });
  const database = a.database;
  const checks = (): Record<string, HealthCheck> => ({
    ...(database === undefined ? {} : { database: () => (database as ServiceDatabase).ping() }),
    ...(definition.checks === undefined ? {} : definition.checks(deps)),
  });
  registerHealthRoutes(http as never, { checks, isReady: () => a.ready });
  registerMetricsRoute(http as never, telemetry);
  // Routes that declare `config: { auth }` are checked; the gateway's signed identity is trusted when it verifies.
  registerAuth(http, { authenticator: made(a.authenticator, 'authenticator'), trustIdentityHeader: true });
  // Before any route, so the document sees every one: the kit's own set `hide`, a service's admin routes are documented.
  await registerOpenApi(
    http as never,
    {
      title: `${definition.name} API`,
      version: definition.version ?? '0.0.0',
      ...(definition.description === undefined ? {} : { description: definition.description }),
    },
    definition.openapi?.(deps),
  );
  const admin = definition.admin;
  await http.register(
    async (scope) => {
      registerConfigStatusRoute(scope as never, reload, '/config');
      registerAnomaliesRoute(scope as never, telemetry, '/anomalies');
      registerLogLevelRoute(scope as never, logger);
      if (admin !== undefined) await admin(scope as HttpApp, deps, made(a.context, 'service context'));
      // After the service's own: the gateway serves this path itself, with the spans of every service merged.
      registerRecentTraceRoute(scope as never, telemetry);
    },
    { prefix: '/admin' },
  );
  await definition.http(http, deps, made(a.context, 'service context'));
  // Set before listening: a failed listen still closes the app.
  a.http = { app: http, url: '', host: config.http.host, port: config.http.port };
  await http.listen({ host: config.http.host, port: config.http.port });
  const address = http.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  a.http = {
    app: http,
    url: `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${port}`,
    host: config.http.host,
    port,
  };
}

async function startGrpc<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Promise<void> {
  const { definition } = a;
  if (definition.grpc === undefined) return;
  const settings = (a.config as unknown as { grpc?: GrpcSettings }).grpc;
  if (settings === undefined) throw new Error(`${definition.name} serves gRPC but its config schema has no "grpc" key`);
  const { services, descriptorSet } = definition.grpc;
  const server = createGrpcServer({
    logger: a.logger,
    services: services(a.deps as Deps, made(a.context, 'service context')),
    health: () => a.ready,
    telemetry: made(a.telemetry, 'telemetry'),
    ...(descriptorSet === undefined ? {} : { descriptorSet }),
  });
  a.grpc = { server, address: '', host: settings.host, port: settings.port };
  const port = await server.listen(settings.host, settings.port);
  a.grpc = { server, address: `${settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host}:${port}`, host: settings.host, port };
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

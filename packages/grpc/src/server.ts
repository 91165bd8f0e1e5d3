/**
 * createGrpcServer(): a grpc-js server with the kit's behaviour built in —
 * request context and error mapping around every handler, one log line per
 * call, the standard health service following a readiness function, server
 * reflection, and a bounded graceful shutdown.
 */
import { Server, ServerCredentials, type ServerOptions, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { HEALTH_SERVICE_NAME, HealthReporter, healthServiceDefinition } from './health.ts';
import { reflectionServices } from './reflection.ts';
import { createRequestGuardInterceptor, lenientDefinition } from './request-guards.ts';
import { createCallLogInterceptor, splitPath } from './server-interceptor.ts';
import { wrapService } from './contextual-handlers.ts';
import { createServerTelemetryInterceptor } from '@flotilla/telemetry';
import type { ServiceTelemetry } from '@flotilla/telemetry';

export interface GrpcServiceRegistration {
  /** A generated service definition, e.g. `GreeterServiceService` from '@flotilla/contracts/greeter'. */
  definition: ServiceDefinition;
  /** Handlers, callback style (`GreeterServiceServer`) or built with `unary()` / `serverStreaming()`. */
  implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  logger: Logger;
  services: readonly GrpcServiceRegistration[];
  /** Readiness: SERVING while it returns true (the default), NOT_SERVING otherwise and during shutdown. */
  health?: () => boolean;
  /** How often open health Watch streams re-read readiness; default 1000 ms. */
  healthPollIntervalMs?: number;
  /**
   * A binary FileDescriptorSet describing the services (`descriptorSet` from
   * '@flotilla/contracts/descriptor-set'); reflection is served only when given.
   */
  descriptorSet?: Uint8Array;
  /** Passed to grpc-js (message size limits, keepalive, ...). */
  serverOptions?: ServerOptions;
  /** Largest request metadata accepted (name + value + 32 bytes per entry); larger is RESOURCE_EXHAUSTED. Default 16 KiB. */
  maxMetadataBytes?: number;
  /** Metrics, a server span per call (continuing the caller's traceparent) and anomaly detection. */
  telemetry?: ServiceTelemetry;
}

export interface ShutdownResult {
  /** True when in-flight calls outlived the timeout and were cancelled. */
  forced: boolean;
}

export interface GrpcServer {
  /** The underlying grpc-js server, for what the kit does not cover. */
  readonly server: Server;
  /** Fully qualified names of the registered services. */
  readonly serviceNames: readonly string[];
  /** Binds host:port (port 0 picks a free one) and starts serving; resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Re-reads readiness now and tells health watchers about a change (otherwise they learn within the poll interval). */
  refreshHealth(): void;
  /**
   * Reports NOT_SERVING, stops accepting calls, lets in-flight calls finish,
   * and cancels whatever is still running after `timeoutMs` (default 10 s).
   */
  shutdown(timeoutMs?: number): Promise<ShutdownResult>;
}

function serviceNameOf(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0];
  if (first === undefined) throw new Error('A gRPC service definition without methods cannot be registered');
  return splitPath(first.path).service;
}

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { logger } = options;
  const quietPrefixes = [`/${HEALTH_SERVICE_NAME}/`, '/grpc.reflection.'];
  const server = new Server({
    ...options.serverOptions,
    interceptors: [
      ...(options.telemetry === undefined ? [] : [createServerTelemetryInterceptor(options.telemetry, { quietPrefixes })]),
      createCallLogInterceptor(logger, { quietPrefixes }),
      // Outside the call log, so that what it refuses is logged and counted too.
      createRequestGuardInterceptor(options.maxMetadataBytes === undefined ? {} : { maxMetadataBytes: options.maxMetadataBytes }),
      ...(options.serverOptions?.interceptors ?? []),
    ],
  });

  const serviceNames: string[] = [];
  for (const registration of options.services) {
    const definition = registration.definition;
    serviceNames.push(serviceNameOf(definition));
    const wrapped = wrapService(definition, registration.implementation, logger);
    server.addService(wrapped.definition, wrapped.implementation);
  }

  const health = new HealthReporter(options.health ?? (() => true), serviceNames, options.healthPollIntervalMs);
  server.addService(lenientDefinition(healthServiceDefinition), health.implementation());

  if (options.descriptorSet !== undefined) {
    for (const reflection of reflectionServices(options.descriptorSet, [...serviceNames, HEALTH_SERVICE_NAME])) {
      server.addService(lenientDefinition(reflection.definition), reflection.implementation);
    }
  }

  let shutdownPromise: Promise<ShutdownResult> | undefined;

  return {
    server,
    serviceNames,
    listen(host, port) {
      const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, ServerCredentials.createInsecure(), (error, boundPort) => {
          if (error !== null) reject(error);
          else {
            logger.info({ grpc: { address: host, port: boundPort, services: serviceNames } }, `gRPC listening on ${host}:${boundPort}`);
            resolve(boundPort);
          }
        });
      });
    },
    refreshHealth() {
      health.refresh();
    },
    shutdown(timeoutMs = 10_000) {
      shutdownPromise ??= new Promise((resolve) => {
        health.markShuttingDown();
        health.closeWatches();
        let settled = false;
        const settle = (forced: boolean): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ forced });
        };
        const timer = setTimeout(() => {
          logger.warn({ timeoutMs }, 'gRPC calls still running at the shutdown deadline; cancelling them');
          server.forceShutdown();
          settle(true);
        }, timeoutMs);
        server.tryShutdown(() => settle(false));
      });
      return shutdownPromise;
    },
  };
}

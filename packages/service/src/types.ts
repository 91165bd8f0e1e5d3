import type { Static, TObject } from 'typebox';
import type { DestinationStream, Logger } from 'pino';
import type { Database, Migration } from '@flotilla/data';
import type { HealthCheck } from '@flotilla/http';
import type { Authenticator } from '@flotilla/auth';
import type { HttpApp } from '@flotilla/http';
import type { GrpcServiceRegistration } from '@flotilla/grpc';
import type { BaseProperties } from './config-schema.ts';
import type { ServiceTelemetry } from '@flotilla/telemetry';
import type { ConfigReload, ConfigStore } from '@flotilla/config';
import type { DatabaseConfig, GrpcConfig } from './config-schema.ts';
import type { ServiceDiscovery } from './discovery.ts';

/** Database handle as the kit opens it; a store narrows it with `db.withTables<T>()`. */
export type ServiceDatabase = Database<object>;

export interface ServiceContext<C> {
  name: string;
  namespace: string;
  config: C;
  logger: Logger;
  /** Present when the definition declares `database`. */
  database: ServiceDatabase | undefined;
  /** Metrics registry (create your own metrics here), tracer and anomaly monitor of this service. */
  telemetry: ServiceTelemetry;
  /** Live config changes from the config centre: `reload.onChange('some.key', (value) => …)`; status at /admin/config. */
  reload: ConfigReload<C>;
  /** The registry (from `config.discovery`) and shared balancers for calling peers: `discovery.grpc`, `discovery.http`. */
  discovery: ServiceDiscovery;
  /** The service's authenticator (`config.auth`, following reloads): the one its routes' `config.auth` checks use. */
  auth: Authenticator;
  /** The config centre this service reads its config from (history, diff, compare-and-set writes): the gateway's admin API edits it. */
  configStore: ConfigStore;
}

export interface ServiceDefinition<S extends TObject<BaseProperties>, Deps> {
  name: string;
  version?: string;
  description?: string;
  config: S;
  /** Opens `config.database` and runs these migrations before the servers start. */
  database?: { migrations: Migration[] };
  /** Builds the domain (stores, clients) once the database is ready. */
  setup?: (context: ServiceContext<Static<S>>) => Deps | Promise<Deps>;
  /** Registers REST routes. */
  http?: (app: HttpApp, deps: Deps, context: ServiceContext<Static<S>>) => void | Promise<void>;
  /**
   * Adds to the `/admin` plugin (encapsulated, prefix `/admin`, beside the kit's
   * `/admin/config`, `/admin/anomalies` and `/admin/log-level`): more routes, and
   * hooks such as an admin credential check that then cover every admin route
   * and nothing else. Its routes are in the service's OpenAPI document unless
   * their schema says `hide: true` (the kit's own do).
   */
  admin?: (admin: HttpApp, deps: Deps, context: ServiceContext<Static<S>>) => void | Promise<void>;
  /** The document `/openapi.json` serves (and `/docs` shows) instead of the one made from the service's own routes. */
  openapi?: (deps: Deps) => () => Promise<unknown>;
  /** gRPC services served on `config.grpc` beside HTTP; health follows readiness. */
  grpc?: {
    services: (deps: Deps, context: ServiceContext<Static<S>>) => GrpcServiceRegistration[];
    /** Binary FileDescriptorSet of the served protos; enables server reflection. */
    descriptorSet?: Uint8Array;
  };
  /** Extra readiness checks besides the database ping. */
  checks?: (deps: Deps) => Record<string, HealthCheck>;
  /** Releases what `setup` opened; runs after servers stop, before the database closes. */
  close?: (deps: Deps) => Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  configDir?: string;
  namespace?: string;
  /** Log destination (tests read lines back); stdout by default. */
  logDestination?: DestinationStream;
  /**
   * Set by a process group's primary for each of its workers (`workers/`):
   * the worker serves as usual but does not register in discovery, since the
   * primary registers the group once.
   */
  worker?: { slot: number };
}

export interface RunningService<C, Deps> {
  readonly context: ServiceContext<C>;
  readonly deps: Deps;
  /** Base URL of the HTTP listener, e.g. http://127.0.0.1:8081. */
  readonly httpUrl: string | undefined;
  readonly http: HttpApp | undefined;
  /** host:port of the gRPC listener, when the service serves gRPC. */
  readonly grpcAddress: string | undefined;
  /** Graceful stop: not ready → stop accepting → drain (bounded) → close pools. Idempotent. */
  stop(reason?: string): Promise<void>;
}

export type DatabaseSettings = Static<typeof DatabaseConfig>;
export type GrpcSettings = Static<typeof GrpcConfig>;

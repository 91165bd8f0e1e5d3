/**
 * What the components of one starting service hand each other: each fills
 * in its part (the database, the authenticator, the servers) for the ones
 * after it.
 */
import type { Static, TObject } from 'typebox';
import type { Authenticator } from '@flotilla/auth';
import type { ConfigCentreConnection } from '@flotilla/config';
import type { ConfigReload } from '@flotilla/config';
import type { GrpcServer } from '@flotilla/grpc';
import type { HttpApp } from '@flotilla/http';
import type { Logger } from '@flotilla/telemetry';
import type { ServiceTelemetry } from '@flotilla/telemetry';
import type { BaseProperties } from '../config-schema.ts';
import type { OpenedServiceDiscovery } from '../discovery.ts';
import type { ServiceContext, ServiceDatabase, ServiceDefinition, StartOptions } from '../types.ts';

export interface Assembly<S extends TObject<BaseProperties>, Deps> {
  readonly definition: ServiceDefinition<S, Deps>;
  readonly options: StartOptions;
  readonly loaded: ConfigCentreConnection<S>;
  readonly config: Static<S>;
  readonly logger: Logger;
  telemetry?: ServiceTelemetry;
  reload?: ConfigReload<Static<S>>;
  discovery?: OpenedServiceDiscovery;
  database?: ServiceDatabase;
  authenticator?: Authenticator;
  context?: ServiceContext<Static<S>>;
  deps?: Deps;
  http?: { app: HttpApp; url: string; host: string; port: number };
  grpc?: { server: GrpcServer; address: string; host: string; port: number };
  /** Readiness as `/readyz` and gRPC health report it. */
  ready: boolean;
}

/** A part an earlier component made; its absence is a wiring mistake in the start order. */
export function made<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started yet`);
  return value;
}

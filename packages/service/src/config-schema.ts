/**
 * The config every service shares (HTTP listener, logging, database, shutdown)
 * and a helper to extend it with a service's own keys. Objects reject unknown
 * keys so a typo in YAML or an env name is reported instead of ignored.
 */
import Type, { type TProperties, type TObject } from 'typebox';
import { AnomalyConfig, MetricsConfig, TracingConfig } from '@flotilla/telemetry';
import { DiscoveryConfig } from '@flotilla/discovery';
import { SheddingConfig } from '@flotilla/resilience';
import { AuthSettings } from '@flotilla/auth';

const strict = { additionalProperties: false } as const;

export const HttpConfig = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0', minLength: 1 }),
    port: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
    bodyLimitBytes: Type.Integer({ default: 1_048_576, minimum: 1 }),
    keepAliveTimeoutMs: Type.Integer({ default: 72_000, minimum: 0 }),
    requestTimeoutMs: Type.Integer({ default: 30_000, minimum: 0 }),
  },
  { ...strict, default: {} },
);

export const LogConfig = Type.Object(
  {
    level: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    pretty: Type.Optional(Type.Boolean()),
  },
  { ...strict, default: {} },
);

export const DatabaseConfig = Type.Object(
  {
    dsn: Type.String({ minLength: 1, description: 'sqlite:<path>, postgres://… or mysql://…' }),
    pool: Type.Object(
      {
        max: Type.Integer({ default: 10, minimum: 1 }),
        min: Type.Integer({ default: 0, minimum: 0 }),
        idleTimeoutMs: Type.Integer({ default: 30_000, minimum: 0 }),
        acquireTimeoutMs: Type.Integer({ default: 5_000, minimum: 1 }),
      },
      { ...strict, default: {} },
    ),
    sqliteBusyTimeoutMs: Type.Integer({ default: 5_000, minimum: 0 }),
  },
  strict,
);

export const GrpcConfig = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0', minLength: 1 }),
    port: Type.Integer({ default: 9090, minimum: 0, maximum: 65535 }),
  },
  { ...strict, default: {} },
);

export const ShutdownConfig = Type.Object({ timeoutMs: Type.Integer({ default: 10_000, minimum: 0 }) }, { ...strict, default: {} });

/**
 * Processes serving the service's ports: `auto` is one per CPU the process may
 * use (affinity and the cgroup's CPU limit, `workers/cpu-budget.ts`); more than
 * one runs a primary that supervises them (`workers/`).
 */
export const WorkersConfig = Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], {
  default: 1,
  description: 'worker processes sharing the ports: an integer ≥ 1, or auto (one per available CPU)',
});

const baseProperties = {
  http: HttpConfig,
  log: LogConfig,
  shutdown: ShutdownConfig,
  workers: WorkersConfig,
  metrics: MetricsConfig,
  tracing: TracingConfig,
  anomaly: AnomalyConfig,
  discovery: DiscoveryConfig,
  shedding: SheddingConfig,
  /** Credentials a service accepts on routes with `config: { auth }`, and the gateway's signed identity (`identityHeader`). */
  auth: AuthSettings,
};

export type BaseProperties = typeof baseProperties;

/** A service config schema: the shared keys plus the service's own. */
export function serviceConfig<P extends TProperties>(properties: P): TObject<BaseProperties & P> {
  return Type.Object({ ...baseProperties, ...properties }, strict) as TObject<BaseProperties & P>;
}

/**
 * The shared keys alone, other keys let through: what a process group's
 * primary reads (worker count, discovery, logging, shutdown) without knowing
 * the service's own schema. Its workers check the whole config.
 */
export const GroupConfig = Type.Object(baseProperties);

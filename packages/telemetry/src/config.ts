/**
 * The `metrics`, `tracing` and `anomaly` config sections every service shares
 * (added to the base schema). Defaults: metrics and anomaly detection on,
 * tracing off (`config/staging|prod/shared.yaml` turn it on).
 */
import Type, { type Static } from 'typebox';

const strict = { additionalProperties: false } as const;

export const MetricsConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Where every HTTP listener serves the Prometheus text format. */
    path: Type.String({ default: '/metrics', pattern: '^/' }),
    /** prom-client's Node runtime metrics (event loop, GC, heap, handles, CPU). */
    runtime: Type.Boolean({ default: true }),
  },
  { ...strict, default: {} },
);

export const TracingConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** OTLP http/protobuf traces endpoint (a Collector, Jaeger, Tempo…), full path included. */
    endpoint: Type.String({ default: 'http://127.0.0.1:4318/v1/traces', minLength: 1 }),
    /** Fraction of new traces sampled; a sampled parent is always followed (parent-based). */
    sampleRatio: Type.Number({ default: 1, minimum: 0, maximum: 1 }),
    /** Extra export headers (e.g. an API key for a hosted backend). */
    headers: Type.Record(Type.String(), Type.String(), { default: {} }),
    exportTimeoutMs: Type.Integer({ default: 10_000, minimum: 1 }),
    /** How long spans wait in the batch before export. */
    batchDelayMs: Type.Integer({ default: 1_000, minimum: 1 }),
  },
  { ...strict, default: {} },
);

export const AnomalyConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** The sliding window the current p99 and error ratio are computed over. */
    windowMs: Type.Integer({ default: 60_000, minimum: 1_000 }),
    /** Evaluation step; the window is made of windowMs / stepMs buckets. */
    stepMs: Type.Integer({ default: 5_000, minimum: 100 }),
    /** How many past evaluations form the baseline (median/MAD). */
    baselineSize: Type.Integer({ default: 120, minimum: 5 }),
    /** Evaluations needed before a baseline is trusted. */
    minBaseline: Type.Integer({ default: 12, minimum: 3 }),
    /** Requests needed in the window before it is judged at all. */
    minRequests: Type.Integer({ default: 20, minimum: 1 }),
    /** Deviation threshold in robust standard deviations (1.4826 × MAD). */
    madThreshold: Type.Number({ default: 6, minimum: 1 }),
    /** …and at least this many milliseconds above the baseline p99. */
    minLatencyShiftMs: Type.Number({ default: 50, minimum: 0 }),
    /** …and the error ratio at least this much above the baseline ratio. */
    minErrorRateShift: Type.Number({ default: 0.05, minimum: 0, maximum: 1 }),
    /** The deviation must last this long before an anomaly is raised. */
    sustainMs: Type.Integer({ default: 20_000, minimum: 0 }),
    /** …and be gone this long before it is cleared. */
    recoverMs: Type.Integer({ default: 30_000, minimum: 0 }),
  },
  { ...strict, default: {} },
);

export type MetricsSettings = Static<typeof MetricsConfig>;
export type TracingSettings = Static<typeof TracingConfig>;
export type AnomalySettings = Static<typeof AnomalyConfig>;
